#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-bpftool.sh - what an operator does with bpftool. The daemon runs
# under `nsenter --net` (not `ip netns exec`, whose private /sys would hide
# the pins), so its pins under /sys/fs/bpf/colo-xdp/NAME are the host's:
#  - bpftool sees every pinned program and map;
#  - with --attach none, programs the operator attaches with bpftool (and
#    tc) serve the daemon: traffic is compared and released, and the
#    per-connection map can be dumped;
#  - a clean exit unpins everything and leaves the operator's attachments
#    alone; with the default attach, a clean exit leaves nothing attached;
#  - with --conn-stats off traffic is compared and released as before and
#    colo_conns stays empty (one slot).

. "$(dirname "$0")/lib.sh"

require_colo
command -v bpftool >/dev/null || skip "needs bpftool"
command -v nsenter >/dev/null || skip "needs nsenter"
setup
echo_server primary 7777
echo_server secondary 7777

PIN=/sys/fs/bpf/colo-xdp/$COLO_NAME
PROGS="colo_xdp_primary colo_xdp_secondary colo_tc_mirror colo_tc_failopen"
MAPS="colo_xsks_pri colo_xsks_sec colo_stats colo_conns colo_seq"

# in_colo CMD...: CMD in the colo namespace, sharing our mount namespace.
in_colo()
{
	nsenter --net="/run/netns/$NS_COLO" "$@"
}

# start_nsenter [run options]: like daemon_start, through nsenter.
start_nsenter()
{
	timeout -k 5 "$DAEMON_TIMEOUT" nsenter --net="/run/netns/$NS_COLO" \
		"$COLO_BIN" run --primary "$PRI_IF" --secondary "$SEC_IF" \
		--out "$OUT_IF" --name "$COLO_NAME" "$@" >>"$WORK/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_for 10 stats_read
}

check "colo-xdp run --attach none starts" start_nsenter --mirror --attach none
[ -n "$DAEMON_PID" ] || finish
check "nothing attached by the daemon" nothing_attached

for p in $PROGS; do
	check "bpftool sees program $p" \
		sh -c "bpftool prog show pinned '$PIN/$p' >/dev/null"
done
for m in $MAPS; do
	check "bpftool sees map $m" \
		sh -c "bpftool map show pinned '$PIN/$m' >/dev/null"
done

# The operator attaches the pinned programs.
check "bpftool attaches colo_xdp_primary" in_colo bpftool net attach xdp \
	pinned "$PIN/colo_xdp_primary" dev "$PRI_IF"
check "bpftool attaches colo_xdp_secondary" in_colo bpftool net attach xdp \
	pinned "$PIN/colo_xdp_secondary" dev "$SEC_IF"
in_colo tc qdisc add dev "$OUT_IF" clsact
check "tc attaches colo_tc_mirror" in_colo tc filter add dev "$OUT_IF" \
	ingress bpf da object-pinned "$PIN/colo_tc_mirror"

out=$(echo_client --addr "$VM_IP4" --port 7777 --count 10 --timeout 2000)
check "answers through the operator's attachment ($out)" [ $? -eq 0 ]
stats_read
check_eq "released_packets" 10 "$(sget released_packets)"
check_eq "miscompares" 0 "$(sget miscompares)"
check "bpftool dumps the connection from colo_conns" \
	sh -c "bpftool -j map dump pinned '$PIN/colo_conns' | grep -q '\"port_b\":7777'"
check "bpftool reads the counters" \
	sh -c "bpftool map dump pinned '$PIN/colo_stats' >/dev/null"

daemon_stop
check_eq "exit code after SIGTERM" 0 "$DAEMON_RC"
check "pins removed" [ ! -e "$PIN" ]
check "the operator's XDP programs stay attached" \
	sh -c "ip -n '$NS_COLO' link show dev '$PRI_IF' | grep -q xdp"
in_colo bpftool net detach xdp dev "$PRI_IF"
in_colo bpftool net detach xdp dev "$SEC_IF"
in_colo tc qdisc del dev "$OUT_IF" clsact

# Default attach, no per-connection counters in BPF: released as before,
# colo_conns empty; a clean exit leaves nothing attached and nothing pinned.
check "colo-xdp run --conn-stats off starts" start_nsenter --mirror \
	--conn-stats off
check "pins present while running" [ -e "$PIN/colo_xdp_primary" ]
out=$(echo_client --addr "$VM_IP4" --port 7777 --count 10 --timeout 2000)
check "answers with --conn-stats off ($out)" [ $? -eq 0 ]
stats_read
check_eq "released_packets (--conn-stats off)" 10 "$(sget released_packets)"
check_eq "colo_conns has one slot" 1 \
	"$(bpftool -j map show pinned "$PIN/colo_conns" | jq .max_entries)"
check_eq "colo_conns stays empty" 0 \
	"$(bpftool -j map dump pinned "$PIN/colo_conns" | jq length)"
daemon_stop
check_eq "exit code after SIGTERM" 0 "$DAEMON_RC"
check "nothing attached after a clean exit" nothing_attached
check "nothing pinned after a clean exit" [ ! -e "$PIN" ]
finish
