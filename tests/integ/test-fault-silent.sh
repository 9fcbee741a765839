#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-fault-silent.sh - a silent secondary: its UDP service reads the
# requests and never answers. Eight clients keep a steady request stream
# going for about ten seconds. Every primary answer waits out the compare
# timeout, a checkpoint is requested, and a fake hypervisor (polls stats,
# runs checkpoint-done when checkpoint.pending) releases the held answers.
#
# Checked: every request gets its answer, once and in order (late); the
# timeouts of the eight connections are coalesced into one outstanding
# request at a time (the events stream alternates request, flush); the
# daemon's memory (VmRSS) does not grow; nothing of the secondary leaks.

. "$(dirname "$0")/lib.sh"

CLIENTS=8
REQS=100
TIMEOUT_MS=250
RSS_SLACK_KB=2048
# An ASan build keeps freed memory (stats answers' JSON, for one) in
# quarantine for a while.
colo_sanitized && RSS_SLACK_KB=32768

require_colo
setup
echo_server primary 7777
echo_server secondary 7777 --drop

check "colo-xdp run --mirror starts" daemon_start --mirror \
	--compare-timeout $TIMEOUT_MS --scan-interval 20
[ -n "$DAEMON_PID" ] || finish

rss()
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$(daemon_child)/status"
}

# The hypervisor: a checkpoint takes it ~50 ms.
hypervisor()
{
	local pending
	while :; do
		pending=$(colo stats --name "$COLO_NAME" --json 2>/dev/null |
			"$PY" -c 'import json, sys
print(json.load(sys.stdin)["checkpoint"]["pending"])' 2>/dev/null)
		if [ "$pending" = True ]; then
			sleep 0.05
			colo checkpoint-done --name "$COLO_NAME" >/dev/null 2>&1
		fi
		sleep 0.02
	done
}

bg colo "$WORK/events.log" "$COLO_BIN" events --name "$COLO_NAME" --json
EVENTS=$BG_LAST
cap_start cli client "$CLIENT_IF"
hypervisor >/dev/null 2>&1 &
HV=$!
BG_PIDS+=("$HV")

clients=()
for ((i = 0; i < CLIENTS; i++)); do
	# bursts of 5 every 50 ms, an answer may take a checkpoint: 3 s
	bg client "$WORK/client-$i.log" "$ECHO_BIN" client --addr "$VM_IP4" \
		--port 7777 --count $REQS --burst 5 --interval 50 \
		--timeout 3000 --linger 500
	clients+=("$BG_LAST")
done

sleep 1
rss0=$(rss)
start=$SECONDS
ok=0
for ((i = 0; i < CLIENTS; i++)); do
	wait "${clients[$i]}" && ok=$((ok + 1))
	sed 's/^/# client: /' "$WORK/client-$i.log"
done
log "clients done in $((SECONDS - start + 1)) s"
rss1=$(rss)
kill "$HV" 2>/dev/null
wait "$HV" 2>/dev/null

check_eq "every client got each answer once, in order" $CLIENTS $ok
stats_read
read -r tmo req coal ndone pend rel sec_rx held mis <<<"$(
	sget timeouts checkpoint.requests checkpoint.coalesced \
		checkpoint.done checkpoint.pending released_packets \
		secondary.rx_packets primary.held miscompares | tr '\n' ' ')"
log "timeouts=$tmo requests=$req coalesced=$coal done=$ndone released=$rel"
check_eq "all answers released" $((CLIENTS * REQS)) "$rel"
check_eq "the secondary sent nothing" 0 "$sec_rx"
check_eq "nothing held at the end" 0 "$held"
check_eq "no miscompare (only timeouts)" 0 "$mis"
check_ge "timeouts counted" 20 "$tmo"
check_ge "checkpoints done" 5 "$ndone"
check "requests coalesced: requests ($req) <= timeouts ($tmo) / 3" \
	[ $((req * 3)) -le "$tmo" ]
check_ge "coalesced requests" $((req)) "$coal"
check "each request answered (requests $req, done $ndone)" \
	[ $((req - ndone)) -le 1 -a $((req - ndone)) -ge 0 ]
check_eq "no checkpoint pending at the end" False "$pend"
log "VmRSS ${rss0} kB -> ${rss1} kB"
check "VmRSS bounded: grew $((rss1 - rss0)) kB < $RSS_SLACK_KB kB" \
	[ $((rss1 - rss0)) -lt $RSS_SLACK_KB ]

# One outstanding request at a time: between two (uncoalesced) requests
# there is always a flush.
kill "$EVENTS"
wait "$EVENTS" 2>/dev/null
"$PY" - "$WORK/events.log" >"$WORK/events.check" <<'EOF'
import json, sys
seq = []
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == "checkpoint_request" and not e.get("coalesced"):
        seq.append("R")
    elif e.get("event") == "flush":
        seq.append("F")
bad = sum(1 for a, b in zip(seq, seq[1:]) if a == b == "R")
print(len(seq), seq.count("R"), seq.count("F"), bad)
EOF
read -r _ nreq nflush back2back <"$WORK/events.check"
log "events: $nreq requests, $nflush flushes"
check_eq "events: requests seen" "$req" "$nreq"
check_eq "events: no second request while one is outstanding" 0 \
	"$back2back"

cap_stop cli
check_eq "answers at the client, once each" $((CLIENTS * REQS)) \
	"$(count "ip4 udp $VM_IP4 .* sport=7777 " cli)"

daemon_stop TERM
check_eq "exit code after SIGTERM" 0 "$DAEMON_RC"
check "nothing attached after SIGTERM" nothing_attached

finish
