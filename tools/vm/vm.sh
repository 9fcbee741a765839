#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vm.sh - real guests for colo-xdp: two QEMU virtual machines, a primary and
# a secondary, each on its own tap, with the same MAC and addresses, as
# COLO's twins have. Only Debian's packages: qemu-system-x86 (TCG; no KVM
# needed), busybox-static and cpio, plus a Debian cloud kernel that is
# fetched with `apt-get download` and unpacked, never installed.
#
#   client ns            colo ns (colo-xdp runs here)
#   cli0 10.77.0.1  <->  out
#                        pri (tap) <-> QEMU primary   eth0 10.77.0.2 fd77::2
#                        sec (tap) <-> QEMU secondary eth0 10.77.0.2 fd77::2
#                                      both 52:54:00:12:34:56, virtio-net-pci
#
# The names and addresses are tools/topology.sh's, so tests/integ/lib.sh's
# daemon and stats helpers work unchanged; the VM namespaces are replaced
# by the guests.
#
# What is cached (under $COLO_VM_CACHE, default /var/cache/colo-xdp-vm,
# locked with flock): the kernel package, its vmlinuz and the modules that
# virtio-net needs, in the order of their depends=. What is built (under
# $COLO_VM_OUT, default .output/vm): the guests' base initramfs with
# busybox, tools/vm/init, tools/vm/http-get and static builds of
# tools/udp_echo.c and tools/vm/vm_neigh.c, rebuilt when one of them
# changes. Each guest then gets a second cpio archive, appended, with its
# /etc/vm.conf and its /www files (mtimes kept: identical twins serve
# identical bytes and Last-Modified).
#
# Offloads: a virtio-net guest that may use TSO hands its tap TCP frames of
# up to 64 KB, which no 4 KiB UMEM frame holds, and colo-xdp drops them
# (with a warning). So the guests run with host_tso4, host_tso6, host_ecn,
# host_ufo (and host_uso where QEMU has it) off: the guest segments its
# own output. Checksum offload stays on; colo-xdp completes partial
# checksums on release. Measured with `vm.sh gso-check` (tcpdump on the
# primary's tap while the client downloads 4 MB from the guest over
# IPv4, tc forwarding, no colo-xdp), QEMU 7.2, Debian kernel
# 6.1.0-56-cloud-amd64 in the guest:
#   host_tso4=off,...: 2905-2920 frames from the guest, the largest 1514
#                      bytes
#   QEMU defaults:     101-158 frames, the largest 65226 bytes; 79-140 of
#                      them over 1514 (2962, 14546, ... 65226 bytes)
# (tcpdump -Q in misses a tap's GSO frames: the check captures both ways.)
#
# Source it for the vm_* functions, or run it:
#   tools/vm/vm.sh prepare      fetch the kernel, build the initramfs
#   tools/vm/vm.sh gso-check    frame sizes with and without the settings
#   tools/vm/vm.sh date-check   busybox httpd's Date header behind colo-xdp
#   tools/vm/vm.sh close-race   short answers with and without Content-Length
#                               behind colo-xdp (see tools/vm/http-get)

: "${COLO_PREFIX:=cxvm}"
VM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../topology.sh
. "$VM_ROOT/tools/topology.sh"

VM_CACHE=${COLO_VM_CACHE:-/var/cache/colo-xdp-vm}
VM_OUT=${COLO_VM_OUT:-$VM_ROOT/.output/vm}
VM_MEM=${COLO_VM_MEM:-256}
VM_TIMEOUT=${COLO_VM_TIMEOUT:-300}  # longest a guest may live
VM_KMETA=linux-image-cloud-amd64
# virtio-net and what it needs; the rest comes from their depends=.
VM_MODULES="virtio_pci virtio_net"
VM_APPEND="console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off \
tsc=reliable no_timer_check cryptomgr.notests random.trust_cpu=on \
i8042.noaux i8042.nokbd i8042.nopnp"
VM_UDP_PORT=7777
VM_UDP_TAG_PORT=7778
VM_HTTP_PORT=8080

