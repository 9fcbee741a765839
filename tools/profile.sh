#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# profile.sh - instructions per released frame in the comparator, counted
# by callgrind (repeatable whatever the machine's load), and where they go.
#
#   tools/profile.sh [OUT_FILE]      (default bench/profile.txt)
#
# Each case runs cmp_bench twice, with N1 and N2 frames; the difference of
# the two totals divided by N2 - N1 is the cost per released frame, without
# the set-up. Both primary and secondary input are included: one released
# frame costs one primary and one secondary frame through the comparator.
# The kernel side (XDP program, AF_XDP copy, TX) is not in these figures.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-bench/profile.txt}
bin=.output/tools/cmp_bench
[ -x "$bin" ] || make --no-print-directory "$bin"
command -v valgrind >/dev/null || { echo "profile: valgrind missing" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n1=20000
n2=120000

total_ir()
{
	valgrind --tool=callgrind --callgrind-out-file="$1" "$bin" "${@:2}" >/dev/null 2>&1
	callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ && !done { gsub(",", "", $1); print $1; done = 1 }'
}

{
	echo "# instructions per released frame (callgrind), comparator only"
	printf '%-6s %-7s %12s   %s\n' size flows "instr/frame" "top functions (share of the difference run)"
	for size in 64 1500; do
		for flows in 1 100000; do
			a=$(total_ir "$tmp/a.out" --size "$size" --flows "$flows" --frames $n1)
			b=$(total_ir "$tmp/b.out" --size "$size" --flows "$flows" --frames $n2)
			per=$(( (b - a) / (n2 - n1) ))
			top=$(callgrind_annotate "$tmp/b.out" 2>/dev/null |
				awk 'match($0, /\( *[0-9.]+%\)/) && !/PROGRAM TOTALS/ {
					pct = substr($0, RSTART + 1, RLENGTH - 2); gsub(/ /, "", pct);
					fn = $0; sub(/ \[.*/, "", fn); sub(/.*:/, "", fn);
					if (n++ < 6) printf "%s %s, ", fn, pct }')
			printf '%-6s %-7s %12s   %s\n' "$size" "$flows" "$per" "${top%, }"
		done
	done
	echo
	echo "# Shares are of the whole longer run, set-up included (frame_* build the"
	echo "# test frames). With 100000 flows the harness re-parses each frame"
	echo "# (colo_parse, shown as main), standing for the XDP program's work."
	echo "# csum_add + csum_fix_l4 is the L4 checksum every released frame gets."
} | tee "$out"
