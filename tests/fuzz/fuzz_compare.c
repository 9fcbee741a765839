// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_compare.c - libFuzzer target for the comparator (user/compare.h),
 * driven the way the daemon drives it, with small limits so that full
 * queues, a full table, timeouts and expiry are all reached.
 *
 * The input is a script. Its first bytes pick the configuration, then each
 * step is one of: a frame from the primary or the secondary (a valid TCP,
 * UDP or ICMP frame of one of a few flows, TCP with or without options,
 * built with tests/frames.h and then damaged by a few byte edits, or raw
 * bytes, or a non-IP frame), a tick, a checkpoint flush, a time jump, or
 * a descriptor the kernel would never give (outside the region, longer
 * than its chunk). A frame reaches
 * cmp_input() as in the daemon's handle_frame(): with XDP metadata in the
 * headroom (sometimes corrupted) read by colo_pkt_from_meta(), else parsed
 * with colo_parse(), frames that do not parse being freed unseen; or, now
 * and then, with a struct colo_pkt edited by the fuzzer (hash kept right).
 *
 * The harness owns the region and checks, besides ASan/UBSan:
 *  - every frame given comes back exactly once, through release or drop,
 *    with the address it had; none is left after cmp_free();
 *  - a secondary frame is never released, a released frame keeps its
 *    length, a primary frame is dropped only when it cannot be queued,
 *    is invalid or at shutdown;
 *  - after cmp_flush() the comparator holds nothing;
 *  - a divergence names only frames still held (the daemon logs them);
 *  - cmp__check() (queues, lists, counters) after every step, the frames
 *    the comparator says it holds are the ones not given back, and the
 *    connection listing agrees.
 * A chunk the comparator does not own is poisoned for ASan, and so is the
 * rest of a chunk around the frame in it: a read past the frame or of a
 * frame already given back is reported.
 */
#include <sanitizer/asan_interface.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "colo_parse.h"
#include "compare.h"
#include "compare_int.h"
#include "frames.h"
#include "fuzz_util.h"

#define FSZ 2048
#define NFR 256
#define MS 1000000ULL

#define P COLO_ROLE_PRIMARY
#define S COLO_ROLE_SECONDARY

struct slot {
	bool out;      /* the comparator owns it */
	__u64 addr;
	__u32 len;
	int role;
};

struct harness {
	__u8 *umem;
	struct comparator *c;
	struct slot s[NFR];
	__u32 nout;        /* frames the comparator owns */
	__u32 cursor;      /* where the next free slot is looked for */
	__u64 given;       /* frames given, in total */
	__u64 foreign;     /* an out-of-region addr given, expected back */
	bool foreign_out;
	bool in_flush;
	__u64 now;
	__u32 isn[COLO_ROLE__MAX];
	__u32 tsval[COLO_ROLE__MAX];
};

static void poison_chunk(struct harness *h, __u32 i)
{
	ASAN_POISON_MEMORY_REGION(h->umem + (size_t)i * FSZ, FSZ);
}

static struct slot *slot_of(struct harness *h, __u64 addr, const char *what)
{
	__u64 i = addr / FSZ;

	FZ_CHECK(i < NFR, "%s of addr %llu outside the region", what,
		 (unsigned long long)addr);
	FZ_CHECK(h->s[i].out, "%s of addr %llu not held (twice?)", what,
		 (unsigned long long)addr);
	FZ_CHECK(h->s[i].addr == addr, "%s of addr %llu, given as %llu", what,
		 (unsigned long long)addr, (unsigned long long)h->s[i].addr);
	return &h->s[i];
}

static void give_back(struct harness *h, struct slot *s)
{
	s->out = false;
	h->nout--;
	poison_chunk(h, (__u32)(s - h->s));
}

static void on_release(void *ctx, __u64 addr, __u32 len)
{
	struct harness *h = ctx;
	struct slot *s;

	FZ_CHECK(!(h->foreign_out && addr == h->foreign),
		 "an invalid descriptor was released");
	s = slot_of(h, addr, "release");
	FZ_CHECK(s->role == P, "a secondary frame was released");
	FZ_CHECK(len == s->len, "released with len %u, given %u", len, s->len);
	give_back(h, s);
}

