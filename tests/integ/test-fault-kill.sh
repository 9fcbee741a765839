#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-fault-kill.sh - colo-xdp killed with SIGKILL under load, three times
# in a row, and restarted each time with the same --name.
#
# The client keeps two request streams going all along: port 7777, which
# both twins answer alike, and port 7778, where the secondary tags its
# answers. A capture on cli0 runs the whole time: no tagged (secondary)
# frame may reach the client, ever, whether the daemon is up, dying, dead
# or starting. While it is dead, the primary's answers still flow
# (--primary-fail open), each once. A restarted daemon takes over what the
# dead one left attached and its stale control socket: it answers, compares
# (released_packets grows, the tagged stream miscompares) and, at the end,
# exits cleanly on SIGTERM with nothing attached.

. "$(dirname "$0")/lib.sh"

ROUNDS=3

require_colo
setup
echo_server primary 7777
echo_server secondary 7777
echo_server primary 7778
echo_server secondary 7778 --tag SECONDARY

OPTS=(--mirror --primary-fail open --compare-timeout 300 --scan-interval 50)
check "colo-xdp run starts" daemon_start "${OPTS[@]}"
[ -n "$DAEMON_PID" ] || finish

cap_start cli client "$CLIENT_IF"

# The load: bursts of 10 every 2 ms or so, until the end.
bg client "$WORK/load-7777.log" "$ECHO_BIN" client --addr "$VM_IP4" \
	--port 7777 --count 10000000 --burst 10 --interval 2 --timeout 20
LOAD1=$BG_LAST
bg client "$WORK/load-7778.log" "$ECHO_BIN" client --addr "$VM_IP6" \
	--port 7778 --count 10000000 --burst 10 --interval 2 --timeout 20
LOAD2=$BG_LAST

# A hypervisor that checkpoints whenever asked, so the diverged stream
# keeps going too; it keeps polling while the daemon is dead.
hypervisor()
{
	local pending
	while :; do
		pending=$(colo stats --name "$COLO_NAME" --json 2>/dev/null |
			"$PY" -c 'import json, sys
print(json.load(sys.stdin)["checkpoint"]["pending"])' 2>/dev/null)
		[ "$pending" = True ] &&
			colo checkpoint-done --name "$COLO_NAME" >/dev/null 2>&1
		sleep 0.1
	done
}
hypervisor >/dev/null 2>&1 &
HV=$!
BG_PIDS+=("$HV")

for ((round = 1; round <= ROUNDS; round++)); do
	log "round $round"
	check "[$round] released_packets grows under load" \
		wait_stat released_packets 200 5
	check "[$round] the tagged stream miscompares" wait_stat miscompares 1 5
	sleep 1 # a while of steady load, then the kill lands in its middle
	stats_read
	log "before the kill: released=$(sget released_packets)" \
		"miscompares=$(sget miscompares) primary.rx=$(sget primary.rx_packets)"

	daemon_stop KILL
	check_eq "[$round] colo-xdp died of SIGKILL" 137 "$DAEMON_RC"
	check "[$round] stale control socket left behind" \
		[ -S "/run/colo-xdp/$COLO_NAME.sock" ]

	# Dead: the primary's answers pass unchecked, each once.
	out=$(echo_client --addr "$VM_IP4" --port 7777 --count 20 --burst 5 \
		--timeout 300)
	check "[$round] while dead: 7777 answered by the primary ($out)" \
		[ $? -eq 0 ]
	out=$(echo_client --addr "$VM_IP6" --port 7778 --count 20 --burst 5 \
		--timeout 300)
	check "[$round] while dead: 7778 answered untagged, once each ($out)" \
		[ $? -eq 0 ]

	mark=$(wc -l <"$WORK/daemon.log")
	check "[$round] restarted with the same --name" \
		daemon_start "${OPTS[@]}"
	[ -n "$DAEMON_PID" ] || break
	tail -n +"$((mark + 1))" "$WORK/daemon.log" >"$WORK/round.log"
	# libbpf logs "Exclusivity flag on, cannot modify" when the first
	# attach attempt finds the dead daemon's program: expected, the
	# daemon then replaces it.
	check "[$round] no error at the restart" \
		eval '! grep -v "Exclusivity flag on" "$WORK/round.log" |
			grep -iE "fail|error|in use|already"'
	check "[$round] the dead daemon's programs were replaced" \
		grep -q "Replacing colo_xdp_second" "$WORK/round.log"
	stats_read
	check "[$round] stats answer from the new instance ($(sget uptime_ms) ms up)" \
		[ "$(sget uptime_ms)" -lt 5000 ]
	check "[$round] new daemon releases again" \
		wait_stat released_packets 200 5
	check "[$round] new daemon compares (miscompares on 7778)" \
		wait_stat miscompares 1 5
	check "[$round] checkpoints are done by the hypervisor loop" \
		wait_stat checkpoint.done 1 5
done

# the load clients print their summaries on SIGTERM; the servers stay
kill "$LOAD1" "$LOAD2" "$HV"
wait "$LOAD1" "$LOAD2" "$HV" 2>/dev/null
sed 's/^/# load: /' "$WORK/load-7777.log" "$WORK/load-7778.log"
check_eq "load 7777: no tagged answer" 0 \
	"$(field tagged "$(tail -n1 "$WORK/load-7777.log")")"
check_eq "load 7778: no tagged answer" 0 \
	"$(field tagged "$(tail -n1 "$WORK/load-7778.log")")"
check_ge "load 7778: answers got through" 1000 \
	"$(field unique "$(tail -n1 "$WORK/load-7778.log")")"

out=$(echo_client --addr "$VM_IP4" --port 7777 --count 50 --burst 10)
check "after the rounds: UDP compared and released ($out)" [ $? -eq 0 ]

cap_stop cli
total=$(count " ($VM_IP4|$VM_IP6) " cli)
check_ge "frames from the VMs at the client" 2000 "$total"
check_eq "no secondary frame ever reached the client" 0 \
	"$(count "SECONDARY" cli)"

daemon_stop TERM
check_eq "exit code after SIGTERM" 0 "$DAEMON_RC"
check "nothing attached after SIGTERM" nothing_attached
check "control socket removed" [ ! -e "/run/colo-xdp/$COLO_NAME.sock" ]

finish
