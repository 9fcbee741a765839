#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-malformed.sh - hostile guests: the frame table of tools/
# craft_frames.py, sent raw on eth0 from the primary (3 times each) and from
# the secondary (twice each), one case at a time. Every malformed frame is
# dropped by the XDP program and counted under its reason in parse_errors,
# to the frame, and under no other;
# none reaches the client (captured on cli0); the daemon stays up and
# still compares and releases ordinary traffic.
#
# What the kernel lets through to XDP on a veth, found by trying:
#   - less than 14 bytes: AF_PACKET refuses it (EINVAL, dev_validate_header),
#     so parse_errors.eth_trunc cannot be reached from a guest on a veth;
#   - exactly 14 bytes and other runts are delivered unpadded and seen by
#     XDP (ip4_trunc_empty, vlan_trunc_outer of 16 bytes);
#   - more than MTU + 14 untagged: AF_PACKET refuses it (EMSGSIZE); 1514
#     bytes, and 1518 with a VLAN tag, pass;
#   - a guest that raises its own MTU (at most 3506 with XDP on the peer)
#     gets its big frames dropped by the veth (ENOBUFS, the peer's rx
#     dropped counter) before XDP sees them.
# Valid but odd frames (fragments, 8 extension headers, bad TCP options,
# empty payloads, full-size frames, padding that differs) are sent by both
# twins and must be compared and released once each. IPv4 fragments of TCP
# are not compared (compare_tcp.c keeps them opaque): they wait for the
# flush, which is checked too.

. "$(dirname "$0")/lib.sh"

CRAFT=$ROOT/tools/craft_frames.py
N_PRI=3
N_SEC=2

require_colo
setup
echo_server primary 7777
echo_server secondary 7777

# craft VM ARGS...: craft_frames.py send on the VM's eth0
craft()
{
	local vm=$1
	shift
	nsx "$vm" timeout 30 "$PY" "$CRAFT" send --iface "$VM_IF" \
		--role "$vm" "$@"
}

# The table, in its order: name and expected reason of each case.
declare -A EXPECT
malformed=()
valid=()
while read -r name expect _; do
	EXPECT[$name]=$expect
	case $expect in
	ok) valid+=("$name") ;;
	unsendable | veth_drop) ;;
	*) malformed+=("$name") ;;
	esac
done < <("$PY" "$CRAFT" list)
[ "${#EXPECT[@]}" -gt 40 ] || {
	fail "craft_frames.py list gave ${#EXPECT[@]} cases"
	finish
}
log "${#malformed[@]} malformed cases, ${#valid[@]} valid ones"

# Long compare timeout: nothing here may be settled by a timeout.
check "colo-xdp run --mirror starts" daemon_start --mirror \
	--compare-timeout 20000 --scan-interval 100
[ -n "$DAEMON_PID" ] || finish

# --- what never reaches XDP ---------------------------------------------

stats_read
rx0=$(sget primary.rx_packets)
out=$(craft primary eth_runt_13 oversize_1515)
check "13-byte frame refused by AF_PACKET (EINVAL)" \
	grep -q "^eth_runt_13 error EINVAL" <<<"$out"
check "1515-byte untagged frame refused by AF_PACKET (EMSGSIZE)" \
	grep -q "^oversize_1515 error EMSGSIZE" <<<"$out"
drop0=$(nsx colo cat "/sys/class/net/$PRI_IF/statistics/rx_dropped")
nsx primary ip link set "$VM_IF" mtu 3000
out=$(craft primary jumbo_3014)
nsx primary ip link set "$VM_IF" mtu 1500
check "3014-byte frame from a 3000-MTU guest dropped by the veth (ENOBUFS)" \
	grep -q "^jumbo_3014 error ENOBUFS" <<<"$out"
check_eq "veth counted it in rx_dropped" $((drop0 + 1)) \
	"$(nsx colo cat "/sys/class/net/$PRI_IF/statistics/rx_dropped")"
stats_read
check_eq "XDP saw none of them (primary.rx_packets)" "$rx0" \
	"$(sget primary.rx_packets)"

# --- malformed frames ---------------------------------------------------

cap_start mal client "$CLIENT_IF"
stats_read
cp "$WORK/stats.json" "$WORK/before.json"
# One case at a time from both VMs: each is counted under its reason.
timeout 60 "$PY" "$CRAFT" verify --iface "$VM_IF" --pri-ns "$NS_PRIMARY" \
	--sec-ns "$NS_SECONDARY" --count-pri $N_PRI --count-sec $N_SEC \
	--stats-cmd "ip netns exec $NS_COLO $COLO_BIN stats --name $COLO_NAME --json" \
	"${malformed[@]}" >"$WORK/verify.log" 2>&1
while read -r name verdict want got; do
	check "$name: counted under its reason only ($want, $got)" \
		[ "$verdict" = ok ]
done <"$WORK/verify.log"
check_eq "every malformed case verified" "${#malformed[@]}" \
	"$(grep -c " ok expect=" "$WORK/verify.log")"

