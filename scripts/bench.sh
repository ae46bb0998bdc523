#!/usr/bin/env bash
# Whole-run benchmarks of `uala analyze` against DuckDB, on generated exports.
#
#   scripts/bench.sh                 # 1 GB export (UAL Purview CSV + 15 % sign-ins JSONL)
#   scripts/bench.sh --large         # also 5 GB
#   scripts/bench.sh --size 200MB    # another size (repeatable; replaces the default 1GB)
#   scripts/bench.sh --no-duckdb     # uala only
#   scripts/bench.sh --threads default --size 5GB   # thread counts to run (default: 1,2,default)
#
# What it does, for each size:
#   1. builds the release binary and examples/gen_export (cargo build --release);
#   2. generates the export into $UALA_BENCH_DATA/e2e-<size>/ (default target/bench-data/),
#      reused while DIR.stamp matches the generator arguments (UALA_BENCH_REGEN=1 remakes it);
#   3. runs `/usr/bin/time -v uala analyze DIR --json out.json --quiet --force` at --threads 1,
#      2 and the default, and `uala inspect DIR` (ingest alone) at the default, recording wall
#      time, MB/s, events/s and peak RSS;
#   4. installs DuckDB from PyPI into target/bench-venv (this script only) and times the
#      "forwarding" query over ual.csv and the "new IP" query over signins.jsonl, at DuckDB's
#      default threads and at 1 thread, each in its own process under /usr/bin/time -v.
# Raw rows go to target/bench-results/<UTC date and time>.csv; a markdown table is printed.
# Re-runnable: data is reused, outputs are overwritten, each run writes a new results file.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
DATA="${UALA_BENCH_DATA:-$TARGET/bench-data}"
RESULTS="$TARGET/bench-results"
VENV="$TARGET/bench-venv"
SEED=7
SIGNINS_RATIO=0.15

sizes=()
duckdb=1
threads_list="1,2,default"
while [ $# -gt 0 ]; do
    case "$1" in
        --large) large=1 ;;
        --size) sizes+=("$2"); shift ;;
        --no-duckdb) duckdb=0 ;;
        --threads) threads_list="$2"; shift ;;
        -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
        *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
