#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-divergence.sh - a secondary that answers differently (its UDP
# service appends a tag). The primary's answer is held, the miscompare is
# counted and a checkpoint requested; nothing reaches the client until
# `colo-xdp checkpoint-done`, which releases the primary's answers, in
# order; the secondary's never leave. Other connections keep flowing
# meanwhile. IPv4 and IPv6, one request, then a burst of five.

. "$(dirname "$0")/lib.sh"

require_colo
setup
echo_server primary 7777
echo_server secondary 7777
echo_server primary 7778
echo_server secondary 7778 --tag SECONDARY

# A long compare timeout: what is seen here is the miscompare alone.
check "colo-xdp run --mirror starts" daemon_start --mirror \
	--compare-timeout 20000 --scan-interval 100
[ -n "$DAEMON_PID" ] || finish

cap_start cli client "$CLIENT_IF"

round=0
for spec in "$VM_IP4 1" "$VM_IP6 1" "$VM_IP4 5"; do
	read -r addr n <<<"$spec"
	round=$((round + 1))
	log "round $round: $n request(s) to $addr"
	stats_read
	released0=$(sget released_packets)
	mis0=$(sget miscompares)
	ckpt0=$(sget checkpoint_requests)
	seen0=$(count "udp .* sport=7778 " cli)

	bg client "$WORK/client-$round.log" "$ECHO_BIN" client --addr "$addr" \
		--port 7778 --count "$n" --burst "$n" --timeout 10000 --linger 300
	client=$BG_LAST

	check "[$addr] miscompare counted" wait_stat miscompares $((mis0 + 1)) 5
	stats_read
	check_ge "[$addr] checkpoint requested" $((ckpt0 + 1)) \
		"$(sget checkpoint_requests)"
	check_eq "[$addr] primary answer held, not released" "$released0" \
		"$(sget released_packets)"
	check "[$addr] all $n primary answers held" \
		wait_stat primary.held "$n" 5
	check_eq "[$addr] nothing reached the client yet" "$seen0" \
		"$(count "udp .* sport=7778 " cli)"

	# Another connection is not held up by the diverged one.
	out=$(echo_client --addr "$addr" --port 7777 --count 5 --timeout 2000)
	check "[$addr] other connections still answered ($out)" [ $? -eq 0 ]

	check "[$addr] checkpoint-done succeeds" \
		colo checkpoint-done --name "$COLO_NAME"
	wait "$client"
	rc=$?
	check "[$addr] client got each untagged answer once, in order" \
		[ $rc -eq 0 ]
	sed 's/^/# client: /' "$WORK/client-$round.log"
	stats_read
	check_eq "[$addr] released_packets after the flush" \
		$((released0 + 5 + n)) "$(sget released_packets)"
	check_eq "[$addr] nothing held after the flush" 0 \
		"$(sget primary.held)"
done

stats_read
check_eq "timeouts (the compare timeout never expired)" 0 "$(sget timeouts)"
check_ge "secondary frames dropped (the diverged answers)" 7 \
	"$(sget dropped_packets)"

cap_stop cli
check_seq "the primary's answers reached the client, once each, in order" \
	"0 0 0 1 2 3 4" "$(seqs echo_seq "udp .* sport=7778 .* tag= " cli)"
check_eq "no secondary answer reached the client" 0 \
	"$(count "SECONDARY" cli)"

finish
