#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-badargs.sh - bad arguments and unknown interfaces: colo-xdp says so
# in one line, exits 2, and leaves nothing attached (no XDP program on any
# link of the colo namespace, no tc filter, no control socket).

. "$(dirname "$0")/lib.sh"

require_colo
setup

IFS_OK=(--primary "$PRI_IF" --secondary "$SEC_IF" --out "$OUT_IF")

# bad DESC ARGS...: colo-xdp ARGS exits 2 with a one-line error.
# BAD_LINES=any accepts a longer message (a usage text).
bad()
{
	local desc=$1 rc lines max=${BAD_LINES:-1}
	shift
	# Should it start after all, it is stopped after 5 s (exit 124).
	nsx colo timeout -k 2 5 "$COLO_BIN" "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	lines=$(wc -l <"$WORK/err")
	if [ $rc -eq 2 ] && [ "$lines" -ge 1 ] &&
		{ [ "$max" = any ] || [ "$lines" -le "$max" ]; }; then
		ok "$desc: exit 2, \"$(head -n 1 "$WORK/err")\""
	else
		fail "$desc: exit $rc, $lines line(s) on stderr:"
		sed 's/^/#   /' "$WORK/err" | head -n 10
	fi
	if ! nothing_attached; then
		fail "$desc: something left attached"
		detach_all
	fi
	if [ -e "/run/colo-xdp/$COLO_NAME.sock" ]; then
		fail "$desc: control socket left behind"
		rm -f "/run/colo-xdp/$COLO_NAME.sock"
	fi
}

N=(--name "$COLO_NAME")

BAD_LINES=any bad "no subcommand"
BAD_LINES=any bad "unknown subcommand" frobnicate
bad "run without interfaces" run "${N[@]}"
bad "run without --out" run "${N[@]}" --primary "$PRI_IF" --secondary "$SEC_IF"
bad "unknown option" run "${N[@]}" "${IFS_OK[@]}" --frobnicate
bad "stray argument" run "${N[@]}" "${IFS_OK[@]}" extra
bad "option without its value" run "${N[@]}" --secondary "$SEC_IF" --out "$OUT_IF" --primary
bad "unknown primary interface" run "${N[@]}" --primary nosuch0 \
	--secondary "$SEC_IF" --out "$OUT_IF" --mirror
bad "unknown secondary interface" run "${N[@]}" --primary "$PRI_IF" \
	--secondary nosuch0 --out "$OUT_IF" --mirror
bad "unknown out interface" run "${N[@]}" --primary "$PRI_IF" \
	--secondary "$SEC_IF" --out nosuch0 --mirror
bad "primary and secondary the same" run "${N[@]}" --primary "$PRI_IF" \
	--secondary "$PRI_IF" --out "$OUT_IF" --mirror
bad "bad --xdp-mode" run "${N[@]}" "${IFS_OK[@]}" --xdp-mode turbo
bad "bad --compare-timeout" run "${N[@]}" "${IFS_OK[@]}" --compare-timeout abc
bad "negative --scan-interval" run "${N[@]}" "${IFS_OK[@]}" --scan-interval -5
bad "bad --max-queue" run "${N[@]}" "${IFS_OK[@]}" --max-queue 12x
bad "--busy-poll over a second" run "${N[@]}" "${IFS_OK[@]}" --busy-poll 1000001
bad "bad --max-conns" run "${N[@]}" "${IFS_OK[@]}" --max-conns ""
bad "bad --non-ip" run "${N[@]}" "${IFS_OK[@]}" --non-ip maybe
bad "bad --primary-fail" run "${N[@]}" "${IFS_OK[@]}" --primary-fail sideways
bad "bad --conn-stats" run "${N[@]}" "${IFS_OK[@]}" --conn-stats maybe
bad "bad --name" run --name "a/b" "${IFS_OK[@]}"
BAD_LINES=any bad "stats with a bad option" stats "${N[@]}" --frobnicate

# With no daemon running, the client commands fail (but not as bad usage).
nsx colo timeout 5 "$COLO_BIN" stats --name "${COLO_PREFIX}nosuch" --json \
	>/dev/null 2>&1
rc=$?
check "stats without a daemon fails (exit $rc)" [ $rc -ne 0 -a $rc -ne 124 ]
nsx colo timeout 5 "$COLO_BIN" checkpoint-done --name "${COLO_PREFIX}nosuch" \
	>/dev/null 2>&1
rc=$?
check "checkpoint-done without a daemon fails (exit $rc)" \
	[ $rc -ne 0 -a $rc -ne 124 ]

# The good arguments do start (so the failures above were the arguments).
check "the same command with good arguments starts" \
	daemon_start --mirror --xdp-mode native --compare-timeout 300 \
	--scan-interval 100 --max-queue 64 --max-conns 1024 --non-ip pass \
	--primary-fail closed
daemon_stop TERM
check_eq "and exits 0 on SIGTERM" 0 "$DAEMON_RC"
check "nothing attached after it" nothing_attached

finish
