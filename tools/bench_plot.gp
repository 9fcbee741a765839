# SPDX-License-Identifier: GPL-2.0
#
# bench_plot.gp - the plot of `make bench` (tools/bench.sh writes the data).
#
#   gnuplot -e "datafile='plot.dat'; outfile='results.png'; targets='baseline colo'" \
#           tools/bench_plot.gp
#
# datafile columns: size base_mpps colo_mpps base_p50_us base_p99_us
# colo_p50_us colo_p99_us (NaN where a target did not run). Left: released
# Mpps flat out per frame size; right: latency at light load, median as a
# solid bar and p99 as a lighter one, baseline next to colo-xdp.

if (!exists("datafile")) datafile = 'bench/plot.dat'
if (!exists("outfile")) outfile = 'bench/results.png'
if (!exists("targets")) targets = "baseline colo"

set terminal pngcairo size 1200,500 font "sans,10"
set output outfile
set multiplot layout 1,2 title "colo-xdp vs plain AF\\_XDP forwarder (same veths, same input)"

set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top right
set yrange [0:*]
set xlabel "frame size (bytes)"

# Only what ran: a histogram with no valid point is an error.
base = strstrt(targets, "baseline") > 0
colo = strstrt(targets, "colo") > 0

set title "throughput: released frames without loss"
set ylabel "Mpps"
if (base && colo) {
	plot datafile using 2:xtic(1) title "baseline (xsk\\_fwd)" lc rgb "#4e79a7", \
	     '' using 3 title "colo-xdp" lc rgb "#e15759"
} else {
	col = base ? 2 : 3
	plot datafile using col:xtic(1) title (base ? "baseline (xsk\\_fwd)" : "colo-xdp") \
	     lc rgb (base ? "#4e79a7" : "#e15759")
}

set title "latency at light load (10% of the baseline's throughput)"
set logscale y
set key top left
set yrange [1:*]
set ylabel "microseconds"
if (base && colo) {
	plot datafile using 4:xtic(1) title "baseline p50" lc rgb "#4e79a7", \
	     '' using 5 title "baseline p99" lc rgb "#a0cbe8", \
	     '' using 6 title "colo-xdp p50" lc rgb "#e15759", \
	     '' using 7 title "colo-xdp p99" lc rgb "#ff9d9a"
} else {
	col = base ? 4 : 6
	plot datafile using col:xtic(1) title "p50" lc rgb "#4e79a7", \
	     '' using (column(col + 1)) title "p99" lc rgb "#a0cbe8"
}

unset multiplot
