// SPDX-License-Identifier: GPL-2.0
/*
 * test_compare.c - the comparator against crafted primary/secondary streams.
 *
 * A malloc'ed region stands in for the UMEM: frame i lives at
 * i * FSZ + HEADROOM and is never reused within a subtest, so a released
 * frame can still be inspected afterwards. The callbacks track who owns each
 * frame (a frame given back twice, a secondary frame released or an unknown
 * address is an error) and log releases, drops and divergences as strings
 * such as "p1 p2" and "s1=matched", which each step compares exactly. Every
 * subtest ends with cmp__check() (frames in = released + dropped + held,
 * queue and list links), cmp_free() and a check that every frame came back.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "frames.h"
#include "colo_parse.h"
#include "compare.h"
#include "compare_int.h"

TEST_STATE_DEFINE;

#define FSZ 4096
#define NFR 512
#define HEADROOM 256
#define MS 1000000ULL
#define TIMEOUT (100 * MS)
#define IDLE (10000 * MS)
#define LINGER (1000 * MS)

#define P COLO_ROLE_PRIMARY
#define S COLO_ROLE_SECONDARY

#define F_FIN FRAME_TCP_FIN
#define F_SYN FRAME_TCP_SYN
#define F_RST FRAME_TCP_RST
#define F_PSH FRAME_TCP_PSH
#define F_ACK FRAME_TCP_ACK

#define LOG_MAX 4096

struct h {
	struct comparator *c;
	__u8 *umem;
	__u32 next;              /* next unused frame */
	bool ours[NFR];          /* given to the comparator, not back yet */
	char name[NFR][16];
	int role[NFR];
	__u32 len[NFR];
	char rel[LOG_MAX], drop[LOG_MAX], evs[LOG_MAX];
	struct cmp_event last_ev;
	int bad;
	__u64 now;
	int offsets_told;        /* seq_offset callbacks */
	__u32 offset, ts_offset; /* the last one's values */
};

#define ASSERT_STR(actual, expected, name)                                 \
	({                                                                 \
		const char *___a = (actual), *___e = (expected);           \
		bool ___ok = !strcmp(___a, ___e);                          \
		if (!___ok)                                                \
			__FAIL("%s: got \"%s\", expected \"%s\"", name,    \
			       ___a, ___e);                                \
		___ok;                                                     \
	})

static void log_add(char *buf, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n && n + 1 < LOG_MAX)
		buf[n++] = ' ';
	va_start(ap, fmt);
	vsnprintf(buf + n, LOG_MAX - n, fmt, ap);
	va_end(ap);
}

/* Returns the log and empties it (rotating buffers: safe in one ASSERT). */
static const char *take(char *buf)
{
	static char out[4][LOG_MAX];
	static int k;
	char *o = out[k++ & 3];

	strcpy(o, buf);
	buf[0] = '\0';
	return o;
}

static bool give_back(struct h *h, __u64 addr, const char *what)
{
	__u32 i = (__u32)(addr / FSZ);

	if (i >= h->next || addr != (__u64)i * FSZ + HEADROOM || !h->ours[i]) {
		fprintf(stderr, "  bad %s of addr %llu\n", what,
			(unsigned long long)addr);
		h->bad++;
		return false;
	}
	h->ours[i] = false;
	return true;
}

static void on_release(void *ctx, __u64 addr, __u32 len)
{
	struct h *h = ctx;
	__u32 i = (__u32)(addr / FSZ);

	if (!give_back(h, addr, "release"))
		return;
	if (h->role[i] != P || len != h->len[i]) {
		fprintf(stderr, "  frame %s released (role %d, len %u)\n",
			h->name[i], h->role[i], len);
		h->bad++;
	}
	log_add(h->rel, "%s", h->name[i]);
}

static void on_drop(void *ctx, __u64 addr, enum cmp_drop_reason why)
{
	struct h *h = ctx;
	__u32 i = (__u32)(addr / FSZ);

	if (!give_back(h, addr, "drop"))
		return;
	log_add(h->drop, "%s=%s", h->name[i], cmp_drop_str(why));
}

static void on_divergence(void *ctx, const struct cmp_event *ev)
{
	struct h *h = ctx;

	h->last_ev = *ev;
	log_add(h->evs, "%s:%s:%s@%u", cmp_reason_str(ev->reason),
		ev->role == P ? "pri" : "sec", ev->what[0] ? ev->what : "-",
		ev->offset);
}

static void on_seq_offset(void *ctx, const struct colo_conn_key *key,
			  __u32 offset, __u32 ts_offset)
{
	struct h *h = ctx;

	(void)key;
	h->offsets_told++;
	h->offset = offset;
	h->ts_offset = ts_offset;
}

static const struct cmp_ops ops = {
	.release = on_release,
	.drop = on_drop,
	.divergence = on_divergence,
	.seq_offset = on_seq_offset,
};

static bool h_init_cfg(struct h *h, __u32 max_conns, __u32 max_queue,
		       bool non_ip_compare)
{
	struct cmp_config cfg = {
		.frame_size = FSZ,
		.nr_frames = NFR,
		.max_conns = max_conns,
		.max_queue = max_queue,
		.compare_timeout_ns = TIMEOUT,
		.idle_timeout_ns = IDLE,
		.linger_ns = LINGER,
		.non_ip_compare = non_ip_compare,
	};

	memset(h, 0, sizeof(*h));
	h->umem = calloc(NFR, FSZ);
	cfg.umem = h->umem;
	h->now = 1000 * MS;
	h->c = cmp_new(&cfg, &ops, h);
	return ASSERT_OK_PTR(h->c, "cmp_new");
}

static bool h_init(struct h *h)
{
	return h_init_cfg(h, 64, 64, false);
}

static struct cmp_stats stats(struct h *h)
{
	struct cmp_stats st;

	cmp_get_stats(h->c, &st);
	return st;
}

/* frames in = released + dropped + held, links and lists consistent */
static void h_check(struct h *h)
{
	struct cmp_stats st = stats(h);
	__u64 out = st.released_packets + st.held[P] + st.held[S];
	int i;

	for (i = 0; i < CMP_DROP__MAX; i++)
		out += st.dropped[i];
	ASSERT_EQ(st.rx_packets[P] + st.rx_packets[S], out, "rx = out + held");
	ASSERT_OK(cmp__check(h->c), "cmp__check");
	ASSERT_EQ(h->bad, 0, "ownership");
}

static void h_fini(struct h *h)
{
	__u32 i, missing = 0;

	if (!h->c)
		return;
	h_check(h);
	cmp_free(h->c);
	for (i = 0; i < h->next; i++)
		missing += h->ours[i];
	ASSERT_EQ(missing, 0, "every frame given back after cmp_free");
	ASSERT_EQ(h->bad, 0, "ownership after cmp_free");
	free(h->umem);
	h->c = NULL;
}

static __u32 feed_buf(struct h *h, int role, const __u8 *buf, size_t len,
		      const char *name)
{
	__u32 i = h->next++;
	__u64 addr = (__u64)i * FSZ + HEADROOM;
	struct colo_pkt pkt;
	int err;

	if (!ASSERT_TRUE(i < NFR && len && len <= FSZ - HEADROOM, "room"))
		return i;
	memcpy(h->umem + addr, buf, len);
	err = colo_parse(h->umem + addr, h->umem + addr + len, &pkt);
	if (!ASSERT_EQ(err, COLO_PARSE_OK, name))
		return i;
	snprintf(h->name[i], sizeof(h->name[i]), "%s", name);
	h->role[i] = role;
	h->len[i] = (__u32)len;
	h->ours[i] = true;
	cmp_input(h->c, (enum colo_role)role, addr, (__u32)len, &pkt, h->now);
	return i;
}

static __u32 feed(struct h *h, int role, struct frame_spec s, const char *name)
{
	__u8 buf[FRAME_BUF];
	size_t len = frame_build(&s, buf, sizeof(buf));

	ASSERT_TRUE(len > 0, "frame_build");
	return feed_buf(h, role, buf, len, name);
}

static __u8 *frame_at(struct h *h, __u32 i)
{
	return h->umem + (__u64)i * FSZ + HEADROOM;
}

struct conn_look {
	int n;
	struct cmp_conn_info ci;
};

static int look_cb(const struct cmp_conn_info *ci, void *arg)
{
	struct conn_look *l = arg;

	if (!l->n++)
		l->ci = *ci;
	return 0;
}

static struct conn_look conns(struct h *h)
{
	struct conn_look l = { 0 };

	cmp_for_each_conn(h->c, look_cb, &l);
	return l;
}

/* ---- payloads and specs ---- */

static __u8 stream[16384];

static void payload_init(void)
{
	frame_pattern(stream, sizeof(stream), 42);
}

static struct frame_spec udp4(const void *data, size_t len)
{
	return frame_udp(4, 5000, 53, data, len);
}

static struct frame_spec tcp4(__u32 seq, __u32 ack, __u8 flags,
			      const void *data, size_t len)
{
	return frame_tcp(4, seq, ack, flags, data, len);
}

/* The secondary's frames differ in what must be ignored: window, options. */
static struct frame_spec tcp4s(__u32 seq, __u32 ack, __u8 flags,
			       const void *data, size_t len)
{
	static const __u8 ts_opt[12] = { 1, 1, 8, 10, 0xde, 0xad, 0xbe, 0xef,
					  0, 0, 0, 9 };
	struct frame_spec s = frame_tcp(4, seq, ack, flags, data, len);

	s.window = 1234;
	s.tcp_opts = ts_opt;
	s.tcp_opts_len = sizeof(ts_opt);
	s.ttl = 63;
	s.ip_id = 777;
	return s;
}

#define CISN 777u /* the client's ISN; the guests ack CISN + 1 */
#define A0 (CISN + 1)