# expected parse_errors increments by reason
declare -A WANT
for r in eth_trunc vlan_trunc vlan_depth ip4_trunc ip4_ihl ip4_len \
	ip6_trunc ip6_len ip6_exthdr l4_trunc tcp_doff ip_version; do
	WANT[$r]=0
done
for name in "${malformed[@]}"; do
	r=${EXPECT[$name]}
	WANT[$r]=$((WANT[$r] + N_PRI + N_SEC))
done
m=${#malformed[@]}
wait_stat secondary.malformed $((m * N_SEC)) 3
stats_read
sdiff()
{
	local a b
	a=$(sget "$1")
	b=$(cp "$WORK/stats.json" "$WORK/now.json" &&
		cp "$WORK/before.json" "$WORK/stats.json" && sget "$1")
	cp "$WORK/now.json" "$WORK/stats.json"
	echo $((a - b))
}
for r in "${!WANT[@]}"; do
	check_eq "parse_errors.$r" "${WANT[$r]}" "$(sdiff "parse_errors.$r")"
done
check_eq "primary.malformed" $((m * N_PRI)) "$(sdiff primary.malformed)"
check_eq "secondary.malformed" $((m * N_SEC)) "$(sdiff secondary.malformed)"
check_eq "primary.rx_packets (all seen by XDP)" $((m * N_PRI)) \
	"$(sdiff primary.rx_packets)"
check_eq "secondary.rx_packets (all seen by XDP)" $((m * N_SEC)) \
	"$(sdiff secondary.rx_packets)"
check_eq "no malformed frame given to the daemon (primary)" 0 \
	"$(sdiff primary.to_daemon)"
check_eq "no malformed frame given to the daemon (secondary)" 0 \
	"$(sdiff secondary.to_daemon)"
check_eq "nothing released" 0 "$(sdiff released_packets)"
check_eq "daemon's own parser refused nothing (drops.malformed_user)" 0 \
	"$(sget drops.malformed_user)"
cap_stop mal
"$PY" "$CRAFT" count "$WORK/mal.pcap" malformed >"$WORK/mal.count"
check_eq "no frame at all reached the client" 0 "$(frames mal | wc -l)"
check_eq "no malformed case's marker at the client" 0 \
	"$(awk '$2 != 0' "$WORK/mal.count" | wc -l)"

# --- valid but odd frames: compared, released once ----------------------

cap_start ok client "$CLIENT_IF"
stats_read
cp "$WORK/stats.json" "$WORK/before.json"
v=${#valid[@]}
out_p=$(craft primary "${valid[@]}")
out_s=$(craft secondary "${valid[@]}")
check_eq "both twins sent every valid case" $((2 * v)) \
	$(($(grep -c " sent 1 " <<<"$out_p") + $(grep -c " sent 1 " <<<"$out_s")))
# the two TCP fragments wait for the flush, the rest leave at once
wait_stat released_packets $(($(sget released_packets) + v - 2)) 3
stats_read
check_eq "valid frames released after the compare" $((v - 2)) \
	"$(sdiff released_packets)"
check_eq "valid frames matched with the secondary's" $((v - 2)) \
	"$(sdiff drops.matched)"
check_eq "IPv4 fragments of TCP held (not compared)" 2 \
	"$(sget primary.held)"
check_eq "no parse error for valid frames" 0 \
	"$(($(sdiff primary.malformed) + $(sdiff secondary.malformed)))"
check_eq "no miscompare (padding is not compared)" 0 "$(sdiff miscompares)"
check "checkpoint-done flushes the held TCP fragments" \
	colo checkpoint-done --name "$COLO_NAME"
check "all $v valid frames released" wait_stat released_packets \
	$(($(sget released_packets) + 2)) 3
cap_stop ok
"$PY" "$CRAFT" count --hex "$WORK/ok.pcap" "${valid[@]}" >"$WORK/ok.count"
for name in "${valid[@]}"; do
	check_eq "$name reached the client once" 1 \
		"$(awk -v n="$name" '$1 == n && $2 != "hex" { print $2 }' \
			"$WORK/ok.count")"
done
check "pad_differs: the primary's padding left, not the secondary's" \
	grep -qE "^pad_differs hex [0-9a-f]*3b(00){20}$" "$WORK/ok.count"
check_eq "frames from the VMs at the client: the valid ones only" "$v" \
	"$(awk '$1 == "from_vm" { print $2 }' "$WORK/ok.count")"

# --- the daemon is still fine -------------------------------------------

check "stats still answer" stats_read
out=$(echo_client --addr "$VM_IP4" --port 7777 --count 20 --burst 5)
check "UDP IPv4 still compared and released ($out)" [ $? -eq 0 ]
out=$(echo_client --addr "$VM_IP6" --port 7777 --count 20 --burst 5)
check "UDP IPv6 still compared and released ($out)" [ $? -eq 0 ]
stats_read
check_eq "nothing held" 0 "$(sget primary.held)"
check_eq "no timeout" 0 "$(sget timeouts)"

daemon_stop TERM
check_eq "exit code after SIGTERM" 0 "$DAEMON_RC"
check "nothing attached after SIGTERM" nothing_attached

finish
