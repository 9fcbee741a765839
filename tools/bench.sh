#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh - `make bench`: colo-xdp against a plain AF_XDP forwarder.
#
# Both run in the same namespaces (tools/topology.sh, prefix "cb"), in the
# same run, with the same input: colo_gen sends every frame to the primary
# AND the secondary VM interface (identical bytes), the forwarder under test
# releases the primary's frames on "out", and colo_gen's sink on the client
# side counts them and measures their latency (send stamp -> sink).
#
#   baseline  tools/xsk_fwd: primary -> out, secondary dropped, no compare
#   colo      colo-xdp run: compare, release matching primary frames
#
# Throughput is the highest offered rate forwarded without loss (at most
# LOSS_MAX lost, and no miscompare), found by bisection with short probes.
# Flat-out overload is no measure for colo-xdp: the XDP redirect drops
# primary and secondary frames independently once a ring is full, the two
# streams no longer pair up, and every mismatch is a miscompare that asks
# for a checkpoint. Latency is measured at 10% of the baseline's throughput,
# without queueing. Each forwarder is started afresh for every run.
#
# Ratios first (colo / baseline), absolute numbers after. Results:
# $COLO_BENCH_OUT (bench/results.json) and a plot next to it (.png). A
# number never fails the benchmark; a tool that fails or a run that
# releases no frame does (exit 1). See bench/README.md.
#
# Environment:
#   COLO_BENCH_SHORT=1       CI: fewer sizes, 1 run each, short probes (< 2 min)
#   COLO_BENCH_OUT=FILE      results JSON (bench/results.json)
#   COLO_BENCH_SIZES="..."   frame sizes (64 512 1500; short: 64 1500)
#   COLO_BENCH_RUNS=N        searches per point, median taken (3; short: 1)
#   COLO_BENCH_DURATION=S    seconds per probe (2; short: 1)
#   COLO_BENCH_STEPS=N       probes after the first one (5; short: 4)
#   COLO_BENCH_LAT_DURATION=S  seconds per latency run (3; short: 2)
#   COLO_BENCH_LOSS_MAX=F    loss a passing probe may have (0.001)
#   COLO_BENCH_FLOWS=N       UDP flows (source ports) (16)
#   COLO_BENCH_XDP_MODE=M    native|skb, for both forwarders (native)
#   COLO_BENCH_TARGETS="..." what to run (baseline colo)
#   COLO_BENCH_GEN_CPU, COLO_BENCH_FWD_CPU, COLO_BENCH_SINK_CPU  CPUs of the
#                            generator (0), the forwarder (1) and the sink
#                            (the forwarder's: the client's receive path
#                            runs there anyway, so waking the sink is local)
#   COLO_BENCH_KEEP=1        keep the per-run logs (path printed at the end)
#   COLO_BENCH_BIN=DIR       where colo-xdp and tools/ are (.output): a
#                            build of another tree, e.g. a released version
#   COLO_PREFIX              namespace prefix (cb)

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUTDIR=${COLO_BENCH_BIN:-$ROOT/.output}
COLO_XDP=$OUTDIR/colo-xdp
GEN=$OUTDIR/tools/colo_gen
FWD=$OUTDIR/tools/xsk_fwd
PY=/usr/bin/python3

export COLO_PREFIX=${COLO_PREFIX:-cb}
SHORT=${COLO_BENCH_SHORT:-0}
RESULTS=${COLO_BENCH_OUT:-$ROOT/bench/results.json}
PLOT=${RESULTS%.json}.png
if [ "$SHORT" = 1 ]; then
	SIZES=${COLO_BENCH_SIZES:-64 1500}
	RUNS=${COLO_BENCH_RUNS:-1}
	SEARCH_DURATION=${COLO_BENCH_DURATION:-1}
	SEARCH_STEPS=${COLO_BENCH_STEPS:-4}
	LAT_DURATION=${COLO_BENCH_LAT_DURATION:-2}
else
	SIZES=${COLO_BENCH_SIZES:-64 512 1500}
	RUNS=${COLO_BENCH_RUNS:-3}
	SEARCH_DURATION=${COLO_BENCH_DURATION:-2}
	SEARCH_STEPS=${COLO_BENCH_STEPS:-5}
	LAT_DURATION=${COLO_BENCH_LAT_DURATION:-3}