static void on_drop(void *ctx, __u64 addr, enum cmp_drop_reason why)
{
	struct harness *h = ctx;
	struct slot *s;

	FZ_CHECK((unsigned int)why < CMP_DROP__MAX, "drop reason %d", why);
	if (h->foreign_out && addr == h->foreign) {
		FZ_CHECK(why == CMP_DROP_INVALID, "foreign addr dropped as %s",
			 cmp_drop_str(why));
		h->foreign_out = false;
		return;
	}
	s = slot_of(h, addr, "drop");
	/* primary output is lost only when it cannot be held at all */
	if (s->role == P)
		FZ_CHECK(why == CMP_DROP_QUEUE_FULL ||
				 why == CMP_DROP_TABLE_FULL ||
				 why == CMP_DROP_INVALID ||
				 why == CMP_DROP_SHUTDOWN,
			 "primary frame dropped as %s", cmp_drop_str(why));
	FZ_CHECK(!h->in_flush || why == CMP_DROP_FLUSH,
		 "flush dropped a frame as %s", cmp_drop_str(why));
	give_back(h, s);
}

/* The daemon reads the frames an event names (pcap log): they must be held. */
static void check_event_frame(struct harness *h, __u64 addr, __u32 len,
			      int role)
{
	const volatile __u8 *p;
	struct slot *s;
	__u8 sum = 0;
	__u32 i;

	if (addr == ~0ULL)
		return;
	if (h->foreign_out && addr == h->foreign)
		return; /* the table-full report of an invalid descriptor */
	s = slot_of(h, addr, "event");
	FZ_CHECK(s->role == role, "event names a frame of the other side");
	FZ_CHECK(len == s->len, "event len %u, frame %u", len, s->len);
	p = h->umem + addr;
	for (i = 0; i < len; i++)
		sum ^= p[i];
	(void)sum;
}

static void on_divergence(void *ctx, const struct cmp_event *ev)
{
	struct harness *h = ctx;

	FZ_CHECK((unsigned int)ev->reason < CMP_REASON__MAX, "reason %d",
		 ev->reason);
	FZ_CHECK(ev->role == P || ev->role == S, "role %d", ev->role);
	FZ_CHECK(ev->pri_excerpt_len <= sizeof(ev->pri_excerpt) &&
			 ev->sec_excerpt_len <= sizeof(ev->sec_excerpt),
		 "excerpt lengths %u %u", ev->pri_excerpt_len,
		 ev->sec_excerpt_len);
	FZ_CHECK(memchr(ev->what, 0, sizeof(ev->what)), "what unterminated");
	check_event_frame(h, ev->pri_addr, ev->pri_len, P);
	check_event_frame(h, ev->sec_addr, ev->sec_len, S);
}

static void on_seq_offset(void *ctx, const struct colo_conn_key *key,
			  __u32 offset, __u32 ts_offset)
{
	(void)ctx;
	(void)offset;
	(void)ts_offset;
	FZ_CHECK(key && key->proto == 6, "seq_offset for protocol %u",
		 key ? key->proto : 0);
}

static const struct cmp_ops ops = {
	.release = on_release,
	.drop = on_drop,
	.divergence = on_divergence,
	.seq_offset = on_seq_offset,
};

struct conn_walk {
	const struct cmp_config *cfg;
	__u64 conns, queued;
};

static int conn_cb(const struct cmp_conn_info *ci, void *arg)
{
	struct conn_walk *w = arg;

	FZ_CHECK(ci->queued[P] <= w->cfg->max_queue &&
			 ci->queued[S] <= w->cfg->max_queue,
		 "queues %u/%u over max_queue", ci->queued[P],
		 ci->queued[S]);
	FZ_CHECK(ci->created_ns <= ci->last_ns || !ci->last_ns,
		 "last use before creation");
	w->conns++;
	w->queued += ci->queued[P] + ci->queued[S];
	return 0;
}

