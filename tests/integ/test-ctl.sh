#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-ctl.sh - the control socket after known traffic: `stats --json`
# counts exactly, `conns --json` shows the diverged connection with its
# queues, `events --json` streams the miscompare (with its byte offset),
# the checkpoint request and the flush. Bad requests (garbage, wrong types,
# unknown commands, a huge line) get an error and the daemon goes on; a
# user other than root is refused.

. "$(dirname "$0")/lib.sh"

require_colo
setup
echo_server primary 7777
echo_server secondary 7777
echo_server primary 7778
echo_server secondary 7778 --tag SECONDARY

check "colo-xdp run --mirror starts" daemon_start --mirror \
	--compare-timeout 20000 --scan-interval 100
[ -n "$DAEMON_PID" ] || finish

# Known traffic: 5 identical answers.
out=$(echo_client --addr "$VM_IP4" --port 7777 --count 5 --timeout 2000)
check "5 answers ($out)" [ $? -eq 0 ]
stats_read
check_eq "stats: released_packets" 5 "$(sget released_packets)"
check_eq "stats: primary.rx_packets" 5 "$(sget primary.rx_packets)"
check_eq "stats: secondary.rx_packets" 5 "$(sget secondary.rx_packets)"
check_eq "stats: miscompares" 0 "$(sget miscompares)"

# Subscribe to events, then plant one divergence.
timeout 30 ip netns exec "$NS_COLO" "$COLO_BIN" events --name "$COLO_NAME" \
	--json >"$WORK/events.json" 2>"$WORK/events.err" &
BG_PIDS+=("$!")
sleep 0.3
bg client "$WORK/client.log" "$ECHO_BIN" client --addr "$VM_IP4" \
	--port 7778 --count 1 --timeout 10000 --linger 200
client=$BG_LAST
check "miscompare counted" wait_stat miscompares 1 5

colo conns --name "$COLO_NAME" --json >"$WORK/conns.json"
check "conns --json answers" [ $? -eq 0 ]
read -r n div pq sq <<<"$("$PY" - "$WORK/conns.json" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1]))
m = [x for x in c["conns"] if x["proto"] == "udp" and 7778 in (x["a_port"], x["b_port"])]
x = m[0] if m else {}
print(len(m), x.get("diverged"), x.get("primary_queued"), x.get("secondary_queued"))
PYEOF
)"
check_eq "conns: the diverged connection is listed once" 1 "$n"
check_eq "conns: marked diverged" True "$div"
check_eq "conns: primary frame queued" 1 "$pq"
check_eq "conns: secondary frame queued" 1 "$sq"

check "checkpoint-done" colo checkpoint-done --name "$COLO_NAME"
wait "$client"
check "the client got the primary's answer" [ $? -eq 0 ]
sleep 0.3
stats_read
check_eq "stats: released_packets after the flush" 6 "$(sget released_packets)"
check_eq "stats: checkpoint_requests" 1 "$(sget checkpoint_requests)"
check_eq "stats: checkpoint.done" 1 "$(sget checkpoint.done)"

read -r mis off req flush <<<"$("$PY" - "$WORK/events.json" <<'PYEOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
mis = [e for e in ev if e["event"] == "miscompare" and ":7778" in e["conn"]]
req = [e for e in ev if e["event"] == "checkpoint_request" and e["reason"] == "miscompare"]
fl = [e for e in ev if e["event"] == "flush"]
print(len(mis), mis[0]["offset"] if mis else "-", len(req),
      fl[0]["released"] if fl else "-")
PYEOF
)"
check_eq "events: one miscompare on the connection" 1 "$mis"
# The secondary's answer is the primary's plus a tag: the offset is where
# the primary's payload ends, the same the daemon logged.
logged=$(sed -n 's/.*Miscompare on udp .*:7778: .* at byte \([0-9]*\).*/\1/p' \
	"$WORK/daemon.log" | head -n1)
check_eq "events: the miscompare's byte offset is the logged one" "$logged" "$off"
check_eq "events: one checkpoint request for it" 1 "$req"
check_eq "events: the flush released the held answer" 1 "$flush"

# Bad requests: each answered with an error, the connection or the daemon
# going on. Straight to the socket, as a buggy management tool would.
"$PY" - "/run/colo-xdp/$COLO_NAME.sock" >"$WORK/bad.log" 2>&1 <<'PYEOF'
import json, socket, sys
path = sys.argv[1]
def ask(lines):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall(b"".join(l + b"\n" for l in lines))
    data = b""
    while data.count(b"\n") < len(lines):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return [json.loads(l) for l in data.splitlines()]
bad = [b"hello", b"[1,2]", b'{"cmd": 7}', b'{"nocmd": 1}', b'{"cmd": "nope"}',
       b'{"cmd": "conns", "top": "x"}', b'{"cmd": "conns", "top": -1}',
       b'{"cmd": "stats"', b"\xff\xfe"]
r = ask(bad + [b'{"cmd": "ping"}'])
print("errors", sum(1 for x in r[:-1] if x.get("ok") is False and x.get("error")))
print("ping", r[-1].get("ok"))
r = ask([b"x" * 10000])
print("huge", r[0].get("ok") is False and "long" in r[0].get("error", ""))
r = ask([b'{"cmd": "ping"}'])
print("after", r[0].get("ok"))
PYEOF
sed 's/^/# /' "$WORK/bad.log"
check_eq "bad requests: each got an error" "errors 9" "$(grep errors "$WORK/bad.log")"
check_eq "bad requests: the connection still answers" "ping True" "$(grep '^ping' "$WORK/bad.log")"
check_eq "a huge line: error, connection closed" "huge True" "$(grep huge "$WORK/bad.log")"
check_eq "a new connection is served" "after True" "$(grep after "$WORK/bad.log")"
check "the daemon still answers stats" stats_read

# Another user: the socket is 0600 and the peer's uid is checked.
if command -v setpriv >/dev/null; then
	nsx colo setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$COLO_BIN" stats --name "$COLO_NAME" --json >/dev/null 2>&1
	check "user nobody is refused" [ $? -ne 0 ]
fi

daemon_stop
check_eq "exit code after SIGTERM" 0 "$DAEMON_RC"
finish