fi
FLOWS=${COLO_BENCH_FLOWS:-16}
XDP_MODE=${COLO_BENCH_XDP_MODE:-native}
TARGETS=${COLO_BENCH_TARGETS:-baseline colo}
GEN_CPU=${COLO_BENCH_GEN_CPU:-0}
FWD_CPU=${COLO_BENCH_FWD_CPU:-1}
SINK_CPU=${COLO_BENCH_SINK_CPU:-$FWD_CPU}
LIGHT_FRACTION=0.1
LOSS_MAX=${COLO_BENCH_LOSS_MAX:-0.001}
# A run passes if it lost at most LOSS_MAX of the frames sent and colo-xdp
# saw no miscompare (jq, with $max = LOSS_MAX).
PASS_JQ='((.gen.primary.sent - .sink.unique) / .gen.primary.sent <= $max and
	(.forwarder.miscompares // 0) == 0)'
COLO_NAME=${COLO_PREFIX}bench

# shellcheck source=tools/topology.sh
. "$ROOT/tools/topology.sh"

WORK=$(mktemp -d /tmp/colo-bench.XXXXXX)
RECORDS=$WORK/records.jsonl
FWD_PID=
SINK_PID=

log()
{
	echo "bench: $*" >&2
}

die()
{
	log "FAILED: $*"
	exit 1
}

# Stops what this script started, by pid; leaves the namespaces clean.
cleanup()
{
	local pid
	for pid in $SINK_PID $FWD_PID; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $SINK_PID $FWD_PID; do
		wait "$pid" 2>/dev/null
	done
	TOPO_QUIET=1 topo_down
	[ -n "${COLO_BENCH_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until pid exits, up to $2 seconds; then kills it. Returns its status.
wait_pid()
{
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "pid $pid did not exit in ${secs}s, killing it"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
}

has_xdp()
{
	ip -n "$NS_COLO" link show dev "$1" 2>/dev/null | grep -q 'prog/xdp'
}

# Starts the forwarder under test in the colo namespace, on FWD_CPU.
start_forwarder()
{
	local target=$1 dir=$2 i
	case "$target" in
	baseline)
		ip netns exec "$NS_COLO" taskset -c "$FWD_CPU" "$FWD" --primary "$PRI_IF" \
			--secondary "$SEC_IF" --out "$OUT_IF" \
			--xdp-mode "$XDP_MODE" >"$dir/fwd.out" 2>"$dir/fwd.err" &
		;;
	colo)
		ip netns exec "$NS_COLO" taskset -c "$FWD_CPU" "$COLO_XDP" run \
			--primary "$PRI_IF" --secondary "$SEC_IF" \
			--out "$OUT_IF" --name "$COLO_NAME" \
			--xdp-mode "$XDP_MODE" >"$dir/fwd.out" 2>"$dir/fwd.err" &
		;;
	esac
	FWD_PID=$!
	# Ready: both inputs have a program and the sockets are up.
	for ((i = 0; i < 100; i++)); do
		kill -0 "$FWD_PID" 2>/dev/null || break
		if has_xdp "$PRI_IF" && has_xdp "$SEC_IF"; then
			case "$target" in
			baseline) grep -q ready "$dir/fwd.err" && break ;;
			colo) "$COLO_XDP" stats --name "$COLO_NAME" --json \
				>/dev/null 2>&1 && break ;;
			esac
		fi
		sleep 0.05
	done
	if ! kill -0 "$FWD_PID" 2>/dev/null || [ "$i" -ge 100 ]; then
		tail -20 "$dir/fwd.err" >&2
		die "$target did not start"
	fi
	sleep 0.3
}

stop_forwarder()
{
	local target=$1 dir=$2 rc
	if [ "$target" = colo ]; then
		"$COLO_XDP" stats --name "$COLO_NAME" --json >"$dir/fwd.out" \
			2>>"$dir/fwd.err" || log "colo-xdp stats failed"
	fi
	kill -TERM "$FWD_PID" 2>/dev/null
	wait_pid "$FWD_PID" 10
	rc=$?
	FWD_PID=
	if [ "$rc" -ne 0 ]; then
		tail -20 "$dir/fwd.err" >&2
		die "$target exited with status $rc"
	fi
	# Nothing may stay attached for the next run.
	for ((rc = 0; rc < 40; rc++)); do
		has_xdp "$PRI_IF" || has_xdp "$SEC_IF" || return 0
		sleep 0.05
	done
	die "$target left an XDP program attached"
}

