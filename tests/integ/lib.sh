# SPDX-License-Identifier: GPL-2.0
#
# lib.sh - what every tests/integ/test-*.sh sources: the namespace topology
# (tools/topology.sh), ok/FAIL checks, colo-xdp and udp_echo started under
# timeout in the right namespaces, counters read from `colo-xdp stats
# --json`, and captures read back frame by frame.
#
# A test calls setup (topology up, teardown on EXIT), runs its checks and
# ends with finish, which exits 0 if every check passed and 1 otherwise.
# skip exits 249, which run.sh reports as SKIP.

set -u

INTEG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$INTEG_DIR/../.." && pwd)
COLO_BIN=${COLO_BIN:-$ROOT/.output/colo-xdp}
ECHO_BIN=${ECHO_BIN:-$ROOT/.output/tools/udp_echo}
PY=/usr/bin/python3
EXIT_SKIP=249
TEST_NAME=$(basename "$0" .sh)

# Longest a daemon or a helper may live, whatever happens to the test.
DAEMON_TIMEOUT=${COLO_DAEMON_TIMEOUT:-120}

# Namespaces: $COLO_PREFIX-client, -primary, -secondary, -colo.
: "${COLO_PREFIX:=cx}"
COLO_NAME=${COLO_NAME:-${COLO_PREFIX}integ}
# shellcheck source=../../tools/topology.sh
. "$ROOT/tools/topology.sh"

CHECKS=0
FAILS=0
WORK=
DAEMON_PID=  # pid of the `timeout` wrapping colo-xdp
DAEMON_RC=
BG_PIDS=()   # helpers to stop at teardown
declare -A CAP_PID

log()
{
	echo "# $*"
}

ok()
{
	CHECKS=$((CHECKS + 1))
	echo "ok   - $*"
}

fail()
{
	CHECKS=$((CHECKS + 1))
	FAILS=$((FAILS + 1))
	echo "FAIL - $*"
}

# check DESC CMD...: ok if CMD succeeds.
check()
{
	local desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		fail "$desc"
	fi
}

# check_eq DESC EXPECTED ACTUAL
check_eq()
{
	if [ "$2" = "$3" ]; then
		ok "$1 (= $3)"
	else
		fail "$1: expected $2, got $3"
	fi
}

# check_seq DESC EXPECTED ACTUAL: two space-separated lists, printed in
# full only when they differ.
check_seq()
{
	if [ "$2" = "$3" ]; then
		ok "$1 ($(wc -w <<<"$3") in order)"
	else
		fail "$1: expected [$2], got [$3]"
	fi
}

# check_ge DESC MIN ACTUAL (integers)
check_ge()
{
	if [[ "$3" =~ ^[0-9]+$ ]] && [ "$3" -ge "$2" ]; then
		ok "$1 ($3 >= $2)"
	else
		fail "$1: expected >= $2, got $3"
	fi
}

skip()
{
	echo "SKIP - $TEST_NAME: $*"
	exit $EXIT_SKIP
}

require_env()
{
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	local c
	for c in ip tc tcpdump ping timeout "$PY"; do
		command -v "$c" >/dev/null || skip "needs $c"
	done
	[ -x "$ECHO_BIN" ] || skip "no $ECHO_BIN (run make)"
}

require_colo()
{
	[ -x "$COLO_BIN" ] || skip "no $COLO_BIN (run make)"
}

# colo_sanitized: the daemon under test is an ASan build (make SANITIZE=1),
# which keeps freed memory in quarantine: RSS checks need more room.
colo_sanitized()
{
	ldd "$COLO_BIN" 2>/dev/null | grep -q libasan
}

setup()
{
	require_env
	WORK=$(mktemp -d "/tmp/colo-integ-$TEST_NAME.XXXXXX")
	trap teardown EXIT
	TOPO_QUIET=1 topo_up || {
		fail "topology up"
		exit 1
	}
}

