// SPDX-License-Identifier: GPL-2.0
/*
 * test_colo_bpf.c - the real BPF programs under BPF_PROG_TEST_RUN.
 *
 * Each frame of a table (tests/frames.h, some damaged on purpose) goes
 * through colo_xdp_primary and colo_xdp_secondary. The XSKMAPs are empty
 * during test_run, so bpf_redirect_map() takes its fallback: a parsed
 * primary frame is passed (fail-open) or dropped (fail-closed), a secondary
 * frame is always dropped, a malformed one always dropped. Per frame we
 * check the verdict, every counter's delta, the metadata in front of the
 * frame against colo_parse() run in userspace (the kernel's test_run output
 * starts at data_meta), and the frame's colo_conns entry. The tc programs
 * are run too where test_run can tell something: the fail-open forwarder's
 * verdict and counter, and the mirror's counters when the clone fails;
 * whether clones really reach the guests is for the integration tests.
 *
 * Needs root (loads BPF programs).
 */
#include <errno.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <stdlib.h>

#include "test_util.h"
#include "frames.h"
#include "bpf_counters.h"
#include "colo_parse.h"
#include "colo.skel.h"

TEST_STATE_DEFINE;

static uint8_t pl[1500];
static int ncpus;

/* loaded once each: loading verifies both XDP programs (~1 s) */
static struct colo *skel_open;   /* fail-open, out_ifindex = lo */
static struct colo *skel_closed; /* fail-closed, no out_ifindex */

static int read_counters(struct colo *skel, struct counters *out)
{
	return counters_read(bpf_map__fd(skel->maps.colo_stats), out);
}

struct xdp_run {
	int retval;
	__u32 size_out;
	uint8_t out[FRAME_BUF + 256];
};

static int run_xdp(struct bpf_program *prog, const uint8_t *frame,
		   size_t len, struct xdp_run *r)
{
	/* data_end must be the frame size: no metadata in, lo's queue 0 */
	struct xdp_md ctx = { .data_end = (__u32)len, .ingress_ifindex = 1,
			      .rx_queue_index = 0 };
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = frame,
		    .data_size_in = (__u32)len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &topts);
	r->retval = (int)topts.retval;
	r->size_out = topts.data_size_out;
	return err ? -errno : 0;
}

static int run_tc(struct bpf_program *prog, const uint8_t *frame, size_t len,
		  int *retval)
{
	uint8_t out[FRAME_BUF];
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = frame,
		    .data_size_in = (__u32)len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &topts);
	*retval = (int)topts.retval;
	return err ? -errno : 0;
}

static void conn_get(struct colo *skel, const struct colo_conn_key *key,
		     struct colo_conn_stats *st)
{
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.colo_conns), key, st))
		memset(st, 0, sizeof(*st));
}

/* ---- the table ---- */

typedef void (*mutator_t)(uint8_t *buf, size_t *len, struct frame_info *fi);

static void cut_16(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)buf, (void)fi;
	*len = 16;
}

static void cut_ip_hdr(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)buf;
	*len = fi->l3_off + (fi->family == 4 ? 19 : 39);
}

static void cut_l4_7(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	frame_set_ip_len(buf, len, fi, fi->l4_off - fi->l3_off + 7);
}

static void cut_ext(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	frame_set_ip_len(buf, len, fi, 41);
}

static void ihl_4(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)len;
	frame_set_ihl(buf, fi, 4);
}

static void ihl_15(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)len;
	frame_set_ihl(buf, fi, 15);
}

static void ip_len_plus1(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	size_t off = fi->l3_off + (fi->family == 4 ? 2 : 4);

	(void)len;
	frame_put16(buf, off, frame_get16(buf, off) + 1);
}

static void tot_len_19(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)len;
	frame_put16(buf, fi->l3_off + 2, 19);
}

static void swap_version(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)len;
	frame_set_ip_version(buf, fi, fi->family == 4 ? 6 : 4);
}

static void doff_4(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)len;
	frame_set_tcp_doff(buf, fi, 4);
}

static void doff_15(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)len;
	frame_set_tcp_doff(buf, fi, 15);
}

struct bpf_case {
	const char *name;
	struct frame_spec spec;
	mutator_t mutate;
	int result; /* enum colo_parse_result, cross-checked in userspace */
};

