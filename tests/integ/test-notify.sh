#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-notify.sh - checkpoints over colo-compare's notify_dev protocol and
# the --on-checkpoint hook, end to end. tools/notify_peer.py plays the
# hypervisor in the colo namespace: it sends COLO_USERSPACE_PROXY_INIT on
# connect and answers each DO_CHECKPOINT with COLO_CHECKPOINT after 300 ms.
#
#   1. colo-xdp connects, answers the init with COLO_COMPARE_GET_XEN_INIT;
#   2. a secondary that answers differently: the peer gets DO_CHECKPOINT,
#      answers, colo-xdp flushes and the client gets the primary's answer,
#      not before the peer's answer; the hook ran with COLO_REASON,
#      COLO_NAME and COLO_CONN in its environment;
#   3. the peer is killed, a divergence is planted while it is down, the
#      peer restarts on the same port: the pending DO_CHECKPOINT arrives
#      after the reconnect and the held answer is released.

. "$(dirname "$0")/lib.sh"

PEER=$ROOT/tools/notify_peer.py
PORT=47011
DELAY_MS=300

require_colo
[ -f "$PEER" ] || skip "no $PEER"
setup

PEER_PID=

peer_start()
{
	local before
	before=$(_peer_events listening)
	bg colo "$WORK/peer.out" "$PY" "$PEER" --listen "tcp:127.0.0.1:$PORT" \
		--init --delay "$DELAY_MS" --log "$WORK/peer.log"
	PEER_PID=$BG_LAST
	wait_for 3 _peer_listening "$before" || {
		fail "notify_peer did not start"
		sed 's/^/#   /' "$WORK/peer.out"
		return 1
	}
}

peer_stop()
{
	kill "$PEER_PID" 2>/dev/null
	wait "$PEER_PID" 2>/dev/null
	PEER_PID=
}

# _peer_events EVENT...: how many lines of the peer's log are
# "<time> EVENT", possibly followed by more words.
_peer_events()
{
	local n
	n=$(grep -cE "^[0-9.]+ $*( |\$)" "$WORK/peer.log" 2>/dev/null)
	echo "${n:-0}"
}

_peer_listening()
{
	[ "$(_peer_events listening)" -gt "$1" ]
}

_peer_n()
{
	local n=$1
	shift
	[ "$(_peer_events "$@")" -ge "$n" ]
}

# wait_peer TIMEOUT_S N EVENT...: until the peer logged EVENT N times.
wait_peer()
{
	local t=$1
	shift
	wait_for "$t" _peer_n "$@"
}

_is_bool()
{
	local v
	v=$(stat_now "$1") || return 1
	case "$2:$v" in
	true:True | true:1 | false:False | false:0) return 0 ;;
	esac
	return 1
}

# wait_bool KEY true|false TIMEOUT_S: a boolean stat (JSON true/false).
wait_bool()
{
	wait_for "$3" _is_bool "$1" "$2"
}

# The hook: no shell in colo-xdp, so this script is what the CMD names.
cat >"$WORK/hook.sh" <<'EOF'
#!/bin/sh
# Records the COLO_* environment of each run, one file per run.
n=$(ls "$1".* 2>/dev/null | wc -l)
env | grep '^COLO_' | sort >"$1.$n"
EOF
chmod +x "$WORK/hook.sh"

echo_server primary 7778
echo_server secondary 7778 --tag SECONDARY
peer_start || finish

check "colo-xdp run --notify --on-checkpoint starts" daemon_start --mirror \
	--compare-timeout 20000 --scan-interval 100 \
	--notify "tcp:127.0.0.1:$PORT" \
	--on-checkpoint "$WORK/hook.sh $WORK/hook.env" \
	--on-checkpoint-interval 100
[ -n "$DAEMON_PID" ] || finish

# --- 1. init handshake ----------------------------------------------------
check "connected to the peer" wait_bool notify.connected true 5
check "peer got COLO_COMPARE_GET_XEN_INIT" \
	wait_peer 3 1 recv COLO_COMPARE_GET_XEN_INIT
