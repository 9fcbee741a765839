// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror_bpf.c - colo_tc_mirror under BPF_PROG_TEST_RUN: the
 * secondary's copy of the network's input, its TCP acknowledgements
 * translated into the secondary's sequence space.
 *
 * A table of frames (tests/frames.h), each with or without a colo_seq
 * entry for its connection (the key as the daemon computes it, with
 * colo_parse()), goes through the program. Per frame: the verdict
 * (TC_ACT_REDIRECT to the secondary, TC_ACT_SHOT when a copy that needed
 * translating could not be), every counter's delta, and the frame that
 * comes out, byte for byte, against the input with the expected ack and
 * SACK edges moved by the offset and the TCP checksum recomputed from
 * scratch in userspace: so the incremental update in BPF must give exactly
 * the full checksum.
 *
 * Both mirror targets are lo (ifindex 1). The program's clone for the
 * primary is really transmitted there during test_run; a packet socket on
 * lo catches it, to check that the primary gets the frame untouched
 * whatever the secondary's copy became. On lo the clone is harmless: its
 * destination MAC is not lo's, so the stack drops it as PACKET_OTHERHOST.
 *
 * What test_run cannot show (skbs are linear here): pulling the headers of
 * non-linear skbs, and CHECKSUM_PARTIAL; that is for the integration tests.
 *
 * Needs root (loads BPF programs, opens a packet socket).
 */
#include <errno.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_util.h"
#include "frames.h"
#include "bpf_counters.h"
#include "colo_parse.h"
#include "colo.skel.h"

TEST_STATE_DEFINE;

#define LO_IFINDEX 1

static uint8_t pl[1500];
static int ncpus;
static struct colo *skel;
static int lo_sock = -1;

/* ---- counters ---- */

static int read_counters(struct counters *out)
{
	return counters_read(bpf_map__fd(skel->maps.colo_stats), out);
}

/* ---- running ---- */

struct tc_run {
	int retval;
	__u32 size_out;
	uint8_t out[FRAME_BUF];
};

static int run_mirror(const uint8_t *frame, size_t len, struct tc_run *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = frame,
		    .data_size_in = (__u32)len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .repeat = 1);
	int fd = bpf_program__fd(skel->progs.colo_tc_mirror);
	int err;

	err = bpf_prog_test_run_opts(fd, &topts);
	r->retval = (int)topts.retval;
	r->size_out = topts.data_size_out;
	return err ? -errno : 0;
}

static int seq_set_ts(const struct colo_conn_key *key, __u32 offset,
		      __u32 ts_offset)
{
	struct colo_seq_state st = { .offset = offset, .ts_offset = ts_offset };

	return bpf_map_update_elem(bpf_map__fd(skel->maps.colo_seq), key, &st,
				   BPF_ANY) ? -errno : 0;
}

static int seq_set(const struct colo_conn_key *key, __u32 offset)
{
	struct colo_seq_state st = { .offset = offset };

	return bpf_map_update_elem(bpf_map__fd(skel->maps.colo_seq), key, &st,
				   BPF_ANY) ? -errno : 0;
}

static void seq_clear(void)
{
	int fd = bpf_map__fd(skel->maps.colo_seq);
	struct colo_conn_key key;

	/* the checkpoint's way: delete everything */
	while (!bpf_map_get_next_key(fd, NULL, &key))
		if (bpf_map_delete_elem(fd, &key))
			break;
}

/* ---- the primary's clone, on lo ---- */

