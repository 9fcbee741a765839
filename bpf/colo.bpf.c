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
 * input to both guests, translating TCP acknowledgements into the
 * secondary's sequence space on the secondary's copy (colo_tcp_rewrite.h);
 * colo_tc_failopen runs on the primary interface's ingress and forwards
 * what the XDP program passed on fail-open to --out.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "colo_shared.h"
#include "colo_defs.h"
#include "colo_parse.h"
#include "colo_tcp_rewrite.h"

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

/*
 * TCP sequence offsets for the mirror path, written by the daemon;
 * key = struct colo_conn_key, value = struct colo_seq_state
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, COLO_CONN_MAP_SIZE);
	__type(key, struct colo_conn_key);
	__type(value, struct colo_seq_state);
} colo_seq SEC(".maps");

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
					 __u32 role, __u64 bytes, __u64 now)
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
	st->last_seen_ns = now;
}

/* Puts the parse result in front of the frame for the daemon. */
static __always_inline void put_meta(struct xdp_md *ctx,
				     const struct colo_pkt *pkt, __u32 role,
				     __u64 bytes, __u64 now)
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
	meta->rx_ns = now;
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
	__u64 now;

	count(primary ? COLO_CNT_PRI_RX : COLO_CNT_SEC_RX, bytes);

	/*
	 * A frame longer than a UMEM frame (a guest's GSO/TSO output) would
	 * be dropped by the socket without a trace: count it here, so the
	 * daemon can tell the operator to make the guest segment itself.
	 */
	if (colo_cfg.max_frame_len && bytes > colo_cfg.max_frame_len) {
		count(primary ? COLO_CNT_PRI_OVERSIZE : COLO_CNT_SEC_OVERSIZE,
		      bytes);
		err = 0;
		action = XDP_DROP;
		goto out;
	}

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

	now = bpf_ktime_get_ns();
	/*
	 * --conn-stats off: with many connections this update is most of the
	 * program's time (the entry misses the cache), paid on the CPU that
	 * sends the guest's frames. The verifier drops the call (rodata).
	 */
	if (!(colo_cfg.flags & COLO_CFG_NO_CONN_STATS))
		conn_account(&pkt.key, role, bytes, now);
	put_meta(ctx, &pkt, role, bytes, now);

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
 * How much of a frame colo_tc_mirror makes readable when its L2/L3 headers
 * are not all in the skb's linear part: first enough for Ethernet, two VLAN
 * tags and an IPv4 header with options or an IPv6 header with a few
 * extension headers, then, for longer chains, more. GSO skbs carry their
 * headers linear and are never pulled; the TCP header is read with
 * bpf_skb_load_bytes(), wherever it is.
 */
#define COLO_MIRROR_PULL     128
#define COLO_MIRROR_PULL_MAX 1024

/* colo_parse_l3_hdrs() on the linear part of an skb of skb->len bytes. */
__noinline int colo_parse_tc_l3(struct __sk_buff *skb, struct colo_cursor *c,
				struct colo_pkt *pkt)
{
	if (!c || !pkt)
		return COLO_PARSE_ERR_ETH_TRUNC;
	return colo_parse_l3_hdrs((void *)(long)skb->data,
				  (void *)(long)skb->data_end, skb->len, c,
				  pkt);
}

/* A global function, so the option walk is verified once, on its own. */
__noinline int colo_tcp_sack_find(const struct colo_tcp_opts *o,
				  struct colo_sack_pos *sp)
{
	if (!o || !sp)
		return -1;
	colo_tcp_sack_scan(o, sp);
	return 0;
}

enum mirror_verdict {
	MIRROR_AS_IS = 0,   /* nothing to translate */
	MIRROR_REWRITTEN,   /* ack (and SACK blocks) translated */
	MIRROR_REFUSED,     /* needed translating, could not be */
};

/*
 * Keys the frame like the XDP side does. Returns the L4 offset (>= 0) of a
 * TCP frame, with its fixed header in *th and the end of its IP packet in
 * *l3_end, or -1 for anything else: not TCP, a later fragment, or a frame
 * the parser cannot key (malformed or truncated: the guests' stacks drop
 * those alike, and nothing in them could be found in colo_seq). -2: the
 * skb could not be made readable.
 */