/* Active open from the guest; leaves the connection established. */
static void tcp_open(struct h *h, __u32 pisn, __u32 sisn)
{
	feed(h, P, tcp4(pisn, 0, F_SYN, NULL, 0), "psyn");
	ASSERT_STR(take(h->rel), "", "SYN waits for the secondary's");
	feed(h, S, tcp4s(sisn, 0, F_SYN, NULL, 0), "ssyn");
	ASSERT_STR(take(h->rel), "psyn", "SYNs matched");
	ASSERT_STR(take(h->drop), "ssyn=matched", "SYN consumed");
	feed(h, P, tcp4(pisn + 1, A0, F_ACK, NULL, 0), "pack");
	ASSERT_STR(take(h->rel), "", "ACK waits for the secondary's ack");
	feed(h, S, tcp4s(sisn + 1, A0, F_ACK, NULL, 0), "sack");
	ASSERT_STR(take(h->rel), "pack", "ACK released");
	ASSERT_STR(take(h->drop), "sack=matched", "pure ACK consumed");
	ASSERT_STR(take(h->evs), "", "no divergence in the handshake");
}

/* ---- datagrams ---- */

static void test_udp_identical(void)
{
	struct h h;
	char n[8];
	int i;

	if (!h_init(&h))
		return;
	for (i = 0; i < 5; i++) {
		snprintf(n, sizeof(n), "p%d", i);
		feed(&h, P, udp4(stream + i * 100, 100 + i), n);
		snprintf(n, sizeof(n), "s%d", i);
		feed(&h, S, udp4(stream + i * 100, 100 + i), n);
	}
	ASSERT_STR(take(h.rel), "p0 p1 p2 p3 p4", "released in order");
	ASSERT_STR(take(h.drop),
		   "s0=matched s1=matched s2=matched s3=matched s4=matched",
		   "secondaries consumed");
	ASSERT_STR(take(h.evs), "", "no divergence");
	ASSERT_EQ(stats(&h).released_packets, 5, "released count");
	ASSERT_EQ(stats(&h).connections, 1, "one connection");
	h_fini(&h);
}

static void test_udp_order(void)
{
	struct h h;

	if (!h_init(&h))
		return;
	/* primary first: each secondary releases exactly its twin */
	feed(&h, P, udp4(stream, 10), "p1");
	feed(&h, P, udp4(stream + 10, 20), "p2");
	feed(&h, P, udp4(stream + 30, 30), "p3");
	ASSERT_STR(take(h.rel), "", "held until the secondary");
	ASSERT_EQ(stats(&h).held[P], 3, "held[P]");
	feed(&h, S, udp4(stream, 10), "s1");
	ASSERT_STR(take(h.rel), "p1", "first");
	feed(&h, S, udp4(stream + 10, 20), "s2");
	feed(&h, S, udp4(stream + 30, 30), "s3");
	ASSERT_STR(take(h.rel), "p2 p3", "rest in order");
	ASSERT_STR(take(h.drop), "s1=matched s2=matched s3=matched", "drops");
	h_check(&h);

	/* secondary first */
	feed(&h, S, udp4(stream + 60, 5), "s4");
	feed(&h, S, udp4(stream + 65, 6), "s5");
	ASSERT_EQ(stats(&h).held[S], 2, "held[S]");
	feed(&h, P, udp4(stream + 60, 5), "p4");
	ASSERT_STR(take(h.rel), "p4", "released on arrival");
	feed(&h, P, udp4(stream + 65, 6), "p5");
	ASSERT_STR(take(h.rel), "p5", "released on arrival");
	ASSERT_STR(take(h.drop), "s4=matched s5=matched", "drops");
	ASSERT_STR(take(h.evs), "", "no divergence");
	h_fini(&h);
}

static void test_udp_divergence(void)
{
	const char *pd = "hello world, this is the primary";
	char sd[64];
	struct h h;

	if (!h_init(&h))
		return;
	strcpy(sd, pd);
	sd[7] = 'O';
	feed(&h, P, udp4(stream, 50), "p1");
	feed(&h, S, udp4(stream, 50), "s1");
	ASSERT_STR(take(h.rel), "p1", "equal pair");
	take(h.drop);

	feed(&h, P, udp4(pd, strlen(pd)), "p2");
	feed(&h, S, udp4(sd, strlen(sd)), "s2");
	ASSERT_STR(take(h.evs), "miscompare:pri:payload@7", "first differing byte");
	ASSERT_EQ(h.last_ev.pri_excerpt_len, 16, "excerpt length");
	ASSERT_MEMEQ(h.last_ev.pri_excerpt, pd + 7, 16, "primary excerpt");
	ASSERT_MEMEQ(h.last_ev.sec_excerpt, sd + 7, 16, "secondary excerpt");
	ASSERT_EQ(h.last_ev.l4proto, 17, "l4proto");
	ASSERT_EQ(h.last_ev.pri_addr, 2ULL * FSZ + HEADROOM, "pri_addr");
	ASSERT_EQ(h.last_ev.sec_addr, 3ULL * FSZ + HEADROOM, "sec_addr");
	ASSERT_STR(take(h.rel), "", "nothing released");

	/* a diverged connection holds everything, equal or not */
	feed(&h, P, udp4(stream + 100, 10), "p3");
	feed(&h, S, udp4(stream + 100, 10), "s3");
	feed(&h, P, udp4(stream + 200, 10), "p4");
	ASSERT_STR(take(h.rel), "", "held while diverged");
	ASSERT_STR(take(h.evs), "", "reported once");
	ASSERT_TRUE(conns(&h).ci.diverged, "marked diverged");
	h.now += 5 * TIMEOUT;
	cmp_tick(h.c, h.now);
	ASSERT_STR(take(h.evs), "", "no timeout on a diverged connection");
	h_check(&h);

	cmp_flush(h.c, h.now);
	ASSERT_STR(take(h.rel), "p2 p3 p4", "flush releases in order");
	ASSERT_STR(take(h.drop), "s2=flush s3=flush", "flush drops");
	ASSERT_EQ(stats(&h).flushes, 1, "flushes");
	ASSERT_FALSE(conns(&h).ci.diverged, "divergence cleared");

	feed(&h, P, udp4(stream + 300, 10), "p5");
	feed(&h, S, udp4(stream + 300, 10), "s5");
	ASSERT_STR(take(h.rel), "p5", "compared again after the flush");
	ASSERT_STR(take(h.drop), "s5=matched", "drop");
	h_fini(&h);
}

static void test_udp_length(void)
{
	struct h h;

	if (!h_init(&h))
		return;
	feed(&h, P, udp4(stream, 40), "p1");
	feed(&h, S, udp4(stream, 30), "s1");
	ASSERT_STR(take(h.evs), "miscompare:pri:length@30", "length differs");
	ASSERT_EQ(h.last_ev.sec_excerpt_len, 0, "secondary has nothing there");
	ASSERT_EQ(h.last_ev.pri_excerpt_len, 10, "primary's extra bytes");
	h_fini(&h);
}

/* The secondary's first frame matches nothing: strict order, no reordering. */
static void test_udp_reordered_secondary(void)
{
	struct h h;

	if (!h_init(&h))
		return;
	feed(&h, P, udp4(stream, 10), "p1");
	feed(&h, P, udp4(stream + 10, 10), "p2");
	feed(&h, S, udp4(stream + 10, 10), "s2");
	ASSERT_STR(take(h.evs), "miscompare:pri:payload@0",
		   "primary head has no twin");
	ASSERT_STR(take(h.rel), "", "p2 never overtakes p1");
	h_fini(&h);
}

/* A secondary frame no primary matches is skipped by the search, then times out. */
static void test_udp_extra_secondary(void)
{
	struct h h;

	if (!h_init(&h))
		return;
	feed(&h, S, udp4(stream + 500, 10), "sx");
	feed(&h, S, udp4(stream, 10), "s1");
	feed(&h, P, udp4(stream, 10), "p1");
	ASSERT_STR(take(h.rel), "p1", "matched past the extra frame");
	ASSERT_STR(take(h.drop), "s1=matched", "its twin consumed");
	h.now += TIMEOUT;
	cmp_tick(h.c, h.now);
	ASSERT_STR(take(h.evs), "timeout:sec:unmatched@0", "extra frame times out");
	h_fini(&h);
}

static void test_udp_csum_only(void)
{
	__u8 buf[FRAME_BUF];
	struct frame_spec s = udp4(stream, 64);
	struct frame_info fi;
	size_t len;
	struct h h;

	if (!h_init(&h))
		return;
	len = frame_build_info(&s, buf, sizeof(buf), &fi);
	feed(&h, P, s, "p1");
	/* secondary: wrong checksum, other IP ID and TTL, other MACs */
	frame_put16(buf, fi.l4_off + 6, 0x1234);
	frame_put16(buf, fi.l3_off + 4, 0x9999);
	buf[fi.l3_off + 8] = 3;
	buf[0] ^= 0xff;
	buf[11] ^= 0xff;
	feed_buf(&h, S, buf, len, "s1");
	ASSERT_STR(take(h.evs), "", "checksum, IP ID, TTL, MACs ignored");
	ASSERT_STR(take(h.rel), "p1", "released");
	ASSERT_EQ(stats(&h).csum_fixed, 0, "primary's checksum was right");
	h_fini(&h);
}

static void test_udp_padding(void)
{
	struct frame_spec a = udp4(stream, 4), b = udp4(stream, 4);
	__u8 buf[FRAME_BUF];
	size_t len;
	struct h h;

	if (!h_init(&h))
		return;
	a.min_len = 60;
	b.min_len = 60;
	feed(&h, P, a, "p1");
	len = frame_build(&b, buf, sizeof(buf));
	buf[len - 1] = 0xaa; /* garbage in the Ethernet padding */
	feed_buf(&h, S, buf, len, "s1");
	ASSERT_STR(take(h.rel), "p1", "padding ignored");
	ASSERT_STR(take(h.evs), "", "no divergence");
	h_fini(&h);
}