static int lo_open(void)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = LO_IFINDEX,
	};
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void lo_drain(void)
{
	uint8_t buf[FRAME_BUF];

	while (recv(lo_sock, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/*
 * How many frames queued on lo are exactly f. The clone is transmitted
 * synchronously inside test_run, so it is queued by the time it returns.
 */
static int lo_count(const uint8_t *f, size_t len)
{
	uint8_t buf[FRAME_BUF];
	ssize_t n;
	int hits = 0;

	while ((n = recv(lo_sock, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		if ((size_t)n == len && !memcmp(buf, f, len))
			hits++;
	return hits;
}

/* ---- the table ---- */

enum expect {
	AS_IS,   /* redirected to the secondary unchanged */
	REWRITE, /* redirected, ack (and SACK blocks) translated */
	REFUSE,  /* dropped for the secondary, REWRITE_ERR counted */
};

struct mirror_case {
	const char *name;
	struct frame_spec spec;
	/* damage after building (and after the key was taken) */
	void (*mutate)(uint8_t *f, size_t *len, struct frame_info *fi);
	bool entry;      /* write a colo_seq entry for the frame's key */
	__u32 offset;    /* its offset */
	enum expect expect;
	int nblk;        /* SACK blocks expected translated ... */
	uint8_t blk[4];  /* ... at these offsets into the TCP options */
};

#define OFF 0x01000000u /* a typical offset */

/* SACK edges, big-endian */
#define E(x) (uint8_t)((x) >> 24), (uint8_t)((x) >> 16), (uint8_t)((x) >> 8), \
	     (uint8_t)(x)
#define NOP 1
#define TS8 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 /* timestamps, 10 bytes */

/* NOP NOP SACK(1): block at 4 */
static const uint8_t o_sack1[] = { NOP, NOP, 5, 10, E(1000), E(2000) };
/* NOP NOP SACK(4): blocks at 4, 12, 20, 28 */
static const uint8_t o_sack4[] = { NOP, NOP, 5, 34, E(100), E(200), E(300),
				   E(400), E(500), E(600), E(700), E(800) };
/* NOP NOP TS NOP NOP SACK(3): blocks at 16, 24, 32 (40 bytes) */
static const uint8_t o_ts_sack3[] = { NOP, NOP, TS8, NOP, NOP, 5, 26,
				      E(11), E(22), E(33), E(44), E(55),
				      E(66) };
/* NOP SACK(2): blocks at 3 and 11, odd offsets from the header */
static const uint8_t o_sack_odd[] = { NOP, 5, 18, E(0x12345678),
				      E(0x9abcdef0), E(0xfffffff8),
				      E(0x00000007) };
/* two SACK options: blocks at 2 and 12 */
static const uint8_t o_sack_twice[] = { 5, 10, E(7), E(8), 5, 10, E(9),
					E(10) };
/* edges just below 2^32 */
static const uint8_t o_sack_wrap[] = { NOP, NOP, 5, 18, E(0xffffff00),
				       E(0xffffffff), E(0xfffffff0),
				       E(0x00000010) };
/* SACK, then an option of length 0: the walk stops; block at 2 only */
static const uint8_t o_len0[] = { 5, 10, E(1), E(2), 8, 0, 5, 10, E(3),
				  E(4) };
/* an option of length 1 before the SACK: nothing translated */
static const uint8_t o_len1[] = { NOP, 3, 1, 5, 10, E(5), E(6) };
/* a SACK option claiming 2 blocks in 12 bytes of options: ignored */
static const uint8_t o_sack_past_end[] = { NOP, NOP, 5, 18, E(1), E(2) };
/* an option running past the header hides the SACK inside it */
static const uint8_t o_opt_past_end[] = { 8, 30, 5, 10, E(1), E(2) };
/* a SACK of bad length (11) is skipped, the next one (at 11) counts */
static const uint8_t o_sack_badlen[] = { 5, 11, E(1), E(2), 0, 5, 10, E(3),
					 E(4) };
/* EOL ends the options: the SACK after it is not one */
static const uint8_t o_eol_first[] = { 0, 0, 5, 10, E(1), E(2) };
/* an option whose length byte is past the options: stop */
static const uint8_t o_no_len[] = { NOP, NOP, NOP, 5 };
/* IPv4 options: NOP NOP NOP EOL */
static const uint8_t ip_opts_nop[] = { 1, 1, 1, 0 };
/* SYN/ACK options: MSS, SACK-permitted, timestamps, window scale */
static const uint8_t o_synack[] = { 2, 4, 5, 0xb4, 4, 2, TS8, NOP, 3, 3, 7 };

/* table entries and specs override TCP()'s defaults, on purpose */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Woverride-init"

#define TCP(fam, fl, ...)                                                  \
	{ .family = fam, .proto = FRAME_TCP, .sport = 40000, .dport = 80,  \
	  .seq = 0x11111111, .ack = 0x22222222, .tcp_flags = fl,           \
	  .payload = pl, .payload_len = 100, __VA_ARGS__ }
#define ACK FRAME_TCP_ACK
#define OPTS(o) .tcp_opts = o, .tcp_opts_len = sizeof(o)

static void doff_4(uint8_t *f, size_t *len, struct frame_info *fi)
{
	(void)len;
	frame_set_tcp_doff(f, fi, 4);
}

static void doff_15(uint8_t *f, size_t *len, struct frame_info *fi)
{
	(void)len;
	frame_set_tcp_doff(f, fi, 15);
}

/* IP packet ends 12 bytes into the TCP header (ports, seq, half the ack) */
static void cut_tcp_12(uint8_t *f, size_t *len, struct frame_info *fi)
{
	frame_set_ip_len(f, len, fi, fi->l4_off - fi->l3_off + 12);
}

/*
 * Frame ends inside the IPv4 options or the first IPv6 extension header.
 * (test_run refuses frames shorter than the fixed IP header.)
 */
static void cut_ip(uint8_t *f, size_t *len, struct frame_info *fi)
{
	(void)f;
	*len = fi->l3_off + (fi->family == 4 ? 20 : 44);
}

/* IP length one byte past the frame */
static void ip_len_plus1(uint8_t *f, size_t *len, struct frame_info *fi)
{
	size_t l3 = fi->l3_end - fi->l3_off + 1;

	if (fi->family == 4)
		frame_put16(f, fi->l3_off + 2, (uint16_t)l3);
	else
		frame_put16(f, fi->l3_off + 4, (uint16_t)(l3 - 40));
	(void)len;
}

static const struct mirror_case cases[] = {
	/* the acknowledgement number */
	{ "ip4_ack", TCP(4, ACK), NULL, true, OFF, REWRITE },
	{ "ip6_ack", TCP(6, ACK), NULL, true, OFF, REWRITE },
	{ "ip4_ack_psh_fin", TCP(4, ACK | FRAME_TCP_PSH | FRAME_TCP_FIN),
	  NULL, true, 0x7654321, REWRITE },
	{ "ip4_ack_wraps", TCP(4, ACK, .ack = 0xfffffff0), NULL, true, 0x20,
	  REWRITE },
	{ "ip6_ack_negative_offset", TCP(6, ACK, .ack = 0x10), NULL, true,
	  0xfffff000, REWRITE },
	{ "ip4_pure_ack_eth_padding",
	  TCP(4, ACK, .payload_len = 0, .min_len = 60), NULL, true, OFF,
	  REWRITE },
	{ "ip4_odd_payload", TCP(4, ACK, .payload_len = 33), NULL, true, OFF,
	  REWRITE },
	{ "ip4_swapped_endpoints",
	  TCP(4, ACK, .src = "10.9.9.9", .dst = "10.0.0.2", .sport = 443,
	      .dport = 33000),
	  NULL, true, OFF, REWRITE },
	{ "ip4_vlan", TCP(4, ACK, .nvlan = 1, .vlan_tci = { 100 }), NULL, true,
	  OFF, REWRITE },
	{ "ip6_qinq", TCP(6, ACK, .nvlan = 2, .vlan_tpid = { 0x88a8, 0x8100 },
			  .vlan_tci = { 10, 20 }),
	  NULL, true, OFF, REWRITE },
	{ "ip4_options", TCP(4, ACK, .ip_opts = ip_opts_nop,
			     .ip_opts_len = sizeof(ip_opts_nop)),
	  NULL, true, OFF, REWRITE },
	{ "ip6_ext_headers",
	  TCP(6, ACK, .ext = { FRAME_HOPOPTS, FRAME_DSTOPTS, FRAME_ROUTING },
	      .next = 3),
	  NULL, true, OFF, REWRITE },
	{ "ip4_first_fragment", TCP(4, ACK, .more_frags = true), NULL, true,
	  OFF, REWRITE },
	{ "ip4_syn_ack", TCP(4, FRAME_TCP_SYN | ACK, .payload_len = 0,
			     OPTS(o_synack)),
	  NULL, true, OFF, REWRITE },
	{ "ip4_rst_ack", TCP(4, FRAME_TCP_RST | ACK, .payload_len = 0), NULL,
	  true, OFF, REWRITE },
	{ "ip4_timestamps", TCP(4, ACK, OPTS(((const uint8_t[]){ NOP, NOP,
								 TS8 }))),
	  NULL, true, OFF, REWRITE },

	/* SACK blocks */
	{ "ip4_sack_1", TCP(4, ACK, OPTS(o_sack1)), NULL, true, OFF, REWRITE,
	  1, { 4 } },
	{ "ip6_sack_4", TCP(6, ACK, OPTS(o_sack4)), NULL, true, OFF, REWRITE,
	  4, { 4, 12, 20, 28 } },
	{ "ip4_ts_sack_3", TCP(4, ACK, OPTS(o_ts_sack3)), NULL, true, OFF,
	  REWRITE, 3, { 16, 24, 32 } },
	{ "ip6_sack_odd_offsets", TCP(6, ACK, OPTS(o_sack_odd)), NULL, true,
	  0x87654321, REWRITE, 2, { 3, 11 } },
	{ "ip4_sack_odd_offsets_odd_payload",
	  TCP(4, ACK, OPTS(o_sack_odd), .payload_len = 7), NULL, true, 0x1234,
	  REWRITE, 2, { 3, 11 } },
	{ "ip4_sack_twice", TCP(4, ACK, OPTS(o_sack_twice)), NULL, true, OFF,
	  REWRITE, 2, { 2, 12 } },
	{ "ip4_sack_edges_wrap", TCP(4, ACK, OPTS(o_sack_wrap)), NULL, true,
	  0x100, REWRITE, 2, { 4, 12 } },
	{ "ip4_sack_no_ack_flag", TCP(4, FRAME_TCP_PSH, OPTS(o_sack1)), NULL,
	  true, OFF, AS_IS },

	/* malformed options: the ack is translated, the walk stops there */
	{ "opt_len_0", TCP(4, ACK, OPTS(o_len0)), NULL, true, OFF, REWRITE, 1,
	  { 2 } },
	{ "opt_len_1", TCP(6, ACK, OPTS(o_len1)), NULL, true, OFF, REWRITE },
	{ "opt_sack_past_end", TCP(4, ACK, OPTS(o_sack_past_end)), NULL, true,
	  OFF, REWRITE },
	{ "opt_past_end_hides_sack", TCP(4, ACK, OPTS(o_opt_past_end)), NULL,
	  true, OFF, REWRITE },
	{ "opt_sack_bad_len_skipped", TCP(4, ACK, OPTS(o_sack_badlen)), NULL,
	  true, OFF, REWRITE, 1, { 13 } },
	{ "opt_eol_first", TCP(4, ACK, OPTS(o_eol_first)), NULL, true, OFF,
	  REWRITE },
	{ "opt_no_room_for_len", TCP(4, ACK, OPTS(o_no_len)), NULL, true, OFF,
	  REWRITE },

	/* nothing to translate */
	{ "no_entry", TCP(4, ACK, OPTS(o_sack1)), NULL, false, 0, AS_IS },
	{ "entry_offset_0", TCP(6, ACK, OPTS(o_sack1)), NULL, true, 0, AS_IS },
	{ "syn_no_ack", TCP(4, FRAME_TCP_SYN, .ack = 0, .payload_len = 0,
			    OPTS(o_synack)),
	  NULL, true, OFF, AS_IS },
	{ "rst_no_ack", TCP(6, FRAME_TCP_RST, .payload_len = 0), NULL, true,
	  OFF, AS_IS },
	{ "ip4_later_fragment", TCP(4, ACK, .frag_offset = 64), NULL, true,
	  OFF, AS_IS },
	{ "udp", { .family = 4, .proto = FRAME_UDP, .sport = 40000,
		   .dport = 80, .payload = pl, .payload_len = 64 },
	  NULL, true, OFF, AS_IS },
	{ "udp6", { .family = 6, .proto = FRAME_UDP, .sport = 40000,
		    .dport = 80, .payload = pl, .payload_len = 64 },
	  NULL, true, OFF, AS_IS },
	{ "icmp_echo", { .family = 4, .proto = FRAME_ICMP, .icmp_type = 8,
			 .icmp_id = 7, .payload = pl, .payload_len = 56 },
	  NULL, true, OFF, AS_IS },
	{ "icmpv6_echo", { .family = 6, .proto = FRAME_ICMPV6,
			   .icmp_type = 128, .icmp_id = 7, .payload = pl,
			   .payload_len = 56 },
	  NULL, true, OFF, AS_IS },
	{ "arp", { .family = 0, .ethertype = 0x0806, .payload = pl,
		   .payload_len = 28, .min_len = 60 },
	  NULL, true, OFF, AS_IS },

	/* headers that cannot be keyed: the guests drop them alike */
	{ "tcp_header_cut", TCP(4, ACK), cut_tcp_12, true, OFF, AS_IS },
	{ "tcp6_header_cut", TCP(6, ACK), cut_tcp_12, true, OFF, AS_IS },
	{ "ip_header_cut", TCP(4, ACK, .ip_opts = ip_opts_nop,
			       .ip_opts_len = sizeof(ip_opts_nop)),
	  cut_ip, true, OFF, AS_IS },
	{ "ip6_header_cut", TCP(6, ACK, .ext = { FRAME_HOPOPTS }, .next = 1),
	  cut_ip, true, OFF, AS_IS },
	{ "ip_len_past_frame", TCP(4, ACK), ip_len_plus1, true, OFF, AS_IS },

	/* keyed, needs translating, but the TCP header is broken: refused */
	{ "doff_below_5", TCP(4, ACK), doff_4, true, OFF, REFUSE },
	{ "doff_past_packet", TCP(6, ACK, .payload_len = 8), doff_15, true,
	  OFF, REFUSE },
	{ "doff_past_ip_into_padding",
	  TCP(4, ACK, .payload_len = 0, .min_len = 100), doff_15, true, OFF,
	  REFUSE },
	{ "doff_below_5_no_entry", TCP(4, ACK), doff_4, false, 0, AS_IS },
};

/*
 * The key the daemon writes colo_seq entries under, as if the frame were
 * TCP (for the non-TCP cases: the entry must still not be used), from the
 * frame before any damage.
 */
static int case_key(const uint8_t *f, size_t len, struct colo_conn_key *key)
{
	struct colo_pkt p;
	int ret = colo_parse(f, f + len, &p);

	if (ret)
		return -EINVAL;
	*key = p.key;
	return 0;
}

/* The frame the secondary should get: the offset added, checksums redone. */
static void expected_frame(const struct mirror_case *tc, uint8_t *f,
			   const struct frame_info *fi)
{
	size_t opts = fi->l4_off + 20;
	int i;

	frame_put32(f, fi->l4_off + 8,
		    frame_get32(f, fi->l4_off + 8) + tc->offset);
	for (i = 0; i < tc->nblk; i++) {
		size_t b = opts + tc->blk[i];

		frame_put32(f, b, frame_get32(f, b) + tc->offset);
		frame_put32(f, b + 4, frame_get32(f, b + 4) + tc->offset);
	}
	frame_fix_csums(f, fi);
}

static void test_case(const struct mirror_case *tc)
{
	uint8_t f[FRAME_BUF], exp[FRAME_BUF];
	struct counters before, after;
	struct colo_conn_key key;
	struct frame_info fi;
	struct delta d[2];
	struct tc_run r;
	size_t len;
	int nd = 0;

	len = frame_build_info(&tc->spec, f, sizeof(f), &fi);
	if (!ASSERT_TRUE(len >= 14, "frame_build"))
		return;
	ASSERT_TRUE(frame_l4_csum_ok(f, &fi), "input checksum");
	seq_clear();
	if (tc->entry) {
		if (!ASSERT_OK(case_key(f, len, &key), "key"))
			return;
		ASSERT_OK(seq_set(&key, tc->offset), "seq_set");
		/* the same endpoints as TCP, for the non-TCP frames */
		key.proto = FRAME_TCP;
		ASSERT_OK(seq_set(&key, tc->offset), "seq_set tcp");
	}
	if (tc->mutate)
		tc->mutate(f, &len, &fi);
	memcpy(exp, f, len);
	if (tc->expect == REWRITE)
		expected_frame(tc, exp, &fi);

	lo_drain();
	if (!ASSERT_OK(read_counters(&before), "counters"))
		return;
	if (!ASSERT_OK(run_mirror(f, len, &r), "test_run"))
		return;
	ASSERT_OK(read_counters(&after), "counters");

	d[nd++] = (struct delta){ COLO_CNT_MIRROR_IN, 1, len };
	if (tc->expect == REWRITE)
		d[nd++] = (struct delta){ COLO_CNT_MIRROR_REWRITE, 1, len };
	else if (tc->expect == REFUSE)
		d[nd++] = (struct delta){ COLO_CNT_MIRROR_REWRITE_ERR, 1,
					  len };
	check_deltas(&before, &after, d, nd, "counters");

	/* the primary's clone went out first, untouched */
	ASSERT_TRUE(lo_count(f, len) >= 1, "primary clone is the original");

	if (tc->expect == REFUSE) {
		ASSERT_EQ(r.retval, TC_ACT_SHOT, "verdict");
		return;
	}
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict");
	if (!ASSERT_EQ(r.size_out, len, "size_out"))
		return;
	ASSERT_MEMEQ(r.out, exp, len, "secondary's frame");
	if (tc->expect == REWRITE) {
		ASSERT_TRUE(frame_l4_csum_ok(r.out, &fi), "output checksum");
		ASSERT_EQ(frame_get32(r.out, fi.l4_off + 8),
			  (uint32_t)(tc->spec.ack + tc->offset), "ack");
	}
}

/* ---- beyond the table ---- */

/* NOP NOP TS: TSecr at 8; NOP TS NOP: TSecr at 7, an odd offset */
static const uint8_t o_ts_even[] = { NOP, NOP, TS8 };
static const uint8_t o_ts_odd[] = { NOP, TS8, NOP };

/*
 * The TSecr the client echoes is the primary's clock: it moves by
 * ts_offset for the secondary, with or without a sequence offset, at an
 * even or odd place, and the checksum stays right.
 */
static void tsecr_case(const char *name, const struct frame_spec *spec,
		       __u32 offset, __u32 ts_offset, size_t tsecr_opt,
		       int expect_rewrite)
{
	uint8_t f[FRAME_BUF], exp[FRAME_BUF];
	struct counters before, after;
	struct colo_conn_key key;
	struct frame_info fi;
	struct tc_run r;
	size_t len = frame_build_info(spec, f, sizeof(f), &fi);
	size_t at = fi.l4_off + 20 + tsecr_opt;

	if (!ASSERT_TRUE(len >= 14, name) || !ASSERT_OK(case_key(f, len, &key), name))
		return;
	seq_clear();
	ASSERT_OK(seq_set_ts(&key, offset, ts_offset), name);
	memcpy(exp, f, len);
	frame_put32(exp, fi.l4_off + 8, frame_get32(exp, fi.l4_off + 8) + offset);
	if (tsecr_opt)
		frame_put32(exp, at, frame_get32(exp, at) + ts_offset);
	frame_fix_csums(exp, &fi);

	read_counters(&before);
	if (!ASSERT_OK(run_mirror(f, len, &r), name))
		return;
	read_counters(&after);
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, name);
	ASSERT_EQ(after.c[COLO_CNT_MIRROR_REWRITE].packets -
			  before.c[COLO_CNT_MIRROR_REWRITE].packets,
		  expect_rewrite, name);
	ASSERT_MEMEQ(r.out, exp, len, name);
	ASSERT_TRUE(frame_l4_csum_ok(r.out, &fi), name);
}

static void test_tsecr(void)
{
	struct frame_spec even = TCP(4, ACK, OPTS(o_ts_even));
	struct frame_spec odd = TCP(6, ACK, OPTS(o_ts_odd));
	struct frame_spec none = TCP(4, ACK);

	tsecr_case("ack and tsecr", &even, OFF, 0x1000, 8, 1);
	tsecr_case("tsecr only, odd place", &odd, 0, 5, 7, 1);
	tsecr_case("tsecr wraps", &even, 0, 0xfffffffe, 8, 1);
	tsecr_case("no timestamp option", &none, 0, 77, 0, 0);
}

/* The offset follows the map: written, changed, deleted (checkpoint). */
static void test_offset_follows_map(void)
{
	struct frame_spec s = TCP(4, ACK, OPTS(o_sack1));
	uint8_t f[FRAME_BUF];
	struct colo_conn_key key;
	struct frame_info fi;
	struct tc_run r;
	size_t len = frame_build_info(&s, f, sizeof(f), &fi);

	seq_clear();
	ASSERT_OK(case_key(f, len, &key), "key");
	ASSERT_OK(seq_set(&key, 5), "set 5");
	ASSERT_OK(run_mirror(f, len, &r), "run");
	ASSERT_EQ(frame_get32(r.out, fi.l4_off + 8), s.ack + 5, "ack + 5");
	ASSERT_EQ(frame_get32(r.out, fi.l4_off + 24), 1000 + 5, "left + 5");

	ASSERT_OK(seq_set(&key, 0xffffffff), "set -1");
	ASSERT_OK(run_mirror(f, len, &r), "run");
	ASSERT_EQ(frame_get32(r.out, fi.l4_off + 8), s.ack - 1, "ack - 1");
	ASSERT_EQ(frame_get32(r.out, fi.l4_off + 28), 2000 - 1, "right - 1");
	ASSERT_TRUE(frame_l4_csum_ok(r.out, &fi), "checksum");

	seq_clear();
	ASSERT_OK(run_mirror(f, len, &r), "run");
	ASSERT_MEMEQ(r.out, f, len, "unchanged after the checkpoint");
}

/* Both directions of a connection share the entry: the key is normalised. */
static void test_key_both_directions(void)
{
	struct frame_spec out = TCP(4, ACK, .src = "192.0.2.1",
				    .dst = "198.51.100.20", .sport = 80,
				    .dport = 51000);
	struct frame_spec in = frame_reply(&out);
	uint8_t a[FRAME_BUF], b[FRAME_BUF];
	struct colo_conn_key key;
	struct frame_info fi;
	struct tc_run r;
	size_t la, lb;

	seq_clear();
	la = frame_build(&out, a, sizeof(a));
	lb = frame_build_info(&in, b, sizeof(b), &fi);
	/* the daemon learns the offset from the guest's frame ... */
	ASSERT_OK(case_key(a, la, &key), "key");
	ASSERT_OK(seq_set(&key, OFF), "set");
	/* ... and the client's frame, the other direction, finds it */
	ASSERT_OK(run_mirror(b, lb, &r), "run");
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict");
	ASSERT_EQ(frame_get32(r.out, fi.l4_off + 8), in.ack + OFF, "ack");
	ASSERT_TRUE(frame_l4_csum_ok(r.out, &fi), "checksum");
}

/* A key differing in any one field must not find the entry. */
static void test_key_exact(void)
{
	struct frame_spec s = TCP(6, ACK);
	uint8_t f[FRAME_BUF];
	struct colo_conn_key key, k;
	struct tc_run r;
	size_t len = frame_build(&s, f, sizeof(f));
	unsigned int i;

	ASSERT_OK(case_key(f, len, &key), "key");
	for (i = 0; i < 4; i++) {
		seq_clear();
		k = key;
		switch (i) {
		case 0: k.port_a ^= 1; break;
		case 1: k.addr_b[3] ^= htonl(1); break;
		case 2: k.proto = FRAME_UDP; break;
		case 3: k.family = COLO_L3_IPV4; break;
		}
		ASSERT_OK(seq_set(&k, OFF), "set");
		ASSERT_OK(run_mirror(f, len, &r), "run");
		ASSERT_MEMEQ(r.out, f, len, "no match, unchanged");
	}
	seq_clear();
}

static struct colo *load(void)
{
	struct colo *s = colo__open();
	int err;

	if (!ASSERT_OK_PTR(s, "colo__open"))
		return NULL;
	s->rodata->colo_cfg.primary_ifindex = LO_IFINDEX;
	s->rodata->colo_cfg.secondary_ifindex = LO_IFINDEX;
	/* small maps, as the daemon may size them (--max-conns) */
	bpf_map__set_max_entries(s->maps.colo_conns, 1024);
	bpf_map__set_max_entries(s->maps.colo_seq, 1024);
	err = colo__load(s);
	if (!ASSERT_OK(err, "colo__load")) {
		colo__destroy(s);
		return NULL;
	}
	return s;
}

int main(int argc, char **argv)
{
	size_t i;

	test__init(argc, argv);
	frame_pattern(pl, sizeof(pl), 11);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		fprintf(stderr, "libbpf_num_possible_cpus: %d\n", ncpus);
		return 1;
	}

	test_env.subtest = "load";
	skel = load();
	lo_sock = lo_open();
	ASSERT_TRUE(lo_sock >= 0, "packet socket on lo");
	test__end_subtest();
	if (!skel || lo_sock < 0)
		return test__summary("test_mirror_bpf");

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		RUN_SUBTEST(cases[i].name, test_case, &cases[i]);
	RUN_SUBTEST("offset_follows_map", test_offset_follows_map);
	RUN_SUBTEST("tsecr_translated", test_tsecr);
	RUN_SUBTEST("key_both_directions", test_key_both_directions);
	RUN_SUBTEST("key_exact", test_key_exact);

	close(lo_sock);
	colo__destroy(skel);
	return test__summary("test_mirror_bpf");
}