/* After every step: the comparator holds exactly what it was not given back. */
static void check_state(struct harness *h, const struct cmp_config *cfg)
{
	struct conn_walk walk = { .cfg = cfg };
	struct cmp_stats st;
	__u64 dropped = 0;
	int i;

	FZ_CHECK(!h->foreign_out, "an invalid descriptor was kept");
	FZ_CHECK(cmp__check(h->c) == 0, "cmp__check");
	cmp_get_stats(h->c, &st);
	FZ_CHECK(st.held[P] + st.held[S] == h->nout,
		 "comparator holds %llu frames, harness counts %u",
		 (unsigned long long)(st.held[P] + st.held[S]), h->nout);
	for (i = 0; i < CMP_DROP__MAX; i++)
		dropped += st.dropped[i];
	FZ_CHECK(st.rx_packets[P] + st.rx_packets[S] ==
			 st.released_packets + dropped + h->nout,
		 "frames in != out + held");
	/* what the "conns" command lists */
	FZ_CHECK(cmp_for_each_conn(h->c, conn_cb, &walk) == 0, "walk");
	FZ_CHECK(walk.conns == st.connections && walk.queued == h->nout,
		 "listed %llu connections holding %llu frames",
		 (unsigned long long)walk.conns,
		 (unsigned long long)walk.queued);
}

static int free_slot(struct harness *h)
{
	__u32 n, i;

	for (n = 0; n < NFR; n++) {
		i = (h->cursor + n) % NFR;
		if (!h->s[i].out) {
			h->cursor = i + 1;
			return (int)i;
		}
	}
	return -1;
}

/* Hands the frame in chunk i at addr over, as the daemon does. */
static void give(struct harness *h, __u32 i, int role, __u64 addr, __u32 len,
		 const struct colo_pkt *pkt)
{
	struct slot *s = &h->s[i];
	__u64 end = addr + len;

	/* the comparator may read [addr, addr + len) and nothing else */
	poison_chunk(h, i);
	if (end > (__u64)(i + 1) * FSZ)
		end = (__u64)(i + 1) * FSZ;
	ASAN_UNPOISON_MEMORY_REGION(h->umem + addr, end - addr);

	s->out = true;
	s->addr = addr;
	s->len = len;
	s->role = role;
	h->nout++;
	h->given++;
	cmp_input(h->c, (enum colo_role)role, addr, len, pkt, h->now);
}

/* ---- frames ---- */

static const char *const addr4[] = { "10.0.0.1", "10.0.0.2", "192.0.2.7" };
static const char *const addr6[] = { "fd00::1", "fd00::2", "2001:db8::7" };

/*
 * TCP options: none, a timestamp (each guest its own clock), what Linux
 * puts in a SYN, or bytes from the input. Returns their length.
 */
static size_t tcp_options(struct harness *h, struct fz_in *in, int role,
			  __u8 *o)
{
	static const __u8 syn[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10,
				      0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7 };
	__u8 b = fz_u8(in);
	__u32 tsval = h->tsval[role] + fz_u8(in);

	switch (b & 3) {
	case 0:
		return 0;
	case 1:
		o[0] = 1;
		o[1] = 1;
		o[2] = 8;
		o[3] = 10;
		frame_put32(o, 4, tsval);
		frame_put32(o, 8, 0);
		return 12;
	case 2:
		memcpy(o, syn, sizeof(syn));
		frame_put32(o, 8, tsval);
		return sizeof(syn);
	default:
		return fz_bytes(in, o, (b >> 2) % 41);
	}
}

/*
 * A valid frame of one of a few flows; both guests build the same bytes
 * from the same choices, except for the TCP ISN each one picks.
 */
static size_t build_template(struct harness *h, struct fz_in *in, int role,
			     int tmpl, __u8 *buf, size_t cap)
{
	__u8 payload[64], opts[40];
	struct frame_spec s;
	__u8 b = fz_u8(in);
	int family = (tmpl & 1) ? 6 : 4, flow = b % 3;
	size_t plen = fz_u8(in) % sizeof(payload);

	frame_pattern(payload, plen, fz_u8(in));
	switch (tmpl >> 1) {
	case 0: { /* TCP */
		__u8 flags = fz_u8(in);
		__u32 seq = fz_u16(in), ack = fz_u16(in);

		s = frame_tcp(family, h->isn[role] + seq, 5000 + ack, flags,
			      payload, plen);
		s.tcp_opts_len = tcp_options(h, in, role, opts);
		s.tcp_opts = opts;
		break;
	}
	case 1: /* UDP */
		s = frame_udp(family, 5000, 53, payload, plen);
		break;
	default: /* ICMP echo */
		s = frame_echo(family, false, 77, fz_u8(in), payload, plen);
		break;
	}
	s.sport += flow;
	s.src = family == 4 ? addr4[flow] : addr6[flow];
	s.dst = family == 4 ? addr4[(flow + 1) % 3] : addr6[(flow + 1) % 3];
	if (b & 0x08)
		s = frame_reply(&s);
	if (b & 0x10) {
		s.nvlan = 1;
		s.vlan_tci[0] = 5;
	}
	if (b & 0x20)
		s.more_frags = true;
	if (b & 0x40)
		s.frag_offset = 8 * (b & 7);
	return frame_build(&s, buf, cap);
}

