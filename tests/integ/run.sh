#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - runs the end-to-end tests (tests/integ/test-*.sh, or the ones
# named on the command line) one after the other, each under a time limit,
# shows their output, and ends with one line "integ: N passed, N failed".
# A test that exits 249 is skipped (no root, a tool missing); skips are
# listed but count as neither. Exits 1 if any test failed.
#
#   tests/integ/run.sh [test-basic ...]
#   COLO_INTEG_TIMEOUT=S   limit per test (default 120 s)
#   COLO_PREFIX=P          namespace prefix (default cx<pid>: runs started
#                          side by side never share a namespace)
#   COLO_XDP_MODE=skb      run every daemon with --xdp-mode skb

set -u

DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LIMIT=${COLO_INTEG_TIMEOUT:-120}
EXIT_SKIP=249
export COLO_PREFIX=${COLO_PREFIX:-cx$$}

tests=()
if [ $# -gt 0 ]; then
	for t in "$@"; do
		t=${t%.sh}
		tests+=("$DIR/${t##*/}.sh")
	done
else
	tests=("$DIR"/test-*.sh)
fi

passed=0
failed=0
skipped=0
results=()
start_all=$SECONDS

for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	if [ ! -f "$t" ]; then
		results+=("FAIL $name (no such test)")
		failed=$((failed + 1))
		continue
	fi
	echo "== $name"
	start=$SECONDS
	# On timeout the test's EXIT trap stops its daemons and namespaces.
	timeout -k 10 "$LIMIT" bash "$t" </dev/null 2>&1 | sed 's/^/   /'
	rc=${PIPESTATUS[0]}
	secs=$((SECONDS - start))
	case $rc in
	0)
		verdict=PASS
		passed=$((passed + 1))
		;;
	"$EXIT_SKIP")
		verdict=SKIP
		skipped=$((skipped + 1))
		;;
	124 | 137)
		verdict="FAIL (timed out after ${LIMIT}s)"
		failed=$((failed + 1))
		;;
	*)
		verdict="FAIL (exit $rc)"
		failed=$((failed + 1))
		;;
	esac
	echo "== $name: $verdict, ${secs}s"
	results+=("$verdict $name (${secs}s)")
done

echo
echo "integration tests, $((SECONDS - start_all))s:"
for r in "${results[@]}"; do
	echo "  $r"
done
[ "$skipped" -eq 0 ] || echo "integ: $skipped skipped"
echo "integ: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
