#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs the Debian 12 packages colo-xdp needs to build, test, demo and
# benchmark, if any is missing. Run as root.
set -euo pipefail

pkgs=(
	clang llvm libbpf-dev libxdp-dev bpftool libelf-dev zlib1g-dev
	libjson-c-dev libpcap-dev liburing-dev pkg-config make gcc
	iproute2 ethtool iputils-ping curl iperf3 socat tcpdump
	python3 python3-scapy gnuplot-nox xdp-tools procps jq
	qemu-system-x86 busybox-static cpio valgrind
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} packages present"
	exit 0
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