#define TCP(fam, ...) { .family = fam, .proto = FRAME_TCP, .sport = 40000,  \
			.dport = 80, .seq = 1000, .ack = 2000,              \
			.tcp_flags = FRAME_TCP_ACK, .payload = pl,          \
			.payload_len = 200, __VA_ARGS__ }

/* TCP(...) overrides the defaults it sets, which is the point */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static const struct bpf_case cases[] = {
	{ "ip4_tcp", TCP(4), NULL, COLO_PARSE_OK },
	{ "ip6_tcp", TCP(6), NULL, COLO_PARSE_OK },
	{ "ip4_tcp_full_size", TCP(4, .payload_len = 1460), NULL,
	  COLO_PARSE_OK },
	{ "ip4_udp", { .family = 4, .proto = FRAME_UDP, .sport = 53,
		       .dport = 33000, .payload = pl, .payload_len = 60 },
	  NULL, COLO_PARSE_OK },
	{ "ip6_udp", { .family = 6, .proto = FRAME_UDP, .sport = 53,
		       .dport = 33000, .payload = pl, .payload_len = 60 },
	  NULL, COLO_PARSE_OK },
	{ "ip4_udplite", { .family = 4, .proto = FRAME_UDPLITE, .sport = 1,
			   .dport = 2, .payload = pl, .payload_len = 9 },
	  NULL, COLO_PARSE_OK },
	{ "ip6_sctp", { .family = 6, .proto = FRAME_SCTP, .sport = 3,
			.dport = 4, .payload = pl, .payload_len = 16 },
	  NULL, COLO_PARSE_OK },
	{ "ip4_dccp", { .family = 4, .proto = FRAME_DCCP, .sport = 5,
			.dport = 6, .payload = pl, .payload_len = 16 },
	  NULL, COLO_PARSE_OK },
	{ "ip4_icmp_echo", { .family = 4, .proto = FRAME_ICMP,
			     .icmp_type = 8, .icmp_id = 0x77,
			     .payload = pl, .payload_len = 56 },
	  NULL, COLO_PARSE_OK },
	{ "ip6_icmp_echo_reply", { .family = 6, .proto = FRAME_ICMPV6,
				   .icmp_type = 129, .icmp_id = 0x78,
				   .payload = pl, .payload_len = 56 },
	  NULL, COLO_PARSE_OK },
	{ "ip4_icmp_unreach", { .family = 4, .proto = FRAME_ICMP,
				.icmp_type = 3, .payload = pl,
				.payload_len = 28 },
	  NULL, COLO_PARSE_OK },
	{ "ip4_gre", { .family = 4, .proto = FRAME_GRE, .payload = pl,
		       .payload_len = 30 },
	  NULL, COLO_PARSE_OK },
	{ "arp", { .ethertype = 0x0806, .payload = pl, .payload_len = 28,
		   .min_len = 60 },
	  NULL, COLO_PARSE_OK },
	{ "vlan1_ip4_tcp", TCP(4, .nvlan = 1, .vlan_tci = { 5 }), NULL,
	  COLO_PARSE_OK },
	{ "vlan2_ip6_udp", { .family = 6, .proto = FRAME_UDP, .sport = 1,
			     .dport = 2, .nvlan = 2,
			     .vlan_tpid = { 0x88a8, 0x8100 },
			     .payload = pl, .payload_len = 10 },
	  NULL, COLO_PARSE_OK },
	{ "ip4_first_fragment", TCP(4, .more_frags = true), NULL,
	  COLO_PARSE_OK },
	{ "ip4_later_fragment", TCP(4, .frag_offset = 1480), NULL,
	  COLO_PARSE_OK },
	{ "ip6_hop_dst_frag_first",
	  TCP(6, .ext = { FRAME_HOPOPTS, FRAME_DSTOPTS }, .next = 2,
	      .more_frags = true),
	  NULL, COLO_PARSE_OK },
	{ "ip6_hop_dst_frag_later",
	  TCP(6, .ext = { FRAME_HOPOPTS, FRAME_DSTOPTS }, .next = 2,
	      .frag_offset = 1448),
	  NULL, COLO_PARSE_OK },
	{ "ip6_routing_ah_tcp",
	  TCP(6, .ext = { FRAME_ROUTING, FRAME_AH }, .next = 2), NULL,
	  COLO_PARSE_OK },
	{ "ip6_ext_chain_at_limit",
	  TCP(6, .ext = { 60, 60, 60, 60, 60, 60, 60, 60 },
	      .next = COLO_MAX_IPV6_EXTHDRS),
	  NULL, COLO_PARSE_OK },
	{ "ip4_eth_padding", TCP(4, .payload_len = 0, .min_len = 60), NULL,
	  COLO_PARSE_OK },

	/* malformed: dropped on both sides, counted by reason */
	{ "vlan_trunc", TCP(4, .nvlan = 1), cut_16, COLO_PARSE_ERR_VLAN_TRUNC },
	{ "vlan_too_deep", TCP(4, .nvlan = 3), NULL,
	  COLO_PARSE_ERR_VLAN_DEPTH },
	{ "ip4_trunc", TCP(4), cut_ip_hdr, COLO_PARSE_ERR_IP4_TRUNC },
	{ "ip6_trunc", TCP(6), cut_ip_hdr, COLO_PARSE_ERR_IP6_TRUNC },
	{ "ip4_ihl_below_5", TCP(4), ihl_4, COLO_PARSE_ERR_IP4_IHL },
	{ "ip4_ihl_beyond_frame", { .family = 4, .proto = FRAME_UDP,
				    .payload = pl, .payload_len = 12 },
	  ihl_15, COLO_PARSE_ERR_IP4_IHL },
	{ "ip4_tot_len_beyond_frame", TCP(4), ip_len_plus1,
	  COLO_PARSE_ERR_IP4_LEN },
	{ "ip4_tot_len_below_ihl", TCP(4), tot_len_19,
	  COLO_PARSE_ERR_IP4_LEN },
	{ "ip6_payload_len_beyond_frame", TCP(6), ip_len_plus1,
	  COLO_PARSE_ERR_IP6_LEN },
	{ "ip6_ext_chain_too_long",
	  TCP(6, .ext = { 60, 60, 60, 60, 60, 60, 60, 60, 60 },
	      .next = COLO_MAX_IPV6_EXTHDRS + 1),
	  NULL, COLO_PARSE_ERR_IP6_EXTHDR },
	{ "ip6_ext_cut", TCP(6, .ext = { FRAME_HOPOPTS }, .next = 1),
	  cut_ext, COLO_PARSE_ERR_IP6_EXTHDR },
	{ "ip4_tcp_trunc", TCP(4), cut_l4_7, COLO_PARSE_ERR_L4_TRUNC },
	{ "ip6_udp_trunc", { .family = 6, .proto = FRAME_UDP, .payload = pl,
			     .payload_len = 10 },
	  cut_l4_7, COLO_PARSE_ERR_L4_TRUNC },
	{ "ip4_icmp_trunc", { .family = 4, .proto = FRAME_ICMP,
			      .icmp_type = 8, .payload = pl,
			      .payload_len = 10 },
	  cut_l4_7, COLO_PARSE_ERR_L4_TRUNC },
	{ "ip4_tcp_doff_below_5", TCP(4), doff_4, COLO_PARSE_ERR_TCP_DOFF },
	{ "ip6_tcp_doff_beyond_packet", TCP(6, .payload_len = 4), doff_15,
	  COLO_PARSE_ERR_TCP_DOFF },
	{ "ip4_version_mismatch", TCP(4), swap_version,
	  COLO_PARSE_ERR_IP_VERSION },
	{ "ip6_version_mismatch", TCP(6), swap_version,
	  COLO_PARSE_ERR_IP_VERSION },
};
#pragma GCC diagnostic pop

