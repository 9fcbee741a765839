#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# demo-vm.sh - colo-xdp with real guests (`make demo-vm`, as root): what
# tools/demo.sh shows, with the primary and the secondary as QEMU virtual
# machines on taps (tools/vm/vm.sh: TCG, a Debian cloud kernel, busybox)
# instead of namespaces. colo-xdp run --mirror sits between the taps and
# the client; ping, UDP request/response and HTTP downloads from the
# client, live counters every second for COLO_DEMO_SECONDS (default 20).
# Midway one request goes to a service whose secondary answers
# differently: the miscompare and the checkpoint request show in the
# counters, `colo-xdp checkpoint-done` releases the primary's answer.
# Everything is torn down at the end, or on Ctrl-C.
#
# The first run fetches the guest kernel package (apt-get download, about
# 27 MB) and builds the initramfs; both are cached (tools/vm/vm.sh).

set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COLO_BIN=${COLO_BIN:-$ROOT/.output/colo-xdp}
ECHO_BIN=${ECHO_BIN:-$ROOT/.output/tools/udp_echo}
DURATION=${COLO_DEMO_SECONDS:-20}
: "${COLO_PREFIX:=cxdemovm}"
NAME=${COLO_PREFIX}
# shellcheck source=vm/vm.sh
. "$ROOT/tools/vm/vm.sh"

DEMO=demo-vm
BG_GRACE=60
WORK=
TAG=" (secondary differs)"
# shellcheck source=demo_lib.sh
. "$ROOT/tools/demo_lib.sh"

cleanup()
{
	trap - EXIT INT TERM
	demo_stop_helpers
	vm_stop_all
	VM_QUIET=1 vm_topo_down
	[ -n "$WORK" ] && rm -rf "$WORK"
	echo "demo-vm: guests stopped, namespaces removed"
}

# download FILE: one HTTP download by the client; prints size, rate and
# whether the bytes are the primary's.
download()
{
	local out
	out=$(ip netns exec "$NS_CLIENT" timeout 30 curl -sS --max-time 25 \
		-o "$WORK/dl.bin" -w '%{http_code} %{size_download} %{speed_download}' \
		"http://$VM_IP4:$VM_HTTP_PORT/$1" 2>&1)
	echo "client: HTTP $out B/s"
	if [ "$(sha256sum <"$WORK/dl.bin" | cut -d' ' -f1)" = \
		"$(sha256sum <"$WORK/www/$1" | cut -d' ' -f1)" ]; then
		echo "client: SHA-256 matches the guests' file"
	else
		echo "client: SHA-256 DIFFERS from the guests' file"
	fi
}

[ "$(id -u)" -eq 0 ] || die "run me as root (network namespaces, XDP, taps)"
[ -x "$COLO_BIN" ] || die "no $COLO_BIN: run make first"
[ -x "$ECHO_BIN" ] || die "no $ECHO_BIN: run make first"
[[ "$DURATION" =~ ^[0-9]+$ ]] && [ "$DURATION" -ge 10 ] ||
	die "COLO_DEMO_SECONDS must be a number >= 10"
for c in ip ping timeout curl sha256sum; do
	command -v $c >/dev/null || die "needs $c (make deps)"
done
why=$(vm_usable) || die "$why (make deps)"

WORK=$(mktemp -d /tmp/colo-demo-vm.XXXXXX)
VM_DIR=$WORK/vm
mkdir -p "$VM_DIR" "$WORK/www"
trap cleanup EXIT
trap 'exit 130' INT TERM

say "Guest kernel and initramfs"
vm_prepare || die "could not fetch the kernel or build the initramfs"
echo "kernel: $(basename "$VM_KDIR") (cached in $VM_CACHE)"

say "Topology"
cat <<EOF
  client  ($NS_CLIENT)     $CLIENT_IF $CLIENT_IP4 $CLIENT_IP6
     |
  host    ($NS_COLO)       $OUT_IF <- colo-xdp -> $PRI_IF (tap), $SEC_IF (tap)
                                         |              |
                            QEMU primary          QEMU secondary
            virtio-net eth0 $VM_IP4 $VM_IP6 $VM_MAC (both)
  UDP echo on port $VM_UDP_PORT alike on both; on port $VM_UDP_TAG_PORT the
  secondary answers with a tag (a planted divergence). HTTP on port
  $VM_HTTP_PORT, the same 2 MB file on both.
  Guests: QEMU TCG, -device virtio-net-pci,...$(vm_offloads)
EOF
VM_QUIET=1 vm_topo_up || die "could not build the namespaces and taps"
head -c $((2 << 20)) /dev/urandom >"$WORK/www/file.bin"

say "Booting the primary and the secondary"
vm_boot_twins "$WORK/www" "$WORK/www" UDP_TAG="$TAG" ||
	die "the guests did not boot"
echo "serial consoles: $VM_DIR/primary.console, $VM_DIR/secondary.console"

demo_start_daemon
head -n 1 "$WORK/daemon.log"

half=$((DURATION / 2))
rest=$((DURATION - half - 2))
demo_traffic "$VM_UDP_PORT"
counters 2

say "HTTP: the client downloads file.bin (2 MB) from the twins"
download file.bin >"$WORK/download.log" 2>&1 &
DOWNLOAD=$!
PIDS+=("$DOWNLOAD")
counters 3
wait "$DOWNLOAD"
cat "$WORK/download.log"
counters $((half - 5))

demo_diverge "$VM_UDP_TAG_PORT"
# A real hypervisor would now have made the secondary a copy of the
# primary; these guests stay as they were, which UDP does not mind.
[ "$rest" -gt 0 ] && counters "$rest"

demo_totals csum_fixed

say "Stopping colo-xdp (SIGTERM), the guests, and removing the namespaces"
demo_stop_daemon
