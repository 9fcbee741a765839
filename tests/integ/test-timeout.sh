#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-timeout.sh - a silent secondary (its UDP service reads and never
# answers). The primary's answer waits --compare-timeout (300 ms), then the
# timeout is counted and a checkpoint requested; the answer is released by
# `colo-xdp checkpoint-done` and reaches the client once. IPv4 and IPv6.

. "$(dirname "$0")/lib.sh"

TIMEOUT_MS=300

require_colo
setup
echo_server primary 7779
echo_server secondary 7779 --drop

check "colo-xdp run --mirror starts" daemon_start --mirror \
	--compare-timeout $TIMEOUT_MS --scan-interval 100
[ -n "$DAEMON_PID" ] || finish

cap_start cli client "$CLIENT_IF"

round=0
for addr in "$VM_IP4" "$VM_IP6"; do
	round=$((round + 1))
	log "round $round: $addr"
	stats_read
	released0=$(sget released_packets)
	timeouts0=$(sget timeouts)
	ckpt0=$(sget checkpoint_requests)

	t0=$(date +%s%3N)
	bg client "$WORK/client-$round.log" "$ECHO_BIN" client --addr "$addr" \
		--port 7779 --count 1 --timeout 10000 --linger 300
	client=$BG_LAST
	sleep 0.1
	stats_read
	early=$(sget timeouts)
	# Only meaningful if this snapshot came well before the deadline.
	if [ $(($(date +%s%3N) - t0)) -lt $((TIMEOUT_MS - 50)) ]; then
		check_eq "[$addr] no timeout before --compare-timeout" \
			"$timeouts0" "$early"
	fi

	check "[$addr] timeout counted" wait_stat timeouts $((timeouts0 + 1)) 5
	elapsed=$(($(date +%s%3N) - t0))
	check_ge "[$addr] timeout came after --compare-timeout (ms)" \
		$TIMEOUT_MS $elapsed
	stats_read
	check_ge "[$addr] checkpoint requested" $((ckpt0 + 1)) \
		"$(sget checkpoint_requests)"
	check_eq "[$addr] answer held, not released" "$released0" \
		"$(sget released_packets)"
	check_eq "[$addr] nothing reached the client yet" 0 \
		"$(count "udp $addr .* sport=7779 " cli)"

	check "[$addr] checkpoint-done succeeds" \
		colo checkpoint-done --name "$COLO_NAME"
	wait "$client"
	rc=$?
	check "[$addr] client got its answer after checkpoint-done" [ $rc -eq 0 ]
	sed 's/^/# client: /' "$WORK/client-$round.log"
	stats_read
	check_eq "[$addr] released_packets after the flush" $((released0 + 1)) \
		"$(sget released_packets)"
done

stats_read
check_eq "miscompares (the secondary said nothing)" 0 "$(sget miscompares)"
cap_stop cli
check_eq "answers at the client, once each" 2 \
	"$(count "udp .* sport=7779 .*echo_seq=0 " cli)"

finish