[ ${#sizes[@]} -gt 0 ] || sizes=(1GB)
[ -z "${large:-}" ] || sizes+=(5GB)

for tool in /usr/bin/time python3; do
    command -v "$tool" >/dev/null || { echo "bench.sh: $tool is required (apt-get install time python3)" >&2; exit 2; }
done

stamp_utc="$(date -u +%Y-%m-%dT%H%M%SZ)"
mkdir -p "$RESULTS" "$DATA"
csv="$RESULTS/$stamp_utc.csv"
work="$RESULTS/$stamp_utc"
mkdir -p "$work"
echo "date,size,input_bytes,tool,task,threads,wall_s,mb_per_s,events,events_per_s,peak_rss_kb,exit,cpu_s,mb_per_cpu_s,load1" >"$csv"

cores="$(nproc)"
echo "== build (release)" >&2
(cd "$ROOT" && CARGO_TARGET_DIR="$TARGET" cargo build --release --quiet --bin uala --example gen_export)
UALA="$TARGET/release/uala"
GEN="$TARGET/release/examples/gen_export"

# Runs a command under /usr/bin/time -v, as the first process the kernel kills when memory runs
# out (a 5 GB run needs most of a 24 GiB machine; it must not take other work down with it).
timed() {
    local out="$1"; shift
    bash -c 'echo 1000 >/proc/self/oom_score_adj 2>/dev/null; exec "$@"' _ /usr/bin/time -v "$@" 2>"$out"
}

# /usr/bin/time -v output → "wall_s peak_kb cpu_s" (cpu = user + system, every thread).
time_fields() {
    awk -F': ' '
        /Elapsed \(wall clock\)/ {
            n = split($2, p, ":"); s = 0
            for (i = 1; i <= n; i++) s = s * 60 + p[i]
            wall = s
        }
        /Maximum resident set size/ { rss = $2 }
        /User time \(seconds\)/ { cpu += $2 }
        /System time \(seconds\)/ { cpu += $2 }
        END { printf "%s %s %.2f\n", wall, rss, cpu }' "$1"
}

# size bytes tool task threads wall events rss exit cpu
row() {
    local mbs eps mbc load
    mbs="$(awk -v b="$2" -v w="$6" 'BEGIN { printf "%.1f", (w > 0 ? b / 1e6 / w : 0) }')"
    eps="$(awk -v e="$7" -v w="$6" 'BEGIN { printf "%.0f", (w > 0 && e > 0 ? e / w : 0) }')"
    mbc="$(awk -v b="$2" -v c="${10}" 'BEGIN { printf "%.1f", (c > 0 ? b / 1e6 / c : 0) }')"
    load="$(cut -d' ' -f1 /proc/loadavg)"
    echo "$stamp_utc,$1,$2,$3,$4,$5,$6,$mbs,$7,$eps,$8,$9,${10},$mbc,$load" >>"$csv"
    printf '   %-6s %-6s %-20s threads=%-10s %8ss %7s MB/s %9s events/s  cpu %7ss (%s MB/cpu-s)  peak %s MiB  load %s  exit %s\n' \
        "$1" "$3" "$4" "$5" "$6" "$mbs" "$eps" "${10}" "$mbc" "$(( $8 / 1024 ))" "$load" "$9" >&2
}

if [ "$duckdb" = 1 ]; then
    echo "== DuckDB (pip, into $VENV)" >&2
    if ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet duckdb
    fi
    "$VENV/bin/python" -c 'import duckdb; print("   duckdb", duckdb.__version__)' >&2
fi

cat >"$work/duck.py" <<'PY'
# DuckDB's equivalent of two uala detections; prints "rows seconds".
import sys, time, duckdb

query, path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = duckdb.connect()
if threads > 0:
    con.execute(f"SET threads = {threads}")
FORWARDING = """
WITH ual AS (
    SELECT * FROM read_csv(?, header = true, all_varchar = true, quote = '"', escape = '"')
), params AS (
    SELECT RecordId, CreationDate, UserId, Operation,
           unnest(from_json(json_extract(AuditData, '$.Parameters'),
                            '[{"Name": "VARCHAR", "Value": "VARCHAR"}]')) AS p
    FROM ual
    WHERE Operation IN ('New-InboxRule', 'Set-InboxRule', 'Set-Mailbox')
)
SELECT RecordId, CreationDate, UserId, Operation, p.Name AS name, p.Value AS value
FROM params
WHERE p.Name IN ('ForwardTo', 'ForwardingSmtpAddress') AND coalesce(p.Value, '') <> ''
"""
NEW_IP = """
WITH s AS (
    SELECT userPrincipalName AS u, ipAddress AS ip, createdDateTime AS t
    FROM read_json(?, format = 'newline_delimited', columns = {
        'userPrincipalName': 'VARCHAR', 'ipAddress': 'VARCHAR',
        'createdDateTime': 'TIMESTAMP', 'status': 'STRUCT(errorCode INTEGER)'})
    WHERE status.errorCode = 0
), n AS (
    SELECT u, ip, t,
           row_number() OVER (PARTITION BY u ORDER BY t) - 1 AS prior,
           row_number() OVER (PARTITION BY u, ip ORDER BY t) AS nth
    FROM s
)
SELECT u, ip, t FROM n WHERE nth = 1 AND prior >= 3 ORDER BY t
"""
sql = {"forwarding": FORWARDING, "new-ip": NEW_IP}[query]
start = time.perf_counter()
rows = con.execute(sql, [path]).fetchall()
took = time.perf_counter() - start
print(len(rows), f"{took:.3f}")
PY

for size in "${sizes[@]}"; do
    dir="$DATA/e2e-$size"
    args="--size $size --layout purview --signins-ratio $SIGNINS_RATIO --seed $SEED"
    stamp="$DATA/e2e-$size.stamp" # beside the folder: the folder is evidence
    if [ -n "${UALA_BENCH_REGEN:-}" ] || [ ! -d "$dir" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$args" ]; then
        echo "== generate $size into $dir" >&2
        rm -f "$stamp"
        # shellcheck disable=SC2086
        "$GEN" --out "$dir" $args --force 2>"$work/gen-$size.log"
        echo "$args" >"$stamp"
    fi
    ual_bytes="$(stat -c %s "$dir/ual.csv")"
    si_bytes="$(stat -c %s "$dir/signins.jsonl")"
    bytes=$(( ual_bytes + si_bytes ))
    echo "== $size: $(( bytes / 1000000 )) MB (ual.csv $(( ual_bytes / 1000000 )) MB, signins.jsonl $(( si_bytes / 1000000 )) MB)" >&2
    cat "$dir/ual.csv" "$dir/signins.jsonl" >/dev/null # warm the page cache for every tool alike

    for t in ${threads_list//,/ }; do
        targ=()
        label="default($cores)"
        if [ "$t" != default ]; then targ=(--threads "$t"); label="$t"; fi
        report="$work/report-$size-$t.json"
        set +e
        timed "$work/time-analyze-$size-$t.txt" \
            "$UALA" analyze "$dir" --json "$report" --quiet --force "${targ[@]}" >/dev/null
        code=$?
        set -e
        read -r wall rss cpu < <(time_fields "$work/time-analyze-$size-$t.txt")
        events="$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sum(i.get("records",0) for i in r.get("inputs",[])))' "$report" 2>/dev/null || echo 0)"
        row "$size" "$bytes" uala analyze "$label" "$wall" "$events" "$rss" "$code" "$cpu"
    done

    set +e
    timed "$work/time-inspect-$size.txt" "$UALA" inspect "$dir" --quiet >/dev/null
    code=$?
    set -e
    read -r wall rss cpu < <(time_fields "$work/time-inspect-$size.txt")
    row "$size" "$bytes" uala inspect "default($cores)" "$wall" "$events" "$rss" "$code" "$cpu"

    if [ "$duckdb" = 1 ]; then
        for q in forwarding new-ip; do
            if [ "$q" = forwarding ]; then file="$dir/ual.csv"; qbytes=$ual_bytes; else file="$dir/signins.jsonl"; qbytes=$si_bytes; fi
            for t in 0 1; do
                label="$t"; [ "$t" = 0 ] && label="default($cores)"
                set +e
                out="$(timed "$work/time-duckdb-$q-$size-$t.txt" "$VENV/bin/python" "$work/duck.py" "$q" "$file" "$t")"
                code=$?
                set -e
                read -r _wall rss cpu < <(time_fields "$work/time-duckdb-$q-$size-$t.txt")
                read -r nrows qtime <<<"${out:-0 0}"
                # The query's own time (without Python start-up); rows = result rows. CPU time
                # is the whole process's (start-up and import included).
                row "$size" "$qbytes" duckdb "$q(rows=$nrows)" "$label" "$qtime" 0 "$rss" "$code" "$cpu"
            done
        done
    fi
done

echo "== raw results: $csv" >&2
python3 - "$csv" "$cores" <<'PY'
import csv, math, sys
from collections import defaultdict

rows = list(csv.DictReader(open(sys.argv[1])))
cores = sys.argv[2]
dflt = f"default({cores})"
by = defaultdict(dict)
for r in rows:
    by[r["size"]][(r["tool"], r["task"].split("(")[0], r["threads"])] = r

def f(r, k):
    return float(r[k]) if r and r.get(k) not in (None, "") else math.nan

def fmt(x, spec=".2f", suffix=""):
    return "–" if math.isnan(x) else f"{x:{spec}}{suffix}"

print()
print("| size | input MB | uala analyze s (1 / 2 / default threads) | speed-up 1→default | MB/s | events/s | MB per CPU-s | peak RSS MiB | RSS / input | ingest only (inspect) s | DuckDB forwarding s (default / 1 thread) | DuckDB ÷ uala | DuckDB new-IP s | load |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
for size, d in by.items():
    a1, a2, an = (d.get(("uala", "analyze", t)) for t in ("1", "2", dflt))
    ins = d.get(("uala", "inspect", dflt))
    fw, fw1 = d.get(("duckdb", "forwarding", dflt)), d.get(("duckdb", "forwarding", "1"))
    ni = d.get(("duckdb", "new-ip", dflt))
    mb = f(an or ins, "input_bytes") / 1e6
    rss = f(an, "peak_rss_kb") / 1024
    loads = [float(r["load1"]) for r in rows if r["size"] == size]
    print(f"| {size} | {fmt(mb, '.0f')} | {fmt(f(a1,'wall_s'))} / {fmt(f(a2,'wall_s'))} / {fmt(f(an,'wall_s'))} | "
          f"{fmt(f(a1,'wall_s') / f(an,'wall_s'), '.2f', 'x')} | {fmt(f(an,'mb_per_s'), '.1f')} | "
          f"{fmt(f(an,'events_per_s'), ',.0f')} | {fmt(f(an,'mb_per_cpu_s'), '.1f')} | {fmt(rss, '.0f')} | "
          f"{fmt(rss * 1.048576 / mb * 100, '.0f', ' %')} | {fmt(f(ins,'wall_s'))} | "
          f"{fmt(f(fw,'wall_s'))} / {fmt(f(fw1,'wall_s'))} | {fmt(f(fw,'wall_s') / f(an,'wall_s'))} | "
          f"{fmt(f(ni,'wall_s'))} | {min(loads):.1f}–{max(loads):.1f} |")
print()
print("DuckDB ÷ uala > 1 means uala is faster; the target is ≥ 2. load = 1-minute load average while measuring")
print(f"(the machine has {cores} cores; above that, other work competed and wall times are pessimistic; MB per CPU-s is not affected).")
PY