VM_DIR=       # logs, initrds and dumps of the running guests
VM_KDIR=      # the cached kernel in use
declare -A VM_PID  # role -> pid of the `timeout` wrapping its QEMU

vm_log()
{
	[ -n "${VM_QUIET:-}" ] || echo "vm: $*" >&2
}

# vm_usable: 0 if this machine can run the guests, else 1 with the reason
# on stdout.
vm_usable()
{
	[ "$(id -u)" -eq 0 ] || { echo "needs root"; return 1; }
	[ -c /dev/net/tun ] || { echo "no /dev/net/tun"; return 1; }
	local c
	for c in qemu-system-x86_64 cpio gzip flock dpkg-deb gcc; do
		command -v "$c" >/dev/null || { echo "needs $c"; return 1; }
	done
	qemu-system-x86_64 -accel help 2>/dev/null | grep -qx tcg ||
		{ echo "qemu-system-x86_64 has no TCG"; return 1; }
	[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
		{ echo "needs a static /bin/busybox (busybox-static)"; return 1; }
	return 0
}

# --- the kernel ---------------------------------------------------------

# _vm_kpkg: the package behind the cloud kernel meta-package.
_vm_kpkg()
{
	apt-cache depends "$VM_KMETA" 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

# _vm_resolve MODDIR NAME...: prints the modules to load, each after its
# dependencies; builtins are left out.
_vm_resolve()
{
	local dir=$1 m f deps d
	shift
	for m in "$@"; do
		m=${m//-/_}
		[[ " $_vm_seen " == *" $m "* ]] && continue
		_vm_seen+=" $m"
		# file names may spell _ as -
		f=$(find "$dir" -name "${m//_/[-_]}.ko" -o -name "${m//_/[-_]}.ko.xz" |
			head -n1)
		if [ -z "$f" ]; then
			grep -q "/$m.ko$" "$dir"/modules.builtin 2>/dev/null &&
				continue
			vm_log "module $m: not in the kernel package"
			return 1
		fi
		case $f in
		*.xz) deps=$(xz -dc "$f" | tr '\0' '\n' | grep -a '^depends=') ;;
		*) deps=$(tr '\0' '\n' <"$f" | grep -a '^depends=') ;;
		esac
		deps=${deps#depends=}
		for d in ${deps//,/ }; do
			_vm_resolve "$dir" "$d" || return 1
		done
		echo "$m $f"
	done
}

# _vm_unpack DEB DEST: vmlinuz and the modules virtio-net needs, out of
# the package, into DEST (vmlinuz, modules/*.ko, modules/order).
_vm_unpack()
{
	local deb=$1 dest=$2 x mdir line m f
	x=$(mktemp -d "$VM_CACHE/unpack.XXXXXX") || return 1
	dpkg-deb -x "$deb" "$x" || { rm -rf "$x"; return 1; }
	mkdir -p "$dest.new/modules"
	cp "$x"/boot/vmlinuz-* "$dest.new/vmlinuz" || { rm -rf "$x"; return 1; }
	mdir=$(echo "$x"/lib/modules/*)
	_vm_seen=
	line=$(_vm_resolve "$mdir" $VM_MODULES) || { rm -rf "$x"; return 1; }
	while read -r m f; do
		case $f in
		*.xz) xz -dc "$f" >"$dest.new/modules/$m.ko" ;;
		*) cp "$f" "$dest.new/modules/$m.ko" ;;
		esac
		echo "$m" >>"$dest.new/modules/order"
	done <<<"$line"
	rm -rf "$x"
	rm -rf "$dest"
	mv "$dest.new" "$dest"
}

# vm_kernel: sets VM_KDIR to a cached kernel, fetching one if there is
# none (or COLO_VM_KPKG names one not cached yet).
vm_kernel()
{
	local pkg=${COLO_VM_KPKG:-} deb d
	mkdir -p "$VM_CACHE/kernel" "$VM_CACHE/debs" || return 1
	if [ -z "$pkg" ]; then
		d=$(ls -d "$VM_CACHE"/kernel/*/ 2>/dev/null | grep -v '\.new/$' |
			sort -V | tail -n1)
		if [ -n "$d" ] && [ -s "$d/vmlinuz" ] && [ -s "$d/modules/order" ]; then
			VM_KDIR=${d%/}
			return 0
		fi
		pkg=$(_vm_kpkg)
		if [ -z "$pkg" ]; then
			vm_log "apt-get update (no $VM_KMETA in the package lists)"
			apt-get update -qq >/dev/null 2>&1
			pkg=$(_vm_kpkg)
		fi
		[ -n "$pkg" ] || { vm_log "no $VM_KMETA package found"; return 1; }
	fi
	VM_KDIR=$VM_CACHE/kernel/$pkg
	[ -s "$VM_KDIR/vmlinuz" ] && [ -s "$VM_KDIR/modules/order" ] && return 0

	deb=$(ls "$VM_CACHE/debs/${pkg}_"*.deb 2>/dev/null | head -n1)
	if [ -z "$deb" ]; then
		vm_log "fetching $pkg (apt-get download; not installed)"
		(cd "$VM_CACHE/debs" &&
			apt-get download -q -o APT::Sandbox::User=root "$pkg" \
				>/dev/null) || { vm_log "could not download $pkg"; return 1; }
		deb=$(ls "$VM_CACHE/debs/${pkg}_"*.deb 2>/dev/null | head -n1)
		[ -n "$deb" ] || return 1
	fi
	vm_log "unpacking $(basename "$deb")"
	_vm_unpack "$deb" "$VM_KDIR" || { vm_log "could not unpack $deb"; return 1; }
	vm_log "modules: $(tr '\n' ' ' <"$VM_KDIR/modules/order")"
}

# --- the initramfs ------------------------------------------------------

# vm_initramfs: $VM_OUT/base.cpio.gz for the kernel in VM_KDIR, rebuilt
# when any of its inputs is newer.
vm_initramfs()
{
	local base=$VM_OUT/base.cpio.gz stage f stale=
	local inputs=("$VM_ROOT/tools/vm/init" "$VM_ROOT/tools/vm/http-get"
		"$VM_ROOT/tools/vm/vm_neigh.c" "$VM_ROOT/tools/udp_echo.c"
		/bin/busybox "$VM_KDIR/modules/order")
	mkdir -p "$VM_OUT" || return 1
	if [ ! -s "$base" ] || [ "$(cat "$base.kernel" 2>/dev/null)" != "$VM_KDIR" ]; then
		stale=1
	else
		for f in "${inputs[@]}"; do
			[ "$f" -nt "$base" ] && stale=1
		done
	fi
	[ -n "$stale" ] || return 0

	vm_log "building the guests' initramfs"
	stage=$(mktemp -d "$VM_OUT/stage.XXXXXX") || return 1
	mkdir -p "$stage"/{bin,dev,proc,sys,tmp,etc,www,lib/modules} &&
		mknod "$stage/dev/console" c 5 1 &&
		cp /bin/busybox "$stage/bin/busybox" &&
		install -m 0755 "$VM_ROOT/tools/vm/init" "$stage/init" &&
		install -m 0755 "$VM_ROOT/tools/vm/http-get" "$stage/bin/http-get" &&
		cp "$VM_KDIR"/modules/* "$stage/lib/modules/" &&
		gcc -static -O2 -Wall -Wextra -o "$stage/bin/vm_neigh" \
			"$VM_ROOT/tools/vm/vm_neigh.c" &&
		# getaddrinfo() in the client half warns when linked statically;
		# the guests run only the server.
		gcc -static -O2 -Wall -Wextra -o "$stage/bin/udp_echo" \
			"$VM_ROOT/tools/udp_echo.c" 2>/dev/null &&
		strip "$stage/bin/vm_neigh" "$stage/bin/udp_echo" || {
		rm -rf "$stage"
		return 1
	}
	# Padded to 4 bytes with zeros, which the kernel skips, so that the
	# guest's own cpio archive can follow it.
	(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet |
		gzip -1) >"$base.tmp" &&
		truncate -s %512 "$base.tmp" &&
		mv "$base.tmp" "$base" &&
		echo "$VM_KDIR" >"$base.kernel"
	local rc=$?
	rm -rf "$stage"
	return $rc
}

# vm_prepare: kernel and initramfs, under a lock (tests may run side by
# side).
vm_prepare()
{
	local why
	why=$(vm_usable) || { vm_log "$why"; return 1; }
	mkdir -p "$VM_CACHE" || return 1
	(
		flock -w 300 9 || { vm_log "cache lock busy"; exit 1; }
		vm_kernel && vm_initramfs && echo "$VM_KDIR" >"$VM_OUT/kdir"
	) 9>"$VM_CACHE/.lock" || return 1
	VM_KDIR=$(cat "$VM_OUT/kdir")
}

# --- topology -----------------------------------------------------------

# vm_topo_up: the client namespace with cli0 <-> out, the colo namespace
# with out and the two taps. IPv6 is off in the colo namespace before any
# link exists, so the host never puts a frame on a tap.
vm_topo_up()
{
	local tap i
	topo_down
	ip netns add "$NS_COLO" || return 1
	ip -n "$NS_COLO" link set lo up || return 1
	ip netns exec "$NS_COLO" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null || return 1

	ip netns add "$NS_CLIENT" || return 1
	ip -n "$NS_CLIENT" link set lo up || return 1
	_topo_quiet_ipv6 "$NS_CLIENT" || return 1
	ip -n "$NS_CLIENT" link add "$CLIENT_IF" address "$CLIENT_MAC" \
		type veth peer name "$OUT_IF" netns "$NS_COLO" || return 1
	ip -n "$NS_CLIENT" addr add "$CLIENT_IP4/24" dev "$CLIENT_IF" || return 1
	ip -n "$NS_CLIENT" addr add "$CLIENT_IP6/64" dev "$CLIENT_IF" nodad ||
		return 1
	ip -n "$NS_CLIENT" link set "$CLIENT_IF" up || return 1
	ip -n "$NS_CLIENT" neigh replace "$VM_IP4" lladdr "$VM_MAC" \
		dev "$CLIENT_IF" nud permanent || return 1
	ip -n "$NS_CLIENT" neigh replace "$VM_IP6" lladdr "$VM_MAC" \
		dev "$CLIENT_IF" nud permanent || return 1

	for tap in "$PRI_IF" "$SEC_IF"; do
		ip -n "$NS_COLO" tuntap add dev "$tap" mode tap || return 1
		ip -n "$NS_COLO" link set "$tap" up || return 1
	done
	ip -n "$NS_COLO" link set "$OUT_IF" up || return 1
	for ((i = 0; i < 60; i++)); do
		ip -n "$NS_CLIENT" -o link show dev "$CLIENT_IF" | grep -q 'state UP' &&
			ip -n "$NS_COLO" -o link show dev "$OUT_IF" | grep -q 'state UP' &&
			return 0
		sleep 0.05
	done
	vm_log "links did not come up"
	return 1
}

vm_topo_down()
{
	topo_down
}

# --- guests -------------------------------------------------------------

# vm_offloads: the virtio-net-pci options that make the guest segment its
# own TCP/UDP (see the top of this file). COLO_VM_TSO=on leaves QEMU's
# defaults, for gso-check.
vm_offloads()
{
	[ "${COLO_VM_TSO:-off}" = on ] && return 0
	local o=host_tso4=off,host_tso6=off,host_ecn=off,host_ufo=off
	qemu-system-x86_64 -device virtio-net-pci,help 2>/dev/null |
		grep -q 'host_uso=' && o+=,host_uso=off
	echo ",$o"
}

# vm_start ROLE TAP WWW [KEY=VALUE...]: boots a guest on TAP (in the colo
# namespace) serving the files of directory WWW; KEY=VALUE lines go to its
# /etc/vm.conf (UDP_TAG="...", HTTP_SERVER=busybox). VM_DIR must be set.
# COLO_VM_DUMP=1 adds a QEMU filter-dump of the guest's netdev to
# $VM_DIR/ROLE.pcap (both directions, 160 bytes of each frame): what the
# guest sent, whatever XDP did with it.
vm_start()
{
	local role=$1 tap=$2 www=$3 ov kv dump=()
	shift 3
	[ -n "$VM_DIR" ] && [ -n "$VM_KDIR" ] || {
		vm_log "vm_start: VM_DIR and vm_prepare first"
		return 1
	}
	ov=$VM_DIR/$role.overlay
	rm -rf "$ov"
	mkdir -p "$ov/etc" "$ov/www" || return 1
	{
		echo "VM_ROLE=$role"
		echo "VM_IP4=$VM_IP4"
		echo "VM_IP6=$VM_IP6"
		echo "CLIENT_IP4=$CLIENT_IP4"
		echo "CLIENT_IP6=$CLIENT_IP6"
		echo "CLIENT_MAC=$CLIENT_MAC"
		echo "UDP_PORT=$VM_UDP_PORT"
		echo "UDP_TAG_PORT=$VM_UDP_TAG_PORT"
		echo "HTTP_PORT=$VM_HTTP_PORT"
		for kv in "$@"; do
			printf '%s=%q\n' "${kv%%=*}" "${kv#*=}"
		done
	} >"$ov/etc/vm.conf"
	cp -a "$www"/. "$ov/www/" || return 1
	(cd "$ov" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) \
		>"$VM_DIR/$role.cpio" || return 1
	cat "$VM_OUT/base.cpio.gz" "$VM_DIR/$role.cpio" >"$VM_DIR/$role.initrd" ||
		return 1
	rm -rf "$ov" "$VM_DIR/$role.cpio"

	[ "${COLO_VM_DUMP:-0}" = 1 ] &&
		dump=(-object "filter-dump,id=d0,netdev=n0,file=$VM_DIR/$role.pcap,maxlen=160")
	: >"$VM_DIR/$role.console"
	rm -f "$VM_DIR/$role.pid"
	date +%s%3N >"$VM_DIR/$role.t0"
	timeout -k 5 "$VM_TIMEOUT" ip netns exec "$NS_COLO" \
		qemu-system-x86_64 -name "colo-$role" -accel tcg -cpu max \
		-smp 1 -m "$VM_MEM" -nodefaults -no-user-config -no-reboot \
		-display none -rtc base=utc \
		-kernel "$VM_KDIR/vmlinuz" -initrd "$VM_DIR/$role.initrd" \
		-append "$VM_APPEND" \
		-serial "file:$VM_DIR/$role.console" \
		-pidfile "$VM_DIR/$role.pid" \
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no,vhost=off" \
		-device "virtio-net-pci,netdev=n0,mac=$VM_MAC,romfile=$(vm_offloads)" \
		"${dump[@]}" >"$VM_DIR/$role.qemu.log" 2>&1 &
	VM_PID[$role]=$!
}

# vm_wait_ready ROLE TIMEOUT_S: until the guest says COLO-VM-READY on its
# console; prints the boot time. 1 if it failed, died or took too long.
vm_wait_ready()
{
	local role=$1 deadline=$(($(date +%s%3N) + $2 * 1000)) con
	con=$VM_DIR/$role.console
	while :; do
		if grep -q COLO-VM-READY "$con" 2>/dev/null; then
			VM_BOOT_MS=$(($(date +%s%3N) - $(cat "$VM_DIR/$role.t0")))
			vm_log "$role ready after $VM_BOOT_MS ms ($(grep -o 'uptime=[0-9.]*' "$con") s in the guest)"
			return 0
		fi
		if grep -q COLO-VM-FAILED "$con" 2>/dev/null ||
			! kill -0 "${VM_PID[$role]:-0}" 2>/dev/null; then
			vm_log "$role failed to boot:"
			tail -n 20 "$con" "$VM_DIR/$role.qemu.log" >&2
			return 1
		fi
		[ "$(date +%s%3N)" -lt "$deadline" ] || {
			vm_log "$role not ready after $2 s"
			tail -n 20 "$con" >&2
			return 1
		}
		sleep 0.1
	done
}

# vm_qemu_pid ROLE: the QEMU process (not its timeout wrapper).
vm_qemu_pid()
{
	cat "$VM_DIR/$1.pid" 2>/dev/null
}

# vm_stop ROLE [SIGNAL]: stops a guest (TERM by default; KILL is a crash)
# and waits for it.
vm_stop()
{
	local role=$1 sig=${2:-TERM} pid i
	pid=${VM_PID[$role]:-}
	[ -n "$pid" ] || return 0
	{
		if [ "$sig" = KILL ] && [ -n "$(vm_qemu_pid "$role")" ]; then
			kill -KILL "$(vm_qemu_pid "$role")"
		else
			kill -s "$sig" "$pid"
		fi
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" || break
			sleep 0.1
		done
		# A KILLed timeout would leave its child running.
		if kill -0 "$pid"; then
			[ -n "$(vm_qemu_pid "$role")" ] &&
				kill -KILL "$(vm_qemu_pid "$role")"
			kill -KILL "$pid"
		fi
		wait "$pid"
	} 2>/dev/null
	unset "VM_PID[$role]"
	return 0
}

vm_stop_all()
{
	local role
	for role in "${!VM_PID[@]}"; do
		vm_stop "$role"
	done
}

# vm_boot_twins WWW_PRI WWW_SEC [KEY=VALUE...]: both guests at once (one
# core each), on $PRI_IF and $SEC_IF; KEY=VALUE goes to the secondary only
# (VM_PRI_CONF=(KEY=VALUE...) to the primary). Leaves the boot times in
# VM_BOOT_MS_PRI and VM_BOOT_MS_SEC.
vm_boot_twins()
{
	local wp=$1 ws=$2
	shift 2
	vm_start primary "$PRI_IF" "$wp" "${VM_PRI_CONF[@]}" || return 1
	vm_start secondary "$SEC_IF" "$ws" "$@" || return 1
	vm_wait_ready primary 60 || return 1
	VM_BOOT_MS_PRI=$VM_BOOT_MS
	vm_wait_ready secondary 60 || return 1
	VM_BOOT_MS_SEC=$VM_BOOT_MS
}
VM_PRI_CONF=()

# --- checks run by hand -------------------------------------------------

_vm_cli_cleanup()
{
	vm_stop_all
	vm_topo_down
	[ -n "$VM_DIR" ] && rm -rf "$VM_DIR"
}

# _vm_forward TAP / _vm_unforward TAP: plain tc forwarding between out and
# one tap, in place of colo-xdp.
_vm_forward()
{
	local c="ip netns exec $NS_COLO tc" dev
	for dev in "$OUT_IF" "$1"; do
		$c qdisc replace dev "$dev" clsact || return 1
	done
	$c filter add dev "$OUT_IF" ingress u32 match u32 0 0 \
		action mirred egress redirect dev "$1" &&
		$c filter add dev "$1" ingress u32 match u32 0 0 \
			action mirred egress redirect dev "$OUT_IF"
}

_vm_unforward()
{
	local dev
	for dev in "$OUT_IF" "$1"; do
		ip netns exec "$NS_COLO" tc qdisc del dev "$dev" clsact 2>/dev/null
	done
	return 0
}

# gso-check: the largest frame the primary guest hands its tap while the
# client downloads 4 MB, with the rig's offload settings and with QEMU's
# defaults. Plain tc forwarding, no colo-xdp: tcpdump on a tap sees what
# XDP would get.
_vm_gso_check()
{
	local tso www out max n big huge
	www=$VM_DIR/www
	mkdir -p "$www" && head -c $((4 << 20)) /dev/urandom >"$www/4m.bin"
	for tso in off on; do
		vm_topo_up || return 1
		_vm_forward "$PRI_IF" || return 1
		COLO_VM_TSO=$tso vm_start primary "$PRI_IF" "$www" || return 1
		vm_wait_ready primary 60 || return 1
		# Not -Q in: it misses the GSO frames of a tap.
		ip netns exec "$NS_COLO" timeout 60 tcpdump -i "$PRI_IF" -nn -U --immediate-mode \
			-s 96 -w "$VM_DIR/gso-$tso.pcap" >"$VM_DIR/tcpdump.log" 2>&1 &
		for ((n = 0; n < 100; n++)); do
			grep -qs "listening on" "$VM_DIR/tcpdump.log" && break
			sleep 0.1
		done
		ip netns exec "$NS_CLIENT" timeout 50 curl -sS -o /dev/null -w "curl %{http_code} %{size_download}\n" \
			"http://$VM_IP4:$VM_HTTP_PORT/4m.bin"
		sleep 0.5
		kill -INT $!
		wait $! 2>/dev/null
		# Frame lengths (-e: the first "length N:" is the frame's) of
		# the guest's frames.
		out=$(tcpdump -nn -e -r "$VM_DIR/gso-$tso.pcap" \
			"ether src $VM_MAC" 2>/dev/null | awk '{
				for (i = 1; i < NF; i++)
					if ($i == "length") {
						sub(":", "", $(i + 1))
						print $(i + 1)
						break
					}
			}')
		max=$(sort -n <<<"$out" | tail -n1)
		n=$(grep -c . <<<"$out")
		big=$(awk '$1 > 1514' <<<"$out" | grep -c .)
		huge=$(awk '$1 > 60000' <<<"$out" | grep -c .)
		echo "host offloads $([ $tso = off ] && echo "off (rig)" || echo "QEMU defaults"):" \
			"$n frames from the guest, largest $max bytes, $big over 1514, $huge over 60000"
		vm_stop primary
	done
	vm_topo_down
}

# _vm_colo NAME [COMPARE_TIMEOUT_MS]: colo-xdp run --mirror on the taps,
# with a fake hypervisor that answers each checkpoint request with
# checkpoint-done at once (the guests cannot really be copied here).
_vm_colo()
{
	local name=$1 i bin=${COLO_BIN:-$VM_ROOT/.output/colo-xdp}
	local c="ip netns exec $NS_COLO timeout 10 $bin"
	[ -x "$bin" ] || { vm_log "no $bin: run make"; return 1; }
	ip netns exec "$NS_COLO" timeout 300 "$bin" run --mirror --name "$name" \
		--primary "$PRI_IF" --secondary "$SEC_IF" --out "$OUT_IF" \
		--compare-timeout "${2:-500}" >>"$VM_DIR/daemon.log" 2>&1 &
	VM_PID[daemon]=$!
	for ((i = 0; i < 50; i++)); do
		$c stats --name "$name" --json >/dev/null 2>&1 && break
		sleep 0.1
	done
	(
		for ((i = 0; i < 6000; i++)); do
			$c stats --name "$name" --json 2>/dev/null |
				grep -Eq '"pending": *true' &&
				$c checkpoint-done --name "$name" >/dev/null 2>&1
			sleep 0.05
		done
	) &
	VM_PID[fakehv]=$!
}

_vm_colo_stop()
{
	vm_stop fakehv
	vm_stop daemon
}

# _vm_colo_counts NAME: one line of the counters that matter here.
_vm_colo_counts()
{
	local bin=${COLO_BIN:-$VM_ROOT/.output/colo-xdp}
	ip netns exec "$NS_COLO" timeout 10 "$bin" stats --name "$1" --json |
		/usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)
print("miscompares %d timeouts %d checkpoint_requests %d released %d" % (
    s["miscompares"], s["timeouts"], s["checkpoint_requests"],
    s["released_packets"]))'
}

# date-check: busybox httpd in both twins behind colo-xdp run --mirror:
# 20 requests a quarter of a second apart, each answered by both twins at
# the same moment; how many answers miscompare, and on what.
_vm_date_check()
{
	local www i
	www=$VM_DIR/www
	mkdir -p "$www" && echo hello >"$www/x.txt"
	vm_topo_up || return 1
	VM_PRI_CONF=(HTTP_SERVER=busybox)
	vm_boot_twins "$www" "$www" HTTP_SERVER=busybox || return 1
	_vm_colo vmdate || return 1
	for i in $(seq 1 20); do
		ip netns exec "$NS_CLIENT" curl -sS -m 5 -D - -o /dev/null \
			"http://$VM_IP4:$VM_HTTP_PORT/x.txt" | tr -d '\r' |
			sed -n 's/^Date: /client got Date: /p'
		sleep 0.25
	done
	sleep 1
	echo "colo-xdp: $(_vm_colo_counts vmdate)"
	# "HTTP/1.1 200 OK\r\nDate: Thu, 26 Nov 2026 12:04:3": byte 47 is the
	# last digit of the seconds.
	echo "answers whose Date differed between the twins:" \
		"$(grep -c 'payload differs at byte 47 ' "$VM_DIR/daemon.log") of 20"
	grep -E "Miscompare" "$VM_DIR/daemon.log" | head -n 3
	_vm_colo_stop
	vm_stop_all
	vm_topo_down
}

# close-race: 50 short answers from the twins (tools/vm/http-get) behind
# colo-xdp, without Content-Length (the client closes after the guests'
# FIN), then with it (the client closes as soon as it has the body, racing
# each guest's own close): divergences and checkpoints of each.
_vm_close_race()
{
	local www q i n=${COLO_VM_RACE_N:-50}
	www=$VM_DIR/www
	mkdir -p "$www" && echo "a short answer" >"$www/short.txt"
	vm_topo_up || return 1
	vm_boot_twins "$www" "$www" || return 1
	for q in "" "?length"; do
		_vm_colo "vmrace${q:+len}" 1000 || return 1
		for ((i = 0; i < n; i++)); do
			ip netns exec "$NS_CLIENT" curl -sS -m 10 -o /dev/null \
				"http://$VM_IP4:$VM_HTTP_PORT/short.txt$q"
		done
		sleep 1.5
		echo "$n answers, $([ -n "$q" ] && echo with || echo without) Content-Length:" \
			"$(_vm_colo_counts "vmrace${q:+len}")"
		_vm_colo_stop
		grep -m 4 -E "Divergence|Miscompare" "$VM_DIR/daemon.log"
		: >"$VM_DIR/daemon.log"
	done
	vm_stop_all
	vm_topo_down
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	case "${1:-}" in
	prepare)
		vm_prepare && echo "kernel: $VM_KDIR" &&
			echo "initramfs: $VM_OUT/base.cpio.gz"
		;;
	gso-check | date-check | close-race)
		vm_prepare || exit 1
		VM_DIR=$(mktemp -d /tmp/colo-vm.XXXXXX)
		trap _vm_cli_cleanup EXIT
		trap 'exit 130' INT TERM
		"_vm_${1//-/_}"
		;;
	*)
		echo "usage: $0 prepare|gso-check|date-check|close-race" \
			"(namespaces $COLO_PREFIX-*, env COLO_PREFIX)" >&2
		exit 2
		;;
	esac
fi