static void test_icmp_echo(void)
{
	struct frame_spec s;
	struct h h;

	if (!h_init(&h))
		return;
	feed(&h, P, frame_echo(4, false, 7, 1, stream, 56), "p4");
	feed(&h, S, frame_echo(4, false, 7, 1, stream, 56), "s4");
	feed(&h, P, frame_echo(6, false, 7, 1, stream, 56), "p6");
	feed(&h, S, frame_echo(6, false, 7, 1, stream, 56), "s6");
	ASSERT_STR(take(h.rel), "p4 p6", "echo v4 and v6 released");
	ASSERT_STR(take(h.drop), "s4=matched s6=matched", "drops");
	ASSERT_EQ(stats(&h).connections, 2, "one connection per family");

	/* same id, different sequence number: the ICMP header differs */
	feed(&h, P, frame_echo(4, false, 7, 2, stream, 56), "p4b");
	s = frame_echo(4, false, 7, 3, stream, 56);
	feed(&h, S, s, "s4b");
	ASSERT_STR(take(h.evs), "miscompare:pri:icmp-header@0",
		   "echo sequence differs");
	ASSERT_EQ(h.last_ev.pri_excerpt[0], 2, "excerpt from the byte (seq lo)");
	ASSERT_EQ(h.last_ev.sec_excerpt[0], 3, "secondary's byte");

	/* type differs (v6, its own connection) */
	feed(&h, P, frame_echo(6, false, 9, 1, stream, 8), "p6b");
	s = frame_echo(6, false, 9, 1, stream, 8);
	s.icmp_code = 1;
	feed(&h, S, s, "s6b");
	ASSERT_STR(take(h.evs), "miscompare:pri:icmp-code@0", "code differs");
	h_fini(&h);
}

static void test_udp_ipv6(void)
{
	struct frame_spec s = frame_udp(6, 5000, 53, stream, 80);
	__u8 buf[FRAME_BUF];
	struct frame_info fi;
	size_t len;
	struct h h;

	if (!h_init(&h))
		return;
	feed(&h, P, s, "p1");
	len = frame_build_info(&s, buf, sizeof(buf), &fi);
	/* flow label and hop limit: Linux picks the former at random */
	buf[fi.l3_off + 1] |= 0x0b;
	buf[fi.l3_off + 2] = 0x12;
	buf[fi.l3_off + 3] = 0x34;
	buf[fi.l3_off + 7] = 1;
	feed_buf(&h, S, buf, len, "s1");
	ASSERT_STR(take(h.rel), "p1", "flow label ignored");
	ASSERT_STR(take(h.evs), "", "no divergence");

	feed(&h, P, frame_udp(6, 5000, 53, stream, 80), "p2");
	memcpy(buf, stream, 80);
	buf[79] ^= 1;
	feed(&h, S, frame_udp(6, 5000, 53, buf, 80), "s2");
	ASSERT_STR(take(h.evs), "miscompare:pri:payload@79", "last byte differs");
	h_fini(&h);
}

/* Protocols without an L4 parser and fragments: the whole IP packet. */
static void test_ip_other(void)
{
	struct frame_spec s = { .family = 4, .proto = FRAME_GRE,
				.payload = stream, .payload_len = 40 };
	__u8 buf[FRAME_BUF];
	struct frame_info fi;
	struct frame_spec f;
	size_t len;
	struct h h;

	if (!h_init(&h))
		return;
	s.ip_id = 1;
	feed(&h, P, s, "p1");
	s.ip_id = 2;
	feed(&h, S, s, "s1");
	ASSERT_STR(take(h.rel), "p1", "IPv4 ID ignored");

	s.ttl = 64;
	feed(&h, P, s, "p2");
	s.ttl = 63;
	feed(&h, S, s, "s2");
	ASSERT_STR(take(h.evs), "miscompare:pri:packet@8", "TTL compared");
	cmp_flush(h.c, h.now);
	take(h.rel);
	take(h.drop);

	/* a first fragment of UDP: compared whole, ID aside */
	f = udp4(stream, 64);
	f.more_frags = true;
	f.ip_id = 10;
	feed(&h, P, f, "pf");
	f.ip_id = 11;
	feed(&h, S, f, "sf");
	ASSERT_STR(take(h.rel), "pf", "fragment matched");
	ASSERT_STR(take(h.evs), "", "no divergence");

	/* IPv6: flow label ignored, traffic class compared */
	s = (struct frame_spec){ .family = 6, .proto = FRAME_GRE,
				 .payload = stream, .payload_len = 40 };
	len = frame_build_info(&s, buf, sizeof(buf), &fi);
	feed_buf(&h, P, buf, len, "p6");
	buf[fi.l3_off + 1] |= 0x0f;
	buf[fi.l3_off + 2] = 0xab;
	buf[fi.l3_off + 3] = 0xcd;
	feed_buf(&h, S, buf, len, "s6");
	ASSERT_STR(take(h.rel), "p6", "flow label ignored");
	feed(&h, P, s, "p7");
	s.tos = 0x01;
	feed(&h, S, s, "s7");
	ASSERT_STR(take(h.evs), "miscompare:pri:packet@1", "traffic class");
	h_fini(&h);
}

static void test_non_ip(void)
{
	struct frame_spec a = { .family = 0, .ethertype = 0x0806,
				.payload = stream, .payload_len = 28,
				.min_len = 60 };
	struct frame_spec b = a;
	__u8 other[28];
	struct h h;

	if (!h_init(&h))
		return;
	feed(&h, P, a, "p1");
	ASSERT_STR(take(h.rel), "p1", "pass: released at once");
	feed(&h, S, a, "s1");
	ASSERT_STR(take(h.drop), "s1=non-ip", "pass: secondary dropped");
	ASSERT_EQ(stats(&h).passed_non_ip, 1, "passed_non_ip");
	ASSERT_EQ(stats(&h).connections, 0, "no connection for pass");
	h_fini(&h);

	if (!h_init_cfg(&h, 64, 64, true))
		return;
	feed(&h, P, a, "p1");
	ASSERT_STR(take(h.rel), "", "compare: waits");
	feed(&h, S, a, "s1");
	ASSERT_STR(take(h.rel), "p1", "compare: matched");
	ASSERT_STR(take(h.drop), "s1=matched", "compare: consumed");
	memcpy(other, stream, sizeof(other));
	other[20] ^= 0x40;
	b.payload = other;
	feed(&h, P, a, "p2");
	feed(&h, S, b, "s2");
	ASSERT_STR(take(h.evs), "miscompare:pri:frame@20", "compare: differs");
	ASSERT_EQ(stats(&h).passed_non_ip, 0, "nothing passed");
	h_fini(&h);
}

/* ---- TCP ---- */

static void test_tcp_segmentation(void)
{
	const __u32 pisn = 1000, sisn = 5000;
	struct conn_look l;
	struct h h;

	if (!h_init(&h))
		return;
	tcp_open(&h, pisn, sisn);
	feed(&h, P, tcp4(pisn + 1, A0, F_ACK, stream, 1000), "p1");
	feed(&h, P, tcp4(pisn + 1001, A0, F_ACK, stream + 1000, 1000), "p2");
	feed(&h, P, tcp4(pisn + 2001, A0, F_ACK | F_PSH, stream + 2000, 1000),
	     "p3");
	ASSERT_STR(take(h.rel), "", "waits for the secondary");
	feed(&h, S, tcp4s(sisn + 1, A0, F_ACK, stream, 1460), "s1");
	ASSERT_STR(take(h.rel), "p1", "p1 compared, p2 half");
	ASSERT_STR(take(h.drop), "s1=matched", "s1 fully compared");
	feed(&h, S, tcp4s(sisn + 1461, A0, F_ACK | F_PSH, stream + 1460, 1540),
	     "s2");
	ASSERT_STR(take(h.rel), "p2 p3", "rest");
	ASSERT_STR(take(h.drop), "s2=matched", "s2");
	ASSERT_STR(take(h.evs), "", "no divergence");
	l = conns(&h);
	ASSERT_EQ(l.n, 1, "one connection");
	ASSERT_EQ(l.ci.seq_offset, sisn - pisn, "offset from the SYNs");
	ASSERT_EQ(l.ci.queued[P] + l.ci.queued[S], 0, "queues empty");
	ASSERT_EQ(stats(&h).csum_fixed, 0, "checksums were right");
	h_fini(&h);
}

/*
 * The offsets go to the mirror path once, when both SYNs are in and before
 * the primary's SYN leaves: the sequence offset, and the timestamp offset
 * from the SYNs' TSvals (0 when the primary's SYN has no timestamp).
 */
static void test_tcp_offsets_told(void)
{
	static const __u8 ts100[12] = { 1, 1, 8, 10, 0, 0, 0, 100, 0, 0, 0, 0 };
	struct frame_spec syn = tcp4(1000, 0, F_SYN, NULL, 0);
	struct h h;

	if (!h_init(&h))
		return;
	syn.tcp_opts = ts100;
	syn.tcp_opts_len = sizeof(ts100);
	feed(&h, P, syn, "psyn");
	ASSERT_EQ(h.offsets_told, 0, "not before the secondary's SYN");
	feed(&h, S, tcp4s(5000, 0, F_SYN, NULL, 0), "ssyn");
	ASSERT_EQ(h.offsets_told, 1, "told once");
	ASSERT_EQ(h.offset, 4000, "sequence offset");
	ASSERT_EQ(h.ts_offset, 0xdeadbeefu - 100, "timestamp offset");
	ASSERT_STR(take(h.rel), "psyn", "then the SYN is released");
	h_fini(&h);

	if (!h_init(&h))
		return;
	feed(&h, P, tcp4(1000, 0, F_SYN, NULL, 0), "psyn");
	feed(&h, S, tcp4s(900, 0, F_SYN, NULL, 0), "ssyn");
	ASSERT_EQ(h.offsets_told, 1, "told once");
	ASSERT_EQ(h.offset, (__u32)-100, "negative sequence offset");
	ASSERT_EQ(h.ts_offset, 0, "no timestamp in the primary's SYN");
	h_fini(&h);
}

