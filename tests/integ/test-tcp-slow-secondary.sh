#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-tcp-slow-secondary.sh - a secondary that reads slower than its
# primary. The client sends 10 MB as fast as it may (tools/tcp_bulk.py);
# the primary's server reads at once, the secondary's at 5 MB/s from a
# 64 KB receive buffer. Both answer "done N".
#
# The client sees only the primary's window. Offered that one, it sends
# past the secondary's full window; the secondary drops what lies beyond,
# the primary's ACKs for it are held (the secondary never acknowledged
# it), the client learns nothing until its retransmission timeout resends
# the data to both, and every such wait outlasts --compare-timeout: a
# checkpoint each time (seen without the clamp: 131 of them for 20 MB).
# colo-xdp releases the primary's ACKs with the secondary's window when it
# is smaller (windows_clamped), so the client sends at the slower twin's
# pace: the transfer completes with no timeout and no checkpoint request.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_tcp.sh"

PORT=7070
BYTES=10000000
BULK=$ROOT/tools/tcp_bulk.py

require_colo
setup

bg primary "$WORK/bulk-pri.log" "$PY" "$BULK" serve --port $PORT \
	--rcvbuf 65536
tcp_wait_listen primary $PORT "tcp_bulk.py serve"
bg secondary "$WORK/bulk-sec.log" "$PY" "$BULK" serve --port $PORT \
	--rcvbuf 65536 --rate 5000000
tcp_wait_listen secondary $PORT "tcp_bulk.py serve"

check "colo-xdp run --mirror starts" daemon_start --mirror \
	--compare-timeout 300 --scan-interval 50
[ -n "$DAEMON_PID" ] || tcp_finish
# Answers checkpoint requests, should there be any, so that a failure
# shows as counts rather than a hung transfer.
fake_hv_start 60

out=$(nsx client timeout 50 "$PY" "$BULK" send --host "$VM_IP4" --port $PORT \
	--bytes $BYTES --timeout 45 2>&1)
rc=$?
fake_hv_stop
log "tcp_bulk: $out"
check_eq "the transfer completes, both servers answer the same" 0 "$rc"

stats_read
log "stats: windows_clamped $(sget windows_clamped), timeouts $(sget timeouts)," \
	"checkpoint_requests $(sget checkpoint_requests), miscompares $(sget miscompares)"
check_ge "windows clamped to the secondary's" 1 "$(sget windows_clamped)"
check_eq "no frame timed out waiting for the secondary" 0 "$(sget timeouts)"
check_eq "no checkpoint requested" 0 "$(sget checkpoint_requests)"
check_eq "no miscompare" 0 "$(sget miscompares)"

daemon_stop TERM
check_eq "exit code after SIGTERM" 0 "$DAEMON_RC"

tcp_finish
