#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ (design.md §8 "Fuzzing"), then minimises each corpus.
#
#   scripts/fuzz.sh                  every target, FUZZ_SECONDS (default 600) each, one after another
#   scripts/fuzz.sh csv_table archive  only these targets
#
# Environment:
#   FUZZ_SECONDS      seconds per target (libFuzzer -max_total_time); default 600
#   FUZZ_SANITIZER    address (default) or none
#   FUZZ_BUILD_FLAGS  cargo-fuzz build flags; default "--release --debug-assertions" so integer
#                     overflow and debug_assert! count as crashes
#   FUZZ_ARGS         extra libFuzzer flags (e.g. "-max_len=65536")
#   FUZZ_NO_CMIN=1    keep the corpus as it grew (no `cargo fuzz cmin`)
#   FUZZ_CMIN_ONLY=1  only minimise the corpora, no fuzzing
#   FUZZ_CMIN_ARGS    libFuzzer flags of the minimisation; default "-set_cover_merge=1
#                     -use_counters=0": the smallest set of inputs covering every edge, ignoring
#                     hit counts, which keeps the committed corpus about five times smaller
#   FUZZ_KEEP_GOING=1 run libFuzzer in fork mode (one worker) that records a crash and goes on
#                     fuzzing for the whole time, instead of stopping at the first crash
#   CARGO_TARGET_DIR  base target dir; fuzz builds go to $CARGO_TARGET_DIR/fuzz (default
#                     /work/target/fuzz), never inside the repository
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). The stable toolchain is used with
# RUSTC_BOOTSTRAP=1 for the nightly flags cargo-fuzz passes (-Zsanitizer, -Cpasses=sancov).
# Exits 1 if any target crashed (panic, overflow, out of memory, an input taking over 10 s), or
# failed to build or to minimise; the crashing input is in fuzz/artifacts/<target>/, the logs
# in fuzz/artifacts/logs/ (both ignored by git).
set -uo pipefail

cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}/fuzz"
seconds="${FUZZ_SECONDS:-600}"
sanitizer="${FUZZ_SANITIZER:-address}"
read -r -a build_flags <<<"${FUZZ_BUILD_FLAGS:---release --debug-assertions}"
read -r -a extra_args <<<"${FUZZ_ARGS:-}"
read -r -a cmin_args <<<"${FUZZ_CMIN_ARGS:--set_cover_merge=1 -use_counters=0}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: cargo-fuzz is not installed (cargo install cargo-fuzz)" >&2
    exit 2
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

mkdir -p fuzz/artifacts/logs
failed=()
artifacts() {
    find "fuzz/artifacts/$1" -maxdepth 1 -type f "${@:2}" \
        \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \)
}

fuzz_one() {
    local t=$1 log=$2 status before after mode=()
    if [ "${FUZZ_KEEP_GOING:-0}" = 1 ]; then
        mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    fi
    before=$(artifacts "$t" | wc -l)
    echo "== $t: ${seconds}s (log: $log)"
    touch "$log.start"
    cargo fuzz run "${build_flags[@]}" --sanitizer "$sanitizer" "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        "${mode[@]}" "${extra_args[@]}" >"$log" 2>&1
    status=$?
    if grep -q 'failed to build fuzz script' "$log"; then
        echo "== $t: BUILD FAILED; see $log" >&2
        return 2
    fi
    # The last status line: executions, coverage, corpus; in fork mode also crash counts.
    grep -E '^#[0-9]+' "$log" | tail -n 1
    after=$(artifacts "$t" | wc -l)
    if [ "$status" -eq 0 ] && [ "$after" -eq "$before" ]; then
        return 0
    fi
    echo "== $t: CRASH (exit $status, $((after - before)) new artifact(s)); see $log and fuzz/artifacts/$t/" >&2
    # Replay each new artifact alone to show where it fails (fork mode keeps no child logs).
    artifacts "$t" -newer "$log.start" | while read -r artifact; do
        cargo fuzz run "${build_flags[@]}" --sanitizer "$sanitizer" "$t" "$artifact" -- \
            -rss_limit_mb=2048 -timeout=10 2>&1 |
            grep -m1 -A1 -E 'panicked at|ERROR: libFuzzer: (out-of-memory|timeout)|ERROR: AddressSanitizer' |
            tr '\n' ' ' | cut -c1-300
        echo " <- $artifact"
    done | tee -a "$log.triage" >&2
    return 1
}

cmin_one() {
    local t=$1 log=$2
    # cargo-fuzz 0.13 exits 0 even when the merge failed: look for libFuzzer's summary instead.
    cargo fuzz cmin "${build_flags[@]}" --sanitizer "$sanitizer" "$t" "fuzz/corpus/$t" \
        -- "${cmin_args[@]}" -rss_limit_mb=2048 -timeout=10 >"$log.cmin" 2>&1
    if ! grep -q 'MERGE-OUTER: [0-9]* new files' "$log.cmin"; then
        echo "== $t: cmin failed; see $log.cmin" >&2
        return 1
    fi
}

for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    log="fuzz/artifacts/logs/$t.log"
    if [ "${FUZZ_CMIN_ONLY:-0}" != 1 ]; then
        fuzz_one "$t" "$log" || failed+=("$t")
    fi
    if [ "${FUZZ_NO_CMIN:-0}" != 1 ]; then
        cmin_one "$t" "$log" || failed+=("$t(cmin)")
    fi
    echo "== $t: corpus $(find "fuzz/corpus/$t" -type f | wc -l) files, $(du -s --apparent-size --block-size=1K "fuzz/corpus/$t" | cut -f1) KiB"
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz.sh: crashes in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz.sh: no crash in ${#targets[@]} target(s)"
