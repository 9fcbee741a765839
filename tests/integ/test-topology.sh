#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-topology.sh - the test bed itself, without colo-xdp: the namespaces,
# udp_echo and the capture reader, with tc doing colo-xdp's forwarding minus
# the comparison (tools/topology.sh forward). If this fails, the other
# tests' failures say nothing about colo-xdp.

. "$(dirname "$0")/lib.sh"

setup

# Quiet links: after topo_up nothing speaks unless a test makes it.
cap_start quiet colo "$PRI_IF"
cap_start quiet_sec colo "$SEC_IF"
cap_start quiet_out colo "$OUT_IF"
sleep 1.5
cap_stop quiet
cap_stop quiet_sec
cap_stop quiet_out
check_eq "primary silent when idle" 0 "$(frames quiet | wc -l)"
check_eq "secondary silent when idle" 0 "$(frames quiet_sec | wc -l)"
check_eq "client silent when idle" 0 "$(frames quiet_out | wc -l)"

check "forwarding set up" topo_forward
echo_server primary 7777
echo_server secondary 7777 --tag SECONDARY

cap_start cli client "$CLIENT_IF"
cap_start sec secondary "$VM_IF"

out=$(nsx client ping -c 5 -i 0.05 -W 1 "$VM_IP4" 2>&1)
check "ping IPv4 through the forwarder" grep -q " 5 received" <<<"$out"
out=$(nsx client ping -c 5 -i 0.05 -W 1 "$VM_IP6" 2>&1)
check "ping IPv6 through the forwarder" grep -q " 5 received" <<<"$out"
out=$(echo_client --addr "$VM_IP4" --port 7777 --count 50 --burst 10)
check "udp_echo IPv4: all answered once, in order, untagged ($out)" \
	[ $? -eq 0 ]
out=$(echo_client --addr "$VM_IP6" --port 7777 --count 50 --burst 10)
check "udp_echo IPv6: all answered once, in order, untagged ($out)" \
	[ $? -eq 0 ]

# The client sees the primary's answers, only once each.
cap_stop cli
cap_stop sec
check_seq "IPv4 echo replies at the client, in order" "1 2 3 4 5" \
	"$(seqs seq "ip4 icmp $VM_IP4 .* type=0 " cli)"
check_seq "IPv6 echo replies at the client, in order" "1 2 3 4 5" \
	"$(seqs seq "ip6 icmp6 $VM_IP6 .* type=129 " cli)"
check_eq "UDP answers at the client" 100 \
	"$(count "udp ($VM_IP4|$VM_IP6) .* sport=7777 " cli)"
check_eq "no secondary answer at the client" 0 \
	"$(count "tag=SECONDARY" cli)"
# And the secondary got its copy of every request and answered with a tag.
check_eq "requests mirrored to the secondary" 100 \
	"$(count "udp .* dport=7777 " sec)"
check_eq "secondary answered with its tag" 100 \
	"$(count "sport=7777 .*tag=SECONDARY " sec)"
check_eq "pings mirrored to the secondary" 10 \
	"$(count "icmp6? .* type=(8|128) " sec)"

# The drop mode of udp_echo answers nothing.
echo_server primary 7779 --drop
out=$(echo_client --addr "$VM_IP4" --port 7779 --count 2 --timeout 200)
check_eq "udp_echo --drop answers nothing" 0 "$(field received "$out")"

finish
