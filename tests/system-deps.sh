#!/usr/bin/env bash
# The non-Python programs the test suite runs, from Debian's archive (run once per machine, as
# root or through sudo): headless Chromium (dvt's HTML report is opened in a real browser), PostGIS
# for PostgreSQL 15 (dvt compares PostGIS geometry with Spanner's WKT; the extension is created
# only in the tests' own databases) and
# the toolchains of pgadapter's client matrix (JDK + JDBC driver, Ruby pg, PHP PDO pgsql, and
# the npm clients from their lock file). Tests that need one of these fail, naming this script,
# when it is missing; none is skipped.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
    exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium postgresql-15-postgis-3
bash "$(dirname "$(readlink -f "$0")")/pgadapter/clients/install.sh"
