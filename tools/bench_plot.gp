# SPDX-License-Identifier: GPL-2.0
#
# bench_plot.gp - the plot of `make bench` (tools/bench.sh writes the data).
#
#   gnuplot -e "tputfile='tput.dat'; lightfile='lat_light.dat'; \
#               heavyfile='lat_heavy.dat'; outfile='results.png'; \
#               tputcols=6; latcols=9" tools/bench_plot.gp
#
# tput.dat: a header of quoted series titles, then one row per frame size:
# the size and, per series (target and flow count), the Mpps released
# without loss (NaN where it did not run). lat_*.dat: the same layout with
# two columns per series, p50 and p99 in microseconds. tputcolors and
# latcolors: one colour per series, space-separated. Left: throughput
# against frame size; middle and right: latency at light and heavy load,
# p50 solid, p99 dashed in the same colour.

if (!exists("tputfile")) tputfile = 'tput.dat'
if (!exists("lightfile")) lightfile = 'lat_light.dat'
if (!exists("heavyfile")) heavyfile = 'lat_heavy.dat'
if (!exists("outfile")) outfile = 'results.png'
if (!exists("tputcols")) tputcols = 2
if (!exists("latcols")) latcols = 3
# One colour per series, the same in all three panels (bench.sh picks them
# by target: blue AF_XDP, green Linux, reds colo-xdp).
if (!exists("tputcolors")) tputcolors = "#4e79a7 #59a14f #e15759 #f28e2b #b07aa1 #9c755f"
if (!exists("latcolors")) latcolors = tputcolors

set terminal pngcairo size 1650,640 font "sans,10" noenhanced
set output outfile
set multiplot layout 1,3 title \
	"colo-xdp vs AF_XDP forwarder and Linux bridge (same veths, same input, same run)"

set grid
set key outside below font ",9" maxrows 4
set xlabel "frame size (bytes)"
set xrange [0:1600]
set xtics (64, 512, 1024, 1500)
set style data linespoints
set pointsize 1.2

set title "throughput: released frames/s without loss"
set ylabel "Mpps"
set yrange [0:*]
plot for [i=2:tputcols] tputfile using 1:i title columnheader(i) \
	lw 2 pt 7 lc rgb word(tputcolors, i - 1)

# Latency spans microseconds to milliseconds: log scale.
set logscale y
set yrange [*:*]
set ylabel "microseconds (p50 solid, p99 dashed)"
do for [f in "light heavy"] {
	file = (f eq "light") ? lightfile : heavyfile
	set title sprintf("latency at %s load (%s of the AF_XDP forwarder's throughput)", \
		f, (f eq "light") ? "10%" : "50%")
	if (latcols > 1) {
		plot for [i=2:latcols:2] file using 1:i title columnheader(i) \
			lw 2 pt 7 lc rgb word(latcolors, i / 2) dt 1, \
		     for [i=3:latcols:2] file using 1:i title columnheader(i) \
			lw 2 pt 6 lc rgb word(latcolors, (i - 1) / 2) dt 2
	}
}

unset multiplot
