#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# topology.sh - the network namespaces colo-xdp is tested, demonstrated and
# benchmarked in: a client, a primary and a secondary "VM" and the
# hypervisor host ("colo") that holds the other ends of their veths.
#
#   client ns            colo ns (colo-xdp runs here)     VM namespaces
#   cli0 10.77.0.1  <->  out
#                        pri  <->  eth0 10.77.0.2 52:54:00:12:34:56  primary
#                        sec  <->  eth0 10.77.0.2 52:54:00:12:34:56  secondary
#
# The secondary is a twin of the primary: same MAC, same addresses. The colo
# ends carry no address and IPv6 is off there, so the host itself never puts
# a frame on any of the three links. Neighbours are static and DAD, router
# solicitations and MLD reports are off, so after topo_up a VM sends nothing
# unless a program in it does: colo-xdp's counters then count only the
# traffic a test makes.
#
# Run it:     tools/topology.sh up|down|status|forward|unforward
# Or source it and call topo_up / topo_down / topo_forward / ...
# Namespace names start with $COLO_PREFIX (default "cx") so that several
# runs can coexist: cx-client, cx-primary, cx-secondary, cx-colo.

: "${COLO_PREFIX:=cx}"

NS_CLIENT="$COLO_PREFIX-client"
NS_PRIMARY="$COLO_PREFIX-primary"
NS_SECONDARY="$COLO_PREFIX-secondary"
NS_COLO="$COLO_PREFIX-colo"

CLIENT_IF=cli0
VM_IF=eth0
OUT_IF=out
PRI_IF=pri
SEC_IF=sec

CLIENT_MAC=52:54:00:77:00:01
VM_MAC=52:54:00:12:34:56
CLIENT_IP4=10.77.0.1
VM_IP4=10.77.0.2
CLIENT_IP6=fd77::1
VM_IP6=fd77::2

topo_log()
{
	[ -n "${TOPO_QUIET:-}" ] || echo "topology: $*" >&2
}

# Run a command in one of the namespaces: nsx client|primary|secondary|colo CMD...
nsx()
{
	local ns
	case "$1" in
	client) ns=$NS_CLIENT ;;
	primary) ns=$NS_PRIMARY ;;
	secondary) ns=$NS_SECONDARY ;;
	colo) ns=$NS_COLO ;;
	*) echo "nsx: unknown namespace '$1'" >&2; return 2 ;;
	esac
	shift
	ip netns exec "$ns" "$@"
}

# Sysctls of one namespace, "key=value" each; quiet, fail on error.
_topo_sysctl()
{
	local ns=$1 kv
	shift
	for kv in "$@"; do
		ip netns exec "$ns" sysctl -qw "$kv" >/dev/null || return 1
	done
}

# IPv6 that never speaks first: no DAD, no RA/RS, no link-local address.
# MLD cannot be switched off and reports the solicited-node group of each
# address when the link comes up, but with a 1-jiffy unsolicited-report
# interval the report and its retransmission go out at once, while
# topo_up runs, instead of up to a second later in the middle of a test.
_topo_quiet_ipv6()
{
	local ns=$1
	_topo_sysctl "$ns" \
		net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.accept_ra=0 \
		net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.all.router_solicitations=0 \
		net.ipv6.conf.default.router_solicitations=0 \
		net.ipv6.conf.default.addr_gen_mode=1 \
		net.ipv6.conf.all.addr_gen_mode=1 \
		net.ipv6.conf.all.mldv1_unsolicited_report_interval=1 \
		net.ipv6.conf.default.mldv1_unsolicited_report_interval=1 \
		net.ipv6.conf.all.mldv2_unsolicited_report_interval=1 \
		net.ipv6.conf.default.mldv2_unsolicited_report_interval=1
}

# One VM: eth0 with the shared MAC and addresses, static neighbour for the
# client, peer end $2 in the colo namespace.
_topo_vm()
{
	local ns=$1 peer=$2
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up || return 1
	_topo_quiet_ipv6 "$ns" || return 1
	ip -n "$ns" link add "$VM_IF" address "$VM_MAC" type veth \
		peer name "$peer" netns "$NS_COLO" || return 1
	ip -n "$ns" addr add "$VM_IP4/24" dev "$VM_IF" || return 1
	ip -n "$ns" addr add "$VM_IP6/64" dev "$VM_IF" nodad || return 1
	ip -n "$ns" link set "$VM_IF" up || return 1
	ip -n "$ns" neigh replace "$CLIENT_IP4" lladdr "$CLIENT_MAC" \
		dev "$VM_IF" nud permanent || return 1
	ip -n "$ns" neigh replace "$CLIENT_IP6" lladdr "$CLIENT_MAC" \
		dev "$VM_IF" nud permanent || return 1
}

topo_exists()
{
	ip netns list 2>/dev/null | grep -qw "^$NS_COLO"
}

topo_down()
{
	local ns
	for ns in "$NS_CLIENT" "$NS_PRIMARY" "$NS_SECONDARY" "$NS_COLO"; do
		if ip netns list 2>/dev/null | grep -qw "^$ns"; then
			ip netns del "$ns" 2>/dev/null
		fi
	done
	return 0
}

