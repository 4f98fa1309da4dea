#!/usr/bin/env bash
# The non-Python programs the test suite runs, from Debian's archive (run once per machine, as
# root or through sudo): headless Chromium (dvt's HTML report is opened in a real browser) and
# the toolchains of pgadapter's client matrix (JDK + JDBC driver, Ruby pg, PHP PDO pgsql, and
# the npm clients from their lock file). Tests that need one of these fail, naming this script,
# when it is missing; none is skipped.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
    exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium
bash "$(dirname "$(readlink -f "$0")")/pgadapter/clients/install.sh"