teardown()
{
	local rc=$?
	trap - EXIT
	[ -n "$DAEMON_PID" ] && daemon_stop >/dev/null 2>&1
	stop_helpers
	topo_down
	# A daemon killed by a test leaves its control socket behind.
	rm -f "/run/colo-xdp/$COLO_NAME.sock"
	if [ "$FAILS" -ne 0 ] && [ -n "$WORK" ] && [ -f "$WORK/daemon.log" ]; then
		echo "# --- daemon log (last 40 lines) ---"
		tail -n 40 "$WORK/daemon.log" | sed 's/^/# /'
	fi
	[ -n "$WORK" ] && rm -rf "$WORK"
	exit "$rc"
}

finish()
{
	echo "$TEST_NAME: $((CHECKS - FAILS)) ok, $FAILS failed"
	[ "$FAILS" -eq 0 ] && exit 0
	exit 1
}

# --- background helpers -------------------------------------------------

# bg NS LOGFILE CMD...: runs CMD in namespace NS (client|primary|...) under
# timeout; its pid is left in BG_LAST and stopped at teardown.
bg()
{
	local ns=$1 logf=$2
	shift 2
	timeout "$DAEMON_TIMEOUT" ip netns exec "$(_ns "$ns")" "$@" \
		>"$logf" 2>&1 &
	BG_LAST=$!
	BG_PIDS+=("$BG_LAST")
}

# Stops every helper and capture started so far.
stop_helpers()
{
	local pid
	for pid in "${BG_PIDS[@]}" "${CAP_PID[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${BG_PIDS[@]}" "${CAP_PID[@]}"; do
		wait "$pid" 2>/dev/null
	done
	BG_PIDS=()
	CAP_PID=()
}

_ns()
{
	case "$1" in
	client) echo "$NS_CLIENT" ;;
	primary) echo "$NS_PRIMARY" ;;
	secondary) echo "$NS_SECONDARY" ;;
	colo) echo "$NS_COLO" ;;
	esac
}

