#!/usr/bin/env bash
# Compiles the JDBC workload against Debian's PostgreSQL JDBC driver into a temporary folder and
# runs it. JDBC_JAR names the driver (default: Debian's libpostgresql-jdbc-java).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jar="${JDBC_JAR:-/usr/share/java/postgresql.jar}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
javac -d "$out" -cp "$jar" "$here/JdbcWorkload.java"
java -cp "$out:$jar" JdbcWorkload
