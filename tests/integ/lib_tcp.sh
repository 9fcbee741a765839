# SPDX-License-Identifier: GPL-2.0
#
# lib_tcp.sh - what the TCP tests (test-tcp-*.sh) add to lib.sh, which
# they source first: the HTTP server of the "VMs" (tools/http_server.py),
# TCP servers waited for until they listen, SHA-256 of files, and a fake
# hypervisor that answers colo-xdp's checkpoint requests.
#
# The fake hypervisor does what a real one would, minus the checkpoint
# itself: it polls `colo-xdp stats --json` every 50 ms and, whenever
# checkpoint.pending is true, runs `colo-xdp checkpoint-done`. The guests
# here are namespaces and cannot be copied, so after such a "checkpoint"
# the secondary is still whatever it was: a connection that diverged stays
# diverged and asks for one checkpoint after another (each lets the
# primary's held output go). The tests that use it say what they assert
# about that.

HTTP_SERVER=${HTTP_SERVER:-$ROOT/tools/http_server.py}

FAKE_HV_PID=
FAKE_HV_DONE=0

# require_cmds CMD...: skip unless each is installed.
require_cmds()
{
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || skip "needs $c"
	done
}

_tcp_listening()
{
	ip netns exec "$(_ns "$1")" ss -Hltn "sport = :$2" 2>/dev/null |
		grep -q .
}

# tcp_wait_listen NS PORT NAME: waits until something listens there.
tcp_wait_listen()
{
	wait_for 5 _tcp_listening "$1" "$2" || {
		fail "$3 on $1:$2 did not start"
		return 1
	}
}

# http_server NS DIR PORT: tools/http_server.py serving DIR in NS.
http_server()
{
	local ns=$1 dir=$2 port=$3
	bg "$ns" "$WORK/http-$ns-$port.log" "$PY" "$HTTP_SERVER" \
		--dir "$dir" --port "$port"
	tcp_wait_listen "$ns" "$port" "http_server.py"
}

# sha FILE: its SHA-256, hex.
sha()
{
	sha256sum "$1" | cut -d' ' -f1
}

# fake_hv_start [LIMIT_S]: the fake hypervisor, in the background for at
# most LIMIT_S seconds (default 50) or until fake_hv_stop.
fake_hv_start()
{
	local limit=${1:-50}
	rm -f "$WORK/fakehv.stop"
	: >"$WORK/fakehv.done"
	(
		end=$(($(date +%s) + limit))
		while [ ! -e "$WORK/fakehv.stop" ] && [ "$(date +%s)" -lt "$end" ]; do
			if colo stats --name "$COLO_NAME" --json 2>/dev/null |
				grep -Eq '"pending": *true'; then
				colo checkpoint-done --name "$COLO_NAME" \
					>/dev/null 2>&1 &&
					date +%s%3N >>"$WORK/fakehv.done"
			fi
			sleep 0.05
		done
	) &
	FAKE_HV_PID=$!
	BG_PIDS+=("$FAKE_HV_PID")
}

# fake_hv_stop: stops it; FAKE_HV_DONE is how many checkpoints it did.
fake_hv_stop()
{
	[ -n "$FAKE_HV_PID" ] || return 0
	touch "$WORK/fakehv.stop"
	wait "$FAKE_HV_PID" 2>/dev/null
	FAKE_HV_PID=
	FAKE_HV_DONE=$(wc -l <"$WORK/fakehv.done")
}

# wait_stat_eq KEY VALUE TIMEOUT_S: until KEY = VALUE (a fresh snapshot is
# left in $WORK/stats.json either way).
wait_stat_eq()
{
	_stat_eq()
	{
		[ "$(stat_now "$1")" = "$2" ]
	}
	wait_for "$3" _stat_eq "$1" "$2"
}

# guest_tcp_diag: the guests' TCP counters that tell why a secondary fell
# behind or out of a connection, where the two differ: a handshake ACK
# whose timestamp echo the secondary refused (TSEcrRejected: the client
# echoes the primary's SYN/ACK TSval), data beyond its window
# (BeyondWindow), SYN/ACKs resent, resets, ...
guest_tcp_diag()
{
	local re='TcpPassiveOpens|TcpOutRsts|TcpInErrs|TcpInCsumErrors|TSEcrRejected|BeyondWindow|TCPSynRetrans|PAWSEstab|TCPChallengeACK|TCPWantZeroWindowAdv|TCPRcvQDrop|TCPOFODrop|TCPBacklogDrop|PruneCalled'
	join <(nsx primary nstat -asz 2>/dev/null | awk '{ print $1, $2 }' | sort) \
		<(nsx secondary nstat -asz 2>/dev/null | awk '{ print $1, $2 }' | sort) |
		awk -v re="$re" '$1 ~ re && $2 != $3 {
			printf "#   %-28s primary %s, secondary %s\n", $1, $2, $3 }'
}

# tcp_finish: finish; on failure, first the start of the daemon log
# (teardown shows its end: here is where the first divergence came from)
# and the guests' TCP counters.
tcp_finish()
{
	if [ "$FAILS" -ne 0 ] && [ -f "$WORK/daemon.log" ]; then
		echo "# --- daemon log (first 20 lines) ---"
		head -n 20 "$WORK/daemon.log" | sed 's/^/# /'
		echo "# --- guest TCP counters that differ ---"
		guest_tcp_diag
	fi
	finish
}
