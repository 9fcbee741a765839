#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-tcp-http.sh - real TCP through colo-xdp: the same 20 MB file (same
# bytes, same mtime) served over HTTP by the primary and the secondary, and
# downloaded by the client with curl through `colo-xdp run --mirror`, over
# IPv4 and over IPv6. The secondary picks its own ISN, so this works only
# if the mirror path moves the client's ACKs into the secondary's sequence
# space; it must pass without a single miscompare or checkpoint request.
# Offloads stay as the kernel sets them.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_tcp.sh"

SIZE_MB=20
PORT=8080

require_colo
require_cmds curl sha256sum
setup

mkdir -p "$WORK/www-pri" "$WORK/www-sec"
head -c $((SIZE_MB << 20)) /dev/urandom >"$WORK/www-pri/file.bin"
cp -p "$WORK/www-pri/file.bin" "$WORK/www-sec/file.bin"
want=$(sha "$WORK/www-pri/file.bin")
http_server primary "$WORK/www-pri" $PORT
http_server secondary "$WORK/www-sec" $PORT

# --max-queue 4096: at ~110 MB/s the default 1024 frames are 13 ms of one
# guest's output, and a secondary server descheduled that long on a busy
# 2-vCPU host filled it once in CI (queue-full, then the namespace
# "checkpoint" that re-syncs nothing). Queue limits are the fault tests' job.
check "colo-xdp run --mirror starts" daemon_start --mirror \
	--compare-timeout 300 --scan-interval 50 --max-queue 4096
[ -n "$DAEMON_PID" ] || tcp_finish
# Not needed when all goes well: if anything diverges, the download still
# ends and the checks below say how (checkpoint_requests is asserted 0).
fake_hv_start 50

for addr in "$VM_IP4" "[$VM_IP6]"; do
	rm -f "$WORK/dl.bin"
	out=$(nsx client timeout 30 curl -sS -g --max-time 20 \
		-o "$WORK/dl.bin" \
		-w '%{http_code} %{size_download} %{speed_download}' \
		"http://$addr:$PORT/file.bin" 2>"$WORK/curl.err")
	rc=$?
	check_eq "[$addr] curl exit code" 0 "$rc"
	[ "$rc" -eq 0 ] || sed 's/^/# curl: /' "$WORK/curl.err"
	read -r code size speed <<<"$out"
	check_eq "[$addr] HTTP status" 200 "$code"
	check_eq "[$addr] bytes downloaded" $((SIZE_MB << 20)) "$size"
	check_eq "[$addr] SHA-256 of the download" "$want" \
		"$( [ -f "$WORK/dl.bin" ] && sha "$WORK/dl.bin")"
	[[ "$speed" =~ ^[0-9.]+$ ]] &&
		log "[$addr] download rate: $(awk -v s="$speed" \
			'BEGIN { printf "%.1f MB/s (%.0f Mbit/s)", s / 1048576, s * 8 / 1e6 }')"
done

# The last ACKs of each connection may still be on their way.
check "stats: nothing held (primary)" wait_stat_eq primary.held 0 3
fake_hv_stop
stats_read
read -r mis ckpt tmo qfull released seqoff seqerr rew rewerr <<<"$(
	sget miscompares checkpoint_requests timeouts queue_full \
		released_packets seq_offsets seq_map_errors mirror_rewritten \
		mirror_rewrite_errors | tr '\n' ' ')"
check_eq "stats: miscompares" 0 "$mis"
check_eq "stats: checkpoint_requests" 0 "$ckpt"
check_eq "stats: timeouts" 0 "$tmo"
check_eq "stats: queue_full" 0 "$qfull"
check_eq "checkpoints done by the fake hypervisor" 0 "$FAKE_HV_DONE"
# One offset per connection, learnt from its SYN/ACKs and used by the
# mirror path on the client's frames to the secondary.
check_eq "stats: seq_offsets (one per connection)" 2 "$seqoff"
check_eq "stats: seq_map_errors" 0 "$seqerr"
check_ge "stats: mirror_rewritten (client frames moved to the secondary's space)" \
	1 "$rew"
check_eq "stats: mirror_rewrite_errors" 0 "$rewerr"
# Two 20 MB answers in at most 1514-byte frames.
check_ge "stats: released_packets" $((2 * (SIZE_MB << 20) / 1448)) \
	"$released"

daemon_stop TERM
check_eq "exit code after SIGTERM" 0 "$DAEMON_RC"

tcp_finish