/* Passive open, the secondary ahead all along. */
static void test_tcp_passive_open(void)
{
	const __u32 pisn = 0x10000000, sisn = 0x0fff0000;
	struct h h;

	if (!h_init(&h))
		return;
	feed(&h, S, tcp4s(sisn, A0, F_SYN | F_ACK, NULL, 0), "ssyn");
	feed(&h, S, tcp4s(sisn + 1, A0, F_ACK, stream, 700), "s1");
	feed(&h, S, tcp4s(sisn + 701, A0, F_ACK | F_FIN, stream + 700, 300),
	     "s2");
	ASSERT_EQ(stats(&h).held[S], 3, "secondary held");
	feed(&h, P, tcp4(pisn, A0, F_SYN | F_ACK, NULL, 0), "psyn");
	ASSERT_STR(take(h.rel), "psyn", "SYN/ACK matched");
	ASSERT_STR(take(h.drop), "ssyn=matched", "secondary SYN/ACK");
	feed(&h, P, tcp4(pisn + 1, A0, F_ACK, stream, 1000), "p1");
	ASSERT_STR(take(h.rel), "p1", "compared against two segments");
	ASSERT_STR(take(h.drop), "s1=matched", "s1 done, s2's FIN waits");
	feed(&h, P, tcp4(pisn + 1001, A0, F_ACK | F_FIN, NULL, 0), "pfin");
	ASSERT_STR(take(h.rel), "pfin", "FINs at the same place");
	ASSERT_STR(take(h.drop), "s2=matched", "s2 done");
	ASSERT_EQ(conns(&h).ci.seq_offset, sisn - pisn, "offset (negative)");
	ASSERT_STR(take(h.evs), "", "no divergence");

	/* closed: lingers, then expires once empty */
	h.now += LINGER - 1;
	cmp_tick(h.c, h.now);
	ASSERT_EQ(stats(&h).connections, 1, "lingering");
	h.now += 1;
	cmp_tick(h.c, h.now);
	ASSERT_EQ(stats(&h).connections, 0, "expired after linger");
	ASSERT_EQ(stats(&h).conns_expired, 1, "conns_expired");
	h_fini(&h);
}

static void test_tcp_retransmissions(void)
{
	const __u32 pisn = 1, sisn = 99;
	struct h h;

	if (!h_init(&h))
		return;
	tcp_open(&h, pisn, sisn);
	feed(&h, P, tcp4(pisn + 1, A0, F_ACK, stream, 1000), "p1");
	feed(&h, S, tcp4s(sisn + 1, A0, F_ACK, stream, 1000), "s1");
	ASSERT_STR(take(h.rel), "p1", "p1");
	take(h.drop);

	/* primary retransmits: out at once, no second compare */
	feed(&h, P, tcp4(pisn + 1, A0, F_ACK, stream, 1000), "p1r");
	ASSERT_STR(take(h.rel), "p1r", "retransmission released");
	/* secondary retransmits: consumed */
	feed(&h, S, tcp4s(sisn + 1, A0, F_ACK, stream, 1000), "s1r");
	ASSERT_STR(take(h.drop), "s1r=retransmission", "retransmission dropped");

	/* partial overlap: only the new part is compared */
	feed(&h, P, tcp4(pisn + 501, A0, F_ACK, stream + 500, 1000), "p2");
	ASSERT_STR(take(h.rel), "", "new bytes wait");
	feed(&h, S, tcp4s(sisn + 1001, A0, F_ACK, stream + 1000, 500), "s2");
	ASSERT_STR(take(h.rel), "p2", "new part compared");
	ASSERT_STR(take(h.drop), "s2=matched", "s2");
	ASSERT_STR(take(h.evs), "", "no divergence");
	h_fini(&h);
}

static void test_tcp_out_of_order(void)
{
	const __u32 pisn = 300, sisn = 400;
	struct h h;

	if (!h_init(&h))
		return;
	tcp_open(&h, pisn, sisn);
	feed(&h, P, tcp4(pisn + 1, A0, F_ACK, stream, 1000), "p1");
	feed(&h, P, tcp4(pisn + 1001, A0, F_ACK, stream + 1000, 1000), "p2");
	feed(&h, P, tcp4(pisn + 2001, A0, F_ACK, stream + 2000, 1000), "p3");
	feed(&h, S, tcp4s(sisn + 2001, A0, F_ACK, stream + 2000, 1000), "s3");
	feed(&h, S, tcp4s(sisn + 1001, A0, F_ACK, stream + 1000, 1000), "s2");
	ASSERT_STR(take(h.rel), "", "nothing before the first bytes");
	feed(&h, S, tcp4s(sisn + 1, A0, F_ACK, stream, 1000), "s1");
	ASSERT_STR(take(h.rel), "p1 p2 p3", "all in primary order");
	ASSERT_STR(take(h.drop), "s3=matched s2=matched s1=matched",
		   "all consumed");

	/* primary out of order: released in its own arrival order */
	feed(&h, P, tcp4(pisn + 4001, A0, F_ACK, stream + 4000, 1000), "p5");
	feed(&h, P, tcp4(pisn + 3001, A0, F_ACK, stream + 3000, 1000), "p4");
	feed(&h, S, tcp4s(sisn + 3001, A0, F_ACK, stream + 3000, 1500), "s4");
	ASSERT_STR(take(h.rel), "", "p4 compared but behind p5");
	feed(&h, S, tcp4s(sisn + 4501, A0, F_ACK, stream + 4500, 500), "s5");
	ASSERT_STR(take(h.rel), "p5 p4", "primary arrival order kept");
	ASSERT_STR(take(h.evs), "", "no divergence");
	h_fini(&h);
}

static void test_tcp_divergence(void)
{
	const __u32 pisn = 7000, sisn = 9000;
	__u8 bad[1000];
	struct h h;

	if (!h_init(&h))
		return;
	tcp_open(&h, pisn, sisn);
	feed(&h, P, tcp4(pisn + 1, A0, F_ACK, stream, 1000), "p1");
	feed(&h, S, tcp4s(sisn + 1, A0, F_ACK, stream, 600), "s1");
	ASSERT_STR(take(h.rel), "", "p1 partly compared");
	memcpy(bad, stream + 600, sizeof(bad));
	bad[700] ^= 0x55; /* stream byte 1300 */
	feed(&h, S, tcp4s(sisn + 601, A0, F_ACK, bad, 1000), "s2");
	ASSERT_STR(take(h.rel), "p1", "p1 equal");
	ASSERT_STR(take(h.drop), "s1=matched", "s1");
	feed(&h, P, tcp4(pisn + 1001, A0, F_ACK, stream + 1000, 1000), "p2");
	ASSERT_STR(take(h.evs), "miscompare:pri:payload@1300",
		   "stream offset of the first differing byte");
	ASSERT_MEMEQ(h.last_ev.pri_excerpt, stream + 1300, 16, "pri excerpt");
	ASSERT_MEMEQ(h.last_ev.sec_excerpt, bad + 700, 16, "sec excerpt");
	ASSERT_EQ(h.last_ev.pri_addr, (__u64)(h.next - 1) * FSZ + HEADROOM,
		  "pri_addr");

	feed(&h, P, tcp4(pisn + 2001, A0, F_ACK, stream + 2000, 100), "p3");
	feed(&h, S, tcp4s(sisn + 1601, A0, F_ACK, stream + 1600, 500), "s3");
	feed(&h, S, tcp4s(sisn + 2101, A0 + 5, F_ACK, NULL, 0), "sa");
	ASSERT_STR(take(h.rel), "", "diverged: held");
	ASSERT_STR(take(h.drop), "sa=matched", "pure ACK still consumed");
	ASSERT_STR(take(h.evs), "", "reported once");

	cmp_flush(h.c, h.now);
	ASSERT_STR(take(h.rel), "p2 p3", "flush: primary order");
	ASSERT_STR(take(h.drop), "s2=flush s3=flush", "flush drops");
	ASSERT_EQ(conns(&h).ci.seq_offset, 0, "offset reset");

	/* the secondary is a copy now: same sequence numbers */
	feed(&h, P, tcp4(pisn + 2101, A0, F_ACK, stream + 2100, 100), "p4");
	feed(&h, S, tcp4(pisn + 2101, A0, F_ACK, stream + 2100, 100), "s4");
	ASSERT_STR(take(h.rel), "p4", "compared after the flush");
	ASSERT_STR(take(h.drop), "s4=matched", "s4");
	/* and a secondary retransmission of flushed bytes is not compared */
	feed(&h, S, tcp4(pisn + 2001, A0, F_ACK, stream + 2000, 100), "s3r");
	ASSERT_STR(take(h.drop), "s3r=retransmission", "retransmission");
	ASSERT_STR(take(h.evs), "", "no divergence");
	h_fini(&h);
}

/*
 * A guest closes, then acks the client's FIN at once: its pure ACK carries
 * seq = FIN + 1. Seen from the primary before the secondary's FIN arrives,
 * that is no data past a FIN (real guests did this: a false "fin differs").
 */
static void test_tcp_fin_then_ack(void)
{
	const __u32 pisn = 50, sisn = 60;
	struct h h;

	if (!h_init(&h))
		return;
	tcp_open(&h, pisn, sisn);
	feed(&h, P, tcp4(pisn + 1, A0, F_ACK, stream, 100), "p1");
	feed(&h, S, tcp4s(sisn + 1, A0, F_ACK, stream, 100), "s1");
	take(h.rel);
	take(h.drop);
	feed(&h, P, tcp4(pisn + 101, A0, F_ACK | F_FIN, NULL, 0), "pfin");
	feed(&h, P, tcp4(pisn + 102, A0 + 1, F_ACK, NULL, 0), "pack");
	feed(&h, S, tcp4s(sisn + 101, A0, F_ACK | F_FIN, NULL, 0), "sfin");
	feed(&h, S, tcp4s(sisn + 102, A0 + 1, F_ACK, NULL, 0), "sack");
	ASSERT_STR(take(h.evs), "", "no divergence");
	ASSERT_STR(take(h.rel), "pfin pack", "FIN and its ACK released in order");
	h_fini(&h);
}