static size_t build_case(const struct bpf_case *tc, uint8_t *buf)
{
	struct frame_info fi;
	size_t len;

	len = frame_build_info(&tc->spec, buf, FRAME_BUF, &fi);
	if (len && tc->mutate)
		tc->mutate(buf, &len, &fi);
	return len;
}

/* One frame through one role's XDP program. */
static void run_role(struct colo *skel, const struct bpf_case *tc,
		     const uint8_t *frame, size_t len, enum colo_role role,
		     int expect_action, int verdict_cnt)
{
	bool pri = role == COLO_ROLE_PRIMARY;
	struct bpf_program *prog = pri ? skel->progs.colo_xdp_primary :
					 skel->progs.colo_xdp_secondary;
	struct colo_conn_stats st0, st1;
	struct counters before, after;
	struct colo_meta exp_meta, meta;
	struct delta d[3];
	__u64 t0, t1;
	struct colo_pkt p;
	struct xdp_run r;
	int nd = 0, ret;
	char name[96];

	snprintf(name, sizeof(name), "%s/%s", tc->name, pri ? "pri" : "sec");
	ret = colo_parse(frame, frame + len, &p);
	if (!ASSERT_EQ(ret, tc->result, name))
		return;
	if (ret == COLO_PARSE_OK)
		conn_get(skel, &p.key, &st0);
	if (!ASSERT_OK(read_counters(skel, &before), name))
		return;

	t0 = mono_ns();
	if (!ASSERT_OK(run_xdp(prog, frame, len, &r), name))
		return;
	t1 = mono_ns();

	ASSERT_OK(read_counters(skel, &after), name);
	ASSERT_EQ(r.retval, ret == COLO_PARSE_OK ? expect_action : XDP_DROP,
		  name);

	d[nd++] = (struct delta){ pri ? COLO_CNT_PRI_RX : COLO_CNT_SEC_RX, 1,
				  len };
	if (ret != COLO_PARSE_OK) {
		d[nd++] = (struct delta){ COLO_CNT_PARSE_ERR_BASE + ret, 1,
					  len };
		d[nd++] = (struct delta){ pri ? COLO_CNT_PRI_MALFORMED :
						COLO_CNT_SEC_MALFORMED,
					  1, len };
		check_deltas(&before, &after, d, nd, name);
		/* no metadata in front of a dropped malformed frame */
		ASSERT_EQ(r.size_out, len, name);
		return;
	}
	d[nd++] = (struct delta){ verdict_cnt, 1, len };
	check_deltas(&before, &after, d, nd, name);

	/* test_run output starts at data_meta: metadata, then the frame */
	if (!ASSERT_EQ(r.size_out, len + sizeof(meta), name))
		return;
	memcpy(&meta, r.out, sizeof(meta));
	colo_meta_from_pkt(&p, (__u8)role, &exp_meta);
	ASSERT_EQ(meta.magic, COLO_META_MAGIC, name);
	ASSERT_EQ(meta.hash, p.hash, name);
	ASSERT_EQ(meta.role, role, name);
	ASSERT_EQ(meta.flags, p.flags, name);
	ASSERT_EQ(meta.l4_off, p.l4_off, name);
	ASSERT_EQ(meta.payload_off, p.payload_off, name);
	/* arrival time for the latency stats: the kernel's CLOCK_MONOTONIC */
	ASSERT_TRUE(meta.rx_ns >= t0 && meta.rx_ns <= t1, name);
	exp_meta.rx_ns = meta.rx_ns;
	ASSERT_MEMEQ(&meta, &exp_meta, sizeof(meta), name);
	ASSERT_MEMEQ(r.out + sizeof(meta), frame, len, name);

	/* the daemon's fast path accepts what the kernel wrote */
	{
		struct colo_pkt q;

		ASSERT_OK(colo_pkt_from_meta(r.out + sizeof(meta),
					     r.out + sizeof(meta) + len, &meta,
					     &q),
			  name);
		ASSERT_MEMEQ(&q, &p, sizeof(p), name);
	}

	conn_get(skel, &p.key, &st1);
	ASSERT_EQ(st1.pri_packets - st0.pri_packets, pri ? 1 : 0, name);
	ASSERT_EQ(st1.pri_bytes - st0.pri_bytes, pri ? len : 0, name);
	ASSERT_EQ(st1.sec_packets - st0.sec_packets, pri ? 0 : 1, name);
	ASSERT_EQ(st1.sec_bytes - st0.sec_bytes, pri ? 0 : len, name);
	ASSERT_TRUE(st1.last_seen_ns > 0, name);
}

