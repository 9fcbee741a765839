#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-neigh.sh - address resolution through colo-xdp, with the client's
# static neighbours removed. ARP is not IP: with --non-ip pass (the
# default) the primary's ARP replies go out unchecked and the secondary's
# are dropped; with --non-ip compare they are compared like the rest.
# IPv6 neighbour discovery is ICMPv6 and always compared. Either way the
# client gets each reply once.

. "$(dirname "$0")/lib.sh"

require_colo
setup

# resolve MODE: forget the neighbours, ping both families, count.
resolve()
{
	local mode=$1 out
	ip -n "$NS_CLIENT" neigh del "$VM_IP4" dev "$CLIENT_IF" 2>/dev/null
	ip -n "$NS_CLIENT" neigh del "$VM_IP6" dev "$CLIENT_IF" 2>/dev/null
	cap_start "cli-$mode" client "$CLIENT_IF"
	out=$(nsx client ping -c 3 -i 0.05 -W 2 "$VM_IP4" 2>&1)
	check "[$mode] ping IPv4 resolves the primary and is answered" \
		grep -q " 3 received" <<<"$out"
	out=$(nsx client ping -c 3 -i 0.05 -W 2 "$VM_IP6" 2>&1)
	check "[$mode] ping IPv6 resolves the primary and is answered" \
		grep -q " 3 received" <<<"$out"
	cap_stop "cli-$mode"

	local req rep ns na
	req=$(count "arp op=1 sender=$CLIENT_IP4 target=$VM_IP4" "cli-$mode")
	rep=$(count "arp op=2 sender=$VM_IP4 target=$CLIENT_IP4" "cli-$mode")
	check_ge "[$mode] ARP requests sent" 1 "$req"
	check_eq "[$mode] one ARP reply per request" "$req" "$rep"
	ns=$(count "icmp6 $CLIENT_IP6 .* type=135 " "cli-$mode")
	na=$(count "icmp6 $VM_IP6 .* type=136 " "cli-$mode")
	check_ge "[$mode] neighbour solicitations sent" 1 "$ns"
	check_eq "[$mode] one neighbour advertisement per solicitation" \
		"$ns" "$na"
	check_eq "[$mode] echo replies at the client" 6 \
		"$(count "icmp6? ($VM_IP4|$VM_IP6) .* type=(0|129) " "cli-$mode")"
	ARP_REPLIES=$rep
}

check "colo-xdp run --mirror (--non-ip pass) starts" daemon_start --mirror
[ -n "$DAEMON_PID" ] || finish
resolve pass
stats_read
check_eq "[pass] ARP replies passed unchecked" "$ARP_REPLIES" \
	"$(sget passed_non_ip)"
check_eq "[pass] miscompares" 0 "$(sget miscompares)"
check_eq "[pass] checkpoint requests" 0 "$(sget checkpoint_requests)"
daemon_stop

check "colo-xdp run --mirror --non-ip compare starts" \
	daemon_start --mirror --non-ip compare
[ -n "$DAEMON_PID" ] || finish
resolve compare
stats_read
check_eq "[compare] nothing passed unchecked" 0 "$(sget passed_non_ip)"
check_eq "[compare] miscompares" 0 "$(sget miscompares)"
check_eq "[compare] checkpoint requests" 0 "$(sget checkpoint_requests)"

finish
