#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-basic.sh - twins that answer alike: ICMP echo and a UDP service in
# the primary and the secondary, IPv4 and IPv6, through colo-xdp run
# --mirror. Every reply reaches the client exactly once and in order, the
# counters agree to the frame, nothing diverges, and SIGTERM leaves nothing
# attached. Then the same with --busy-poll, which must stop spinning when
# the frames stop.

. "$(dirname "$0")/lib.sh"

PINGS=20
REQS=100
BURST=10

require_colo
setup
echo_server primary 7777
echo_server secondary 7777

check "colo-xdp run --mirror starts" daemon_start --mirror \
	--compare-timeout 1000 --scan-interval 100
[ -n "$DAEMON_PID" ] || finish

cap_start cli client "$CLIENT_IF"

out=$(nsx client ping -c $PINGS -i 0.02 -W 2 "$VM_IP4" 2>&1)
check "ping IPv4: $PINGS received" grep -q " $PINGS received" <<<"$out"
check "ping IPv4: no duplicates" eval '! grep -q DUP <<<"$out"'
out=$(nsx client ping -c $PINGS -i 0.02 -W 2 "$VM_IP6" 2>&1)
check "ping IPv6: $PINGS received" grep -q " $PINGS received" <<<"$out"
check "ping IPv6: no duplicates" eval '! grep -q DUP <<<"$out"'

# Bursts: ten requests in flight at once, so the order is the comparator's.
out=$(echo_client --addr "$VM_IP4" --port 7777 --count $REQS --burst $BURST)
check "UDP IPv4: each answered once, in order ($out)" [ $? -eq 0 ]
out=$(echo_client --addr "$VM_IP6" --port 7777 --count $REQS --burst $BURST)
check "UDP IPv6: each answered once, in order ($out)" [ $? -eq 0 ]

cap_stop cli
all=$(seq -s ' ' 1 $PINGS)
check_seq "IPv4 echo replies captured at the client, once each, in order" \
	"$all" "$(seqs seq "ip4 icmp $VM_IP4 .* type=0 " cli)"
check_seq "IPv6 echo replies captured at the client, once each, in order" \
	"$all" "$(seqs seq "ip6 icmp6 $VM_IP6 .* type=129 " cli)"
all=$(seq -s ' ' 0 $((REQS - 1)))
check_seq "IPv4 UDP answers captured at the client, once each, in order" \
	"$all" "$(seqs echo_seq "ip4 udp $VM_IP4 .* sport=7777 " cli)"
check_seq "IPv6 UDP answers captured at the client, once each, in order" \
	"$all" "$(seqs echo_seq "ip6 udp $VM_IP6 .* sport=7777 " cli)"
total=$((2 * PINGS + 2 * REQS))
check_eq "frames from the VMs at the client" $total \
	"$(count " ($VM_IP4|$VM_IP6) $(printf '(%s|%s)' "$CLIENT_IP4" "$CLIENT_IP6") " cli)"

stats_read
read -r pri_rx sec_rx released dropped mis ckpt tmo conns held_p held_s <<<"$(
	sget primary.rx_packets secondary.rx_packets released_packets \
		dropped_packets miscompares checkpoint_requests timeouts \
		connections primary.held secondary.held | tr '\n' ' ')"
check_eq "stats: primary.rx_packets" $total "$pri_rx"
check_eq "stats: secondary.rx_packets" $total "$sec_rx"
check_eq "stats: released_packets" $total "$released"
check_eq "stats: dropped_packets" 0 "$dropped"
check_eq "stats: miscompares" 0 "$mis"
check_eq "stats: checkpoint_requests" 0 "$ckpt"
check_eq "stats: timeouts" 0 "$tmo"
check_ge "stats: connections" 1 "$conns"
check_eq "stats: nothing held (primary)" 0 "$held_p"
check_eq "stats: nothing held (secondary)" 0 "$held_s"
# Every released frame has its latency, from XDP to its transmission: a
# sane one (a LAN echo through colo-xdp takes well under a second).
read -r lat_n lat_p50 lat_max <<<"$(sget release_latency_ns.total.count \
	release_latency_ns.total.p50 release_latency_ns.total.max | tr '\n' ' ')"
check_eq "stats: a latency for every released frame" "$released" "$lat_n"
check "stats: latency p50 above 0, at most max" [ "$lat_p50" -gt 0 -a "$lat_p50" -le "$lat_max" ]
check "stats: latency max below 1 s ($lat_max ns)" [ "$lat_max" -lt 1000000000 ]

# The human-readable form exists too.
check "colo-xdp stats (text, one line) answers" eval 'colo stats --name "$COLO_NAME" --count 1 >"$WORK/stats.txt"'
sed "s/^/# /" "$WORK/stats.txt"

# SIGTERM: a clean exit that takes everything away.
daemon_stop TERM
check_eq "exit code after SIGTERM" 0 "$DAEMON_RC"
check "nothing attached after SIGTERM" nothing_attached
check "control socket removed" [ ! -e "/run/colo-xdp/$COLO_NAME.sock" ]

# --busy-poll: the same answers; the loop spins for the time given after
# the last frame, then sleeps again (an idle daemon burns no CPU).
cpu_ticks() # user + system clock ticks of the colo-xdp process
{
	awk '{ print $14 + $15 }' "/proc/$(daemon_child)/stat"
}
check "colo-xdp run --busy-poll 500000 starts" daemon_start --mirror \
	--busy-poll 500000
[ -n "$DAEMON_PID" ] || finish
out=$(echo_client --addr "$VM_IP4" --port 7777 --count $REQS --burst $BURST)
check "busy-poll: UDP IPv4 each answered once, in order ($out)" [ $? -eq 0 ]
t0=$(cpu_ticks)
sleep 1
t1=$(cpu_ticks)
sleep 1
t2=$(cpu_ticks)
hz=$(getconf CLK_TCK)
# 0.5 s of spinning after the last answer, then nothing to do.
check_ge "busy-poll: spun after the last frame (ticks of $hz/s)" \
	$((hz / 10)) $((t1 - t0))
check "busy-poll: asleep once idle ($((t2 - t1)) ticks in 1 s)" \
	[ $((t2 - t1)) -le $((hz / 20)) ]
stats_read
check_eq "busy-poll: released_packets" $REQS "$(sget released_packets)"
daemon_stop TERM
check_eq "busy-poll: exit code after SIGTERM" 0 "$DAEMON_RC"

finish