static __always_inline int mirror_key_tcp(struct __sk_buff *skb,
					  struct colo_pkt *pkt,
					  struct colo_tcp *th, __u32 *l3_end)
{
	/* zeroed: stack passed to a global function must be initialised */
	struct colo_cursor cur = {};
	__u32 len = skb->len, pull, readable;
	void *data, *data_end;
	int i, err = 0;

	/* first with what is linear already, then pulling more */
	for (i = 0; i < 3; i++) {
		if (i) {
			pull = i == 1 ? COLO_MIRROR_PULL : COLO_MIRROR_PULL_MAX;
			if (pull > len)
				pull = len;
			if (bpf_skb_pull_data(skb, pull))
				return -2;
		}
		err = colo_parse_tc_l3(skb, &cur, pkt);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
		readable = data_end - data;
		if (!err || readable >= len || readable >= COLO_MIRROR_PULL_MAX)
			break;
	}
	if (err || cur.non_ip || cur.no_l4 || cur.l4proto != COLO_IPPROTO_TCP)
		return -1;
	if (cur.off + sizeof(*th) > cur.l3_end ||
	    bpf_skb_load_bytes(skb, cur.off, th, sizeof(*th)))
		return -1;
	colo_key_from_ports(pkt, COLO_IPPROTO_TCP, th->src, th->dst);
	*l3_end = cur.l3_end;
	return cur.off;
}

/*
 * Translates the secondary's copy in place. Only segments with ACK set
 * carry an acknowledgement (and SACK blocks) a receiver acts on: that
 * includes a SYN/ACK answering a guest's active open, whose offset the
 * daemon learnt from the two guests' SYNs before the primary's was
 * released.
 */
static __always_inline enum mirror_verdict mirror_translate(
	struct __sk_buff *skb)
{
	struct colo_tcp_opts opts = {};
	struct colo_sack_pos sp = {};
	struct colo_seq_state *st;
	struct colo_pkt pkt = {};
	struct colo_tcp th;
	__u32 hlen, optlen, off, boff, csum_off, l3_end = 0, delta, ts_delta;
	__u32 sack, len, nblk;
	__be32 left, right;
	int l4, j, k, err = 0;

	l4 = mirror_key_tcp(skb, &pkt, &th, &l3_end);
	if (l4 == -2)
		return MIRROR_REFUSED;
	if (l4 < 0 || !(th.flags & COLO_TCPF_ACK))
		return MIRROR_AS_IS;
	st = bpf_map_lookup_elem(&colo_seq, &pkt.key);
	if (!st)
		return MIRROR_AS_IS;
	/* one read each: the daemon may replace the entry meanwhile */
	delta = *(volatile __u32 *)&st->offset;
	ts_delta = *(volatile __u32 *)&st->ts_offset;
	if (!delta && !ts_delta)
		return MIRROR_AS_IS;

	/*
	 * A data offset below 5 or past the packet: the guests drop the
	 * segment, but an untranslated copy must not reach the secondary.
	 */
	hlen = (th.doff_res >> 4) * 4;
	if (hlen < COLO_TCP_MIN_HLEN || l4 + hlen > l3_end)
		return MIRROR_REFUSED;

	off = l4;
	csum_off = off + COLO_TCP_CSUM_OFF;
	if (delta && colo_tcp_add32(skb, off + COLO_TCP_ACK_OFF, csum_off,
				    false, th.ack, delta))
		return MIRROR_REFUSED;

	optlen = hlen - COLO_TCP_MIN_HLEN;
	if (!optlen)
		return delta ? MIRROR_REWRITTEN : MIRROR_AS_IS;
	if (optlen > COLO_TCP_OPT_MAX ||
	    bpf_skb_load_bytes(skb, off + COLO_TCP_MIN_HLEN, opts.b, optlen))
		return MIRROR_REFUSED;
	colo_tcp_sack_find(&opts, &sp);