static void test_case(const struct bpf_case *tc)
{
	uint8_t frame[FRAME_BUF];
	size_t len = build_case(tc, frame);

	if (!ASSERT_TRUE(len >= 14, "frame_build"))
		return;
	run_role(skel_open, tc, frame, len, COLO_ROLE_PRIMARY, XDP_PASS,
		 COLO_CNT_PRI_FAIL_OPEN);
	run_role(skel_open, tc, frame, len, COLO_ROLE_SECONDARY, XDP_DROP,
		 COLO_CNT_SEC_NO_XSK);
	run_role(skel_closed, tc, frame, len, COLO_ROLE_PRIMARY, XDP_DROP,
		 COLO_CNT_PRI_FAIL_CLOSED);
}

/* Both directions of a flow, from both roles, count in one entry. */
static void test_flow_one_entry(void)
{
	struct frame_spec fwd = frame_tcp(4, 1, 2, FRAME_TCP_ACK, pl, 100);
	struct frame_spec rev;
	uint8_t a[FRAME_BUF], b[FRAME_BUF];
	struct colo_conn_stats st0, st1;
	struct colo_pkt pa, pb;
	struct xdp_run r;
	size_t la, lb;

	fwd.src = "192.0.2.10";
	fwd.dst = "192.0.2.1"; /* forward direction is the swapped one */
	fwd.sport = 51000;
	rev = frame_reply(&fwd);
	rev.payload_len = 10;
	la = frame_build(&fwd, a, sizeof(a));
	lb = frame_build(&rev, b, sizeof(b));
	ASSERT_EQ(colo_parse(a, a + la, &pa), COLO_PARSE_OK, "parse fwd");
	ASSERT_EQ(colo_parse(b, b + lb, &pb), COLO_PARSE_OK, "parse rev");
	ASSERT_MEMEQ(&pa.key, &pb.key, sizeof(pa.key), "same key");

	conn_get(skel_open, &pa.key, &st0);
	ASSERT_OK(run_xdp(skel_open->progs.colo_xdp_primary, a, la, &r), "a");
	ASSERT_OK(run_xdp(skel_open->progs.colo_xdp_primary, b, lb, &r), "b");
	ASSERT_OK(run_xdp(skel_open->progs.colo_xdp_primary, b, lb, &r), "b");
	ASSERT_OK(run_xdp(skel_open->progs.colo_xdp_secondary, a, la, &r),
		  "a sec");
	ASSERT_OK(run_xdp(skel_open->progs.colo_xdp_secondary, b, lb, &r),
		  "b sec");
	conn_get(skel_open, &pa.key, &st1);
	ASSERT_EQ(st1.pri_packets - st0.pri_packets, 3, "pri packets");
	ASSERT_EQ(st1.pri_bytes - st0.pri_bytes, la + 2 * lb, "pri bytes");
	ASSERT_EQ(st1.sec_packets - st0.sec_packets, 2, "sec packets");
	ASSERT_EQ(st1.sec_bytes - st0.sec_bytes, la + lb, "sec bytes");
	ASSERT_TRUE(st1.last_seen_ns >= st0.last_seen_ns, "last_seen");

	/* the metadata hash is the same for both directions */
	{
		struct colo_meta ma, mb;

		run_xdp(skel_open->progs.colo_xdp_primary, a, la, &r);
		memcpy(&ma, r.out, sizeof(ma));
		run_xdp(skel_open->progs.colo_xdp_secondary, b, lb, &r);
		memcpy(&mb, r.out, sizeof(mb));
		ASSERT_EQ(ma.hash, mb.hash, "meta hash");
		ASSERT_EQ(ma.hash, pa.hash, "meta hash = userspace hash");
		ASSERT_TRUE(ma.flags & COLO_PF_SWAPPED, "fwd swapped");
		ASSERT_FALSE(mb.flags & COLO_PF_SWAPPED, "rev not swapped");
	}
}