stats_read
check_eq "notify.inits_received" 1 "$(sget notify.inits_received)"
check_eq "notify.connects" 1 "$(sget notify.connects)"
check_eq "no DO_CHECKPOINT without a divergence" 0 \
	"$(_peer_events recv DO_CHECKPOINT)"

# --- 2. a divergence, answered by the peer --------------------------------
log "divergence with the peer up"
mis0=$(sget miscompares)
start_ms=$(date +%s%3N)
bg client "$WORK/client-1.log" "$ECHO_BIN" client --addr "$VM_IP4" \
	--port 7778 --count 1 --burst 1 --timeout 10000 --linger 300
client=$BG_LAST
check "miscompare counted" wait_stat miscompares $((mis0 + 1)) 5
check "peer got DO_CHECKPOINT" wait_peer 5 1 recv DO_CHECKPOINT
check "peer answered COLO_CHECKPOINT" wait_peer 5 1 sent COLO_CHECKPOINT
wait "$client"
rc=$?
took=$(($(date +%s%3N) - start_ms))
check "client got the primary's answer ($(tail -n1 "$WORK/client-1.log"))" \
	[ $rc -eq 0 ]
check "not before the peer's answer (${took} ms >= ${DELAY_MS} ms)" \
	[ "$took" -ge "$DELAY_MS" ]
stats_read
check_ge "notify.requests_sent" 1 "$(sget notify.requests_sent)"
check_ge "notify.checkpoints_received" 1 "$(sget notify.checkpoints_received)"
check_ge "checkpoint.done" 1 "$(sget checkpoint.done)"
check_eq "notify.bad_messages" 0 "$(sget notify.bad_messages)"
check_eq "notify.unknown_messages" 0 "$(sget notify.unknown_messages)"

check "the hook ran" wait_for 3 test -s "$WORK/hook.env.0"
check "hook: COLO_REASON=miscompare" \
	grep -qx "COLO_REASON=miscompare" "$WORK/hook.env.0"
check "hook: COLO_NAME=$COLO_NAME" \
	grep -qx "COLO_NAME=$COLO_NAME" "$WORK/hook.env.0"
check "hook: COLO_CONN names the connection ($(grep COLO_CONN "$WORK/hook.env.0"))" \
	grep -q "^COLO_CONN=udp .*7778" "$WORK/hook.env.0"
stats_read
check_ge "hook.runs" 1 "$(sget hook.runs)"
check_eq "hook.failures" 0 "$(sget hook.failures)"

# --- 3. the peer restarts: the request made meanwhile is not lost -----------
log "divergence while the peer is down"
peer_stop
check "sees the peer gone" wait_bool notify.connected false 5
do0=$(_peer_events recv DO_CHECKPOINT)
stats_read
mis0=$(sget miscompares)
released0=$(sget released_packets)
bg client "$WORK/client-2.log" "$ECHO_BIN" client --addr "$VM_IP4" \
	--port 7778 --count 1 --burst 1 --timeout 15000 --linger 300
client=$BG_LAST
check "miscompare counted" wait_stat miscompares $((mis0 + 1)) 5
sleep 0.5
stats_read
check_eq "answer held while the peer is down" "$released0" \
	"$(sget released_packets)"
peer_start || finish
check "the pending DO_CHECKPOINT arrives after the reconnect" \
	wait_peer 10 $((do0 + 1)) recv DO_CHECKPOINT
wait "$client"
rc=$?
check "client got the primary's answer ($(tail -n1 "$WORK/client-2.log"))" \
	[ $rc -eq 0 ]
stats_read
check_eq "notify.connects" 2 "$(sget notify.connects)"
check_ge "notify.disconnects" 1 "$(sget notify.disconnects)"
check_eq "notify.inits_received (one per connection)" 2 \
	"$(sget notify.inits_received)"
check_ge "hook.runs" 2 "$(sget hook.runs)"
check "second hook run saw the second divergence" \
	grep -qx "COLO_REASON=miscompare" "$WORK/hook.env.1"

daemon_stop
check_eq "colo-xdp exit code" 0 "$DAEMON_RC"
log "peer log:"
sed 's/^/#   /' "$WORK/peer.log"
finish
