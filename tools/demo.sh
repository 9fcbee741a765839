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

WORK=
PIDS=()

die()
{
	echo "demo: $*" >&2
	exit 1
}

say()
{
	if [ -t 1 ]; then
		printf '\n\033[1m=== %s\033[0m\n' "$*"
	else
		printf '\n=== %s\n' "$*"
	fi
}

cleanup()
{
	local pid
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	TOPO_QUIET=1 topo_down
	[ -n "$WORK" ] && rm -rf "$WORK"
	echo "demo: namespaces removed"
}

# bg NS LOG CMD...: a helper in a namespace, bounded in time.
bg()
{
	local ns=$1 logf=$2
	shift 2
	timeout $((DURATION + 30)) ip netns exec "$ns" "$@" >"$logf" 2>&1 &
	PIDS+=($!)
}

# colo [-t SECONDS] ARGS...: colo-xdp in the host namespace. --foreground
# keeps it in the terminal's process group, so that Ctrl-C reaches it.
colo()
{
	local t=10
	if [ "$1" = -t ]; then
		t=$2
		shift 2
	fi
	ip netns exec "$NS_COLO" timeout --foreground "$t" "$COLO_BIN" "$@"
}

# counters N: the live table for N seconds; a JSON loop where the daemon's
# stats command has no live mode.
counters()
{
	local n=$1 i
	colo -t $((n + 5)) stats --name "$NAME" --interval 1 --count "$n" &&
		return
	for ((i = 0; i < n; i++)); do
		sleep 1
		colo stats --name "$NAME" --json | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)
print("pri_rx %(p)d  sec_rx %(s)d  released %(released_packets)d  "
      "dropped %(dropped_packets)d  miscompares %(miscompares)d  "
      "timeouts %(timeouts)d  checkpoint_requests %(checkpoint_requests)d  "
      "connections %(connections)d" % dict(s, p=s["primary"]["rx_packets"],
                                           s=s["secondary"]["rx_packets"]))'
	done
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

say "colo-xdp run --mirror --primary $PRI_IF --secondary $SEC_IF --out $OUT_IF --name $NAME"
bg "$NS_COLO" "$WORK/daemon.log" "$COLO_BIN" run --mirror --name "$NAME" \
	--primary "$PRI_IF" --secondary "$SEC_IF" --out "$OUT_IF" \
	--compare-timeout 1000 --scan-interval 100
DAEMON=${PIDS[-1]}
for ((i = 0; i < 50; i++)); do
	colo stats --name "$NAME" --json >/dev/null 2>&1 && break
	kill -0 "$DAEMON" 2>/dev/null || {
		cat "$WORK/daemon.log"
		die "colo-xdp did not start"
	}
	sleep 0.1
done
[ "$i" -lt 50 ] || die "colo-xdp does not answer on its control socket"

half=$((DURATION / 2))
rest=$((DURATION - half - 2))
say "Traffic for ${DURATION}s: ping and UDP request/response, IPv4 and IPv6"
bg "$NS_CLIENT" "$WORK/ping4.log" ping -i 0.2 -w "$DURATION" "$VM_IP4"
bg "$NS_CLIENT" "$WORK/ping6.log" ping -i 0.2 -w "$DURATION" "$VM_IP6"
bg "$NS_CLIENT" "$WORK/udp4.log" "$ECHO_BIN" client --addr "$VM_IP4" \
	--port 7777 --count $((DURATION * 4 - 4)) --interval 250
bg "$NS_CLIENT" "$WORK/udp6.log" "$ECHO_BIN" client --addr "$VM_IP6" \
	--port 7777 --count $((DURATION * 4 - 4)) --interval 250
counters "$half"

say "Planting a divergence: one request to port 7778 (the secondary answers differently)"
bg "$NS_CLIENT" "$WORK/diverge.log" "$ECHO_BIN" client --addr "$VM_IP4" \
	--port 7778 --count 1 --timeout 10000 --print
DIVERGE=${PIDS[-1]}
counters 2
echo "client so far: $(grep -c '^answer' "$WORK/diverge.log") answer(s) (held: a checkpoint was requested)"

say "colo-xdp checkpoint-done --name $NAME (the checkpoint is complete: flush)"
colo checkpoint-done --name "$NAME" && echo "flushed"
wait "$DIVERGE"
echo "client got: $(grep -m1 '^answer' "$WORK/diverge.log" || echo nothing)"
echo "(no tag: it is the primary's answer; the secondary's was dropped)"
[ "$rest" -gt 0 ] && counters "$rest"

sleep 1
say "Totals"
colo stats --name "$NAME" --json | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)
for k in ("released_packets", "dropped_packets", "miscompares", "timeouts",
          "checkpoint_requests", "connections"):
    print("  %-20s %s" % (k, s.get(k)))
for side in ("primary", "secondary"):
    print("  %-20s %s" % (side + ".rx_packets", s[side]["rx_packets"]))'
echo "  client, UDP IPv4:    $(tail -n1 "$WORK/udp4.log")"
echo "  client, UDP IPv6:    $(tail -n1 "$WORK/udp6.log")"
echo "  client, ping IPv4:   $(grep -m1 'packets transmitted' "$WORK/ping4.log")"
echo "  client, ping IPv6:   $(grep -m1 'packets transmitted' "$WORK/ping6.log")"

say "Stopping colo-xdp (SIGTERM) and removing the namespaces"
kill -TERM "$DAEMON" 2>/dev/null
wait "$DAEMON" 2>/dev/null