/* Malformed frames never create connection entries. */
static void test_malformed_no_entry(void)
{
	struct frame_spec s = frame_tcp(4, 1, 2, FRAME_TCP_ACK, pl, 100);
	uint8_t f[FRAME_BUF];
	struct frame_info fi;
	struct colo_conn_stats st;
	struct colo_pkt p;
	struct xdp_run r;
	size_t len;

	s.src = "198.51.100.7"; /* used by no other test */
	len = frame_build_info(&s, f, sizeof(f), &fi);
	ASSERT_EQ(colo_parse(f, f + len, &p), COLO_PARSE_OK, "parse");
	frame_set_tcp_doff(f, &fi, 3);
	ASSERT_OK(run_xdp(skel_open->progs.colo_xdp_primary, f, len, &r),
		  "run");
	ASSERT_EQ(r.retval, XDP_DROP, "dropped");
	ASSERT_TRUE(bpf_map_lookup_elem(bpf_map__fd(skel_open->maps.colo_conns),
					&p.key, &st) != 0,
		    "no entry");
}

static void test_tc_failopen(void)
{
	struct frame_spec s = frame_tcp(4, 1, 2, FRAME_TCP_ACK, pl, 100);
	struct counters before, after;
	uint8_t f[FRAME_BUF];
	size_t len = frame_build(&s, f, sizeof(f));
	struct delta d = { COLO_CNT_FAILOPEN_FWD, 1, len };
	int retval;

	/* no --out: the frame goes up the primary interface's stack */
	read_counters(skel_closed, &before);
	ASSERT_OK(run_tc(skel_closed->progs.colo_tc_failopen, f, len, &retval),
		  "closed");
	ASSERT_EQ(retval, TC_ACT_OK, "closed");
	read_counters(skel_closed, &after);
	check_deltas(&before, &after, NULL, 0, "closed");

	/* with --out: redirected there and counted */
	read_counters(skel_open, &before);
	ASSERT_OK(run_tc(skel_open->progs.colo_tc_failopen, f, len, &retval),
		  "open");
	ASSERT_EQ(retval, TC_ACT_REDIRECT, "open");
	read_counters(skel_open, &after);
	check_deltas(&before, &after, &d, 1, "open");
}

