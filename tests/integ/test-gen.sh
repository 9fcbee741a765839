#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-gen.sh - the benchmark's generator (tools/colo_gen) drives colo-xdp
# as the benchmark relies on it:
#
#   1. Twins, both orders: `send --interleave` (both copies of each frame
#      back to back, one io_uring submission per burst) and the default
#      (burst by burst) over 100 flows. colo-xdp pairs every frame: no
#      miscompare, every primary frame released once, in order per flow,
#      as the sink on the client counts them.
#   2. Planted divergences, interleaved: --diverge-every 5 over 10 frames
#      of 10 flows changes frames 4 and 9 of the secondary. colo-xdp counts
#      exactly those two miscompares, the fake hypervisor's checkpoints
#      release the held primary frames, and no secondary copy reaches the
#      client (it would be a duplicate sequence number at the sink).

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_tcp.sh"

GEN_BIN=${GEN_BIN:-$ROOT/.output/tools/colo_gen}

require_colo
[ -x "$GEN_BIN" ] || skip "$GEN_BIN not built"
setup
check "colo-xdp run starts" daemon_start --scan-interval 50
[ -n "$DAEMON_PID" ] || finish

# sink_start NAME: colo_gen sink on the client, until SIGINT or 10 s.
sink_start()
{
	bg client "$WORK/sink-$1.json" "$GEN_BIN" sink --dev "$CLIENT_IF" \
		--duration 10 --idle 1
	SINK=$BG_LAST
	wait_for 5 grep -q ready "$WORK/sink-$1.json"
}

# gen NAME ARGS...: colo_gen send to both VMs; its JSON in $WORK/gen-NAME.
gen()
{
	local name=$1
	shift
	timeout 20 "$GEN_BIN" send --pri-dev "$VM_IF" --pri-ns "$NS_PRIMARY" \
		--sec-dev "$VM_IF" --sec-ns "$NS_SECONDARY" "$@" \
		>"$WORK/gen-$name" 2>"$WORK/gen-$name.err"
}

# json FILE KEY: a field of the last JSON line of FILE.
json()
{
	tail -n1 "$1" | jq -r ".$2"
}

# --- 1. twins, both orders ----------------------------------------------
for order in interleaved by-burst; do
	args=(--flows 100 --count 4000 --rate 20000 --burst 4)
	[ "$order" = interleaved ] && args+=(--interleave)
	stats_read
	mis0=$(sget miscompares)
	rel0=$(sget released_packets)
	sink_start "$order"
	check "[$order] colo_gen send succeeds" gen "$order" "${args[@]}"
	check_eq "[$order] generator's order" "$order" \
		"$(json "$WORK/gen-$order" order)"
	check_eq "[$order] primary copies sent" 4000 \
		"$(json "$WORK/gen-$order" primary.sent)"
	check_eq "[$order] secondary copies sent" 4000 \
		"$(json "$WORK/gen-$order" secondary.sent)"
	check "[$order] all released" wait_stat released_packets \
		$((rel0 + 4000)) 5
	wait "$SINK"
	sink=$WORK/sink-$order.json
	check_eq "[$order] no miscompare" "$mis0" "$(stat_now miscompares)"
	check_eq "[$order] sink saw each frame once" 4000 "$(json "$sink" unique)"
	check_eq "[$order] no duplicate" 0 "$(json "$sink" dups)"
	check_eq "[$order] no reordering within a flow" 0 \
		"$(json "$sink" reordered)"
done

# --- 2. planted divergences ---------------------------------------------
stats_read
mis0=$(sget miscompares)
fake_hv_start 20
sink_start diverge
check "[diverge] colo_gen send succeeds" gen diverge --flows 10 --count 10 \
	--rate 100 --interleave --diverge-every 5
check_eq "[diverge] generator changed 2 secondary copies" 2 \
	"$(json "$WORK/gen-diverge" diverged)"
check "[diverge] two miscompares" wait_stat miscompares $((mis0 + 2)) 5
check "[diverge] held frames released by the checkpoints" \
	wait_stat_eq primary.held 0 5
wait "$SINK"
fake_hv_stop
sink=$WORK/sink-diverge.json
check_ge "[diverge] checkpoints done" 1 "$FAKE_HV_DONE"
check_eq "[diverge] exactly two miscompares" $((mis0 + 2)) \
	"$(stat_now miscompares)"
check_eq "[diverge] every primary frame reached the client" 10 \
	"$(json "$sink" unique)"
check_eq "[diverge] no secondary copy reached the client" 0 \
	"$(json "$sink" dups)"

finish
