// SPDX-License-Identifier: GPL-2.0
/*
 * colo.bpf.c - colo-xdp's BPF programs: capture the guests' output, mirror
 * the network's input.
 *
 * colo_xdp_primary / colo_xdp_secondary run on the primary's and the
 * secondary's interfaces. Each frame is parsed (colo_parse.h), counted,
 * accounted to its connection, tagged with a struct colo_meta in front of
 * the data and redirected to the daemon's AF_XDP socket of its RX queue.
 * Without a socket, a secondary frame is dropped (its output must never
 * reach the network, daemon or no daemon) and a primary frame is passed or
 * dropped as --primary-fail says.
 *
 * colo_tc_mirror runs on the ingress of --out and copies the network's
 * input to both guests; colo_tc_failopen runs on the primary interface's
 * ingress and forwards what the XDP program passed on fail-open to --out.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "colo_shared.h"
#include "colo_defs.h"
#include "colo_parse.h"

/* Primary interface sockets; key = rx_queue_index, value = AF_XDP socket fd */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, COLO_MAX_QUEUES);
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(int));
} colo_xsks_pri SEC(".maps");

/* Secondary sockets; key = rx_queue_index, value = AF_XDP socket fd */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, COLO_MAX_QUEUES);
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(int));
} colo_xsks_sec SEC(".maps");

/* Counters; key = enum colo_counter, value = struct colo_datarec per CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COLO_CNT__MAX);
	__type(key, __u32);
	__type(value, struct colo_datarec);
} colo_stats SEC(".maps");

/* Per connection; key = struct colo_conn_key, value = struct colo_conn_stats */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, COLO_CONN_MAP_SIZE);
	__type(key, struct colo_conn_key);
	__type(value, struct colo_conn_stats);
} colo_conns SEC(".maps");

const volatile struct colo_config colo_cfg = {};

static __always_inline void count(__u32 idx, __u64 bytes)
{
	struct colo_datarec *rec = bpf_map_lookup_elem(&colo_stats, &idx);

	if (!rec)
		return;
	/* per-CPU value: no other writer, no atomics needed */
	rec->packets++;
	rec->bytes += bytes;
}

static __always_inline void conn_account(const struct colo_conn_key *key,
					 __u32 role, __u64 bytes)
{
	struct colo_conn_stats *st, zero = {};

	st = bpf_map_lookup_elem(&colo_conns, key);
	if (!st) {
		/*
		 * NOEXIST: if another CPU inserted the key meanwhile, keep its
		 * entry (and its counts) and add to it below.
		 */
		bpf_map_update_elem(&colo_conns, key, &zero, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&colo_conns, key);
		if (!st)
			return;
	}
	/* one connection's two directions may be on two CPUs at once */
	if (role == COLO_ROLE_PRIMARY) {
		__sync_fetch_and_add(&st->pri_packets, 1);
		__sync_fetch_and_add(&st->pri_bytes, bytes);
	} else {
		__sync_fetch_and_add(&st->sec_packets, 1);
		__sync_fetch_and_add(&st->sec_bytes, bytes);
	}
	st->last_seen_ns = bpf_ktime_get_ns();
}

/* Puts the parse result in front of the frame for the daemon. */
static __always_inline void put_meta(struct xdp_md *ctx,
				     const struct colo_pkt *pkt, __u32 role,
				     __u64 bytes)
{
	struct colo_meta *meta;
	void *data;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta))) {
		/* the daemon parses frames that come without metadata */
		count(COLO_CNT_META_FAIL, bytes);
		return;
	}
	/* adjust_meta invalidated every packet pointer: derive them again */
	data = (void *)(long)ctx->data;
	meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 1) > data) {
		count(COLO_CNT_META_FAIL, bytes);
		return;
	}
	colo_meta_from_pkt(pkt, role, meta);
}

/*
 * The two halves of colo_parse() as global functions: the verifier checks a
 * global function once, on its own, instead of once per path that reaches
 * it, so the paths through the headers (VLAN depths times IPv6 extension
 * header chains) do not multiply the L4 parser and everything after it.
 * Their pointer arguments may be NULL as far as the verifier knows.
 */
__noinline int colo_parse_xdp_l3(struct xdp_md *ctx, struct colo_cursor *c,
				 struct colo_pkt *pkt)
{
	if (!c || !pkt)
		return COLO_PARSE_ERR_ETH_TRUNC;
	return colo_parse_l3((void *)(long)ctx->data,
			     (void *)(long)ctx->data_end, c, pkt);
}