static void test_tcp_fin_one_side(void)
{
	const __u32 pisn = 50, sisn = 60;
	struct h h;

	if (!h_init(&h))
		return;
	tcp_open(&h, pisn, sisn);
	feed(&h, P, tcp4(pisn + 1, A0, F_ACK, stream, 100), "p1");
	feed(&h, S, tcp4s(sisn + 1, A0, F_ACK, stream, 100), "s1");
	take(h.rel);
	take(h.drop);
	feed(&h, P, tcp4(pisn + 101, A0, F_ACK | F_FIN, NULL, 0), "pfin");
	ASSERT_STR(take(h.rel), "", "lone FIN held");
	h.now += TIMEOUT - 1;
	cmp_tick(h.c, h.now);
	ASSERT_STR(take(h.evs), "", "not yet");
	h.now += 1;
	cmp_tick(h.c, h.now);
	ASSERT_STR(take(h.evs), "timeout:pri:fin@100", "lone FIN times out");
	h.now += TIMEOUT;
	cmp_tick(h.c, h.now);
	ASSERT_STR(take(h.evs), "", "once per queue head");
	cmp_flush(h.c, h.now);
	ASSERT_STR(take(h.rel), "pfin", "flushed");
	h_fini(&h);

	/* the secondary's lone FIN */
	if (!h_init(&h))
		return;
	tcp_open(&h, pisn, sisn);
	feed(&h, S, tcp4s(sisn + 1, A0, F_ACK | F_FIN, NULL, 0), "sfin");
	h.now += TIMEOUT;
	cmp_tick(h.c, h.now);
	ASSERT_STR(take(h.evs), "timeout:sec:fin@0", "secondary FIN times out");
	h_fini(&h);

	/* data past the other side's FIN: at once */
	if (!h_init(&h))
		return;
	tcp_open(&h, pisn, sisn);
	feed(&h, P, tcp4(pisn + 1, A0, F_ACK | F_FIN, stream, 10), "pfin");
	feed(&h, S, tcp4s(sisn + 1, A0, F_ACK, stream, 20), "s1");
	ASSERT_STR(take(h.evs), "miscompare:sec:fin@10", "data past the FIN");
	ASSERT_STR(take(h.rel), "", "nothing out");
	h_fini(&h);

	/* a FIN after the other side's data went further */
	if (!h_init(&h))
		return;
	tcp_open(&h, pisn, sisn);
	feed(&h, S, tcp4s(sisn + 1, A0, F_ACK, stream, 20), "s1");
	feed(&h, P, tcp4(pisn + 1, A0, F_ACK | F_FIN, stream, 10), "pfin");
	ASSERT_STR(take(h.evs), "miscompare:pri:fin@10", "FIN before the data end");
	h_fini(&h);
}

static void test_tcp_rst(void)
{
	const __u32 pisn = 5, sisn = 6;
	struct h h;

	if (!h_init(&h))
		return;
	tcp_open(&h, pisn, sisn);
	feed(&h, P, tcp4(pisn + 1, A0, F_ACK | F_RST, NULL, 0), "prst");
	ASSERT_STR(take(h.rel), "", "lone RST held");
	h.now += TIMEOUT;
	cmp_tick(h.c, h.now);
	ASSERT_STR(take(h.evs), "timeout:pri:rst@0", "lone RST times out");
	feed(&h, S, tcp4s(sisn + 1, A0, F_ACK | F_RST, NULL, 0), "srst");
	ASSERT_STR(take(h.rel), "prst", "RSTs matched");
	ASSERT_STR(take(h.drop), "srst=matched", "secondary RST");
	h.now += LINGER;
	cmp_tick(h.c, h.now);
	ASSERT_EQ(stats(&h).connections, 0, "closed by the RST, expired");
	h_fini(&h);

	if (!h_init(&h))
		return;
	tcp_open(&h, pisn, sisn);
	feed(&h, S, tcp4s(sisn + 1, 0, F_RST, NULL, 0), "srst");
	h.now += TIMEOUT;
	cmp_tick(h.c, h.now);
	ASSERT_STR(take(h.evs), "timeout:sec:rst@0", "secondary RST alone");
	h_fini(&h);
}

static void test_tcp_wraparound(void)
{
	const __u32 pisn = 0xffffff00u, sisn = 0xfffffff0u;
	__u8 bad[300];
	struct h h;

	if (!h_init(&h))
		return;
	tcp_open(&h, pisn, sisn);
	/* primary 3 x 200 bytes, crossing 2^32 at stream byte 255 */
	feed(&h, P, tcp4(pisn + 1, A0, F_ACK, stream, 200), "p1");
	feed(&h, P, tcp4(pisn + 201, A0, F_ACK, stream + 200, 200), "p2");
	feed(&h, P, tcp4(pisn + 401, A0, F_ACK, stream + 400, 200), "p3");
	/* secondary 2 x 300, crossing at stream byte 15 */
	feed(&h, S, tcp4s(sisn + 1, A0, F_ACK, stream, 300), "s1");
	feed(&h, S, tcp4s(sisn + 301, A0, F_ACK, stream + 300, 300), "s2");
	ASSERT_STR(take(h.rel), "p1 p2 p3", "released across the wrap");
	ASSERT_STR(take(h.drop), "s1=matched s2=matched", "consumed");
	ASSERT_STR(take(h.evs), "", "no divergence");

	feed(&h, P, tcp4(pisn + 601, A0, F_ACK, stream + 600, 300), "p4");
	memcpy(bad, stream + 600, sizeof(bad));
	bad[150] ^= 1;
	feed(&h, S, tcp4s(sisn + 601, A0, F_ACK, bad, 300), "s4");
	ASSERT_STR(take(h.evs), "miscompare:pri:payload@750",
		   "offset counted across the wrap");
	h_fini(&h);
}

static void test_tcp_ack_rule(void)
{
	const __u32 pisn = 10, sisn = 20;
	struct h h;

	if (!h_init(&h))
		return;
	tcp_open(&h, pisn, sisn);
	/* the primary has acked 100 client bytes the secondary has not */
	feed(&h, P, tcp4(pisn + 1, A0 + 100, F_ACK, stream, 50), "p1");
	feed(&h, S, tcp4s(sisn + 1, A0, F_ACK, stream, 50), "s1");
	ASSERT_STR(take(h.rel), "", "held: ack ahead of the secondary's");
	ASSERT_STR(take(h.drop), "s1=matched", "data compared");
	feed(&h, S, tcp4s(sisn + 51, A0 + 50, F_ACK, NULL, 0), "sa1");
	ASSERT_STR(take(h.rel), "", "still ahead");
	feed(&h, S, tcp4s(sisn + 51, A0 + 100, F_ACK, NULL, 0), "sa2");
	ASSERT_STR(take(h.rel), "p1", "released once the secondary acked");
	ASSERT_STR(take(h.drop), "sa1=matched sa2=matched", "pure ACKs");

	/* pure ACKs: released under the ack rule alone */
	feed(&h, P, tcp4(pisn + 51, A0 + 100, F_ACK, NULL, 0), "pa1");
	ASSERT_STR(take(h.rel), "pa1", "not ahead: at once");
	feed(&h, P, tcp4(pisn + 51, A0 + 300, F_ACK, NULL, 0), "pa2");
	feed(&h, P, tcp4(pisn + 51, A0 + 200, F_ACK, NULL, 0), "pa3");
	ASSERT_STR(take(h.rel), "", "ahead: held");
	feed(&h, S, tcp4s(sisn + 51, A0 + 200, F_ACK, NULL, 0), "sa3");
	ASSERT_STR(take(h.rel), "", "pa3 waits behind pa2");
	h.now += TIMEOUT;
	cmp_tick(h.c, h.now);
	ASSERT_STR(take(h.evs), "timeout:pri:ack@50", "held ACK times out");
	feed(&h, S, tcp4s(sisn + 51, A0 + 300, F_ACK, NULL, 0), "sa4");
	ASSERT_STR(take(h.rel), "pa2 pa3", "both out in order");
	take(h.drop);
	h_fini(&h);
}

/*
 * A released primary frame offers the client at most the secondary's
 * window (tcp4s frames offer 1234, tcp4 frames 65535), with its checksum
 * rewritten to match; a window update of the secondary counts; a smaller
 * primary window stays; after a checkpoint nothing is clamped until the
 * secondary shows its window again.
 */
