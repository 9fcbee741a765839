#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - runs the libFuzzer targets one after the other, each for a fixed
# time on a scratch copy of its seed corpus (the committed corpus never
# grows), prints one line per target and ends with "fuzz: N passed, N
# failed". Exits 1 if any target failed: a crash, a leak, a timeout, an
# out-of-memory or a broken invariant (the harnesses abort on those).
#
#   tests/fuzz/run.sh BINDIR SECONDS [NAME ...]      (make fuzz runs it)
#
# SECONDS 0 replays the seed corpus once instead of fuzzing. What a failing
# target found stays in BINDIR/artifacts/NAME/, with its log in
# BINDIR/NAME.log; the line printed says how to replay it.

set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BINDIR=${1:?usage: run.sh BINDIR SECONDS [NAME ...]}
SECS=${2:?usage: run.sh BINDIR SECONDS [NAME ...]}
shift 2
if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for f in "$ROOT"/tests/fuzz/fuzz_*.c; do
		names+=("$(basename "$f" .c)")
	done
fi

# Whatever `make check SANITIZE=1` exports is not for libFuzzer, which
# saves the input itself when a report ends the run; leaks are checked
# after each input that allocated.
export ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-print_stacktrace=1:detect_leaks=1}
export UBSAN_OPTIONS=${FUZZ_UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# Longest input per target: frames, scripts, request lines, a stream of
# notify messages (two of the largest, and more).
max_len()
{
	case "$1" in
	fuzz_parse) echo 2048 ;;
	fuzz_compare) echo 4096 ;;
	fuzz_ctl) echo 8192 ;;
	fuzz_notify) echo 20000 ;;
	*) echo 4096 ;;
	esac
}

# final_stat NAME LOG: a -print_final_stats value.
final_stat()
{
	sed -n "s/^stat::$1: *//p" "$2" | tail -n1
}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/colo-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

passed=0
failed=0
for name in "${names[@]}"; do
	bin=$BINDIR/$name
	seeds=$ROOT/tests/fuzz/corpus/$name
	art=$BINDIR/artifacts/$name
	log=$BINDIR/$name.log
	if [ ! -x "$bin" ]; then
		echo "$name: FAIL (no $bin)"
		failed=$((failed + 1))
		continue
	fi
	rm -rf "${art:?}" "${scratch:?}/$name"
	mkdir -p "$art" "$scratch/$name"
	[ -d "$seeds" ] && cp "$seeds"/* "$scratch/$name"/ 2>/dev/null

	args=(-max_len="$(max_len "$name")" -timeout=10 -rss_limit_mb=2048
		-print_final_stats=1 -artifact_prefix="$art/")
	[ -f "$ROOT/tests/fuzz/$name.dict" ] &&
		args+=(-dict="$ROOT/tests/fuzz/$name.dict")
	if [ "$SECS" -eq 0 ]; then
		args+=(-runs=0)
	else
		args+=(-max_total_time="$SECS")
	fi

	start=$SECONDS
	"$bin" "${args[@]}" "$scratch/$name" >"$log" 2>&1 </dev/null
	rc=$?
	secs=$((SECONDS - start))

	runs=$(final_stat number_of_executed_units "$log")
	rate=$(final_stat average_exec_per_sec "$log")
	cov=$(sed -n 's/.*\(INITED\|DONE\|pulse\|NEW\|REDUCE\) *cov: \([0-9]*\).*/\2/p' "$log" | tail -n1)
	corpus=$(find "$scratch/$name" -type f | wc -l)
	found=$(find "$art" -type f | head -n1)
	info="${runs:-?} runs, ${rate:-?} exec/s, cov ${cov:-?}, corpus $corpus, ${secs}s"
	if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
		echo "$name: PASS ($info)"
		passed=$((passed + 1))
	else
		echo "$name: FAIL (exit $rc, $info)"
		# the harness's own message, or the sanitizer's summary
		grep -m3 -E 'check failed|ERROR: |SUMMARY: ' "$log" | sed 's/^/    /'
		if [ -n "$found" ]; then
			echo "    input: $found"
			echo "    replay: $bin $found"
		fi
		echo "    log: $log"
		failed=$((failed + 1))
	fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
