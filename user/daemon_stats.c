// SPDX-License-Identifier: GPL-2.0
/*
 * daemon_stats.c - the instance's counters as one JSON object: the BPF
 * programs' per-CPU counters, each socket's XDP_STATISTICS, the
 * comparator's and the daemon's own. Field names are an interface
 * (tests and operators' scripts read them): add, don't rename.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "colo_shared.h"
#include "colo.skel.h"
#include "daemon.h"
#include "hook.h"
#include "notify.h"
#include "pcap_log.h"

static const char *const parse_err_names[COLO_PARSE__MAX] = {
	[COLO_PARSE_OK] = "ok",
	[COLO_PARSE_ERR_ETH_TRUNC] = "eth_trunc",
	[COLO_PARSE_ERR_VLAN_TRUNC] = "vlan_trunc",
	[COLO_PARSE_ERR_VLAN_DEPTH] = "vlan_depth",
	[COLO_PARSE_ERR_IP4_TRUNC] = "ip4_trunc",
	[COLO_PARSE_ERR_IP4_IHL] = "ip4_ihl",
	[COLO_PARSE_ERR_IP4_LEN] = "ip4_len",
	[COLO_PARSE_ERR_IP6_TRUNC] = "ip6_trunc",
	[COLO_PARSE_ERR_IP6_LEN] = "ip6_len",
	[COLO_PARSE_ERR_IP6_EXTHDR] = "ip6_exthdr",
	[COLO_PARSE_ERR_L4_TRUNC] = "l4_trunc",
	[COLO_PARSE_ERR_TCP_DOFF] = "tcp_doff",
	[COLO_PARSE_ERR_IP_VERSION] = "ip_version",
};

int daemon_bpf_counter(struct daemon *d, __u32 key, struct colo_datarec *sum)
{
	int ncpus = libbpf_num_possible_cpus(), cpu, err = 0;
	struct colo_datarec *vals;

	memset(sum, 0, sizeof(*sum));
	if (ncpus <= 0)
		return -EINVAL;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(d->skel->maps.colo_stats), &key, vals)) {
		err = -errno;
	} else {
		for (cpu = 0; cpu < ncpus; cpu++) {
			sum->packets += vals[cpu].packets;
			sum->bytes += vals[cpu].bytes;
		}
	}
	free(vals);
	return err;
}

/* Every counter of the colo_stats array (0 where unreadable). */
static void read_bpf_counters(struct daemon *d, struct colo_datarec *out)
{
	__u32 key;

	for (key = 0; key < COLO_CNT__MAX; key++)
		daemon_bpf_counter(d, key, &out[key]);
}