static void test_tcp_window_clamp(void)
{
	const __u32 pisn = 10, sisn = 20;
	struct frame_spec s;
	struct frame_info fi;
	__u8 buf[FRAME_BUF];
	__u32 pi;
	struct h h;

	if (!h_init(&h))
		return;
	tcp_open(&h, pisn, sisn);
	ASSERT_EQ(stats(&h).windows_clamped, 1, "the handshake's ACK");

	s = tcp4(pisn + 1, A0, F_ACK, stream, 100);
	frame_build_info(&s, buf, sizeof(buf), &fi);
	pi = feed(&h, P, s, "p1");
	feed(&h, S, tcp4s(sisn + 1, A0, F_ACK, stream, 100), "s1");
	ASSERT_STR(take(h.rel), "p1", "data released");
	ASSERT_EQ(frame_get16(frame_at(&h, pi), fi.l4_off + 14), 1234,
		  "the secondary's window");
	ASSERT_TRUE(frame_l4_csum_ok(frame_at(&h, pi), &fi),
		    "checksum follows the window");

	s = tcp4s(sisn + 101, A0, F_ACK, NULL, 0);
	s.window = 30000;
	feed(&h, S, s, "su");
	pi = feed(&h, P, tcp4(pisn + 101, A0, F_ACK, NULL, 0), "pa");
	ASSERT_STR(take(h.rel), "pa", "pure ACK released");
	ASSERT_EQ(frame_get16(frame_at(&h, pi), fi.l4_off + 14), 30000,
		  "the secondary's window update");

	s = tcp4(pisn + 101, A0, F_ACK, NULL, 0);
	s.window = 2000;
	pi = feed(&h, P, s, "pb");
	ASSERT_STR(take(h.rel), "pb", "released");
	ASSERT_EQ(frame_get16(frame_at(&h, pi), fi.l4_off + 14), 2000,
		  "a smaller primary window stays");
	ASSERT_EQ(stats(&h).windows_clamped, 3, "clamped: ACK, p1, pa");
	ASSERT_EQ(stats(&h).csum_fixed, 0, "a clamp is no checksum fix");

	cmp_flush(h.c, h.now);
	take(h.rel);
	take(h.drop);
	pi = feed(&h, P, tcp4(pisn + 101, A0, F_ACK, NULL, 0), "pc");
	ASSERT_STR(take(h.rel), "pc", "released after the checkpoint");
	ASSERT_EQ(frame_get16(frame_at(&h, pi), fi.l4_off + 14), 65535,
		  "the secondary's window is not known yet");
	ASSERT_STR(take(h.evs), "", "no divergence");
	h_fini(&h);

	/* a SYN's window is never scaled: it says nothing of later ones */
	if (!h_init(&h))
		return;
	feed(&h, S, tcp4s(sisn, A0, F_SYN | F_ACK, NULL, 0), "ssyn");
	feed(&h, P, tcp4(pisn, A0, F_SYN | F_ACK, NULL, 0), "psyn");
	pi = feed(&h, P, tcp4(pisn + 1, A0, F_ACK, NULL, 0), "pa");
	ASSERT_STR(take(h.rel), "psyn pa", "passive open, pure ACK");
	ASSERT_EQ(frame_get16(frame_at(&h, pi), fi.l4_off + 14), 65535,
		  "not clamped to the secondary's SYN/ACK window");
	ASSERT_EQ(stats(&h).windows_clamped, 0, "nothing clamped");
	take(h.drop);
	h_fini(&h);
}

/* No handshake seen (restart, after a checkpoint): offset 0, by seq. */
static void test_tcp_midstream(void)
{
	const __u32 seq = 123456789;
	struct h h;

	if (!h_init(&h))
		return;
	feed(&h, P, tcp4(seq, A0, F_ACK, stream, 500), "p1");
	feed(&h, P, tcp4(seq + 500, A0, F_ACK, stream + 500, 500), "p2");
	feed(&h, S, tcp4s(seq, A0, F_ACK, stream, 1000), "s1");
	ASSERT_STR(take(h.rel), "p1 p2", "compared by sequence number");
	ASSERT_STR(take(h.drop), "s1=matched", "consumed");
	ASSERT_EQ(conns(&h).ci.seq_offset, 0, "offset 0");
	/* a pure ACK on an unstarted connection follows the ack rule alone */
	feed(&h, P, tcp4(seq + 1000, A0, F_ACK, NULL, 0), "pa");
	ASSERT_STR(take(h.rel), "pa", "pure ACK");
	ASSERT_STR(take(h.evs), "", "no divergence");
	take(h.drop);
	/* a SYN on it: a new connection on the same ports */
	tcp_open(&h, 5, 500);
	ASSERT_EQ(conns(&h).ci.seq_offset, 495, "offset of the new one");
	h_fini(&h);
}

/* A new connection on the same ports after a close starts afresh. */
static void test_tcp_reuse(void)
{
	struct h h;

	if (!h_init(&h))
		return;
	tcp_open(&h, 100, 200);
	feed(&h, P, tcp4(101, A0, F_ACK | F_FIN, NULL, 0), "pfin");
	feed(&h, S, tcp4s(201, A0, F_ACK | F_FIN, NULL, 0), "sfin");
	ASSERT_STR(take(h.rel), "pfin", "closed");
	take(h.drop);
	tcp_open(&h, 9000, 4000);
	ASSERT_EQ(conns(&h).ci.seq_offset, 4000u - 9000u, "new offset");
	feed(&h, P, tcp4(9001, A0, F_ACK, stream, 10), "p1");
	feed(&h, S, tcp4s(4001, A0, F_ACK, stream, 10), "s1");
	ASSERT_STR(take(h.rel), "p1", "compared in the new incarnation");
	ASSERT_STR(take(h.evs), "", "no divergence");
	ASSERT_EQ(stats(&h).conns_created, 1, "same slot reused");
	h.now += LINGER;
	cmp_tick(h.c, h.now);
	ASSERT_EQ(stats(&h).connections, 1, "open again: no linger expiry");
	h_fini(&h);
}

/* Frames of a TCP connection that cannot be parsed as TCP (fragments). */
static void test_tcp_opaque(void)
{
	struct frame_spec s;
	struct h h;

	if (!h_init(&h))
		return;
	tcp_open(&h, 1000, 2000);
	s = tcp4s(2001, A0, F_ACK, stream, 300);
	s.more_frags = true;
	feed(&h, S, s, "sfrag");
	feed(&h, S, tcp4s(2001, A0, F_ACK, stream, 300), "s1");
	feed(&h, P, tcp4(1001, A0, F_ACK, stream, 300), "p1");
	ASSERT_STR(take(h.rel), "p1", "compared past the opaque frame");
	ASSERT_STR(take(h.drop), "s1=matched", "s1 consumed behind it");
	s = tcp4(1301, A0, F_ACK, stream + 300, 300);
	s.more_frags = true;
	feed(&h, P, s, "pfrag");
	h.now += TIMEOUT;
	cmp_tick(h.c, h.now);
	ASSERT_STR(take(h.evs), "timeout:pri:unparsed@0", "opaque frames wait");
	cmp_flush(h.c, h.now);
	ASSERT_STR(take(h.rel), "pfrag", "released by the flush only");
	ASSERT_STR(take(h.drop), "sfrag=flush", "flushed");
	h_fini(&h);
}

static __u32 rnd_state;

static __u32 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

struct seg {
	__u32 off, len;
};

/* Cuts [0, total) into segments of 1..max bytes. */
static int cut(struct seg *sg, int cap, __u32 total, __u32 max)
{
	__u32 off = 0;
	int n = 0;

	while (off < total && n < cap) {
		sg[n].off = off;
		sg[n].len = 1 + rnd() % max;
		if (sg[n].len > total - off)
			sg[n].len = total - off;
		off += sg[n++].len;
	}
	return n;
}

/*
 * The same stream, cut differently on each side, arriving interleaved, with
 * retransmissions and some secondary reordering: everything matches, the
 * primary leaves in its order.
 */
static void test_tcp_random_segmentation(void)
{
	static const __u32 isns[] = { 1, 0x7fffffff, 0xfffff000, 0xffffffff };
	struct seg ps[200], ss[200];
	char want[LOG_MAX], n[16];
	int round, np, ns, i, j, k;
	__u32 pisn, sisn, total;
	struct h h;

	rnd_state = 2463534242u;
	for (round = 0; round < 40; round++) {
		if (!h_init(&h))
			return;
		pisn = isns[round % 4] + (rnd() % 64);
		sisn = round & 1 ? rnd() : pisn - 100 - round;
		total = 2000 + rnd() % 4000;
		tcp_open(&h, pisn, sisn);
		np = cut(ps, 200, total, round % 3 ? 1400 : 150);
		ns = cut(ss, 200, total, round % 5 ? 1400 : 150);
		if (!ASSERT_EQ(ps[np - 1].off + ps[np - 1].len, total, "cut") ||
		    !ASSERT_EQ(ss[ns - 1].off + ss[ns - 1].len, total, "cut"))
			return;
		/* a few adjacent secondary segments swapped */
		for (k = 0; k + 1 < ns; k += 3 + rnd() % 5) {
			struct seg t = ss[k];

			ss[k] = ss[k + 1];
			ss[k + 1] = t;
		}
		want[0] = '\0';
		i = j = 0;
		while (i < np || j < ns) {
			bool pri = j >= ns || (i < np && rnd() % 2);

			if (pri) {
				snprintf(n, sizeof(n), "p%d", i);
				log_add(want, "%s", n);
				feed(&h, P, tcp4(pisn + 1 + ps[i].off, A0, F_ACK,
						 stream + ps[i].off, ps[i].len),
				     n);
				if (i && rnd() % 8 == 0) {
					/* a retransmission of the previous one */
					snprintf(n, sizeof(n), "r%d", i - 1);
					log_add(want, "%s", n);
					feed(&h, P,
					     tcp4(pisn + 1 + ps[i - 1].off, A0,
						  F_ACK, stream + ps[i - 1].off,
						  ps[i - 1].len),
					     n);
				}
				i++;
			} else {
				snprintf(n, sizeof(n), "s%d", j);
				feed(&h, S, tcp4s(sisn + 1 + ss[j].off, A0, F_ACK,
						  stream + ss[j].off, ss[j].len),
				     n);
				if (rnd() % 8 == 0) {
					snprintf(n, sizeof(n), "t%d", j);
					feed(&h, S,
					     tcp4s(sisn + 1 + ss[j].off, A0, F_ACK,
						   stream + ss[j].off,
						   ss[j].len),
					     n);
				}
				j++;
			}
			if (h.bad || cmp__check(h.c))
				break;
		}
		ASSERT_STR(take(h.evs), "", "no divergence");
		ASSERT_STR(take(h.rel), want, "primary order");
		ASSERT_EQ(stats(&h).held[P] + stats(&h).held[S], 0, "all done");
		h_fini(&h);
		if (test_env.checks_failed) {
			fprintf(stderr, "  round %d pisn %u sisn %u total %u\n",
				round, pisn, sisn, total);
			return;
		}
	}
}