topo_up()
{
	topo_down
	topo_log "creating $NS_CLIENT $NS_PRIMARY $NS_SECONDARY $NS_COLO"

	# The host end first, with IPv6 off before any link exists.
	ip netns add "$NS_COLO" || return 1
	ip -n "$NS_COLO" link set lo up || return 1
	_topo_sysctl "$NS_COLO" \
		net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 || return 1

	ip netns add "$NS_CLIENT" || return 1
	ip -n "$NS_CLIENT" link set lo up || return 1
	_topo_quiet_ipv6 "$NS_CLIENT" || return 1
	ip -n "$NS_CLIENT" link add "$CLIENT_IF" address "$CLIENT_MAC" \
		type veth peer name "$OUT_IF" netns "$NS_COLO" || return 1
	ip -n "$NS_CLIENT" addr add "$CLIENT_IP4/24" dev "$CLIENT_IF" || return 1
	ip -n "$NS_CLIENT" addr add "$CLIENT_IP6/64" dev "$CLIENT_IF" nodad ||
		return 1
	ip -n "$NS_CLIENT" link set "$CLIENT_IF" up || return 1
	ip -n "$NS_CLIENT" neigh replace "$VM_IP4" lladdr "$VM_MAC" \
		dev "$CLIENT_IF" nud permanent || return 1
	ip -n "$NS_CLIENT" neigh replace "$VM_IP6" lladdr "$VM_MAC" \
		dev "$CLIENT_IF" nud permanent || return 1

	_topo_vm "$NS_PRIMARY" "$PRI_IF" || return 1
	_topo_vm "$NS_SECONDARY" "$SEC_IF" || return 1

	local dev
	for dev in "$OUT_IF" "$PRI_IF" "$SEC_IF"; do
		ip -n "$NS_COLO" link set "$dev" up || return 1
	done
	_topo_wait_carrier || return 1
	# The MLD reports that carrier-up schedules one jiffy later.
	sleep 0.1
	return 0
}

# The kernel acts on carrier changes in its link-watch work, up to a second
# later: until then a veth's qdisc drops what is sent and IPv6 has not yet
# sent its MLD reports. Wait for operstate UP on all six ends.
_topo_wait_carrier()
{
	local i pair ns dev
	for ((i = 0; i < 60; i++)); do
		[ "$i" -eq 0 ] || sleep 0.05
		for pair in "$NS_CLIENT:$CLIENT_IF" "$NS_PRIMARY:$VM_IF" \
			"$NS_SECONDARY:$VM_IF" "$NS_COLO:$OUT_IF" \
			"$NS_COLO:$PRI_IF" "$NS_COLO:$SEC_IF"; do
			ns=${pair%%:*}
			dev=${pair#*:}
			ip -n "$ns" -o link show dev "$dev" 2>/dev/null |
				grep -q 'state UP' || continue 2
		done
		return 0
	done
	topo_log "links did not come up"
	return 1
}

# Plain forwarding without colo-xdp, to check the topology and the tools:
# tc mirrors what the client sends to both VMs and forwards the primary's
# output to the client; the secondary's output goes up the colo namespace's
# stack, which has no address and no IPv6, and dies there. It is what
# colo-xdp does minus the comparison. (u32 and mirred only: the kernels
# this runs on may lack matchall and gact.)
topo_forward()
{
	local c="ip netns exec $NS_COLO tc"
	local any="u32 match u32 0 0"
	local dev
	for dev in "$OUT_IF" "$PRI_IF"; do
		$c qdisc replace dev "$dev" clsact || return 1
	done
	$c filter add dev "$OUT_IF" ingress $any \
		action mirred egress mirror dev "$SEC_IF" \
		action mirred egress redirect dev "$PRI_IF" || return 1
	$c filter add dev "$PRI_IF" ingress $any \
		action mirred egress redirect dev "$OUT_IF" || return 1
}

topo_unforward()
{
	local dev
	for dev in "$OUT_IF" "$PRI_IF" "$SEC_IF"; do
		ip netns exec "$NS_COLO" tc qdisc del dev "$dev" clsact \
			2>/dev/null
	done
	return 0
}

topo_status()
{
	local ns
	for ns in "$NS_CLIENT" "$NS_PRIMARY" "$NS_SECONDARY" "$NS_COLO"; do
		echo "== $ns"
		ip -n "$ns" -br addr 2>/dev/null || echo "(absent)"
	done
	echo "== $NS_COLO: XDP and tc"
	ip -n "$NS_COLO" link show 2>/dev/null | grep -E '^[0-9]+:|xdp' || true
	for ns in "$OUT_IF" "$PRI_IF" "$SEC_IF"; do
		ip netns exec "$NS_COLO" tc filter show dev "$ns" ingress \
			2>/dev/null
	done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	case "${1:-}" in
	up) topo_up ;;
	down) topo_down ;;
	status) topo_status ;;
	forward) topo_forward ;;
	unforward) topo_unforward ;;
	*)
		echo "usage: $0 up|down|status|forward|unforward" \
			"(namespaces $COLO_PREFIX-*, env COLO_PREFIX)" >&2
		exit 2
		;;
	esac
fi