/* Frame bytes of a step into buf; returns the length (0: nothing). */
static size_t build_frame(struct harness *h, struct fz_in *in, int role,
			  int tmpl, __u8 *buf, size_t cap)
{
	size_t len, n;
	__u8 b;
	int i;

	if (tmpl < 6) {
		len = build_template(h, in, role, tmpl, buf, cap);
	} else if (tmpl == 6) { /* raw bytes */
		len = fz_bytes(in, buf, fz_u8(in) % 160);
	} else { /* non-IP: ARP, LLDP or any ethertype */
		static const __u16 types[] = { 0x0806, 0x88cc, 0x9000 };
		struct frame_spec s = { 0 };
		__u8 payload[48];

		b = fz_u8(in);
		s.ethertype = b < 3 ? types[b] : (__u16)(b << 8 | b);
		n = fz_u8(in) % sizeof(payload);
		frame_pattern(payload, n, fz_u8(in));
		s.payload = payload;
		s.payload_len = n;
		len = frame_build(&s, buf, cap);
	}
	/* damage: a few byte edits, then maybe a cut */
	b = fz_u8(in);
	for (i = 0; i < (b & 3) && len; i++) {
		__u8 off = fz_u8(in);

		buf[off % len] ^= fz_u8(in);
	}
	if ((b & 0x80) && len)
		len -= (b >> 2 & 0x1f) % len;
	return len;
}

/* Works out the struct colo_pkt as handle_frame() does; false: freed. */
static bool frame_pkt(struct harness *h, struct fz_in *in, __u8 *data,
		      __u32 len, __u32 headroom, int role, int how,
		      struct colo_pkt *pkt)
{
	struct colo_meta *m = (struct colo_meta *)(data - sizeof(*m));
	bool have_meta = headroom >= sizeof(*m);
	__u8 b;

	(void)h;
	if (colo_parse(data, data + len, pkt) != COLO_PARSE_OK)
		memset(pkt, 0, sizeof(*pkt));
	if (have_meta) {
		memset(m, 0, sizeof(*m));
		/* what the XDP program would have written, maybe damaged */
		if (how == 1 && pkt->l3_off) {
			colo_meta_from_pkt(pkt, (__u8)role, m);
			b = fz_u8(in);
			((__u8 *)m)[b % sizeof(*m)] ^= fz_u8(in);
		}
	}
	if (how == 3 && pkt->l3_off) {
		/* a struct colo_pkt no parser made: the comparator checks it */
		b = fz_u8(in);
		((__u8 *)pkt)[b % sizeof(*pkt)] ^= fz_u8(in);
		b = fz_u8(in);
		((__u8 *)pkt)[b % sizeof(*pkt)] ^= fz_u8(in);
		pkt->hash = colo_key_hash(&pkt->key);
		return true;
	}
	if (!have_meta || m->magic != COLO_META_MAGIC || m->role != role ||
	    colo_pkt_from_meta(data, data + len, m, pkt)) {
		if (colo_parse(data, data + len, pkt) != COLO_PARSE_OK)
			return false;
	}
	if (have_meta)
		m->magic = 0;
	return true;
}