/*
 * Hostile input: random TCP (mostly in-order streams, sometimes both sides
 * alike, sometimes garbage), UDP and ARP frames, ticks and flushes; the
 * invariants hold after every step and every frame comes back.
 */
static void test_fuzz_invariants(void)
{
	static __u8 junk[1300];
	struct frame_spec s;
	__u32 seqs[4][2];
	int round, step, c, r, both;
	struct h h;

	rnd_state = 88172645u;
	frame_pattern(junk, sizeof(junk), 7);
	for (round = 0; round < 12 && !test_env.checks_failed; round++) {
		if (!h_init_cfg(&h, round % 3 ? 8 : 3, 8, round & 1))
			return;
		for (c = 0; c < 4; c++)
			seqs[c][0] = seqs[c][1] = rnd();
		for (step = 0; h.next + 2 < NFR; step++) {
			int role = rnd() % 2, conn = rnd() % 4;
			__u32 len = rnd() % 4 ? rnd() % 300 : rnd() % 1200;
			__u8 flags = F_ACK;

			r = rnd() % 100;
			both = rnd() % 2;
			if (r < 65) {
				if (rnd() % 10 == 0)
					flags = (__u8)rnd();
				if (rnd() % 20 == 0)
					seqs[conn][role] += rnd() % 3000 - 1500;
				s = tcp4(seqs[conn][role], A0 + rnd() % 3, flags,
					 junk + rnd() % 4, len);
				s.sport = 100 + conn;
				if (rnd() % 30 == 0)
					s.more_frags = true;
				seqs[conn][role] += len;
				if (both)
					seqs[conn][!role] = seqs[conn][role];
			} else if (r < 88) {
				s = udp4(junk + rnd() % 2, len % 40);
				s.sport = 100 + conn;
			} else if (r < 91) {
				s = (struct frame_spec){ .family = 0,
							 .ethertype = 0x0806,
							 .payload = junk + rnd() % 2,
							 .payload_len = 28 };
			} else if (r < 97) {
				h.now += rnd() % (2 * TIMEOUT);
				cmp_tick(h.c, h.now);
				continue;
			} else {
				cmp_flush(h.c, h.now);
				continue;
			}
			feed(&h, role, s, role ? "s" : "p");
			if (both)
				feed(&h, !role, s, role ? "p" : "s");
			if (!ASSERT_OK(cmp__check(h.c), "invariants") ||
			    !ASSERT_EQ(h.bad, 0, "ownership"))
				break;
		}
		take(h.rel);
		take(h.drop);
		take(h.evs);
		h_fini(&h);
	}
}

/* ---- limits, timers ---- */

static void test_queue_full(void)
{
	char n[8];
	struct h h;
	int i;

	if (!h_init_cfg(&h, 64, 4, false))
		return;
	for (i = 0; i < 6; i++) {
		snprintf(n, sizeof(n), "p%d", i);
		feed(&h, P, udp4(stream + i, 10), n);
	}
	ASSERT_STR(take(h.drop), "p4=queue-full p5=queue-full", "overflow dropped");
	ASSERT_STR(take(h.evs), "queue-full:pri:-@0", "reported once");
	ASSERT_EQ(stats(&h).held[P], 4, "max_queue held");
	for (i = 0; i < 4; i++) {
		snprintf(n, sizeof(n), "s%d", i);
		feed(&h, S, udp4(stream + i, 10), n);
	}
	ASSERT_STR(take(h.rel), "p0 p1 p2 p3", "held ones matched");
	take(h.drop);
	for (i = 6; i < 11; i++) {
		snprintf(n, sizeof(n), "p%d", i);
		feed(&h, P, udp4(stream + i, 10), n);
	}
	ASSERT_STR(take(h.evs), "", "not again before a flush");
	ASSERT_STR(take(h.drop), "p10=queue-full", "dropped");
	cmp_flush(h.c, h.now);
	take(h.rel);
	for (i = 11; i < 16; i++) {
		snprintf(n, sizeof(n), "p%d", i);
		feed(&h, P, udp4(stream + i, 10), n);
	}
	ASSERT_STR(take(h.evs), "queue-full:pri:-@0", "again after the flush");
	take(h.drop);
	h_fini(&h);
}

static void test_table_full(void)
{
	struct frame_spec s;
	struct h h;

	if (!h_init_cfg(&h, 2, 64, false))
		return;
	s = udp4(stream, 10);
	s.sport = 1000;
	feed(&h, P, s, "a1");
	s.sport = 1001;
	feed(&h, P, s, "b1");
	s.sport = 1002;
	feed(&h, P, s, "c1");
	ASSERT_STR(take(h.drop), "c1=table-full", "no room, nothing idle");
	ASSERT_STR(take(h.evs), "table-full:pri:-@0", "reported");
	s.sport = 1003;
	feed(&h, S, s, "d1");
	ASSERT_STR(take(h.drop), "d1=table-full", "dropped again");
	ASSERT_STR(take(h.evs), "", "once until the flush");
	ASSERT_EQ(stats(&h).held[P], 2, "held frames kept");
	ASSERT_EQ(stats(&h).connections, 2, "connections kept");

	/* a's frame matched: a is idle and can make room */
	s.sport = 1000;
	feed(&h, S, s, "a1s");
	ASSERT_STR(take(h.rel), "a1", "a matched");
	take(h.drop);
	s.sport = 1002;
	feed(&h, P, s, "c2");
	ASSERT_STR(take(h.drop), "", "c2 queued");
	ASSERT_EQ(stats(&h).conns_expired, 1, "a evicted");
	ASSERT_EQ(stats(&h).conns_created, 3, "c created");
	s.sport = 1001;
	feed(&h, S, s, "b1s");
	ASSERT_STR(take(h.rel), "b1", "b kept its frame and state");
	s.sport = 1002;
	feed(&h, S, s, "c2s");
	ASSERT_STR(take(h.rel), "c2", "c compared");
	take(h.drop);

	cmp_flush(h.c, h.now);
	s.sport = 1003;
	feed(&h, P, s, "d2");
	ASSERT_STR(take(h.evs), "", "room: b or c evicted");
	ASSERT_EQ(stats(&h).conns_expired, 2, "evicted");
	h_fini(&h);
}

static void test_timeouts(void)
{
	struct h h;

	if (!h_init(&h))
		return;
	feed(&h, P, udp4(stream, 10), "p1");
	h.now += TIMEOUT / 2;
	feed(&h, S, frame_udp(4, 5001, 53, stream, 10), "s1");
	cmp_tick(h.c, h.now);
	ASSERT_STR(take(h.evs), "", "young");
	h.now += TIMEOUT / 2;
	cmp_tick(h.c, h.now);
	ASSERT_STR(take(h.evs), "timeout:pri:unmatched@0", "primary-only");
	ASSERT_EQ(h.last_ev.pri_addr, (__u64)HEADROOM, "event names the frame");
	cmp_tick(h.c, h.now + 1);
	ASSERT_STR(take(h.evs), "", "reported once");
	h.now += TIMEOUT / 2;
	cmp_tick(h.c, h.now);
	ASSERT_STR(take(h.evs), "timeout:sec:unmatched@0", "secondary-only");
	ASSERT_EQ(stats(&h).divergences[CMP_REASON_TIMEOUT], 2, "counted");

	/* a new head waits on its own */
	feed(&h, P, udp4(stream + 50, 10), "p2");
	feed(&h, S, udp4(stream, 10), "s2");
	ASSERT_STR(take(h.rel), "p1", "p1 out, p2 new head");
	take(h.drop);
	h.now += TIMEOUT;
	cmp_tick(h.c, h.now);
	ASSERT_STR(take(h.evs), "timeout:pri:unmatched@0", "p2 times out");

	cmp_flush(h.c, h.now);
	ASSERT_STR(take(h.rel), "p2", "flush");
	ASSERT_STR(take(h.drop), "s1=flush", "flush");
	h_fini(&h);
}

static void test_idle_expiry(void)
{
	struct frame_spec a = udp4(stream, 10), b = udp4(stream, 10);
	struct h h;

	if (!h_init(&h))
		return;
	a.sport = 1;
	b.sport = 2;
	feed(&h, P, a, "a1");
	feed(&h, S, a, "a1s");
	feed(&h, P, b, "b1");
	feed(&h, S, b, "b1s");
	h.now += IDLE / 2;
	feed(&h, P, a, "a2");
	feed(&h, S, a, "a2s");
	h.now += IDLE / 2 - 1;
	cmp_tick(h.c, h.now);
	ASSERT_EQ(stats(&h).connections, 2, "not idle long enough");
	h.now += 1;
	cmp_tick(h.c, h.now);
	ASSERT_EQ(stats(&h).connections, 1, "b expired");
	ASSERT_EQ(conns(&h).ci.key.port_a, 1, "a, used later, stays");
	h.now += IDLE / 2;
	cmp_tick(h.c, h.now);
	ASSERT_EQ(stats(&h).connections, 0, "a expired");
	ASSERT_EQ(stats(&h).conns_expired, 2, "conns_expired");

	/* a connection holding frames never expires */
	feed(&h, P, a, "a3");
	h.now += 10 * IDLE;
	cmp_tick(h.c, h.now);
	ASSERT_EQ(stats(&h).connections, 1, "held frames keep it");
	take(h.evs);
	h_fini(&h);
}

/* ---- checksums on release ---- */

