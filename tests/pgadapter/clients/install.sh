#!/usr/bin/env bash
# Installs the non-Python toolchains of the pgadapter client matrix from Debian's archive:
# a JDK with PostgreSQL's JDBC driver, Ruby with the pg gem, PHP with PDO pgsql.
# The npm clients come from node/package-lock.json (`npm ci` in node/), the Python ones from
# the package's `test` extra. Run as root (CI images) or through sudo.
set -euo pipefail
PACKAGES=(
    default-jdk-headless libpostgresql-jdbc-java
    ruby ruby-pg
    php-cli php-pgsql
)
# Node: any Node >= 18 with npm will do; Debian's only when the machine has none.
command -v npm >/dev/null || PACKAGES+=(nodejs npm)
if [ "$(id -u)" -ne 0 ]; then
    exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
cd "$(dirname "$(readlink -f "$0")")/node" && npm ci --no-audit --no-fund