# run_one TARGET SIZE RATE DURATION KIND RUN: one measurement, one record
# appended to $RECORDS. Sets TRIAL_PASS: 1 if the run lost at most
# LOSS_MAX of the frames sent and colo-xdp saw no miscompare.
run_one()
{
	local target=$1 size=$2 rate=$3 dur=$4 kind=$5 run=$6
	local dir=$WORK/$kind-$size-$target-$run rc i last
	mkdir -p "$dir"

	start_forwarder "$target" "$dir"

	ip netns exec "$NS_CLIENT" taskset -c "$SINK_CPU" "$GEN" sink \
		--dev "$CLIENT_IF" --duration $((${dur%.*} + 20)) --idle 0.5 \
		>"$dir/sink.out" 2>"$dir/sink.err" &
	SINK_PID=$!
	for ((i = 0; i < 100; i++)); do
		grep -q ready "$dir/sink.err" 2>/dev/null && break
		kill -0 "$SINK_PID" 2>/dev/null || break
		sleep 0.02
	done

	taskset -c "$GEN_CPU" "$GEN" send --pri-ns "$NS_PRIMARY" \
		--pri-dev "$VM_IF" --sec-ns "$NS_SECONDARY" --sec-dev "$VM_IF" \
		--dst-mac "$CLIENT_MAC" --size "$size" --flows "$FLOWS" \
		--rate "$rate" --duration "$dur" >"$dir/gen.out" 2>"$dir/gen.err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -20 "$dir/gen.err" >&2
		die "colo_gen send exited with status $rc"
	fi

	# The sink stops 0.5 s after the last frame.
	wait_pid "$SINK_PID" 30
	rc=$?
	SINK_PID=
	if [ "$rc" -ne 0 ]; then
		tail -20 "$dir/sink.err" >&2
		die "colo_gen sink exited with status $rc"
	fi

	stop_forwarder "$target" "$dir"

	"$PY" - "$dir" "$target" "$size" "$rate" "$kind" "$run" \
		>>"$RECORDS" <<'EOF' || die "bad output of a tool in $dir"
import json, sys
d, target, size, rate, kind, run = sys.argv[1:]
def load(name):
    with open(f"{d}/{name}") as f:
        text = f.read().strip()
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(text.splitlines()[-1])
rec = {"target": target, "size": int(size), "rate": float(rate),
       "kind": kind, "run": run, "gen": load("gen.out"),
       "sink": load("sink.out"), "forwarder": load("fwd.out")}
print(json.dumps(rec))
EOF
	last=$(tail -1 "$RECORDS")
	[ "$(jq -r '.sink.frames // 0' <<<"$last")" -gt 0 ] ||
		die "$target released no frame ($kind, size $size, rate $rate)"
	TRIAL_PASS=$(jq -r --argjson max "$LOSS_MAX" \
		"if $PASS_JQ then 1 else 0 end" <<<"$last")
	log "$(jq -r '"\(.kind) \(.target) \(.size)B rate \(.rate|floor):" +
		" released \(.sink.pps|floor) pps, sent \(.gen.pps|floor)/side," +
		" lost \(.gen.primary.sent - .sink.unique)," +
		" p50 \(.sink.latency_ns.p50/1000) us," +
		" p99 \(.sink.latency_ns.p99/1000) us" +
		(if .forwarder.miscompares then
			", miscompares \(.forwarder.miscompares)" else "" end)
		' <<<"$last") $([ "$TRIAL_PASS" = 1 ] && echo ok || echo LOSS)"
}