/* The pseudo-header sum a guest with offload leaves in the field. */
static __u16 partial_csum(const __u8 *buf, const struct frame_info *fi)
{
	__u32 sum = frame_pseudo_sum(buf, fi, fi->l3_end - fi->l4_off);

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static void csum_case(int family, __u8 proto)
{
	struct frame_spec s;
	__u8 buf[FRAME_BUF], sec[FRAME_BUF];
	struct frame_info fi;
	int field = proto == FRAME_TCP ? 16 : 6;
	__u16 good;
	size_t len;
	__u32 pi;
	struct h h;

	if (!h_init(&h))
		return;
	if (proto == FRAME_TCP)
		s = frame_tcp(family, 1, 0, F_ACK, stream, 333);
	else
		s = frame_udp(family, 1, 2, stream, 333);
	len = frame_build_info(&s, buf, sizeof(buf), &fi);
	memcpy(sec, buf, len);
	good = frame_get16(buf, fi.l4_off + field);
	frame_put16(buf, fi.l4_off + field, partial_csum(buf, &fi));
	ASSERT_NEQ(frame_get16(buf, fi.l4_off + field), good, "partial differs");
	ASSERT_FALSE(frame_l4_csum_ok(buf, &fi), "partial is wrong");
	pi = feed_buf(&h, P, buf, len, "p1");
	feed_buf(&h, S, sec, len, "s1");
	ASSERT_STR(take(h.rel), "p1", "released");
	ASSERT_EQ(frame_get16(frame_at(&h, pi), fi.l4_off + field), good,
		  "checksum made correct");
	ASSERT_TRUE(frame_l4_csum_ok(frame_at(&h, pi), &fi), "verifies");
	ASSERT_EQ(stats(&h).csum_fixed, 1, "csum_fixed");
	h_fini(&h);
}

static void test_csum_fix(void)
{
	__u8 buf[FRAME_BUF];
	struct frame_spec s;
	struct frame_info fi;
	size_t len;
	__u32 pi;
	struct h h;

	csum_case(4, FRAME_TCP);
	csum_case(6, FRAME_TCP);
	csum_case(4, FRAME_UDP);
	csum_case(6, FRAME_UDP);

	/* UDP over IPv4 without a checksum stays without */
	if (!h_init(&h))
		return;
	s = udp4(stream, 33);
	len = frame_build_info(&s, buf, sizeof(buf), &fi);
	frame_put16(buf, fi.l4_off + 6, 0);
	pi = feed_buf(&h, P, buf, len, "p1");
	feed(&h, S, s, "s1");
	ASSERT_STR(take(h.rel), "p1", "released");
	ASSERT_EQ(frame_get16(frame_at(&h, pi), fi.l4_off + 6), 0, "still 0");
	ASSERT_EQ(stats(&h).csum_fixed, 0, "not counted");
	h_fini(&h);

	/* a sum of 0xffff is sent as 0xffff: 0 would mean "no checksum" */
	if (!h_init(&h))
		return;
	{
		__u8 pay[32] = { 0 };
		__u16 c0;

		memcpy(pay, stream, 30);
		s = udp4(pay, sizeof(pay));
		len = frame_build_info(&s, buf, sizeof(buf), &fi);
		c0 = frame_get16(buf, fi.l4_off + 6);
		/* the last word cancels the rest of the sum */
		frame_put16(pay, 30, c0);
		s = udp4(pay, sizeof(pay));
		len = frame_build_info(&s, buf, sizeof(buf), &fi);
		ASSERT_EQ(frame_get16(buf, fi.l4_off + 6), 0xffff, "crafted");
		frame_put16(buf, fi.l4_off + 6, 0x0101);
		pi = feed_buf(&h, P, buf, len, "p1");
		feed(&h, S, s, "s1");
		ASSERT_STR(take(h.rel), "p1", "released");
		ASSERT_EQ(frame_get16(frame_at(&h, pi), fi.l4_off + 6), 0xffff,
			  "0xffff, not 0");
	}
	h_fini(&h);

	/* ICMP and SCTP garbage, odd lengths */
	if (!h_init(&h))
		return;
	s = frame_echo(4, true, 3, 4, stream, 31);
	len = frame_build_info(&s, buf, sizeof(buf), &fi);
	frame_put16(buf, fi.l4_off + 2, 0xbeef);
	pi = feed_buf(&h, P, buf, len, "p1");
	feed(&h, S, s, "s1");
	ASSERT_TRUE(frame_l4_csum_ok(frame_at(&h, pi), &fi), "ICMP fixed");
	s = frame_echo(6, false, 3, 4, stream, 31);
	len = frame_build_info(&s, buf, sizeof(buf), &fi);
	frame_put16(buf, fi.l4_off + 2, partial_csum(buf, &fi));
	pi = feed_buf(&h, P, buf, len, "p6");
	feed(&h, S, s, "s6");
	ASSERT_TRUE(frame_l4_csum_ok(frame_at(&h, pi), &fi), "ICMPv6 fixed");
	s = (struct frame_spec){ .family = 6, .proto = FRAME_SCTP, .sport = 9,
				 .dport = 9, .payload = stream,
				 .payload_len = 45 };
	len = frame_build_info(&s, buf, sizeof(buf), &fi);
	frame_put32(buf, fi.l4_off + 8, 0);
	pi = feed_buf(&h, P, buf, len, "p2");
	feed(&h, S, s, "s2");
	ASSERT_STR(take(h.rel), "p1 p6 p2", "released");
	ASSERT_TRUE(frame_l4_csum_ok(frame_at(&h, pi), &fi), "SCTP CRC fixed");
	ASSERT_EQ(stats(&h).csum_fixed, 3, "csum_fixed");
	h_fini(&h);
}

/* ---- bad input, shutdown ---- */

static void test_invalid_and_shutdown(void)
{
	struct frame_spec s = udp4(stream, 10);
	__u8 buf[FRAME_BUF];
	struct colo_pkt pkt;
	size_t len;
	__u32 i;
	struct h h;

	if (!h_init(&h))
		return;
	len = frame_build(&s, buf, sizeof(buf));
	i = feed_buf(&h, P, buf, len, "p1");
	/* the same addr again while held: refused, the held one stays */
	colo_parse(frame_at(&h, i), frame_at(&h, i) + len, &pkt);
	h.ours[i] = true;
	cmp_input(h.c, P, (__u64)i * FSZ + HEADROOM, (__u32)len, &pkt, h.now);
	ASSERT_EQ(stats(&h).dropped[CMP_DROP_INVALID], 1, "duplicate refused");
	ASSERT_EQ(stats(&h).held[P], 1, "original still held");
	h.ours[i] = true; /* the refusal gave it back once */

	/* offsets past the frame */
	i = h.next++;
	memcpy(frame_at(&h, i), buf, len);
	colo_parse(frame_at(&h, i), frame_at(&h, i) + len, &pkt);
	pkt.l3_end = (__u16)(len + 100);
	snprintf(h.name[i], sizeof(h.name[i]), "bad");
	h.role[i] = P;
	h.len[i] = (__u32)len;
	h.ours[i] = true;
	cmp_input(h.c, P, (__u64)i * FSZ + HEADROOM, (__u32)len, &pkt, h.now);
	ASSERT_STR(take(h.drop), "p1=invalid bad=invalid", "refused");
	ASSERT_STR(take(h.rel), "", "nothing released");

	feed(&h, S, frame_udp(4, 1, 1, stream, 5), "s9");
	h_check(&h);
	cmp_free(h.c);
	h.c = NULL;
	ASSERT_STR(take(h.drop), "p1=shutdown s9=shutdown", "cmp_free drops all");
	for (i = 0; i < h.next; i++)
		ASSERT_FALSE(h.ours[i], "given back");
	free(h.umem);
}

int main(int argc, char **argv)
{
	test__init(argc, argv);
	payload_init();

	RUN_SUBTEST("udp_identical", test_udp_identical);
	RUN_SUBTEST("udp_order", test_udp_order);
	RUN_SUBTEST("udp_divergence", test_udp_divergence);
	RUN_SUBTEST("udp_length", test_udp_length);
	RUN_SUBTEST("udp_reordered_secondary", test_udp_reordered_secondary);
	RUN_SUBTEST("udp_extra_secondary", test_udp_extra_secondary);
	RUN_SUBTEST("udp_csum_only", test_udp_csum_only);
	RUN_SUBTEST("udp_padding", test_udp_padding);
	RUN_SUBTEST("udp_ipv6", test_udp_ipv6);
	RUN_SUBTEST("icmp_echo", test_icmp_echo);
	RUN_SUBTEST("ip_other", test_ip_other);
	RUN_SUBTEST("non_ip", test_non_ip);
	RUN_SUBTEST("tcp_offsets_told", test_tcp_offsets_told);
	RUN_SUBTEST("tcp_segmentation", test_tcp_segmentation);
	RUN_SUBTEST("tcp_passive_open", test_tcp_passive_open);
	RUN_SUBTEST("tcp_retransmissions", test_tcp_retransmissions);
	RUN_SUBTEST("tcp_out_of_order", test_tcp_out_of_order);
	RUN_SUBTEST("tcp_divergence", test_tcp_divergence);
	RUN_SUBTEST("tcp_fin_one_side", test_tcp_fin_one_side);
	RUN_SUBTEST("tcp_fin_then_ack", test_tcp_fin_then_ack);
	RUN_SUBTEST("tcp_rst", test_tcp_rst);
	RUN_SUBTEST("tcp_wraparound", test_tcp_wraparound);
	RUN_SUBTEST("tcp_ack_rule", test_tcp_ack_rule);
	RUN_SUBTEST("tcp_window_clamp", test_tcp_window_clamp);
	RUN_SUBTEST("tcp_midstream", test_tcp_midstream);
	RUN_SUBTEST("tcp_reuse", test_tcp_reuse);
	RUN_SUBTEST("tcp_opaque", test_tcp_opaque);
	RUN_SUBTEST("tcp_random_segmentation", test_tcp_random_segmentation);
	RUN_SUBTEST("fuzz_invariants", test_fuzz_invariants);
	RUN_SUBTEST("queue_full", test_queue_full);
	RUN_SUBTEST("table_full", test_table_full);
	RUN_SUBTEST("timeouts", test_timeouts);
	RUN_SUBTEST("idle_expiry", test_idle_expiry);
	RUN_SUBTEST("csum_fix", test_csum_fix);
	RUN_SUBTEST("invalid_and_shutdown", test_invalid_and_shutdown);
	return test__summary("test_compare");
}
