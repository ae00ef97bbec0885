#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (address sanitizer on, the C shim included) and runs each
# for FUZZ_SECONDS (default 60), or for FUZZ_RUNS executions when that is set, on a working copy
# of its seed corpus. Fails on any crash, leak, sanitizer report or per-input timeout; prints each
# target's executions. Findings stay in .build-fuzz/findings/<target>/.
#   usage: scripts/fuzz.sh [TARGET...]        (default: every target)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzIntake FuzzRegisterTransaction FuzzTelemetry FuzzInflate FuzzEnvironment FuzzReceiver)
# lld: gold crashes on this mix of sanitizer runtimes and debug info.
flags=(-c release -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
       -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld)
work=.build-fuzz
mkdir -p "$work"
for target in "${targets[@]}"; do
    swift build --package-path Fuzz "${flags[@]}" --product "$target" >"$work/build-$target.log" 2>&1 \
        || { tail -20 "$work/build-$target.log"; exit 1; }
done
bin=$(swift build --package-path Fuzz "${flags[@]}" --show-bin-path)
status=0
for target in "${targets[@]}"; do
    corpus="$work/corpus/$target"
    findings="$work/findings/$target"
    mkdir -p "$corpus" "$findings"
    cp -n Fuzz/Corpus/"$target"/* "$corpus"/ 2>/dev/null || true
    log="$work/$target.log"
    if [ -n "${FUZZ_RUNS:-}" ]; then budget=(-runs="$FUZZ_RUNS"); else budget=(-max_total_time="$seconds"); fi
    started=$(date +%s)
    if ASAN_OPTIONS=detect_leaks=1 "$bin/$target" "$corpus" "${budget[@]}" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$findings/" >"$log" 2>&1; then
        result=ok
    else
        result=FAILED
        status=1
        grep -E "ERROR|SUMMARY|==[0-9]+==" "$log" | head -20 || true
    fi
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo "?")
    line="$target: $result, $runs executions in $(( $(date +%s) - started )) s"
    echo "$line (log: $log)"
    mkdir -p "$work/results"
    if [ -n "${FUZZ_RUNS:-}" ]; then how="FUZZ_RUNS=$FUZZ_RUNS"; else how="FUZZ_SECONDS=$seconds"; fi
    echo "| \`$target\` | $runs | $(( $(date +%s) - started )) | $result | $(date -u '+%Y-%m-%d %H:%M UTC') | \`$how scripts/fuzz.sh $target\` |" \
        > "$work/results/$target.row"
done
# The latest result of every target, into BENCHMARKS.md: a target not run in this checkout keeps
# the row the file has.
for kept in $(sed -n 's/^| `\(Fuzz[A-Za-z]*\)` |.*/\1/p' BENCHMARKS.md); do
    [ -f "$work/results/$kept.row" ] || grep "^| \`$kept\` |" BENCHMARKS.md > "$work/results/$kept.row"
done
{
    echo "## Fuzzing"
    echo
    echo "libFuzzer with AddressSanitizer and LeakSanitizer (the C shim instrumented too), seeds in"
    echo "\`Fuzz/Corpus/\`; a target fails on any crash, leak, sanitizer report or input slower than 10 s."
    echo "Each checks what its parser accepted; \`FuzzIntake\` also that the intake scan and the full parser"
    echo "agree on every input and every line of it (the same error, or the same object)."
    echo
    echo "| target | executions | seconds | result | when | command |"
    echo "|---|---:|---:|---|---|---|"
    cat "$work"/results/*.row
} > "$work/section.md"
scripts/put_section.py fuzz BENCHMARKS.md "$work/section.md"
exit $status