# search TARGET SIZE RUN GUESS CAP: the highest offered rate (pps per side,
# at most CAP) that TARGET forwards without loss. Steps of 25% from GUESS
# until the rate is bracketed, then bisection down to 2%. A failed probe
# is run once more and the second one decides: a loss may be a hiccup of
# this shared machine (another process on a CPU for a few ms). Appends a
# "throughput" record: a copy of the passing probe that released the most
# frames per second, with the probes tried; "generator_bound" if no probe
# failed (the generator never found the forwarder's limit). Sets
# FOUND_RATE, the highest passing offered rate (0 if none passed).
search()
{
	local target=$1 size=$2 run=$3 rate=$4 cap=$5
	local lo=0 hi=$cap step best probes tried=() first
	first=$(($(wc -l <"$RECORDS") + 1))
	[ "$rate" -gt 0 ] && [ "$rate" -le "$cap" ] || rate=$((cap / 2))
	for ((step = 0; step <= SEARCH_STEPS; step++)); do
		run_one "$target" "$size" "$rate" "$SEARCH_DURATION" probe \
			"$run.$step"
		if [ "$TRIAL_PASS" = 0 ]; then
			run_one "$target" "$size" "$rate" "$SEARCH_DURATION" \
				probe "$run.${step}r"
		fi
		tried+=("[$rate,$TRIAL_PASS]")
		if [ "$TRIAL_PASS" = 1 ]; then
			lo=$rate
		else
			hi=$rate
		fi
		[ "$lo" -lt "$cap" ] || break
		[ $((hi - lo)) -gt $((hi / 50)) ] || break
		if [ "$lo" -eq 0 ]; then
			rate=$((hi * 4 / 5))
		elif [ "$hi" -eq "$cap" ]; then
			rate=$((lo * 5 / 4))
			[ "$rate" -le "$cap" ] || rate=$cap
		else
			rate=$(((lo + hi) / 2))
		fi
	done
	FOUND_RATE=$lo
	probes=$(IFS=,; echo "[${tried[*]}]")
	# A generator slowed by other work may release less at a higher
	# rate: the best probe is the one that released the most.
	best=$(tail -n +"$first" "$RECORDS" | jq -s -c --argjson max "$LOSS_MAX" \
		"[.[] | select($PASS_JQ)] | max_by(.sink.pps) // empty")
	if [ -z "$best" ]; then
		tail -1 "$RECORDS" | jq -c --argjson p "$probes" \
			'.kind = "throughput" | .search = $p | .passed = false |
			.sink.pps = 0' >>"$RECORDS"
	else
		jq -c --argjson p "$probes" \
			'.kind = "throughput" | .search = $p | .passed = true |
			.generator_bound = (.search | all(.[1] == 1))
			' <<<"$best" >>"$RECORDS"
	fi
	log "$(tail -1 "$RECORDS" | jq -r '"throughput \(.target) \(.size)B" +
		" run \(.run | split(".")[0]): \(.sink.pps | floor) pps" +
		(if .passed then " released without loss" +
			(if .generator_bound then " (generator-bound)" else "" end)
		 else ": lost frames at every rate tried" end)')"
}

# median_of JQ_CONDITION JQ_FIELD: median (floored) over matching records.
median_of()
{
	jq -s "[.[] | select($1) | $2] | sort |
		if length == 0 then 0 else .[(length - 1) / 2 | floor] end |
		floor" "$RECORDS"
}

main()
{
	local size run target rate cap flat base
	[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, XDP)"
	for target in $TARGETS; do
		case "$target" in
		baseline) [ -x "$FWD" ] || die "$FWD not built (make)" ;;
		colo) [ -x "$COLO_XDP" ] || die "$COLO_XDP not built (make)" ;;
		*) die "unknown target $target" ;;
		esac
	done
	[ -x "$GEN" ] || die "$GEN not built (make)"
	command -v jq >/dev/null || die "jq is missing"
	mkdir -p "$(dirname "$RESULTS")" ||
		die "cannot create $(dirname "$RESULTS")"
	: >"$RECORDS"

	# Two CPUs: anything else running shows in the numbers.
	local load
	read -r load _ </proc/loadavg
	if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
		log "warning: load average $load: other processes share the" \
			"2 CPUs, expect noisy numbers"
	fi

	TOPO_QUIET=1 topo_up || die "topology"
	log "sizes: $SIZES; runs: $RUNS; probes of ${SEARCH_DURATION}s," \
		"at most $((SEARCH_STEPS + 1)); latency ${LAT_DURATION}s;" \
		"flows: $FLOWS; XDP $XDP_MODE;" \
		"CPUs: gen $GEN_CPU, forwarder $FWD_CPU, sink $SINK_CPU"

	for size in $SIZES; do
		for ((run = 1; run <= RUNS; run++)); do
			# Flat out through the baseline: the generator's limit
			# (the search's ceiling, +10% as it may have been slowed)
			# and what an overloaded baseline releases.
			run_one baseline "$size" 0 "$SEARCH_DURATION" flat "$run"
			cap=$(tail -1 "$RECORDS" | jq '.gen.pps * 1.1 | floor')
			flat=$(tail -1 "$RECORDS" | jq '.sink.pps | floor')
			base=$flat
			for target in $TARGETS; do
				search "$target" "$size" "$run" "$base" "$cap"
				# colo-xdp starts where the baseline ended.
				if [ "$target" = baseline ] &&
					[ "$FOUND_RATE" -gt 0 ]; then
					base=$FOUND_RATE
				fi
			done
		done
		base=$(median_of ".kind == \"throughput\" and
			.target == \"baseline\" and .size == $size" .sink.pps)
		[ "$base" -gt 0 ] || base=$flat
		rate=$(awk -v b="$base" -v f="$LIGHT_FRACTION" \
			'BEGIN { r = b * f; if (r < 1000) r = 1000; printf "%d", r }')
		for ((run = 1; run <= RUNS; run++)); do
			for target in $TARGETS; do
				run_one "$target" "$size" "$rate" "$LAT_DURATION" \
					latency "$run"
			done
		done
	done

	report
}

