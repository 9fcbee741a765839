#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-fault-conns.sh - guests that open connections without end, against
# a daemon with --max-conns 1000.
#
#   1. Twins alike: colo_gen sends the same frames from both VMs over 20000
#      UDP flows. Each flow is matched and goes idle, so the table evicts
#      idle connections: it never holds more than 1000, no frame is lost to
#      a full table, nothing diverges.
#   2. Hostile: the primary (UDP) and the secondary (TCP SYNs) each send
#      100000 frames, each a new flow, none a flow of the other. Every
#      connection holds a frame, the table fills: the table_full divergence
#      is reported (a checkpoint requested), the frames that find no slot
#      are dropped and counted as drops.table_full, the table stays at
#      1000, the BPF colo_conns LRU map at its max_entries (1000, found
#      through the daemon's fds: its pins are in a private /sys), and the
#      daemon's memory (VmRSS) does not grow. checkpoint-done settles it
#      and ordinary traffic works again.

. "$(dirname "$0")/lib.sh"

MAX_CONNS=1000
FLOOD=100000
RSS_SLACK_KB=2048
# An ASan build keeps freed memory (stats answers' JSON, for one) in
# quarantine for a while.
colo_sanitized && RSS_SLACK_KB=32768
GEN_BIN=${GEN_BIN:-$ROOT/.output/tools/colo_gen}
CRAFT=$ROOT/tools/craft_frames.py

require_colo
[ -x "$GEN_BIN" ] || skip "no $GEN_BIN (run make)"
command -v bpftool >/dev/null || skip "needs bpftool"
setup
echo_server primary 7777
echo_server secondary 7777

check "colo-xdp run --max-conns $MAX_CONNS starts" daemon_start --mirror \
	--max-conns $MAX_CONNS --compare-timeout 10000 --scan-interval 100
[ -n "$DAEMON_PID" ] || finish
DPID=$(daemon_child)

rss()
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$DPID/status"
}