static void add_u64(struct json_object *o, const char *k, __u64 v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

/* JSON keys use '_' where the comparator's reason names use '-'. */
static void add_u64_key(struct json_object *o, const char *name, __u64 v)
{
	char key[32];
	size_t i;

	snprintf(key, sizeof(key), "%s", name);
	for (i = 0; key[i]; i++)
		if (key[i] == '-')
			key[i] = '_';
	add_u64(o, key, v);
}

/* XDP_STATISTICS and app counters summed over the ports of one kind. */
static struct json_object *ports_json(struct daemon *d, enum port_kind kind)
{
	struct json_object *o = json_object_new_object();
	struct xdp_statistics sum = {}, st;
	struct port_stats app = {};
	int i, n = kind == PORT_OUT ? 1 : d->nr_rx_ports;

	for (i = 0; i < n; i++) {
		struct xsk_port *p = kind == PORT_OUT ? &d->out : &d->rx_ports[i];

		if (p->kind != kind || port_xdp_stats(p, &st))
			continue;
		sum.rx_dropped += st.rx_dropped;
		sum.rx_invalid_descs += st.rx_invalid_descs;
		sum.tx_invalid_descs += st.tx_invalid_descs;
		sum.rx_ring_full += st.rx_ring_full;
		sum.rx_fill_ring_empty_descs += st.rx_fill_ring_empty_descs;
		sum.tx_ring_empty_descs += st.tx_ring_empty_descs;
		app.rx_packets += p->st.rx_packets;
		app.rx_empty_polls += p->st.rx_empty_polls;
		app.fill_fail_polls += p->st.fill_fail_polls;
		app.tx_packets += p->st.tx_packets;
		app.tx_bytes += p->st.tx_bytes;
		app.tx_wakeup_sendtos += p->st.tx_wakeup_sendtos;
		app.tx_kick_errors += p->st.tx_kick_errors;
	}
	if (kind == PORT_OUT) {
		add_u64(o, "tx_completed", app.tx_packets);
		add_u64(o, "tx_bytes", app.tx_bytes);
		add_u64(o, "tx_invalid_descs", sum.tx_invalid_descs);
		add_u64(o, "tx_ring_empty_descs", sum.tx_ring_empty_descs);
		add_u64(o, "tx_wakeup_sendtos", app.tx_wakeup_sendtos);
		add_u64(o, "tx_kick_errors", app.tx_kick_errors);
	} else {
		add_u64(o, "rx_packets", app.rx_packets);
		add_u64(o, "rx_dropped", sum.rx_dropped);
		add_u64(o, "rx_invalid_descs", sum.rx_invalid_descs);
		add_u64(o, "rx_ring_full", sum.rx_ring_full);
		add_u64(o, "rx_fill_ring_empty_descs",
			sum.rx_fill_ring_empty_descs);
		add_u64(o, "rx_empty_polls", app.rx_empty_polls);
		add_u64(o, "fill_fail_polls", app.fill_fail_polls);
	}
	return o;
}

/*
 * count, mean and percentiles of a latency histogram, in nanoseconds; with
 * buckets, its non-empty buckets as [value, count] pairs too, so that a
 * reader can take the difference of two snapshots (the benchmark does).
 */
static struct json_object *hist_json(const struct lat_hist *h, bool buckets)
{
	static const struct { const char *key; double pct; } pcts[] = {
		{ "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p999", 99.9 },
	};
	struct json_object *o = json_object_new_object();
	size_t i;

	add_u64(o, "count", h->n);
	add_u64(o, "mean", h->n ? h->sum / h->n : 0);
	for (i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		add_u64(o, pcts[i].key, lat_hist_pct(h, pcts[i].pct));
	add_u64(o, "max", h->max);
	if (buckets) {
		struct json_object *b = json_object_new_array();
		unsigned int idx;

		for (idx = 0; idx < LAT_HIST_BUCKETS; idx++) {
			struct json_object *pair;

			if (!h->b[idx])
				continue;
			pair = json_object_new_array();
			json_object_array_add(pair, json_object_new_uint64(lat_hist_value(idx)));
			json_object_array_add(pair, json_object_new_uint64(h->b[idx]));
			json_object_array_add(b, pair);
		}
		json_object_object_add(o, "buckets", b);
	}
	return o;
}

/*
 * Arrival of a primary frame in XDP to its transmission on out: what
 * colo-xdp adds to the guest's output, waiting for the secondary included.
 */
static struct json_object *release_latency_json(const struct release_lat *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "last_second",
			       hist_json(release_lat_last(r), false));
	json_object_object_add(o, "total", hist_json(&r->total, true));
	return o;
}

static struct json_object *side_json(struct daemon *d, enum colo_role role,
				     const struct colo_datarec *bc,
				     const struct cmp_stats *cs)
{
	bool pri = role == COLO_ROLE_PRIMARY;
	struct json_object *o = json_object_new_object();

	/* Frames the XDP program saw on the interface. */
	add_u64(o, "rx_packets", bc[pri ? COLO_CNT_PRI_RX : COLO_CNT_SEC_RX].packets);
	add_u64(o, "rx_bytes", bc[pri ? COLO_CNT_PRI_RX : COLO_CNT_SEC_RX].bytes);
	add_u64(o, "to_daemon", bc[pri ? COLO_CNT_PRI_TO_XSK : COLO_CNT_SEC_TO_XSK].packets);
	add_u64(o, "compared_in", cs->rx_packets[role]);
	add_u64(o, "malformed", bc[pri ? COLO_CNT_PRI_MALFORMED : COLO_CNT_SEC_MALFORMED].packets);
	add_u64(o, "oversize", bc[pri ? COLO_CNT_PRI_OVERSIZE : COLO_CNT_SEC_OVERSIZE].packets);
	if (pri) {
		add_u64(o, "fail_open", bc[COLO_CNT_PRI_FAIL_OPEN].packets);
		add_u64(o, "fail_closed", bc[COLO_CNT_PRI_FAIL_CLOSED].packets);
		add_u64(o, "fail_open_forwarded", bc[COLO_CNT_FAILOPEN_FWD].packets);
	} else {
		add_u64(o, "no_socket_dropped", bc[COLO_CNT_SEC_NO_XSK].packets);
	}
	add_u64(o, "held", cs->held[role]);
	json_object_object_add(o, "xsk", ports_json(d, (enum port_kind)role));
	return o;
}

struct json_object *daemon_stats_json(struct daemon *d)
{
	struct json_object *o = json_object_new_object(), *drops, *perr, *ck;
	struct colo_datarec bc[COLO_CNT__MAX];
	struct cmp_stats cs;
	__u64 dropped = 0;
	int i;

	read_bpf_counters(d, bc);
	cmp_get_stats(d->cmp, &cs);

	json_object_object_add(o, "name", json_object_new_string(d->o->name));
	add_u64(o, "uptime_ms", (now_ns() - d->start_ns) / 1000000ULL);
	json_object_object_add(o, "primary", side_json(d, COLO_ROLE_PRIMARY, bc, &cs));
	json_object_object_add(o, "secondary", side_json(d, COLO_ROLE_SECONDARY, bc, &cs));
	json_object_object_add(o, "out", ports_json(d, PORT_OUT));

	add_u64(o, "released_packets", cs.released_packets);
	add_u64(o, "released_bytes", cs.released_bytes);
	add_u64(o, "passed_non_ip", cs.passed_non_ip);
	add_u64(o, "csum_fixed", cs.csum_fixed);
	add_u64(o, "windows_clamped", cs.windows_clamped);
	json_object_object_add(o, "release_latency_ns",
			       release_latency_json(&d->rel_lat));

	/*
	 * dropped_packets: frames thrown away for a reason other than being
	 * consumed by a successful comparison.
	 */
	drops = json_object_new_object();
	for (i = 0; i < CMP_DROP__MAX; i++) {
		add_u64_key(drops, cmp_drop_str(i), cs.dropped[i]);
		if (i != CMP_DROP_MATCHED && i != CMP_DROP_RETRANS)
			dropped += cs.dropped[i];
	}
	add_u64(drops, "malformed_user", d->cnt.malformed);
	dropped += d->cnt.malformed;
	add_u64(o, "dropped_packets", dropped);
	json_object_object_add(o, "drops", drops);

	add_u64(o, "miscompares", cs.divergences[CMP_REASON_MISCOMPARE]);
	add_u64(o, "timeouts", cs.divergences[CMP_REASON_TIMEOUT]);
	add_u64(o, "queue_full", cs.divergences[CMP_REASON_QUEUE_FULL]);
	add_u64(o, "table_full", cs.divergences[CMP_REASON_TABLE_FULL]);
	add_u64(o, "checkpoint_requests", d->ckpt.requests);
	ck = json_object_new_object();
	add_u64(ck, "requests", d->ckpt.requests);
	add_u64(ck, "coalesced", d->ckpt.coalesced);
	add_u64(ck, "done", d->ckpt.done);
	add_u64(ck, "umem_low", d->ckpt.by_reason[CKPT_REASON_UMEM_LOW]);
	json_object_object_add(ck, "pending", json_object_new_boolean(d->ckpt.pending));
	json_object_object_add(o, "checkpoint", ck);

	add_u64(o, "connections", cs.connections);
	add_u64(o, "conns_created", cs.conns_created);
	add_u64(o, "conns_expired", cs.conns_expired);
	add_u64(o, "flushes", cs.flushes);

	perr = json_object_new_object();
	for (i = 1; i < COLO_PARSE__MAX; i++)
		add_u64(perr, parse_err_names[i],
			bc[COLO_CNT_PARSE_ERR_BASE + i].packets);
	json_object_object_add(o, "parse_errors", perr);

	add_u64(o, "meta_missing", d->cnt.meta_missing);
	add_u64(o, "mirrored", bc[COLO_CNT_MIRROR_IN].packets);
	add_u64(o, "mirror_clone_errors", bc[COLO_CNT_MIRROR_CLONE_ERR].packets);
	add_u64(o, "meta_fail", bc[COLO_CNT_META_FAIL].packets);
	add_u64(o, "mirror_rewritten", bc[COLO_CNT_MIRROR_REWRITE].packets);
	add_u64(o, "mirror_rewrite_errors", bc[COLO_CNT_MIRROR_REWRITE_ERR].packets);
	add_u64(o, "seq_offsets", d->cnt.seq_offsets);
	add_u64(o, "seq_map_errors", d->cnt.seq_map_errors);
	add_u64(o, "tx_backlog", d->backlog.count);
	add_u64(o, "tx_backlog_max", d->backlog.max_seen);
	if (d->notify) {
		struct notify_stats ns;
		struct json_object *j = json_object_new_object();

		notify_get_stats(d->notify, &ns);
		json_object_object_add(j, "peer", json_object_new_string(notify_spec(d->notify)));
		json_object_object_add(j, "connected", json_object_new_boolean(ns.connected));
		json_object_object_add(j, "pending", json_object_new_boolean(ns.pending));
		add_u64(j, "connects", ns.connects);
		add_u64(j, "disconnects", ns.disconnects);
		add_u64(j, "connect_failures", ns.connect_failures);
		add_u64(j, "requests", ns.requests);
		add_u64(j, "requests_sent", ns.requests_sent);
		add_u64(j, "checkpoints_received", ns.checkpoints_received);
		add_u64(j, "inits_received", ns.inits_received);
		add_u64(j, "bad_messages", ns.bad_messages);
		add_u64(j, "unknown_messages", ns.unknown_messages);
		json_object_object_add(o, "notify", j);
	}
	if (d->hook) {
		struct hook_stats hs;
		struct json_object *j = json_object_new_object();

		hook_get_stats(d->hook, &hs);
		json_object_object_add(j, "running", json_object_new_boolean(hs.running));
		json_object_object_add(j, "pending", json_object_new_boolean(hs.pending));
		add_u64(j, "requests", hs.requests);
		add_u64(j, "coalesced", hs.coalesced);
		add_u64(j, "runs", hs.runs);
		add_u64(j, "failures", hs.failures);
		add_u64(j, "spawn_errors", hs.spawn_errors);
		json_object_object_add(j, "last_status", json_object_new_int(hs.last_status));
		json_object_object_add(o, "hook", j);
	}
	if (d->pcap) {
		struct pcap_log_stats ps;
		struct json_object *j = json_object_new_object();

		pcap_log_get_stats(d->pcap, &ps);
		add_u64(j, "pairs", ps.pairs);
		add_u64(j, "frames", ps.frames);
		add_u64(j, "bytes", ps.bytes);
		add_u64(j, "rotations", ps.rotations);
		add_u64(j, "write_errors", ps.write_errors);
		add_u64(j, "dropped_over_limit", ps.dropped_over_limit);
		json_object_object_add(o, "pcap", j);
	}
	add_u64(o, "umem_free", d->umem.nr_free);
	add_u64(o, "umem_frames", d->umem.nr_frames);
	return o;
}
