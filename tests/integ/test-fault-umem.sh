#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-fault-umem.sh - UMEM exhaustion. The daemon runs with a small UMEM
# (--umem-frames 4096), a queue limit above it and a long compare timeout.
# First three primary answers are held (the secondary's service is silent
# on port 7778). Then the secondary floods one flow on which the primary
# says nothing, so every frame it sends is held, until the UMEM runs out.
#
# Checked: the daemon survives and answers; back-pressure shows (the
# secondary socket's fill ring ran dry or it dropped frames; a umem-low
# checkpoint requested); checkpoint-done gives the UMEM back, the three
# answers held before the flood are released (none lost) and ordinary
# traffic is compared and released again.

. "$(dirname "$0")/lib.sh"

FRAMES=4096
FLOOD=30000
CRAFT=$ROOT/tools/craft_frames.py

require_colo
setup
echo_server primary 7777
echo_server secondary 7777
echo_server primary 7778
echo_server secondary 7778 --drop

check "colo-xdp run --umem-frames $FRAMES starts" daemon_start --mirror \
	--umem-frames $FRAMES --max-queue 65536 --compare-timeout 30000 \
	--scan-interval 100
[ -n "$DAEMON_PID" ] || finish

stats_read
free0=$(sget umem_free)
log "umem_free at start: $free0 of $(sget umem_frames)"
check_eq "UMEM of $FRAMES frames" $FRAMES "$(sget umem_frames)"

cap_start cli client "$CLIENT_IF"

# Three answers held before the flood; the client waits for them.
bg client "$WORK/held.log" "$ECHO_BIN" client --addr "$VM_IP4" --port 7778 \
	--count 3 --burst 3 --timeout 25000 --linger 300
HELD_CLIENT=$BG_LAST
check "three primary answers held" wait_stat primary.held 3 5

out=$(nsx secondary timeout 30 "$PY" "$CRAFT" flood --iface "$VM_IF" \
	--count $FLOOD --same-port 5555 --size 256)
log "secondary: $out"
sleep 0.5

check "daemon alive, stats answer" stats_read
read -r free held_p held_s fe_s rxd_s umem_low qfull creq pend cin_s <<<"$(
	sget umem_free primary.held secondary.held \
		secondary.xsk.rx_fill_ring_empty_descs secondary.xsk.rx_dropped \
		checkpoint.umem_low queue_full checkpoint_requests \
		checkpoint.pending secondary.compared_in | tr '\n' ' ')"
log "after the flood: umem_free=$free held=$held_p/$held_s" \
	"fill_ring_empty=$fe_s rx_dropped=$rxd_s umem_low=$umem_low" \
	"queue_full=$qfull secondary.compared_in=$cin_s"
check "UMEM nearly exhausted (umem_free $free < $((FRAMES / 8)))" \
	[ "$free" -lt $((FRAMES / 8)) ]
# all of the UMEM sits in the two fill rings (2048 each) at the start:
# the secondary can hold its ring's worth, the primary keeps its own
check "secondary frames held ($held_s): its fill ring's worth, not more" \
	[ "$held_s" -ge $((FRAMES / 2)) -a "$held_s" -lt $FRAMES ]
check "back-pressure on the secondary socket (fill ring empty $fe_s, rx_dropped $rxd_s)" \
	[ $((fe_s + rxd_s)) -gt 0 ]
check "secondary frames lost to back-pressure, not to the daemon ($cin_s < $FLOOD)" \
	[ "$cin_s" -lt $FLOOD ]
check_ge "checkpoint requested for a low UMEM" 1 "$umem_low"
check_eq "one request, the rest coalesced" 1 "$creq"
check_eq "a checkpoint is pending" True "$pend"
check_eq "the three primary answers still held" 3 "$held_p"

# While the UMEM is short, nothing reaches the client that should not.
check "checkpoint-done" colo checkpoint-done --name "$COLO_NAME"
wait "$HELD_CLIENT"
rc=$?
sed 's/^/# held client: /' "$WORK/held.log"
check "answers held before the flood released, once, in order" [ $rc -eq 0 ]
stats_read
check_eq "nothing held after the flush" 0 \
	$(($(sget primary.held) + $(sget secondary.held)))
check "UMEM given back (umem_free $(sget umem_free) >= $free0 at the start)" \
	[ "$(sget umem_free)" -ge "$free0" ]
cin0=$(sget secondary.compared_in)

out=$(echo_client --addr "$VM_IP4" --port 7777 --count 100 --burst 10)
check "UDP compared and released after the flush ($out)" [ $? -eq 0 ]
out=$(echo_client --addr "$VM_IP6" --port 7777 --count 100 --burst 10)
check "UDP IPv6 compared and released after the flush ($out)" [ $? -eq 0 ]

stats_read
check_eq "the secondary's socket receives again" 200 \
	$(($(sget secondary.compared_in) - cin0))
check "the daemon never died" kill -0 "$(daemon_child)"

cap_stop cli
check_eq "no secondary flood frame reached the client" 0 \
	"$(count "sport=5555 " cli)"
check_eq "answers at the client: 3 held + 200" 203 \
	"$(count "udp ($VM_IP4|$VM_IP6) .* sport=777[78] " cli)"

daemon_stop TERM
check_eq "exit code after SIGTERM" 0 "$DAEMON_RC"
check "nothing attached after SIGTERM" nothing_attached

finish