# Aggregates the records: the table on stdout, JSON and plot to files.
report()
{
	local dat=$WORK/plot.dat
	"$PY" - "$RECORDS" "$RESULTS" "$dat" "$XDP_MODE" "$FLOWS" "$RUNS" \
		"$SEARCH_DURATION" "$LAT_DURATION" "$LOSS_MAX" <<'EOF' || die "report"
import json, os, statistics, sys, time

recs_f, out_f, dat_f, mode, flows, runs, dur, lat_dur, loss_max = sys.argv[1:]
recs = [json.loads(l) for l in open(recs_f) if l.strip()]


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def select(target, size, kind):
    return [r for r in recs if r["target"] == target and r["size"] == size
            and r["kind"] == kind]


def point(target, size, kind):
    rs = select(target, size, kind)
    if not rs:
        return None
    lat = lambda k: med([r["sink"]["latency_ns"][k] for r in rs])
    p = {"runs": len(rs),
         "offered_pps": med([r["rate"] for r in rs]),
         "pps": med([r["sink"]["pps"] for r in rs]),
         "gbps": med([r["sink"]["mbps"] / 1000 for r in rs]),
         "all_pps": [r["sink"]["pps"] for r in rs],
         "lost": med([r["gen"]["primary"]["sent"] - r["sink"]["unique"]
                      for r in rs]),
         "p50_ns": lat("p50"), "p90_ns": lat("p90"), "p99_ns": lat("p99"),
         "max_ns": lat("max")}
    if kind == "throughput":
        p["passed"] = all(r.get("passed") for r in rs)
        p["generator_bound"] = any(r.get("generator_bound") for r in rs)
        p["probes"] = [r.get("search") for r in rs]
    if target == "colo":
        fw = [r["forwarder"] for r in rs]
        for k in ("miscompares", "released_packets", "dropped_packets",
                  "checkpoint_requests"):
            p[k] = med([f.get(k) for f in fw
                        if isinstance(f.get(k), (int, float))])
    return p


def ratio(a, b):
    return a / b if a is not None and b else None


sizes = sorted({r["size"] for r in recs})
targets = sorted({r["target"] for r in recs})
results = []
for s in sizes:
    e = {"size": s}
    flat = point("baseline", s, "flat")
    if flat:
        e["baseline_flat_out"] = {"sent_pps": flat and med(
            [r["gen"]["pps"] for r in select("baseline", s, "flat")]),
            "released_pps": flat["pps"], "lost": flat["lost"]}
    for t in targets:
        e[t] = {"throughput": point(t, s, "throughput"),
                "latency": point(t, s, "latency")}
    b, c = e.get("baseline"), e.get("colo")
    if b and c:
        bt, ct = b["throughput"], c["throughput"]
        bl, cl = b["latency"], c["latency"]
        e["ratio"] = {
            "throughput": ratio(ct and ct["pps"], bt and bt["pps"]),
            "latency_p50": ratio(cl and cl["p50_ns"], bl and bl["p50_ns"]),
            "latency_p99": ratio(cl and cl["p99_ns"], bl and bl["p99_ns"]),
        }
        e["added_latency_ns"] = {
            k: (cl[k + "_ns"] - bl[k + "_ns"]) if cl and bl else None
            for k in ("p50", "p99")}
    results.append(e)

doc = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
       "host": {"kernel": os.uname().release, "cpus": os.cpu_count()},
       "settings": {"xdp_mode": mode, "flows": int(flows), "runs": int(runs),
                    "probe_s": float(dur), "latency_s": float(lat_dur),
                    "loss_max": float(loss_max),
                    "throughput": "highest offered pps (per side) with loss "
                                  "<= loss_max and no miscompare",
                    "light_load": "10% of the baseline's throughput"},
       "results": results, "runs": recs}
