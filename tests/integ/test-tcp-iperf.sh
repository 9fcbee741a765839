#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-tcp-iperf.sh - bulk TCP through colo-xdp: iperf3 -s in the primary
# and the secondary, iperf3 -c in the client for 10 s (client to VM: the
# guests' output on the data connection is their ACK stream, held by the
# comparator until the secondary has acknowledged as much as the primary).
#
# iperf3's control connection really diverges: at the end each server
# sends the client its own results (CPU use, byte counts, timings). That
# miscompare asks for a checkpoint, so the fake hypervisor runs throughout.
# A namespace checkpoint re-syncs nothing (see lib_tcp.sh): from the first
# one on, every open connection, the data connection included, looks
# diverged to colo-xdp, and each of their last frames (FINs) waits for
# another checkpoint. What is asserted:
#   - iperf3 completes without error and moved data (throughput > 0);
#   - no divergence of any kind on a data connection before the first
#     checkpoint, and the first checkpoint is asked for by the control
#     connection: the 10 s transfer itself compared equal;
#   - the checkpoints done match the daemon's count.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_tcp.sh"

PORT=5201
SECS=10

require_colo
require_cmds iperf3
setup

bg primary "$WORK/iperf-pri.log" iperf3 -s -p $PORT
tcp_wait_listen primary $PORT "iperf3 -s"
bg secondary "$WORK/iperf-sec.log" iperf3 -s -p $PORT
tcp_wait_listen secondary $PORT "iperf3 -s"

check "colo-xdp run --mirror starts" daemon_start --mirror \
	--compare-timeout 300 --scan-interval 50
[ -n "$DAEMON_PID" ] || finish
fake_hv_start 45

nsx client timeout $((SECS + 25)) iperf3 -c "$VM_IP4" -p $PORT -t $SECS -J \
	--connect-timeout 3000 >"$WORK/iperf.json" 2>"$WORK/iperf.err"
rc=$?
fake_hv_stop
check_eq "iperf3 -c exit code" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/# iperf3: /' "$WORK/iperf.err"

# "bits_per_second data_ports error" from the JSON report.
read -r bps ports err <<<"$("$PY" - "$WORK/iperf.json" <<'EOF'
import json, sys
try:
    with open(sys.argv[1]) as f:
        r = json.load(f)
except Exception as e:
    print("0 - bad-json:%s" % type(e).__name__)
    sys.exit(0)
bps = r.get("end", {}).get("sum_received", {}).get("bits_per_second", 0)
ports = ",".join(str(c["local_port"])
                 for c in r.get("start", {}).get("connected", []))
print("%d %s %s" % (bps, ports or "-",
                    r.get("error", "-").replace(" ", "_") or "-"))
EOF
)"
check_eq "iperf3 reports no error" "-" "$err"
check_ge "throughput received by the primary (bit/s)" 1 "$bps"
log "throughput: $(awk -v b="$bps" 'BEGIN { printf "%.0f Mbit/s", b / 1e6 }')," \
	"data port(s) $ports, $FAKE_HV_DONE checkpoints"

# The daemon log up to the first "Checkpoint done".
sed '/Checkpoint done/q' "$WORK/daemon.log" >"$WORK/before.log"
if [ "$ports" != "-" ]; then
	re=":(${ports//,/|}) <->"
	check_eq "divergences on a data connection before the first checkpoint" \
		0 "$(grep -E "(Miscompare|Divergence) on tcp " "$WORK/before.log" |
			grep -cE -- "$re")"
	first=$(grep -m1 "Checkpoint requested" "$WORK/daemon.log")
	log "first request: ${first:-none}"
	if [ -n "$first" ]; then
		check "the first checkpoint is asked for by the control connection" \
			eval '! grep -qE -- "$re" <<<"$first"'
	fi
else
	fail "no data connection in iperf3's report"
fi

stats_read
check_eq "stats: checkpoint.done = the fake hypervisor's count" \
	"$FAKE_HV_DONE" "$(sget checkpoint.done)"
log "stats: miscompares $(sget miscompares), timeouts $(sget timeouts)," \
	"checkpoint_requests $(sget checkpoint_requests)"

daemon_stop TERM
check_eq "exit code after SIGTERM" 0 "$DAEMON_RC"

finish