static void test_tc_mirror_clone_error(void)
{
	struct frame_spec s = frame_udp(4, 53, 1234, pl, 64);
	struct counters before, after;
	uint8_t f[FRAME_BUF];
	size_t len = frame_build(&s, f, sizeof(f));
	struct delta d[] = {
		{ COLO_CNT_MIRROR_IN, 1, len },
		{ COLO_CNT_MIRROR_CLONE_ERR, 1, len },
	};
	int retval;

	/*
	 * primary_ifindex 0: the primary's clone fails, the secondary still
	 * gets the frame (test_mirror_bpf.c tests the mirror further)
	 */
	read_counters(skel_closed, &before);
	ASSERT_OK(run_tc(skel_closed->progs.colo_tc_mirror, f, len, &retval),
		  "mirror");
	ASSERT_EQ(retval, TC_ACT_REDIRECT, "mirror");
	read_counters(skel_closed, &after);
	check_deltas(&before, &after, d, 2, "mirror");
}

/*
 * A frame longer than max_frame_len (a guest's GSO output) is dropped and
 * counted as oversize on its side, before parsing, whatever the policy.
 */
static void test_oversize(void)
{
	struct frame_spec s = frame_udp(4, 53, 1234, pl, 200);
	struct counters before, after;
	struct colo *skel = colo__open();
	struct xdp_run r;
	uint8_t f[FRAME_BUF];
	size_t len = frame_build(&s, f, sizeof(f));
	struct delta dp[] = {
		{ COLO_CNT_PRI_RX, 1, len },
		{ COLO_CNT_PRI_OVERSIZE, 1, len },
	};
	struct delta ds[] = {
		{ COLO_CNT_SEC_RX, 1, len },
		{ COLO_CNT_SEC_OVERSIZE, 1, len },
	};

	if (!ASSERT_OK_PTR(skel, "colo__open"))
		return;
	skel->rodata->colo_cfg.flags = COLO_CFG_PRIMARY_FAIL_OPEN;
	skel->rodata->colo_cfg.max_frame_len = len - 1;
	if (!ASSERT_OK(colo__load(skel), "colo__load"))
		goto out;
	read_counters(skel, &before);
	ASSERT_OK(run_xdp(skel->progs.colo_xdp_primary, f, len, &r), "primary");
	ASSERT_EQ(r.retval, XDP_DROP, "primary dropped");
	read_counters(skel, &after);
	check_deltas(&before, &after, dp, 2, "primary");

	read_counters(skel, &before);
	ASSERT_OK(run_xdp(skel->progs.colo_xdp_secondary, f, len, &r), "secondary");
	ASSERT_EQ(r.retval, XDP_DROP, "secondary dropped");
	read_counters(skel, &after);
	check_deltas(&before, &after, ds, 2, "secondary");

	/* one byte shorter fits: passed on (fail-open, no socket) */
	read_counters(skel, &before);
	ASSERT_OK(run_xdp(skel->progs.colo_xdp_primary, f, len - 1, &r), "fits");
	read_counters(skel, &after);
	ASSERT_EQ(after.c[COLO_CNT_PRI_OVERSIZE].packets -
			  before.c[COLO_CNT_PRI_OVERSIZE].packets, 0, "fits");
out:
	colo__destroy(skel);
}