	if (ts_delta && sp.ts_plus1 &&
	    sp.ts_plus1 - 1 + COLO_TCP_TS_LEN <= optlen) {
		boff = sp.ts_plus1 - 1 + COLO_TCP_TSECR_OFF;
		if (colo_tcp_add32(skb, l4 + COLO_TCP_MIN_HLEN + boff, csum_off,
				   boff & 1, colo_tcp_opt32(&opts, boff),
				   ts_delta))
			return MIRROR_REFUSED;
	}
	if (!delta)
		return MIRROR_REWRITTEN;

	/* bounded loops: rounds of helper calls unrolled are long */
	for (k = 0; k < COLO_TCP_SACK_MAX && !err; k++) {
		if (k >= sp.n)
			break;
		sack = sp.off[k];
		len = sp.len[k];
		/*
		 * A SACK option running past the header: a guest stops
		 * parsing there and ignores it, and so do we.
		 */
		if (sack + len > optlen)
			break;
		nblk = (len - COLO_TCP_SACK_BASE) / COLO_TCP_SACK_BLK;
		for (j = 0; j < COLO_TCP_SACK_MAX; j++) {
			if (j >= nblk)
				break;
			boff = sack + COLO_TCP_SACK_BASE +
			       j * COLO_TCP_SACK_BLK;
			if (boff + COLO_TCP_SACK_BLK > optlen) {
				err = -1;
				break;
			}
			left = colo_tcp_opt32(&opts, boff);
			right = colo_tcp_opt32(&opts, boff + 4);
			off = l4 + COLO_TCP_MIN_HLEN + boff;
			err = colo_tcp_add32(skb, off, csum_off, boff & 1,
					     left, delta);
			if (!err)
				err = colo_tcp_add32(skb, off + 4, csum_off,
						     boff & 1, right, delta);
			if (err)
				break;
		}
	}
	return err ? MIRROR_REFUSED : MIRROR_REWRITTEN;
}

/*
 * Input from the network, on the ingress of --out: a clone of the
 * untouched frame to the primary, then the frame itself, its TCP
 * acknowledgements translated, to the secondary.
 *
 * tc rather than an XDP devmap broadcast because: it works for any target
 * netdev (tunnel devices without ndo_xdp_xmit, veth peers without XDP or
 * GRO, where XDP redirects are dropped); the skb keeps its GSO and checksum
 * state on its way to the guests; and the secondary's copy can be rewritten
 * in place once the primary's clone is gone. The clone goes first:
 * bpf_clone_redirect() leaves the original's head private (it unclones it
 * for direct writes), so what the secondary's copy gets written never shows
 * in the primary's. A copy that needed translating and could not be is not
 * sent at all: an untranslated acknowledgement would make the secondary
 * diverge, a lost segment only looks like loss. Nor is one whose headers
 * could not be made readable (an allocation failure): it might have needed
 * translating.
 *
 * Offsets are from skb->data, the Ethernet header in tc. A VLAN tag the
 * device or the stack moved into skb->vlan_tci is not in the data: the
 * parser then sees the frame untagged, as the offsets are; the key has no
 * VLAN in it, so it matches what the XDP side built from the tagged frame.
 */
SEC("tc")
int colo_tc_mirror(struct __sk_buff *skb)
{
	__u64 bytes = skb->len;

	count(COLO_CNT_MIRROR_IN, bytes);
	if (bpf_clone_redirect(skb, colo_cfg.primary_ifindex, 0))
		count(COLO_CNT_MIRROR_CLONE_ERR, bytes);

	switch (mirror_translate(skb)) {
	case MIRROR_REWRITTEN:
		count(COLO_CNT_MIRROR_REWRITE, bytes);
		break;
	case MIRROR_REFUSED:
		count(COLO_CNT_MIRROR_REWRITE_ERR, bytes);
		return TC_ACT_SHOT;
	default:
		break;
	}
	return bpf_redirect(colo_cfg.secondary_ifindex, 0);
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
