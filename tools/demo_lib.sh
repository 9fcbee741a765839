#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# demo_lib.sh - what tools/demo.sh and tools/demo-vm.sh share: headings,
# helpers in namespaces that end on their own, colo-xdp in the
# hypervisor's namespace, and the demo's steps (start the daemon, traffic,
# a planted divergence and its checkpoint, totals).
#
# The sourcing script sets DEMO (its name, in messages), DURATION (seconds
# of traffic), BG_GRACE (how long a helper may outlive DURATION), NAME
# (colo-xdp --name), COLO_BIN, ECHO_BIN, WORK, and the topology's names
# (NS_*, *_IF, VM_IP4, VM_IP6).

PIDS=()

die()
{
	echo "$DEMO: $*" >&2
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

# Stops every helper bg started.
demo_stop_helpers()
{
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	PIDS=()
}

# bg NS LOG CMD...: a helper in a namespace, bounded in time.
bg()
{
	local ns=$1 logf=$2
	shift 2
	timeout $((DURATION + BG_GRACE)) ip netns exec "$ns" "$@" >"$logf" 2>&1 &
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

# counters N: the live table, one line a second for N seconds.
counters()
{
	colo -t $(($1 + 5)) stats --name "$NAME" --interval 1 --count "$1"
}

# demo_start_daemon: colo-xdp run --mirror on pri/sec/out; DAEMON is its
# pid once its control socket answers.
demo_start_daemon()
{
	local i
	say "colo-xdp run --mirror --primary $PRI_IF --secondary $SEC_IF --out $OUT_IF --name $NAME"
	bg "$NS_COLO" "$WORK/daemon.log" "$COLO_BIN" run --mirror --name "$NAME" \
		--primary "$PRI_IF" --secondary "$SEC_IF" --out "$OUT_IF" \
		--compare-timeout 1000 --scan-interval 100
	DAEMON=${PIDS[-1]}
	for ((i = 0; i < 50; i++)); do
		colo stats --name "$NAME" --json >/dev/null 2>&1 && return 0
		kill -0 "$DAEMON" 2>/dev/null || {
			cat "$WORK/daemon.log"
			die "colo-xdp did not start"
		}
		sleep 0.1
	done
	die "colo-xdp does not answer on its control socket"
}

# demo_traffic PORT: ping and UDP request/response to PORT from the
# client, IPv4 and IPv6, for DURATION seconds.
demo_traffic()
{
	local port=$1
	say "Traffic for ${DURATION}s: ping and UDP request/response, IPv4 and IPv6"
	bg "$NS_CLIENT" "$WORK/ping4.log" ping -i 0.2 -w "$DURATION" "$VM_IP4"
	bg "$NS_CLIENT" "$WORK/ping6.log" ping -i 0.2 -w "$DURATION" "$VM_IP6"
	bg "$NS_CLIENT" "$WORK/udp4.log" "$ECHO_BIN" client --addr "$VM_IP4" \
		--port "$port" --count $((DURATION * 4 - 4)) --interval 250
	bg "$NS_CLIENT" "$WORK/udp6.log" "$ECHO_BIN" client --addr "$VM_IP6" \
		--port "$port" --count $((DURATION * 4 - 4)) --interval 250
}

# demo_diverge PORT: one request to PORT, where the secondary answers
# differently; the answer is held until `colo-xdp checkpoint-done`.
demo_diverge()
{
	local port=$1 pid
	say "Planting a divergence: one request to port $port (the secondary answers differently)"
	bg "$NS_CLIENT" "$WORK/diverge.log" "$ECHO_BIN" client --addr "$VM_IP4" \
		--port "$port" --count 1 --timeout 10000 --print
	pid=${PIDS[-1]}
	counters 2
	echo "client so far: $(grep -c '^answer' "$WORK/diverge.log") answer(s) (held: a checkpoint was requested)"
	grep -m1 -E "Miscompare on udp" "$WORK/daemon.log"

	say "colo-xdp checkpoint-done --name $NAME (the checkpoint is complete: flush)"
	colo checkpoint-done --name "$NAME" && echo "flushed"
	wait "$pid"
	echo "client got: $(grep -m1 '^answer' "$WORK/diverge.log" || echo nothing)"
	echo "(no tag: it is the primary's answer; the secondary's was dropped)"
}

# demo_totals [KEY...]: colo-xdp's counters (the usual ones and KEYs),
# then what the client's programs saw.
demo_totals()
{
	sleep 1
	say "Totals"
	colo stats --name "$NAME" --json | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)
for k in ["released_packets", "dropped_packets", "miscompares", "timeouts",
          "checkpoint_requests", "connections"] + sys.argv[1:]:
    print("  %-22s %s" % (k, s.get(k)))
for side in ("primary", "secondary"):
    print("  %-22s %s" % (side + ".rx_packets", s[side]["rx_packets"]))
    print("  %-22s %s" % (side + ".oversize", s[side].get("oversize")))' "$@"
	echo "  client, UDP IPv4:      $(tail -n1 "$WORK/udp4.log")"
	echo "  client, UDP IPv6:      $(tail -n1 "$WORK/udp6.log")"
	echo "  client, ping IPv4:     $(grep -m1 'packets transmitted' "$WORK/ping4.log")"
	echo "  client, ping IPv6:     $(grep -m1 'packets transmitted' "$WORK/ping6.log")"
}

# demo_stop_daemon: SIGTERM, as an operator would stop it.
demo_stop_daemon()
{
	kill -TERM "$DAEMON" 2>/dev/null
	wait "$DAEMON" 2>/dev/null
}
