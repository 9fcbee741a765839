#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - colo-xdp at work (`make demo`, as root): a client, a primary and
# a secondary VM (network namespaces, tools/topology.sh), colo-xdp run
# --mirror on the hypervisor's side, ping and UDP request/response traffic
# from the client, live counters every second for COLO_DEMO_SECONDS
# (default 20). Midway one request goes to a service whose secondary
# answers differently: the miscompare and the checkpoint request show in
# the counters, `colo-xdp checkpoint-done` releases the primary's answer.
# Everything is torn down at the end, or on Ctrl-C.

set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COLO_BIN=${COLO_BIN:-$ROOT/.output/colo-xdp}
ECHO_BIN=${ECHO_BIN:-$ROOT/.output/tools/udp_echo}
DURATION=${COLO_DEMO_SECONDS:-20}
: "${COLO_PREFIX:=cxdemo}"
NAME=${COLO_PREFIX}
# shellcheck source=topology.sh
. "$ROOT/tools/topology.sh"

DEMO=demo
BG_GRACE=30
WORK=
# shellcheck source=demo_lib.sh
. "$ROOT/tools/demo_lib.sh"

cleanup()
{
	trap - EXIT INT TERM
	demo_stop_helpers
	TOPO_QUIET=1 topo_down
	[ -n "$WORK" ] && rm -rf "$WORK"
	echo "demo: namespaces removed"
}

[ "$(id -u)" -eq 0 ] || die "run me as root (network namespaces, XDP)"
[ -x "$COLO_BIN" ] || die "no $COLO_BIN: run make first"
[ -x "$ECHO_BIN" ] || die "no $ECHO_BIN: run make first"
[[ "$DURATION" =~ ^[0-9]+$ ]] && [ "$DURATION" -ge 6 ] ||
	die "COLO_DEMO_SECONDS must be a number >= 6"
for c in ip ping timeout; do
	command -v $c >/dev/null || die "needs $c (make deps)"
done

WORK=$(mktemp -d /tmp/colo-demo.XXXXXX)
trap cleanup EXIT
trap 'exit 130' INT TERM

say "Topology"
cat <<EOF
  client  ($NS_CLIENT)      $CLIENT_IF $CLIENT_IP4 $CLIENT_IP6
     |
  host    ($NS_COLO)        $OUT_IF <- colo-xdp -> $PRI_IF, $SEC_IF
     |                            |
  primary ($NS_PRIMARY)   secondary ($NS_SECONDARY)
          $VM_IF $VM_IP4 $VM_IP6 $VM_MAC (both)
  UDP service: port 7777 alike on both; port 7778 on the secondary
  answers with a tag (a planted divergence).
EOF
topo_up || die "could not build the namespaces"

bg "$NS_PRIMARY" "$WORK/p7777.log" "$ECHO_BIN" server --port 7777
bg "$NS_SECONDARY" "$WORK/s7777.log" "$ECHO_BIN" server --port 7777
bg "$NS_PRIMARY" "$WORK/p7778.log" "$ECHO_BIN" server --port 7778
bg "$NS_SECONDARY" "$WORK/s7778.log" "$ECHO_BIN" server --port 7778 \
	--tag " (secondary differs)"

demo_start_daemon

half=$((DURATION / 2))
rest=$((DURATION - half - 2))
demo_traffic 7777
counters "$half"

demo_diverge 7778
[ "$rest" -gt 0 ] && counters "$rest"

demo_totals

say "Stopping colo-xdp (SIGTERM) and removing the namespaces"
demo_stop_daemon
