#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-tcp-diverge.sh - a TCP stream that diverges: the secondary serves a
# file that differs from the primary's in one byte, at offset X (same size,
# same mtime). colo-xdp must report the miscompare at the right place in
# the stream, ask for a checkpoint, never let the secondary's bytes out,
# and, with checkpoints done, let the client's download finish with
# exactly the primary's file.
#
# Why many checkpoints: a real hypervisor would make the secondary a copy
# of the primary at the checkpoint, and the connection would then compare
# equal again. Namespaces cannot be copied: after checkpoint-done the
# secondary still has its own file and its own sequence numbers, while
# colo-xdp, taking it for a copy, sets the sequence offset to 0 and stops
# translating the client's ACKs for it. (Both namespaces draw their ISN
# from the same secret and clock, so the real offset is small, a few hundred
# bytes: the secondary limps on, and each later window of the primary
# miscompares against misaligned bytes, or times out.) Every window after
# X thus asks for another checkpoint; the fake hypervisor does them all,
# and X sits early enough in a small (2 MB) file that it usually takes
# several (the count is printed, at least one is asserted).

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_tcp.sh"

SIZE=$((2 << 20))
X=1000001  # the byte that differs, counted from 0 in the file
PORT=8080

require_colo
require_cmds curl sha256sum
setup

mkdir -p "$WORK/www-pri" "$WORK/www-sec"
head -c $SIZE /dev/urandom >"$WORK/www-pri/file.bin"
cp -p "$WORK/www-pri/file.bin" "$WORK/www-sec/file.bin"
# Flip every bit of byte X, keep the mtime (Last-Modified must not differ).
"$PY" - "$WORK/www-sec/file.bin" $X <<'EOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]))
    b = f.read(1)[0]
    f.seek(int(sys.argv[2]))
    f.write(bytes([b ^ 0xff]))
EOF
touch -r "$WORK/www-pri/file.bin" "$WORK/www-sec/file.bin"
want=$(sha "$WORK/www-pri/file.bin")
check "the secondary's file differs" \
	[ "$(sha "$WORK/www-sec/file.bin")" != "$want" ]
pri_byte=$(od -An -tx1 -j $X -N1 "$WORK/www-pri/file.bin" | tr -d ' ')
sec_byte=$(od -An -tx1 -j $X -N1 "$WORK/www-sec/file.bin" | tr -d ' ')

http_server primary "$WORK/www-pri" $PORT
http_server secondary "$WORK/www-sec" $PORT

check "colo-xdp run --mirror starts" daemon_start --mirror \
	--compare-timeout 300 --scan-interval 50
[ -n "$DAEMON_PID" ] || tcp_finish
fake_hv_start 35

t0=$(date +%s%3N)
out=$(nsx client timeout 35 curl -sS --max-time 30 -o "$WORK/dl.bin" \
	-w '%{http_code} %{size_download} %{size_header}' \
	"http://$VM_IP4:$PORT/file.bin" 2>"$WORK/curl.err")
rc=$?
secs=$(awk -v ms=$(($(date +%s%3N) - t0)) 'BEGIN { printf "%.1f", ms / 1000 }')
fake_hv_stop
check_eq "curl exit code" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/# curl: /' "$WORK/curl.err"
read -r code size hdr _ <<<"$out"
check_eq "HTTP status" 200 "$code"
check_eq "bytes downloaded" $SIZE "$size"
check_eq "SHA-256 of the download is the primary's file" "$want" \
	"$( [ -f "$WORK/dl.bin" ] && sha "$WORK/dl.bin")"
log "download: ${secs}s, $FAKE_HV_DONE checkpoints"

stats_read
read -r mis ckpt ndone <<<"$(sget miscompares checkpoint_requests \
	checkpoint.done | tr '\n' ' ')"
check_ge "stats: miscompares" 1 "$mis"
check_ge "stats: checkpoint_requests" 1 "$ckpt"
check_ge "checkpoints done by the fake hypervisor" 1 "$FAKE_HV_DONE"
check_eq "stats: checkpoint.done = the fake hypervisor's count" \
	"$FAKE_HV_DONE" "$ndone"

# The first divergence reported is this byte: the stream is what the guest
# sends from the first byte after its SYN, i.e. the HTTP header block
# (size_header bytes, as the client received it) and then the file. The
# client's request is the other direction: not in it.
first=$(grep -m1 -E "(Miscompare|Divergence) on " "$WORK/daemon.log")
log "first divergence: $first"
check "the first divergence is a payload miscompare on the download" \
	grep -qE "Miscompare on tcp $CLIENT_IP4:[0-9]+ <-> $VM_IP4:$PORT: payload differs" \
	<<<"$first"
if [[ "$hdr" =~ ^[0-9]+$ ]]; then
	at=$(sed -n 's/.* differs at byte \([0-9]*\) .*/\1/p' <<<"$first")
	check_eq "miscompare at stream byte size_header + X ($hdr + $X)" \
		$((hdr + X)) "$at"
	check "excerpts start with the two bytes at X ($pri_byte, $sec_byte)" \
		grep -qE "\(primary ${pri_byte}[0-9a-f]*, secondary ${sec_byte}[0-9a-f]*\)" \
		<<<"$first"
else
	fail "no header size from curl ($out)"
fi

daemon_stop TERM
check_eq "exit code after SIGTERM" 0 "$DAEMON_RC"

tcp_finish
