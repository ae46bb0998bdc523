#!/usr/bin/env bash
# Runs the DuckDB queries of docs/parquet.md (scripts/parquet-queries.sql) over uala's Parquet
# output of the sample case: three copies of testdata/contoso-bec as three tenants, through
# `uala batch --parquet`. A developer check, not part of CI.
#
#   scripts/duckdb-check.sh
#
# What it does:
#   1. builds the debug binary (cargo build);
#   2. makes $TARGET/duckdb-check/tenants/{contoso-a,contoso-b,contoso-c} from the sample case and
#      runs `uala batch ... --parquet $TARGET/duckdb-check/parquet`;
#   3. installs DuckDB from PyPI into $TARGET/duckdb-venv (this script only; reused);
#   4. runs every section of scripts/parquet-queries.sql and prints its result.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="$TARGET/duckdb-venv"
WORK="$TARGET/duckdb-check"

echo "== build" >&2
(cd "$ROOT" && CARGO_TARGET_DIR="$TARGET" cargo build --quiet --bin uala)
UALA="$TARGET/debug/uala"

echo "== uala batch --parquet (three copies of the sample case)" >&2
rm -rf "$WORK"
mkdir -p "$WORK/tenants"
for t in contoso-a contoso-b contoso-c; do
    cp -r "$ROOT/testdata/contoso-bec" "$WORK/tenants/$t"
done
# Exit 0: no --fail-on, every tenant readable.
(cd "$WORK" && SOURCE_DATE_EPOCH=1735689600 "$UALA" batch tenants --out-dir out --parquet parquet --quiet >/dev/null)

echo "== DuckDB (pip, into $VENV)" >&2
if ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet duckdb
fi

cd "$WORK"
"$VENV/bin/python" - "$ROOT/scripts/parquet-queries.sql" <<'PY'
import sys, duckdb

print(f"duckdb {duckdb.__version__}")
text = open(sys.argv[1]).read()
sections = text.split("-- name: ")[1:]
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
for section in sections:
    title, _, sql = section.partition("\n")
    print(f"\n-- {title}")
    for statement in [s.strip() for s in sql.split(";") if s.strip()]:
        if statement.upper().startswith("CREATE"):
            con.execute(statement)
            print("ok")
        else:
            con.sql(statement).show(max_width=200, max_rows=40)
PY