# wait_for TIMEOUT_S CMD...: polls CMD every 50 ms until it succeeds.
wait_for()
{
	local deadline=$(($(date +%s%3N) + $1 * 1000))
	shift
	while :; do
		"$@" && return 0
		[ "$(date +%s%3N)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# echo_server NS PORT [udp_echo server options]: starts it, waits until it
# is bound.
echo_server()
{
	local ns=$1 port=$2
	shift 2
	bg "$ns" "$WORK/echo-$ns-$port.log" "$ECHO_BIN" server --port "$port" "$@"
	wait_for 3 _udp_bound "$ns" "$port" || {
		fail "udp_echo server on $ns:$port did not start"
		return 1
	}
}

_udp_bound()
{
	ip netns exec "$(_ns "$1")" ss -Hlun "sport = :$2" 2>/dev/null |
		grep -q .
}

# echo_client ARGS...: runs the client in the client namespace, prints its
# summary line; returns its exit code.
echo_client()
{
	nsx client timeout "$DAEMON_TIMEOUT" "$ECHO_BIN" client "$@"
}

# field KEY LINE: value of key=value in a udp_echo summary line.
field()
{
	local kv
	for kv in $2; do
		[ "${kv%%=*}" = "$1" ] && {
			echo "${kv#*=}"
			return 0
		}
	done
	echo "?"
}

# --- colo-xdp -----------------------------------------------------------

# colo ARGS...: colo-xdp in the colo namespace.
colo()
{
	nsx colo timeout 20 "$COLO_BIN" "$@"
}

# daemon_start [run options]: colo-xdp run on out/pri/sec in the colo
# namespace; returns once its control socket answers, 1 if it died.
# COLO_XDP_MODE=skb|native runs the whole suite in that mode.
daemon_start()
{
	local mode=()
	[ -n "${COLO_XDP_MODE:-}" ] && mode=(--xdp-mode "$COLO_XDP_MODE")
	DAEMON_RC=
	timeout -k 5 "$DAEMON_TIMEOUT" ip netns exec "$NS_COLO" \
		"$COLO_BIN" run --primary "$PRI_IF" --secondary "$SEC_IF" \
		--out "$OUT_IF" --name "$COLO_NAME" "${mode[@]}" "$@" \
		>>"$WORK/daemon.log" 2>&1 &
	DAEMON_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			wait "$DAEMON_PID"
			DAEMON_RC=$?
			DAEMON_PID=
			log "colo-xdp exited at start with $DAEMON_RC:"
			sed 's/^/#   /' "$WORK/daemon.log"
			return 1
		fi
		stats_read 2>/dev/null && return 0
		sleep 0.1
	done
	log "colo-xdp did not answer on its control socket"
	return 1
}

# The colo-xdp process itself (the child of timeout).
daemon_child()
{
	pgrep -P "$DAEMON_PID" 2>/dev/null | head -n1
}

# daemon_stop [SIGNAL]: signals colo-xdp (TERM by default) and waits; its
# exit code is left in DAEMON_RC.
daemon_stop()
{
	local sig=${1:-TERM} child i
	[ -n "$DAEMON_PID" ] || return 0
	child=$(daemon_child)
	# stderr off: bash would report a job killed by a signal ("Killed").
	{
		if [ -n "$child" ]; then
			kill -s "$sig" "$child"
		else
			kill -s "$sig" "$DAEMON_PID"
		fi
		for ((i = 0; i < 100; i++)); do
			kill -0 "$DAEMON_PID" || break
			sleep 0.1
		done
		kill -0 "$DAEMON_PID" && kill -KILL "$DAEMON_PID" $child
		wait "$DAEMON_PID"
		DAEMON_RC=$?
	} 2>/dev/null
	DAEMON_PID=
}

# stats_read: one `stats --json` snapshot into $WORK/stats.json.
stats_read()
{
	colo stats --name "$COLO_NAME" --json >"$WORK/stats.json.new" \
		2>"$WORK/stats.err" &&
		mv "$WORK/stats.json.new" "$WORK/stats.json"
}

# sget KEY[.KEY...] ...: values from the last snapshot, one per line ("?"
# if absent).
sget()
{
	"$PY" - "$WORK/stats.json" "$@" <<'EOF'
import json, sys
try:
    with open(sys.argv[1]) as f:
        s = json.load(f)
except Exception:
    s = {}
for path in sys.argv[2:]:
    v = s
    for k in path.split("."):
        v = v.get(k) if isinstance(v, dict) else None
    print("?" if v is None else v)
EOF
}

# stat_now KEY: a fresh snapshot, one value.
stat_now()
{
	stats_read && sget "$1"
}

# wait_stat KEY MIN TIMEOUT_S: until KEY >= MIN.
wait_stat()
{
	_stat_ge()
	{
		local v
		v=$(stat_now "$1") && [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge "$2" ]
	}
	wait_for "$3" _stat_ge "$1" "$2"
}

# Nothing of colo-xdp is left on the colo namespace's links.
nothing_attached()
{
	local dev out=0
	if ip -n "$NS_COLO" link show | grep -q xdp; then
		log "XDP still attached: $(ip -n "$NS_COLO" link show | grep xdp)"
		out=1
	fi
	for dev in "$OUT_IF" "$PRI_IF" "$SEC_IF"; do
		if [ -n "$(tc -n "$NS_COLO" filter show dev "$dev" ingress 2>/dev/null)" ] ||
			[ -n "$(tc -n "$NS_COLO" filter show dev "$dev" egress 2>/dev/null)" ]; then
			log "tc filter still on $dev"
			out=1
		fi
	done
	return $out
}

# Takes off whatever a failed colo-xdp left, so the next check starts clean.
detach_all()
{
	local dev
	for dev in "$OUT_IF" "$PRI_IF" "$SEC_IF"; do
		ip -n "$NS_COLO" link set dev "$dev" xdpgeneric off 2>/dev/null
		ip -n "$NS_COLO" link set dev "$dev" xdpdrv off 2>/dev/null
		tc -n "$NS_COLO" qdisc del dev "$dev" clsact 2>/dev/null
	done
	return 0
}

# --- captures -----------------------------------------------------------

# cap_start NAME NS DEV: tcpdump DEV in NS into $WORK/NAME.pcap.
cap_start()
{
	local name=$1 ns=$2 dev=$3
	timeout "$DAEMON_TIMEOUT" ip netns exec "$(_ns "$ns")" \
		tcpdump -i "$dev" -nn -U --immediate-mode -Z root -s 256 -w "$WORK/$name.pcap" \
		>"$WORK/$name.cap.log" 2>&1 &
	CAP_PID[$name]=$!
	wait_for 3 grep -qs "listening on" "$WORK/$name.cap.log" || {
		fail "tcpdump on $ns/$dev did not start"
		return 1
	}
}

cap_stop()
{
	local pid=${CAP_PID[$1]:-}
	[ -n "$pid" ] || return 0
	# Let the last frames land, then make tcpdump flush and exit.
	sleep 0.2
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "CAP_PID[$1]"
}

# frames NAME: one line per captured frame:
#   <n> ip4|ip6 icmp|icmp6|udp|tcp|p<N> SRC DST <fields> [payload=...]
#   <n> eth type=0xNNNN [arp op=N sender=IP target=IP]
# UDP lines carry sport=, dport=, len= and the payload with
# non-printables as '.'; ICMP lines type=, id=, seq=.
frames()
{
	"$PY" - "$WORK/$1.pcap" <<'EOF'
import ipaddress, struct, sys

def text(b):
    return "".join(chr(c) if 32 < c < 127 else "." for c in b)

def l4(n, fam, proto, src, dst, p):
    if proto == 17 and len(p) >= 8:
        sp, dp, ln = struct.unpack("!HHH", p[:6])
        pl = p[8:ln]
        echo = ""
        # udp_echo's requests: "colo-echo seq=%010u " (25 bytes), then
        # the server's tag in its answers.
        if pl[:14] == b"colo-echo seq=" and len(pl) >= 25:
            echo = " echo_seq=%d tag=%s" % (int(pl[14:24]), text(pl[25:]))
        return "%d %s udp %s %s sport=%d dport=%d len=%d%s payload=%s" % (
            n, fam, src, dst, sp, dp, ln - 8, echo, text(pl))
    if proto in (1, 58) and len(p) >= 8:
        t, c = p[0], p[1]
        i, s = struct.unpack("!HH", p[4:8])
        return "%d %s %s %s %s type=%d code=%d id=%d seq=%d" % (
            n, fam, "icmp" if proto == 1 else "icmp6", src, dst, t, c, i, s)
    if proto == 6:
        return "%d %s tcp %s %s" % (n, fam, src, dst)
    return "%d %s p%d %s %s" % (n, fam, proto, src, dst)

with open(sys.argv[1], "rb") as f:
    data = f.read()
if len(data) < 24:
    sys.exit(0)
magic = struct.unpack("<I", data[:4])[0]
end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
off, n = 24, 0
while off + 16 <= len(data):
    _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
    fr = data[off + 16:off + 16 + incl]
    off += 16 + incl
    n += 1
    if len(fr) < 14:
        print("%d short" % n)
        continue
    et = struct.unpack("!H", fr[12:14])[0]
    p = fr[14:]
    if et == 0x0800 and len(p) >= 20:
        ihl = (p[0] & 15) * 4
        src = str(ipaddress.IPv4Address(p[12:16]))
        dst = str(ipaddress.IPv4Address(p[16:20]))
        print(l4(n, "ip4", p[9], src, dst, p[ihl:]))
    elif et == 0x86DD and len(p) >= 40:
        src = str(ipaddress.IPv6Address(p[8:24]))
        dst = str(ipaddress.IPv6Address(p[24:40]))
        print(l4(n, "ip6", p[6], src, dst, p[40:]))
    elif et == 0x0806 and len(p) >= 28:
        op = struct.unpack("!H", p[6:8])[0]
        print("%d eth type=0x0806 arp op=%d sender=%s target=%s" % (
            n, op, ipaddress.IPv4Address(p[14:18]),
            ipaddress.IPv4Address(p[24:28])))
    else:
        print("%d eth type=0x%04x" % (n, et))
EOF
}

# count PATTERN NAME: captured frames of NAME matching an extended regex.
count()
{
	frames "$2" | grep -cE -- "$1"
}

# seqs FIELD PATTERN NAME: the FIELD= values (seq, echo_seq) of the
# matching frames, space separated.
seqs()
{
	frames "$3" | grep -E -- "$2" |
		sed -n "s/.* $1=\([0-9]*\).*/\1/p" | tr '\n' ' ' | sed 's/ $//'
}