static void step_frame(struct harness *h, struct fz_in *in)
{
	__u8 b = fz_u8(in), b2 = fz_u8(in);
	int role = b & 1, tmpl = b >> 1 & 7, how = b >> 4 & 3;
	__u32 headroom = (b2 & 7) * 8, len;
	struct colo_pkt pkt;
	__u8 *chunk, *data;
	int i;

	h->now += (b2 >> 3) * MS / 4;
	i = free_slot(h);
	if (i < 0)
		return;
	chunk = h->umem + (size_t)i * FSZ;
	data = chunk + headroom;
	ASAN_UNPOISON_MEMORY_REGION(chunk, FSZ);
	len = (__u32)build_frame(h, in, role, tmpl, data, FSZ - headroom);
	if (!len || !frame_pkt(h, in, data, len, headroom, role, how, &pkt)) {
		poison_chunk(h, i);
		return;
	}
	give(h, (__u32)i, role, (__u64)(data - h->umem), len, &pkt);
}

/* Descriptors the kernel never gives: the comparator must refuse them. */
static void step_invalid(struct harness *h, struct fz_in *in)
{
	__u8 b = fz_u8(in);
	__u8 buf[FRAME_BUF];
	struct frame_spec s = frame_udp(4, 1, 2, NULL, 0);
	size_t len = frame_build(&s, buf, sizeof(buf));
	struct colo_pkt pkt;
	int i;

	FZ_CHECK(colo_parse(buf, buf + len, &pkt) == COLO_PARSE_OK,
		 "template frame");
	if (b & 1) {
		h->foreign = (__u64)NFR * FSZ + (b >> 1) * 64ULL;
		h->foreign_out = true;
		h->given++;
		cmp_input(h->c, (enum colo_role)(b >> 7), h->foreign,
			  (__u32)len, &pkt, h->now);
		return;
	}
	/* runs past the end of its chunk */
	i = free_slot(h);
	if (i < 0)
		return;
	give(h, (__u32)i, b >> 7,
	     (__u64)i * FSZ + FSZ - 8 * (1 + (b >> 1 & 7)), FSZ, &pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* one region for every run: allocating 512 KiB each time is slow */
	static __u8 *umem;
	static struct harness hs;
	struct harness *h = &hs;
	struct cmp_config cfg = { 0 };
	struct fz_in in;
	__u8 b;
	int steps = 0;

	if (!umem) {
		umem = aligned_alloc(4096, (size_t)NFR * FSZ);
		FZ_CHECK(umem, "aligned_alloc");
	}
	memset(h, 0, sizeof(*h));
	h->umem = umem;
	ASAN_POISON_MEMORY_REGION(h->umem, (size_t)NFR * FSZ);
	h->now = 1000 * MS;
	fz_init(&in, data, size);

	b = fz_u8(&in);
	cfg.umem = h->umem;
	cfg.frame_size = FSZ;
	cfg.nr_frames = NFR;
	cfg.max_conns = 1 + (b & 7);
	cfg.max_queue = 1 + (b >> 3 & 7);
	cfg.non_ip_compare = b & 0x40;
	cfg.compare_timeout_ns = 20 * MS;
	cfg.idle_timeout_ns = 200 * MS;
	cfg.linger_ns = 50 * MS;
	h->isn[P] = 1000;
	/* the secondary's ISN: the same, or far away (wrapping) */
	h->isn[S] = (b & 0x80) ? 0xfffff000u : 1000;
	h->tsval[P] = 777;
	h->tsval[S] = (b & 0x80) ? 0x80000000u : 777;
	h->c = cmp_new(&cfg, &ops, h);
	FZ_CHECK(h->c, "cmp_new");

	while (fz_left(&in) && steps++ < 2000) {
		b = fz_u8(&in);
		switch (b % 16) {
		case 12:
			cmp_tick(h->c, h->now);
			break;
		case 13:
			h->in_flush = true;
			cmp_flush(h->c, h->now);
			h->in_flush = false;
			FZ_CHECK(h->nout == 0, "%u frames held after a flush",
				 h->nout);
			break;
		case 14:
			h->now += (__u64)fz_u8(&in) * 4 * MS;
			cmp_tick(h->c, h->now);
			break;
		case 15:
			step_invalid(h, &in);
			break;
		default:
			step_frame(h, &in);
			break;
		}
		check_state(h, &cfg);
	}

	cmp_free(h->c);
	FZ_CHECK(h->nout == 0, "%u frames never given back", h->nout);
	return 0;
}