__noinline int colo_parse_xdp_l4(struct xdp_md *ctx, struct colo_cursor *c,
				 struct colo_pkt *pkt)
{
	if (!c || !pkt)
		return COLO_PARSE_ERR_L4_TRUNC;
	return colo_parse_l4_key((void *)(long)ctx->data,
				 (void *)(long)ctx->data_end, c, pkt);
}

static __always_inline int capture(struct xdp_md *ctx, __u32 role)
{
	bool primary = role == COLO_ROLE_PRIMARY;
	__u64 bytes = bpf_xdp_get_buff_len(ctx);
	/* zeroed: stack passed to a global function must be initialised */
	struct colo_cursor cur = {};
	struct colo_pkt pkt = {};
	int action, err;

	count(primary ? COLO_CNT_PRI_RX : COLO_CNT_SEC_RX, bytes);

	err = colo_parse_xdp_l3(ctx, &cur, &pkt);
	if (!err)
		err = colo_parse_xdp_l4(ctx, &cur, &pkt);
	if (err) {
		/*
		 * Drop: a frame we cannot key cannot be compared, and passing
		 * it on unchecked would let a diverged primary leak output.
		 */
		count(COLO_CNT_PARSE_ERR_BASE + err, bytes);
		count(primary ? COLO_CNT_PRI_MALFORMED : COLO_CNT_SEC_MALFORMED,
		      bytes);
		action = XDP_DROP;
		goto out;
	}

	conn_account(&pkt.key, role, bytes);
	put_meta(ctx, &pkt, role, bytes);

	/* the fallback action is taken when the queue has no socket */
	if (primary)
		action = bpf_redirect_map(&colo_xsks_pri, ctx->rx_queue_index,
					  XDP_PASS);
	else
		action = bpf_redirect_map(&colo_xsks_sec, ctx->rx_queue_index,
					  XDP_PASS);
	if (action == XDP_REDIRECT) {
		count(primary ? COLO_CNT_PRI_TO_XSK : COLO_CNT_SEC_TO_XSK,
		      bytes);
		goto out;
	}

	if (!primary) {
		/* secondary output never reaches the network */
		action = XDP_DROP;
		count(COLO_CNT_SEC_NO_XSK, bytes);
	} else if (colo_cfg.flags & COLO_CFG_PRIMARY_FAIL_OPEN) {
		action = XDP_PASS;
		count(COLO_CNT_PRI_FAIL_OPEN, bytes);
	} else {
		action = XDP_DROP;
		count(COLO_CNT_PRI_FAIL_CLOSED, bytes);
	}
out:
#ifdef DEBUG
	bpf_printk("colo: role %u len %llu parse %d action %d", role, bytes,
		   err, action);
#endif
	return action;
}

SEC("xdp")
int colo_xdp_primary(struct xdp_md *ctx)
{
	return capture(ctx, COLO_ROLE_PRIMARY);
}

SEC("xdp")
int colo_xdp_secondary(struct xdp_md *ctx)
{
	return capture(ctx, COLO_ROLE_SECONDARY);
}

/*
 * Input from the network, on the ingress of --out: a clone to the secondary,
 * the original to the primary.
 *
 * tc rather than an XDP devmap broadcast because: it works for any target
 * netdev (tunnel devices without ndo_xdp_xmit, veth peers without XDP or
 * GRO, where XDP redirects are dropped); the skb keeps its GSO and checksum
 * state on its way to the guests; and the secondary's copy can be rewritten
 * before it is cloned (TCP ack rewriting comes next).
 */
SEC("tc")
int colo_tc_mirror(struct __sk_buff *skb)
{
	__u64 bytes = skb->len;

	if (bpf_clone_redirect(skb, colo_cfg.secondary_ifindex, 0))
		count(COLO_CNT_MIRROR_CLONE_ERR, bytes);
	count(COLO_CNT_MIRROR_IN, bytes);
	return bpf_redirect(colo_cfg.primary_ifindex, 0);
}

/*
 * On the primary interface's ingress. Frames the XDP program redirected or
 * dropped never get here: only primary frames it passed because no daemon
 * socket was there (--primary-fail open), which go on to the network.
 */
SEC("tc")
int colo_tc_failopen(struct __sk_buff *skb)
{
	if (!colo_cfg.out_ifindex)
		return TC_ACT_OK;
	count(COLO_CNT_FAILOPEN_FWD, skb->len);
	return bpf_redirect(colo_cfg.out_ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
