#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-pcap.sh - run --pcap FILE. Matching traffic writes nothing; a
# planted UDP divergence (the secondary's service appends a tag) writes
# exactly one pair: the primary's untagged answer, then the secondary's
# tagged one, with one timestamp (read back by lib.sh's reader and by
# tcpdump -r). The file is 0600. SIGHUP moves the capture to FILE.1 and
# starts a new FILE, where the next divergence goes. A daemon stopped by
# SIGTERM leaves both files readable.

. "$(dirname "$0")/lib.sh"

# The header of an empty classic pcap file.
PCAP_HDR=24
# udp_echo's request is "colo-echo seq=%010u " (25 bytes).
REQ_LEN=25
TAG=SECONDARY

require_colo
setup
echo_server primary 7777
echo_server secondary 7777
echo_server primary 7778
echo_server secondary 7778 --tag "$TAG"

PCAP=$WORK/mis.pcap

# A long compare timeout: only the miscompare reaches the file.
check "colo-xdp run --pcap starts" daemon_start --mirror \
	--compare-timeout 20000 --scan-interval 100 \
	--pcap "$PCAP" --pcap-max-mb 1 --pcap-files 3
[ -n "$DAEMON_PID" ] || finish

check_eq "pcap file created with an empty capture" $PCAP_HDR \
	"$(stat -c %s "$PCAP" 2>/dev/null)"
check_eq "pcap file mode (guest traffic)" 600 \
	"$(stat -c %a "$PCAP" 2>/dev/null)"

out=$(echo_client --addr "$VM_IP4" --port 7777 --count 5 --timeout 2000)
check "matching traffic answered ($out)" [ $? -eq 0 ]
check_eq "matching traffic writes nothing" $PCAP_HDR \
	"$(stat -c %s "$PCAP" 2>/dev/null)"

# size_is FILE BYTES
size_is()
{
	[ "$(stat -c %s "$1" 2>/dev/null)" = "$2" ]
}

# diverge ROUND: one request to the tagged service, the miscompare, the
# checkpoint that releases the primary's answer.
diverge()
{
	local round=$1 mis0 client rc
	stats_read
	mis0=$(sget miscompares)
	bg client "$WORK/client-$round.log" "$ECHO_BIN" client \
		--addr "$VM_IP4" --port 7778 --count 1 --timeout 10000 \
		--linger 300
	client=$BG_LAST
	check "[$round] miscompare counted" wait_stat miscompares $((mis0 + 1)) 5
	check "[$round] checkpoint-done succeeds" \
		colo checkpoint-done --name "$COLO_NAME"
	wait "$client"
	rc=$?
	check "[$round] client got the untagged answer" [ $rc -eq 0 ]
	sed 's/^/# client: /' "$WORK/client-$round.log"
}

# check_pair WHAT NAME: $WORK/NAME.pcap holds exactly one pair, primary
# first, of the answers to the tagged service.
check_pair()
{
	local what=$1 name=$2 f=$WORK/$2.pcap lines ts
	frames "$name" | sed "s/^/# $name: /"
	check_eq "[$what] frames in the file" 2 "$(frames "$name" | wc -l)"
	check "[$what] record 1: the primary's untagged answer" \
		grep -qE "^1 ip4 udp $VM_IP4 [^ ]+ sport=7778 .* len=$REQ_LEN echo_seq=[0-9]+ tag= payload=" \
		<(frames "$name")
	check "[$what] record 2: the secondary's tagged answer" \
		grep -qE "^2 ip4 udp $VM_IP4 [^ ]+ sport=7778 .* len=$((REQ_LEN + ${#TAG})) echo_seq=[0-9]+ tag=$TAG payload=" \
		<(frames "$name")
	# An independent reader: tcpdump, with full timestamps.
	lines=$(tcpdump -r "$f" -nn -tt 2>/dev/null)
	sed "s/^/# tcpdump: /" <<<"$lines"
	check_eq "[$what] tcpdump -r reads 2 frames" 2 "$(grep -c . <<<"$lines")"
	check_seq "[$what] tcpdump: UDP lengths, primary first" \
		"$REQ_LEN $((REQ_LEN + ${#TAG}))" \
		"$(awk '/UDP, length/ { printf "%s%s", sep, $NF; sep = " " }' <<<"$lines")"
	ts=$(awk '{ print $1 }' <<<"$lines" | sort -u | wc -l)
	check_eq "[$what] one timestamp for the pair" 1 "$ts"
}

diverge 1
stats_read
check_eq "stats: pcap.pairs" 1 "$(sget pcap.pairs)"
check_eq "stats: pcap.frames" 2 "$(sget pcap.frames)"
check_eq "stats: pcap.write_errors" 0 "$(sget pcap.write_errors)"
# The pair is flushed when it is written: read it while the daemon runs.
cp "$PCAP" "$WORK/first.pcap" 2>/dev/null
check_pair "divergence" first

# SIGHUP (logrotate): the capture moves to FILE.1, a new FILE starts.
child=$(daemon_child)
check "SIGHUP sent" kill -HUP "$child"
check "SIGHUP: the capture moved to FILE.1" \
	wait_for 3 test -s "$PCAP.1"
check "SIGHUP: FILE is a new, empty capture" \
	wait_for 3 size_is "$PCAP" $PCAP_HDR
check "colo-xdp still runs after SIGHUP" kill -0 "$child"
stats_read
check_eq "stats: pcap.rotations after SIGHUP" 1 "$(sget pcap.rotations)"
cp "$PCAP.1" "$WORK/rotated.pcap" 2>/dev/null
check_pair "after SIGHUP, FILE.1" rotated

diverge 2
stats_read
check_eq "stats: pcap.pairs" 2 "$(sget pcap.pairs)"
check_eq "stats: pcap.bytes (2 files, 2 pairs)" \
	$((2 * PCAP_HDR + 2 * (2 * 16 + 2 * (42 + REQ_LEN) + ${#TAG}))) \
	"$(sget pcap.bytes)"
daemon_stop
check_eq "colo-xdp exits 0 on SIGTERM" 0 "$DAEMON_RC"
cp "$PCAP" "$WORK/second.pcap" 2>/dev/null
check_pair "second divergence, new FILE" second
check "FILE.1 unchanged" cmp -s "$PCAP.1" "$WORK/rotated.pcap"
check "no FILE.2" [ ! -e "$PCAP.2" ]

finish
