#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-vm.sh - colo-xdp with real guests: two QEMU virtual machines (TCG,
# a Debian cloud kernel, busybox; tools/vm/vm.sh), the primary and the
# secondary, each on a tap, with the same MAC and addresses. A virtio-net
# guest hands its tap frames with partial checksums (and TSO frames of up
# to 64 KB, which the rig turns off: see vm.sh), a path the veth tests
# never take.
#
#  1. Twins that agree (compare timeout 1 s): ping, UDP echo, short HTTP
#     answers and a 4 MB HTTP download, IPv4 and IPv6. Each answer
#     reaches the client once, the download's SHA-256 is right, nothing
#     diverges, no frame is oversize, every frame at the client was
#     released, and (QEMU's filter-dump of each guest's netdev tells them
#     apart: IP ID, flow label, ISN) every one is the primary's.
#  2. A divergence (daemon restarted, compare timeout 300 ms, a fake
#     hypervisor doing checkpoint-done while one is pending): the
#     secondary serves different bytes under the same name and answers
#     UDP port 7778 with a tag. Miscompares, checkpoint requests, and the
#     client gets the primary's bytes only. The guests cannot be re-synced
#     here, so the diverged connection asks for checkpoint after
#     checkpoint; the fake hypervisor does them all.
#  3. The secondary dies (its QEMU is killed): everything times out and
#     asks for a checkpoint; after each checkpoint-done the primary's
#     output goes out, so ping, UDP and HTTP still work; the daemon's
#     memory stays bounded under a UDP flood and nothing stays held.
# About 30 s, 10 of them booting. Skips (249) where QEMU, /dev/net/tun or
# the kernel package is missing. COLO_VM_KEEP=DIR keeps what a failed run
# saw.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_tcp.sh"
# shellcheck source=../../tools/vm/vm.sh
. "$ROOT/tools/vm/vm.sh"

LEAKCHECK=$ROOT/tools/vm/leakcheck.py
BIG_MB=4          # the download of part 1
DIFF_KB=512       # part 2's diverging file
SMALL_KB=256      # part 3's download, with the secondary dead
SHORT=10          # short HTTP answers per address family
PORT=$VM_HTTP_PORT
RSS_GROWTH_MAX_KB=$((32 << 10))

