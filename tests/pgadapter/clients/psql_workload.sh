#!/usr/bin/env bash
# psql: a script with DDL, typed CRUD, a rolled-back transaction, PREPARE/EXECUTE, \copy both
# ways, the backslash introspection commands (\dt, \d, \di, \dn), and a cursor-fetched
# (FETCH_COUNT) seq × seq. Its output must equal psql_expected.txt.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
seq 1 200 > "$work/seq.txt"
# psql does not interpolate variables in \copy: the file names are written into the script
sed -e "s#@SEQFILE@#$work/seq.txt#" -e "s#@OUTFILE@#$work/out.txt#" \
    -e "s#@STREAMFILE@#$work/stream.txt#" "$here/psql_workload.sql" > "$work/workload.sql"
out="$(psql -X -q -v ON_ERROR_STOP=1 -f "$work/workload.sql" 2>&1)" || {
    printf '%s\n' "$out"
    exit 1
}
if ! diff -u "$here/psql_expected.txt" <(printf '%s\n' "$out"); then
    echo "psql output differs from psql_expected.txt" >&2
    exit 1
fi
copied="$(wc -l < "$work/out.txt")"
# the streamed rows went to a file (unaligned, no footer): one "a|b" line each
streamed="$(wc -l < "$work/stream.txt")"
sum="$(awk -F'|' '{s += $1} END {printf "%d", s}' "$work/stream.txt")"
printf 'RESULT {"client": "psql", "copied": %d, "rows": 3, "streamed": %d, "sum": %d}\n' \
    "$copied" "$streamed" "$sum"
