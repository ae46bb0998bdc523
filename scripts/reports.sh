#!/usr/bin/env bash
# Writes every report format of `uala analyze` for the sample case and each shared export folder,
# plus one `batch` over the shared folders, into OUT: run it with two binaries and `diff -r` the
# folders to prove a change keeps reports byte-identical (or to show what it changes on purpose).
#
#   scripts/reports.sh BIN OUT [SHARED_TESTDATA]
set -euo pipefail
bin=$(realpath "$1")
out=$2
shared=$(realpath "${3:-"$(dirname "$0")/../../shared/testdata"}")
root=$(cd "$(dirname "$0")/.." && pwd)
export SOURCE_DATE_EPOCH=1767225600 NO_COLOR=1 COLUMNS=120
mkdir -p "$out"
run() { # name path...
  local name=$1; shift
  local d="$out/$name"
  mkdir -p "$d"
  set +e
  "$bin" analyze "$@" --quiet --color never --force \
    --json "$d/report.json" --csv "$d/timeline.csv" --timesketch "$d/timesketch.jsonl" \
    --sarif "$d/findings.sarif" --html "$d/report.html" >"$d/terminal.txt" 2>"$d/stderr.txt"
  echo "exit $?" >"$d/exit.txt"
  set -e
}
run sample "$root/testdata/contoso-bec"
if [ -d "$shared" ]; then
  for dir in "$shared"/*/; do
    run "shared-$(basename "$dir")" "$dir"
  done
  set +e
  # Relative, so that summaries written to two folders compare equal.
  (cd "$out" && "$bin" batch "$shared" --out-dir batch --quiet --force >batch.txt 2>&1
   echo "exit $?" >>batch.txt)
  set -e
fi