vm_test_teardown()
{
	local rc=$?
	vm_stop_all
	# COLO_VM_KEEP=DIR keeps the guests' consoles and netdev dumps, the
	# captures and the daemon log of a failed run there.
	if [ "$FAILS" -ne 0 ] && [ -n "${COLO_VM_KEEP:-}" ]; then
		mkdir -p "$COLO_VM_KEEP" &&
			cp -a "$WORK"/*.pcap "$WORK"/daemon.log "$VM_DIR"/*.pcap \
				"$VM_DIR"/*.console "$COLO_VM_KEEP"/ 2>/dev/null
		log "kept in $COLO_VM_KEEP"
	fi
	(exit $rc)
	teardown
}

# rss: the daemon's resident set, in kB.
rss()
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$(daemon_child)/status" 2>/dev/null
}

# hv_done: checkpoints the fake hypervisor did so far.
hv_done()
{
	wc -l <"$WORK/fakehv.done"
}

# rss_bounded BEFORE AFTER: both known, growth under the bound.
rss_bounded()
{
	[[ "$1" =~ ^[0-9]+$ ]] && [[ "$2" =~ ^[0-9]+$ ]] &&
		[ $(($2 - $1)) -lt $RSS_GROWTH_MAX_KB ]
}

# download ADDR FILE WANT_SHA LABEL: curl from the client; checks status,
# size and SHA-256.
download()
{
	local addr=$1 file=$2 want=$3 label=$4 out rc code size speed
	rm -f "$WORK/dl.bin"
	out=$(nsx client timeout 40 curl -sS -g --max-time 35 \
		-o "$WORK/dl.bin" \
		-w '%{http_code} %{size_download} %{speed_download}' \
		"http://$addr:$PORT/$file" 2>"$WORK/curl.err")
	rc=$?
	check_eq "$label: curl exit code" 0 "$rc"
	[ "$rc" -eq 0 ] || sed 's/^/# curl: /' "$WORK/curl.err"
	read -r code size speed <<<"$out"
	check_eq "$label: HTTP status" 200 "$code"
	check_eq "$label: SHA-256 of the download" "$want" \
		"$( [ -f "$WORK/dl.bin" ] && sha "$WORK/dl.bin")"
	[[ "$speed" =~ ^[0-9.]+$ ]] &&
		log "$label: $size bytes at $(awk -v s="$speed" \
			'BEGIN { printf "%.1f MB/s", s / 1048576 }')"
}

# leaks CAPTURE: leakcheck.py's counts for a client capture, as variables
# lk_client_frames, lk_from_primary, lk_secondary, ...
leaks()
{
	local kv out
	out=$("$PY" "$LEAKCHECK" --vm-mac "$VM_MAC" "$WORK/$1.pcap" \
		"$VM_DIR/primary.pcap" "$VM_DIR/secondary.pcap")
	log "leakcheck $1: $out"
	for kv in client_frames from_primary secondary unknown distinct \
		max_len_primary max_len_secondary; do
		printf -v "lk_$kv" '%s' "?"
	done
	for kv in $out; do
		printf -v "lk_${kv%%=*}" '%s' "${kv#*=}"
	done
}

require_colo
require_env
require_cmds curl sha256sum
why=$(vm_usable) || skip "$why"
WORK=$(mktemp -d "/tmp/colo-integ-$TEST_NAME.XXXXXX")
VM_DIR=$WORK/vm
mkdir -p "$VM_DIR"
trap vm_test_teardown EXIT
vm_prepare || skip "no guest kernel or initramfs (tools/vm/vm.sh prepare)"

# The twins' files: the same bytes and mtimes, except diff.bin, which
# differs in every byte but keeps size and mtime (the HTTP headers agree,
# the body does not).
mkdir -p "$WORK/www-pri" "$WORK/www-sec"
head -c $((BIG_MB << 20)) /dev/urandom >"$WORK/www-pri/big.bin"
head -c $((SMALL_KB << 10)) /dev/urandom >"$WORK/www-pri/small.bin"
head -c $((DIFF_KB << 10)) /dev/urandom >"$WORK/www-pri/diff.bin"
short="colo-xdp test-vm: a short answer"
echo "$short" >"$WORK/www-pri/short.txt"
cp -p "$WORK/www-pri/big.bin" "$WORK/www-pri/small.bin" \
	"$WORK/www-pri/short.txt" "$WORK/www-sec/"
head -c $((DIFF_KB << 10)) /dev/urandom >"$WORK/www-sec/diff.bin"
touch -r "$WORK/www-pri/diff.bin" "$WORK/www-sec/diff.bin"
sha_big=$(sha "$WORK/www-pri/big.bin")
sha_small=$(sha "$WORK/www-pri/small.bin")
sha_diff=$(sha "$WORK/www-pri/diff.bin")

vm_topo_up || {
	fail "topology up"
	finish
}
t0=$(date +%s%3N)
if ! COLO_VM_DUMP=1 VM_QUIET=1 vm_boot_twins "$WORK/www-pri" "$WORK/www-sec" \
	UDP_TAG=" (secondary differs)"; then
	fail "both guests boot"
	finish
fi
ok "both guests booted in $(($(date +%s%3N) - t0)) ms (primary ${VM_BOOT_MS_PRI} ms, secondary ${VM_BOOT_MS_SEC} ms, TCG)"

# --- 1. twins that agree -----------------------------------------------

log "part 1: twins that agree"
check "colo-xdp run --mirror starts" daemon_start --mirror \
	--compare-timeout 1000 --scan-interval 50
[ -n "$DAEMON_PID" ] || finish
fake_hv_start 150
cap_start cli client "$CLIENT_IF"

for addr in "$VM_IP4" "$VM_IP6"; do
	out=$(nsx client ping -c 10 -i 0.05 -W 3 "$addr" 2>&1)
	check "ping $addr: 10 received" grep -q " 10 received" <<<"$out"
	check "ping $addr: no duplicates" eval '! grep -q DUP <<<"$out"'
	out=$(echo_client --addr "$addr" --port "$VM_UDP_PORT" --count 50 \
		--burst 5 --timeout 3000)
	check "UDP $addr: each answered once, in order ($out)" [ $? -eq 0 ]
done
# Short answers, many connections. The guests' web server sends no
# Content-Length, so the client closes after their FIN and both twins
# close first (tools/vm/http-get says why; tools/vm/vm.sh close-race
# shows what happens otherwise).
for addr in "$VM_IP4" "[$VM_IP6]"; do
	n=0
	for ((i = 0; i < SHORT; i++)); do
		[ "$(nsx client curl -sS -g -m 10 "http://$addr:$PORT/short.txt" \
			2>/dev/null)" = "$short" ] && n=$((n + 1))
	done
	check_eq "HTTP $addr: short answers that came right" $SHORT $n
done
stats_read
check_eq "stats: miscompares after $((2 * SHORT)) short HTTP answers" 0 \
	"$(sget miscompares)"
download "$VM_IP4" big.bin "$sha_big" "HTTP IPv4 ${BIG_MB} MB"
download "[$VM_IP6]" big.bin "$sha_big" "HTTP IPv6 ${BIG_MB} MB"

# The last ACKs of a connection may still be held for their twin.
wait_stat_eq primary.held 0 3
cap_stop cli
stats_read
read -r mis ckpt tmo qfull released poversize soversize dropped <<<"$(
	sget miscompares checkpoint_requests timeouts queue_full \
		released_packets primary.oversize secondary.oversize \
		dropped_packets | tr '\n' ' ')"
check_eq "stats: miscompares" 0 "$mis"
check_eq "stats: checkpoint_requests" 0 "$ckpt"
check_eq "stats: timeouts" 0 "$tmo"
check_eq "stats: queue_full" 0 "$qfull"
check_eq "stats: primary.oversize (guest TSO is off)" 0 "$poversize"
check_eq "stats: secondary.oversize" 0 "$soversize"
check_ge "stats: released_packets (2 x ${BIG_MB} MB in <= 1448-byte segments)" \
	$((2 * (BIG_MB << 20) / 1448)) "$released"
log "stats: csum_fixed=$(sget csum_fixed) dropped_packets=$dropped"
if [ "$mis$tmo$ckpt" != 000 ]; then
	log "part 1's first divergences:"
	grep -m 10 -E "Divergence|Miscompare" "$WORK/daemon.log" | sed 's/^/#   /'
fi

leaks cli
check_eq "every frame of the VMs at the client was released" \
	"$released" "$lk_client_frames"
check_eq "every frame at the client is one the primary sent" \
	"$lk_client_frames" "$lk_from_primary"
check_eq "frames at the client that only the secondary sent" 0 "$lk_secondary"
check_eq "frames at the client that neither guest sent" 0 "$lk_unknown"
# The check above can fail only if twin frames differ: most do.
check_ge "frames at the client told apart from the secondary's" \
	$((${lk_client_frames//[!0-9]/0} * 9 / 10)) "$lk_distinct"
check "largest frame from the primary <= 1514 bytes ($lk_max_len_primary)" \
	test "$lk_max_len_primary" -le 1514 2>/dev/null
check "largest frame from the secondary <= 1514 bytes ($lk_max_len_secondary)" \
	test "$lk_max_len_secondary" -le 1514 2>/dev/null
check_eq "checkpoints done by the fake hypervisor" 0 "$(hv_done)"

# --- 2. a divergence ---------------------------------------------------

log "part 2: the secondary diverges"
daemon_stop TERM
check_eq "exit code after SIGTERM" 0 "$DAEMON_RC"
log_from=$(($(wc -l <"$WORK/daemon.log") + 1))
check "colo-xdp restarts (compare timeout 300 ms)" daemon_start --mirror \
	--compare-timeout 300 --scan-interval 50
[ -n "$DAEMON_PID" ] || finish
cap_start cli2 client "$CLIENT_IF"

out=$(echo_client --addr "$VM_IP4" --port "$VM_UDP_TAG_PORT" --count 3 \
	--timeout 5000)
check "UDP to the diverging service: the primary's answers only ($out)" \
	[ $? -eq 0 ]
download "$VM_IP4" diff.bin "$sha_diff" "HTTP IPv4, the secondary's file differs"
first=$(tail -n "+$log_from" "$WORK/daemon.log" | grep -m1 -E "Miscompare on tcp")
log "first TCP miscompare: $first"
check "the download miscompared on its payload" \
	grep -qE "Miscompare on tcp $CLIENT_IP4:[0-9]+ <-> $VM_IP4:$PORT: payload differs" \
	<<<"$first"
stats_read
read -r mis ckpt ndone <<<"$(sget miscompares checkpoint_requests \
	checkpoint.done | tr '\n' ' ')"
check_ge "stats: miscompares" 2 "$mis"
check_ge "stats: checkpoint_requests" 2 "$ckpt"
check_ge "stats: checkpoint.done" 2 "$ndone"
log "part 2: $ckpt checkpoint requests, $ndone checkpoints done"
cap_stop cli2
check_eq "tagged (secondary) UDP answers at the client" 0 \
	"$(count "ip4 udp $VM_IP4 .* sport=$VM_UDP_TAG_PORT .*secondary" cli2)"
leaks cli2
check_eq "frames at the client that only the secondary sent" 0 "$lk_secondary"
check_eq "frames at the client that neither guest sent" 0 "$lk_unknown"
check_ge "frames at the client from the primary (at least the file)" \
	$(((DIFF_KB << 10) / 1448)) "$lk_from_primary"

# --- 3. the secondary dies ---------------------------------------------

log "part 3: the secondary's QEMU is killed"
vm_stop secondary KILL
stats_read
read -r tmo0 ckpt0 <<<"$(sget timeouts checkpoint_requests | tr '\n' ' ')"
done0=$(hv_done)
rss0=$(rss)

out=$(nsx client ping -c 5 -i 0.2 -W 5 "$VM_IP4" 2>&1)
check "ping $VM_IP4 with the secondary dead: 5 received" \
	grep -q " 5 received" <<<"$out"
for addr in "$VM_IP4" "$VM_IP6"; do
	out=$(echo_client --addr "$addr" --port "$VM_UDP_PORT" --count 10 \
		--burst 5 --timeout 5000)
	check "UDP $addr with the secondary dead: each answered once, in order ($out)" \
		[ $? -eq 0 ]
done
download "$VM_IP4" small.bin "$sha_small" "HTTP IPv4 ${SMALL_KB} KB, secondary dead"

# A flood: 1000 requests in bursts of 100, each burst held until a
# checkpoint lets it go. Memory must not grow with it. (Bursts of 200
# overflow the guest's UDP receive buffer: ~168 fit in its 208 KB.)
out=$(echo_client --addr "$VM_IP4" --port "$VM_UDP_PORT" --count 1000 \
	--burst 100 --timeout 5000)
check "UDP flood with the secondary dead: all answered ($out)" [ $? -eq 0 ]
rss1=$(rss)
check "primary.held drains to 0" wait_stat_eq primary.held 0 5
stats_read
read -r tmo ckpt held_s <<<"$(sget timeouts checkpoint_requests \
	secondary.held | tr '\n' ' ')"
check_ge "stats: timeouts (primary frames with no twin)" $((tmo0 + 1)) "$tmo"
check_ge "stats: checkpoint_requests" $((ckpt0 + 1)) "$ckpt"
check_ge "checkpoints done after the secondary died" $((done0 + 1)) \
	"$(hv_done)"
check_eq "stats: secondary.held" 0 "$held_s"
log "daemon RSS: $rss0 kB before part 3, $rss1 kB after the flood"
check "daemon RSS grew by < $((RSS_GROWTH_MAX_KB >> 10)) MB ($rss0 -> $rss1 kB)" \
	rss_bounded "$rss0" "$rss1"
check "colo-xdp is still running" kill -0 "$(daemon_child)"

fake_hv_stop
daemon_stop TERM
check_eq "exit code after SIGTERM" 0 "$DAEMON_RC"
check "nothing attached after SIGTERM" nothing_attached

finish