# The daemon's colo_conns map: its id from the daemon's fds.
conns_map_id()
{
	local f id
	for f in /proc/"$DPID"/fdinfo/*; do
		id=$(awk '/^map_id:/ { print $2 }' "$f" 2>/dev/null)
		[ -n "$id" ] || continue
		bpftool map show id "$id" 2>/dev/null | grep -q " name colo_conns " &&
			echo "$id" && return 0
	done
	return 1
}

# max_conns_seen FILE: samples connections every 100 ms until killed.
sample_conns()
{
	while :; do
		colo stats --name "$COLO_NAME" --json 2>/dev/null |
			"$PY" -c 'import json, sys
print(json.load(sys.stdin)["connections"])' 2>/dev/null
		sleep 0.1
	done
}

rss0=$(rss)

# --- 1. twins alike -----------------------------------------------------

sample_conns >"$WORK/conns-1.log" &
SAMPLER=$!
BG_PIDS+=("$SAMPLER")
out=$(timeout 30 "$GEN_BIN" send --pri-dev "$VM_IF" --pri-ns "$NS_PRIMARY" \
	--sec-dev "$VM_IF" --sec-ns "$NS_SECONDARY" --flows 20000 \
	--count 60000 --rate 30000 2>&1)
log "colo_gen: $out"
sleep 0.5
kill "$SAMPLER"
wait "$SAMPLER" 2>/dev/null
stats_read
read -r conns expired tf dtf rel mis held_p held_s <<<"$(
	sget connections conns_expired table_full drops.table_full \
		released_packets miscompares primary.held secondary.held |
		tr '\n' ' ')"
max_seen=$(sort -n "$WORK/conns-1.log" | tail -n1)
log "alike: connections=$conns (max sampled $max_seen) expired=$expired released=$rel"
check "[alike] connections never above $MAX_CONNS (max sampled $max_seen)" \
	[ "${max_seen:-99999}" -le $MAX_CONNS ]
check_eq "[alike] table at its limit" $MAX_CONNS "$conns"
check_ge "[alike] idle connections evicted" $((20000 - MAX_CONNS)) "$expired"
check_eq "[alike] no table_full divergence" 0 "$tf"
check_eq "[alike] no frame dropped for a full table" 0 "$dtf"
check_eq "[alike] no miscompare" 0 "$mis"
check_ge "[alike] frames released" 50000 "$rel"

# --- 2. hostile: disjoint floods ----------------------------------------

sample_conns >"$WORK/conns-2.log" &
SAMPLER=$!
BG_PIDS+=("$SAMPLER")
nsx primary timeout 30 "$PY" "$CRAFT" flood --iface "$VM_IF" \
	--count $FLOOD >"$WORK/flood-p.log" 2>&1 &
FP=$!
nsx secondary timeout 30 "$PY" "$CRAFT" flood --iface "$VM_IF" \
	--count $FLOOD --first-port-index $FLOOD --proto syn \
	>"$WORK/flood-s.log" 2>&1 &
FS=$!
wait $FP
wait $FS
sed 's/^/# primary /' "$WORK/flood-p.log"
sed 's/^/# secondary /' "$WORK/flood-s.log"
sleep 1
kill "$SAMPLER"
wait "$SAMPLER" 2>/dev/null

stats_read
read -r conns tf dtf creq held_p held_s cin_p cin_s dropped matched rel \
	pend <<<"$(sget connections table_full drops.table_full \
		checkpoint_requests primary.held secondary.held \
		primary.compared_in secondary.compared_in dropped_packets \
		drops.matched released_packets checkpoint.pending | tr '\n' ' ')"
max_seen=$(sort -n "$WORK/conns-2.log" | tail -n1)
log "hostile: connections=$conns (max sampled $max_seen) table_full=$tf" \
	"drops.table_full=$dtf held=$held_p/$held_s in=$cin_p/$cin_s"
check "[hostile] connections never above $MAX_CONNS (max sampled $max_seen)" \
	[ "${max_seen:-99999}" -le $MAX_CONNS ]
check_eq "[hostile] table full" $MAX_CONNS "$conns"
check_eq "[hostile] each connection holds one frame" $MAX_CONNS \
	$((held_p + held_s))
check_eq "[hostile] table_full reported once (until the flush)" 1 "$tf"
check_ge "[hostile] checkpoint requested" 1 "$creq"
check_eq "[hostile] a checkpoint is pending" True "$pend"
check_ge "[hostile] frames dropped as table_full" $((FLOOD * 3 / 2)) "$dtf"
check_eq "[hostile] every frame in is held, dropped, matched or released" \
	$((cin_p + cin_s)) $((held_p + held_s + dropped + matched + rel))

rss1=$(rss)
log "VmRSS ${rss0} kB -> ${rss1} kB"
check "VmRSS bounded: grew $((rss1 - rss0)) kB < $RSS_SLACK_KB kB" \
	[ $((rss1 - rss0)) -lt $RSS_SLACK_KB ]

if id=$(conns_map_id); then
	maxe=$(bpftool map show id "$id" | sed -n 's/.*max_entries \([0-9]*\).*/\1/p')
	n=$(bpftool map dump id "$id" -j | "$PY" -c 'import json, sys
print(len(json.load(sys.stdin)))')
	check_eq "BPF colo_conns sized by --max-conns" $MAX_CONNS "$maxe"
	check "BPF colo_conns within max_entries ($n <= $maxe)" \
		[ "$n" -le "$maxe" -a "$n" -ge $((MAX_CONNS / 2)) ]
else
	fail "the daemon's colo_conns map not found"
fi

# --- settle and go on ---------------------------------------------------

check "checkpoint-done" colo checkpoint-done --name "$COLO_NAME"
stats_read
check_eq "flush released the primary's held frames" "$held_p" \
	$(($(sget released_packets) - rel))
check_eq "nothing held after the flush" 0 \
	$(($(sget primary.held) + $(sget secondary.held)))
check_eq "no checkpoint pending" False "$(sget checkpoint.pending)"
out=$(echo_client --addr "$VM_IP4" --port 7777 --count 50 --burst 10)
check "UDP compared and released after the flush ($out)" [ $? -eq 0 ]
out=$(echo_client --addr "$VM_IP6" --port 7777 --count 50 --burst 10)
check "UDP IPv6 compared and released after the flush ($out)" [ $? -eq 0 ]
stats_read
check_eq "no new table_full" 1 "$(sget table_full)"
check "connections still within $MAX_CONNS" \
	[ "$(sget connections)" -le $MAX_CONNS ]

daemon_stop TERM
check_eq "exit code after SIGTERM" 0 "$DAEMON_RC"
check "nothing attached after SIGTERM" nothing_attached

finish