/* The userspace parser gives the BPF programs their verdicts: cross-check. */
static void test_table_sane(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t f[FRAME_BUF];
		struct colo_pkt p;
		size_t len = build_case(&cases[i], f);

		ASSERT_EQ(colo_parse(f, f + len, &p), cases[i].result,
			  cases[i].name);
	}
}

static struct colo *load(__u32 flags, __u32 out_ifindex)
{
	struct colo *skel = colo__open();
	int err;

	if (!ASSERT_OK_PTR(skel, "colo__open"))
		return NULL;
	skel->rodata->colo_cfg.flags = flags;
	skel->rodata->colo_cfg.out_ifindex = out_ifindex;
	/* small LRU map: the tests use a few dozen flows */
	bpf_map__set_max_entries(skel->maps.colo_conns, 1024);
	err = colo__load(skel);
	if (!ASSERT_OK(err, "colo__load")) {
		colo__destroy(skel);
		return NULL;
	}
	return skel;
}

/*
 * --conn-stats off: the same verdicts, counters and metadata, and no
 * colo_conns entry for either role.
 */
static void test_conn_stats_off(void)
{
	struct frame_spec s = frame_udp(4, 53, 1234, pl, 200);
	struct counters before, after;
	struct colo *skel = load(COLO_CFG_PRIMARY_FAIL_OPEN |
				 COLO_CFG_NO_CONN_STATS, 1 /* lo */);
	struct colo_conn_stats st;
	struct colo_meta m;
	struct colo_pkt p;
	struct xdp_run r;
	uint8_t f[FRAME_BUF];
	size_t len = frame_build(&s, f, sizeof(f));
	struct delta dp[] = {
		{ COLO_CNT_PRI_RX, 1, len },
		{ COLO_CNT_PRI_FAIL_OPEN, 1, len },
	};

	if (!skel)
		return;
	ASSERT_EQ(colo_parse(f, f + len, &p), COLO_PARSE_OK, "parse");

	read_counters(skel, &before);
	ASSERT_OK(run_xdp(skel->progs.colo_xdp_primary, f, len, &r), "primary");
	ASSERT_EQ(r.retval, XDP_PASS, "primary passed (fail-open)");
	read_counters(skel, &after);
	check_deltas(&before, &after, dp, 2, "primary");
	memcpy(&m, r.out, sizeof(m));
	ASSERT_EQ(m.hash, p.hash, "metadata still written");

	ASSERT_OK(run_xdp(skel->progs.colo_xdp_secondary, f, len, &r),
		  "secondary");
	ASSERT_EQ(r.retval, XDP_DROP, "secondary dropped (no socket)");
	ASSERT_TRUE(bpf_map_lookup_elem(bpf_map__fd(skel->maps.colo_conns),
					&p.key, &st) != 0,
		    "no colo_conns entry");
	colo__destroy(skel);
}

static void test_load(void)
{
	skel_open = load(COLO_CFG_PRIMARY_FAIL_OPEN, 1 /* lo */);
	skel_closed = load(0, 0);
}

int main(int argc, char **argv)
{
	size_t i;

	test__init(argc, argv);
	frame_pattern(pl, sizeof(pl), 7);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		fprintf(stderr, "libbpf_num_possible_cpus: %d\n", ncpus);
		return 1;
	}

	/* loading is not a filterable subtest: everything needs it */
	test_env.subtest = "load";
	test_load();
	test__end_subtest();
	if (!skel_open || !skel_closed)
		return test__summary("test_colo_bpf");

	RUN_SUBTEST("table_matches_userspace_parser", test_table_sane);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		RUN_SUBTEST(cases[i].name, test_case, &cases[i]);
	RUN_SUBTEST("flow_one_conn_entry", test_flow_one_entry);
	RUN_SUBTEST("malformed_no_conn_entry", test_malformed_no_entry);
	RUN_SUBTEST("tc_failopen", test_tc_failopen);
	RUN_SUBTEST("tc_mirror_clone_error", test_tc_mirror_clone_error);
	RUN_SUBTEST("oversize_dropped_and_counted", test_oversize);
	RUN_SUBTEST("conn_stats_off", test_conn_stats_off);

	colo__destroy(skel_closed);
	colo__destroy(skel_open);
	return test__summary("test_colo_bpf");
}