with open(out_f, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")


def fx(v, fmt="%.2f"):
    return fmt % v if v is not None else "-"


def us(ns):
    return "%+.1f" % (ns / 1000) if ns is not None else "-"


def uabs(ns):
    return "%.1f" % (ns / 1000) if ns is not None else "-"


def get(e, t, k, f):
    x = (e.get(t) or {}).get(k)
    return x.get(f) if x else None


def mpps(e, t):
    p = get(e, t, "throughput", "pps")
    if p is None:
        return "-"
    mark = "*" if get(e, t, "throughput", "generator_bound") else ""
    mark += "!" if get(e, t, "throughput", "passed") is False else ""
    return "%.3f%s" % (p / 1e6, mark)


print()
print(f"colo-xdp vs plain AF_XDP forwarder (xsk_fwd): veth, XDP {mode}, "
      f"copy mode, {flows} flows, median of {runs}")
print()
print("ratios (colo-xdp / baseline)")
print("%6s %11s %9s %9s %13s %13s" % ("size", "throughput", "lat p50",
                                       "lat p99", "added p50 us",
                                       "added p99 us"))
for e in results:
    r, a = e.get("ratio", {}), e.get("added_latency_ns", {})
    print("%6d %11s %9s %9s %13s %13s" % (
        e["size"], fx(r.get("throughput")), fx(r.get("latency_p50")),
        fx(r.get("latency_p99")), us(a.get("p50")), us(a.get("p99"))))
print()
print("absolute: throughput = released Mpps without loss; latency (us) at "
      "light load")
print("%6s %10s %10s %10s %9s %9s %9s %9s %11s" % (
    "size", "base Mpps", "colo Mpps", "load pps", "base p50", "base p99",
    "colo p50", "colo p99", "miscompare"))
for e in results:
    load = get(e, "baseline", "latency", "offered_pps") or \
        get(e, "colo", "latency", "offered_pps")
    print("%6d %10s %10s %10s %9s %9s %9s %9s %11s" % (
        e["size"], mpps(e, "baseline"), mpps(e, "colo"), fx(load, "%.0f"),
        uabs(get(e, "baseline", "latency", "p50_ns")),
        uabs(get(e, "baseline", "latency", "p99_ns")),
        uabs(get(e, "colo", "latency", "p50_ns")),
        uabs(get(e, "colo", "latency", "p99_ns")),
        fx(get(e, "colo", "throughput", "miscompares"), "%.0f")))
print("  * = the generator's limit, the forwarder may do more;"
      " ! = lost frames even at the lowest rate tried")
for e in results:
    f = e.get("baseline_flat_out")
    if f:
        print("  %dB flat out: sent %.3f Mpps/side, baseline released "
              "%.3f Mpps" % (e["size"], (f["sent_pps"] or 0) / 1e6,
                             (f["released_pps"] or 0) / 1e6))
print()
print(f"results: {out_f}")

with open(dat_f, "w") as f:
    f.write("# size base_mpps colo_mpps base_p50_us base_p99_us "
            "colo_p50_us colo_p99_us\n")
    for e in results:
        vals = [get(e, "baseline", "throughput", "pps"),
                get(e, "colo", "throughput", "pps"),
                get(e, "baseline", "latency", "p50_ns"),
                get(e, "baseline", "latency", "p99_ns"),
                get(e, "colo", "latency", "p50_ns"),
                get(e, "colo", "latency", "p99_ns")]
        scale = [1e6, 1e6, 1e3, 1e3, 1e3, 1e3]
        f.write("%d %s\n" % (e["size"], " ".join(
            "%.6f" % (v / k) if v is not None else "NaN"
            for v, k in zip(vals, scale))))
EOF
	if command -v gnuplot >/dev/null; then
		if gnuplot -e "datafile='$dat'; outfile='$PLOT'; targets='$TARGETS'" \
			"$ROOT/tools/bench_plot.gp" 2>"$WORK/gnuplot.err"; then
			echo "plot: $PLOT"
		else
			log "gnuplot failed (no plot): $(head -3 "$WORK/gnuplot.err")"
		fi
	else
		log "gnuplot not installed: no plot"
	fi
	[ -z "${COLO_BENCH_KEEP:-}" ] || echo "logs: $WORK"
}

main "$@"; exit $?
