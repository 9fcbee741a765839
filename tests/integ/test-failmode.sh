#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-failmode.sh - colo-xdp killed with SIGKILL, so nothing of it can
# clean up. The secondary's UDP service tags its answers; at the client no
# tagged frame may ever show up. The primary's frames follow
# --primary-fail: open = still served (fail-open path, each answer once),
# closed = nothing. Then a new colo-xdp takes over what the dead one left
# and works, and SIGTERM leaves nothing attached.

. "$(dirname "$0")/lib.sh"

require_colo
setup

# run_mode open|closed
run_mode()
{
	local mode=$1 out want_udp want_ping

	log "--primary-fail $mode"
	stop_helpers
	TOPO_QUIET=1 topo_up || {
		fail "[$mode] topology up"
		return
	}
	echo_server primary 7777
	echo_server secondary 7777 --tag SECONDARY

	check "[$mode] colo-xdp run --mirror starts" daemon_start --mirror \
		--primary-fail "$mode" --compare-timeout 300 --scan-interval 100
	[ -n "$DAEMON_PID" ] || return

	out=$(nsx client ping -c 3 -i 0.05 -W 2 "$VM_IP4" 2>&1)
	check "[$mode] ping through the live daemon" \
		grep -q " 3 received" <<<"$out"

	daemon_stop KILL
	check_eq "[$mode] colo-xdp died of SIGKILL" 137 "$DAEMON_RC"

	cap_start "cli-$mode" client "$CLIENT_IF"
	if [ "$mode" = open ]; then
		want_udp=10
		want_ping=5
	else
		want_udp=0
		want_ping=0
	fi
	out=$(echo_client --addr "$VM_IP4" --port 7777 --count 5 --timeout 500)
	log "IPv4: $out"
	check_eq "[$mode] IPv4 UDP answers after SIGKILL" $((want_udp / 2)) \
		"$(field unique "$out")"
	check_eq "[$mode] IPv4 UDP: no duplicate" 0 "$(field duplicates "$out")"
	out=$(echo_client --addr "$VM_IP6" --port 7777 --count 5 --timeout 500)
	log "IPv6: $out"
	check_eq "[$mode] IPv6 UDP answers after SIGKILL" $((want_udp / 2)) \
		"$(field unique "$out")"
	out=$(nsx client ping -c 5 -i 0.05 -W 1 "$VM_IP4" 2>&1)
	check "[$mode] ping after SIGKILL: $want_ping received" \
		grep -q " $want_ping received" <<<"$out"
	check "[$mode] ping after SIGKILL: no duplicate" \
		eval '! grep -q DUP <<<"$out"'
	cap_stop "cli-$mode"

	check_eq "[$mode] no secondary frame at the client" 0 \
		"$(count "SECONDARY" "cli-$mode")"
	check_eq "[$mode] frames from the VMs at the client" \
		$((want_udp + want_ping)) \
		"$(count " ($VM_IP4|$VM_IP6) ($CLIENT_IP4|$CLIENT_IP6) " "cli-$mode")"

	# A new instance takes over what the killed one left attached.
	check "[$mode] a new colo-xdp starts over the dead one's programs" \
		daemon_start --mirror --compare-timeout 300 --scan-interval 100
	[ -n "$DAEMON_PID" ] || return
	cap_start "cli2-$mode" client "$CLIENT_IF"
	out=$(nsx client ping -c 3 -i 0.05 -W 2 "$VM_IP6" 2>&1)
	check "[$mode] ping through the new daemon" \
		grep -q " 3 received" <<<"$out"
	out=$(echo_client --addr "$VM_IP4" --port 7777 --count 1 --timeout 300)
	check_eq "[$mode] diverged answer held by the new daemon" 0 \
		"$(field received "$out")"
	cap_stop "cli2-$mode"
	check_eq "[$mode] still no secondary frame at the client" 0 \
		"$(count "SECONDARY" "cli2-$mode")"
	check "[$mode] new daemon saw the miscompare" wait_stat miscompares 1 5
	daemon_stop TERM
	check_eq "[$mode] new daemon exits 0 on SIGTERM" 0 "$DAEMON_RC"
	check "[$mode] nothing attached after SIGTERM" nothing_attached
}

run_mode open
run_mode closed

finish
