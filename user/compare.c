// SPDX-License-Identifier: GPL-2.0
/*
 * compare.c - the comparator's frame, queue and connection bookkeeping: the
 * cmp_*() API, release and drop, timeouts, expiry and the checkpoint flush.
 * What "equal" means lives in compare_dgram.c and compare_tcp.c.
 *
 * Every frame handed to cmp_input() is, at any moment, released, dropped
 * (by reason) or held on exactly one queue; cmp__check() verifies it. A
 * connection is on exactly one list: held (has frames; cmp_tick() walks only
 * these), idle or closed (empty; oldest first, so expiry and eviction pop
 * the head). A connection holding frames is never evicted or forgotten: when
 * the table is full and nothing is empty, the new frame is dropped and the
 * caller is asked for a checkpoint instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "compare_int.h"
#include "csum.h"

static const char *const reason_names[CMP_REASON__MAX] = {
	[CMP_REASON_MISCOMPARE] = "miscompare",
	[CMP_REASON_TIMEOUT] = "timeout",
	[CMP_REASON_QUEUE_FULL] = "queue-full",
	[CMP_REASON_TABLE_FULL] = "table-full",
};

static const char *const drop_names[CMP_DROP__MAX] = {
	[CMP_DROP_MATCHED] = "matched",
	[CMP_DROP_RETRANS] = "retransmission",
	[CMP_DROP_FLUSH] = "flush",
	[CMP_DROP_QUEUE_FULL] = "queue-full",
	[CMP_DROP_TABLE_FULL] = "table-full",
	[CMP_DROP_NON_IP] = "non-ip",
	[CMP_DROP_SHUTDOWN] = "shutdown",
	[CMP_DROP_INVALID] = "invalid",
};

const char *cmp_reason_str(enum cmp_reason r)
{
	return (unsigned int)r < CMP_REASON__MAX ? reason_names[r] : "unknown";
}

const char *cmp_drop_str(enum cmp_drop_reason r)
{
	return (unsigned int)r < CMP_DROP__MAX ? drop_names[r] : "unknown";
}

/* --- connection lists ---------------------------------------------------- */

static void list_del(struct comparator *c, struct conn *k)
{
	struct clist *l = &c->lists[k->list];

	if (k->list == CL_FREE)
		return;
	if (k->lprev != CMP_NIL)
		c->conns[k->lprev].lnext = k->lnext;
	else
		l->head = k->lnext;
	if (k->lnext != CMP_NIL)
		c->conns[k->lnext].lprev = k->lprev;
	else
		l->tail = k->lprev;
	l->len--;
	k->list = CL_FREE;
	k->lprev = k->lnext = CMP_NIL;
}

static void list_add_tail(struct comparator *c, int which, struct conn *k)
{
	struct clist *l = &c->lists[which];
	__u32 i = conn_idx(c, k);

	k->list = (__u8)which;
	k->lnext = CMP_NIL;
	k->lprev = l->tail;
	if (l->tail != CMP_NIL)
		c->conns[l->tail].lnext = i;
	else
		l->head = i;
	l->tail = i;
	l->len++;
}

/*
 * Puts k on the list its queues call for. An empty connection also moves to
 * its list's tail: it was just used, so it is the last to expire or be evicted.
 */
static void conn_relist(struct comparator *c, struct conn *k)
{
	int want;

	if (k->q[PRI].len || k->q[SEC].len)
		want = CL_HELD;
	else
		want = (k->fl & CF_CLOSED) ? CL_CLOSED : CL_IDLE;
	if (want == CL_HELD && k->list == CL_HELD)
		return;
	list_del(c, k);
	list_add_tail(c, want, k);
	k->list_ns = c->now;
}

/* Only ever called on a connection with empty queues. */
static void conn_expire(struct comparator *c, struct conn *k)
{
	list_del(c, k);
	ct_remove(&c->ct, conn_idx(c, k));
	c->st.connections--;
	c->st.conns_expired++;
}

static struct conn *conn_get(struct comparator *c, const struct colo_pkt *pkt)
{
	__u32 i = ct_lookup(&c->ct, &pkt->key, pkt->hash);
	struct conn *k;

	if (i != CT_NONE)
		return &c->conns[i];

	i = ct_insert(&c->ct, &pkt->key, pkt->hash);
	if (i == CT_NONE) {
		/* Evict the longest-unused empty connection, closed ones first. */
		__u32 v = c->lists[CL_CLOSED].head;

		if (v == CMP_NIL)
			v = c->lists[CL_IDLE].head;
		if (v == CMP_NIL)
			return NULL;
		conn_expire(c, &c->conns[v]);
		i = ct_insert(&c->ct, &pkt->key, pkt->hash);
		if (i == CT_NONE)
			return NULL;
	}
	k = &c->conns[i];
	memset(k, 0, sizeof(*k));
	k->q[PRI].head = k->q[PRI].tail = CMP_NIL;
	k->q[SEC].head = k->q[SEC].tail = CMP_NIL;
	k->lprev = k->lnext = CMP_NIL;
	k->kind = (!(pkt->flags & COLO_PF_NON_IP) &&
		   pkt->key.proto == 6) ? CK_TCP : CK_DGRAM;
	k->l4proto = pkt->l4proto;
	k->created_ns = c->now;
	tcp_conn_init(k);
	list_add_tail(c, CL_IDLE, k);
	k->list_ns = c->now;
	c->st.connections++;
	c->st.conns_created++;
	return k;
}

/* --- frames in and out --------------------------------------------------- */

static void emit_release(struct comparator *c, __u64 addr, __u32 len)
{
	c->st.released_packets++;
	c->st.released_bytes += len;
	c->ops.release(c->ctx, addr, len);
}

void cmp__drop_addr(struct comparator *c, __u64 addr, enum cmp_drop_reason why)
{
	c->st.dropped[why]++;
	c->ops.drop(c->ctx, addr, why);
}

static void q_unlink(struct comparator *c, struct conn *k, __u32 fi)
{
	struct frec *f = &c->fr[fi];
	struct fq *q = &k->q[f->role];

	if (f->prev != CMP_NIL) {
		c->fr[f->prev].next = f->next;
	} else {
		q->head = f->next;
		/* a new head starts its own wait */
		k->fl &= ~(f->role == PRI ? CF_TO_PRI : CF_TO_SEC);
	}
	if (f->next != CMP_NIL)
		c->fr[f->next].prev = f->prev;
	else
		q->tail = f->prev;
	q->len--;
	f->fl &= ~FR_HELD;
	f->next = f->prev = CMP_NIL;
	c->st.held[f->role]--;
	if (k->kind == CK_TCP)
		tcp_unlinked(k, fi, f->role);
}

void cmp__release(struct comparator *c, struct conn *k, __u32 fi)
{
	struct frec *f = &c->fr[fi];
	bool clamped;

	q_unlink(c, k, fi);
	clamped = k->kind == CK_TCP && tcp_clamp_window(c, k, f);
	if (clamped)
		c->st.windows_clamped++;
	/* A clamped window changes the sum: that is not a checksum to fix. */
	if (f->l3 != COLO_L3_NONE && (f->pflags & COLO_PF_HAS_L4) &&
	    !(f->pflags & COLO_PF_FRAGMENT) &&
	    csum_fix_l4(fr_data(c, f), f->l3, f->l4proto, f->l3_off,
			f->l4_off, f->l3_end) > 0 && !clamped)
		c->st.csum_fixed++;
	if (k->kind == CK_TCP && (f->fl & FR_TCP) &&
	    (f->tflags & (TH_FIN | TH_RST)))
		k->fl |= CF_CLOSED;
	emit_release(c, f->addr, f->len);
}

void cmp__drop(struct comparator *c, struct conn *k, __u32 fi,
	       enum cmp_drop_reason why)
{
	q_unlink(c, k, fi);
	cmp__drop_addr(c, c->fr[fi].addr, why);
}

void cmp__event_init(const struct comparator *c, const struct conn *k,
		     struct cmp_event *ev, enum cmp_reason why,
		     enum colo_role role)
{
	memset(ev, 0, sizeof(*ev));
	ev->reason = why;
	ev->role = role;
	ev->key = *ct_key(&c->ct, conn_idx(c, k));
	ev->l4proto = k->l4proto;
	ev->pri_addr = ev->sec_addr = ~0ULL;
}

void cmp__event_what(struct cmp_event *ev, const char *what)
{
	snprintf(ev->what, sizeof(ev->what), "%s", what);
}

void cmp__excerpt(__u8 *dst, __u8 *dst_len, const __u8 *p, __u32 avail)
{
	__u32 n = avail < 16 ? avail : 16;

	memcpy(dst, p, n);
	*dst_len = (__u8)n;
}

static void event_frame(struct cmp_event *ev, const struct frec *f)
{
	if (f->role == PRI) {
		ev->pri_addr = f->addr;
		ev->pri_len = f->len;
	} else {
		ev->sec_addr = f->addr;
		ev->sec_len = f->len;
	}
}

void cmp__diverge(struct comparator *c, struct conn *k,
		  const struct cmp_event *ev)
{
	(void)k;
	c->st.divergences[ev->reason]++;
	if (c->ops.divergence)
		c->ops.divergence(c->ctx, ev);
}

bool cmp__enqueue(struct comparator *c, struct conn *k, __u32 fi)
{
	struct frec *f = &c->fr[fi];
	struct fq *q = &k->q[f->role];
	struct cmp_event ev;

	if (q->len >= c->cfg.max_queue) {
		/* once until the flush: the checkpoint it asks for empties it */
		if (!(k->fl & CF_QFULL)) {
			k->fl |= CF_QFULL;
			cmp__event_init(c, k, &ev, CMP_REASON_QUEUE_FULL,
					(enum colo_role)f->role);
			event_frame(&ev, f);
			cmp__diverge(c, k, &ev);
		}
		cmp__drop_addr(c, f->addr, CMP_DROP_QUEUE_FULL);
		return false;
	}
	f->next = CMP_NIL;
	f->prev = q->tail;
	if (q->tail != CMP_NIL)
		c->fr[q->tail].next = fi;
	else
		q->head = fi;
	q->tail = fi;
	q->len++;
	f->fl |= FR_HELD;
	c->st.held[f->role]++;
	return true;
}

/* Minimum L4 header of the protocols the parser reads, else 0. */
static __u32 l4_min_hlen(__u8 proto)
{
	switch (proto) {
	case 6:
		return 20;
	case 17:
	case 136:
	case 1:
	case 58:
		return 8;
	case 33:
	case 132:
		return 12;
	}
	return 0;
}

/* The parse results must describe this frame: never read past it. */
static bool pkt_fits(const struct colo_pkt *pkt, __u32 len)
{
	__u32 iphl;

	if (pkt->l3_off < 14 || pkt->l3_end > len || pkt->l3_off > pkt->l3_end)
		return false;
	if (pkt->flags & COLO_PF_NON_IP)
		return true;
	if (pkt->l3 == COLO_L3_IPV4)
		iphl = 20;
	else if (pkt->l3 == COLO_L3_IPV6)
		iphl = 40;
	else
		return false;
	if (pkt->l4_off < pkt->l3_off + iphl || pkt->payload_off < pkt->l4_off ||
	    pkt->payload_off > pkt->l3_end)
		return false;
	if ((pkt->flags & COLO_PF_HAS_L4) &&
	    (__u32)(pkt->payload_off - pkt->l4_off) < l4_min_hlen(pkt->l4proto))
		return false;
	return true;
}

static void report_table_full(struct comparator *c, enum colo_role role,
			      __u64 addr, __u32 len,
			      const struct colo_pkt *pkt)
{
	struct cmp_event ev;

	if (c->table_full_reported)
		return;
	c->table_full_reported = true;
	memset(&ev, 0, sizeof(ev));
	ev.reason = CMP_REASON_TABLE_FULL;
	ev.role = role;
	ev.key = pkt->key;
	ev.l4proto = pkt->l4proto;
	ev.pri_addr = ev.sec_addr = ~0ULL;
	if (role == PRI) {
		ev.pri_addr = addr;
		ev.pri_len = len;
	} else {
		ev.sec_addr = addr;
		ev.sec_len = len;
	}
	c->st.divergences[CMP_REASON_TABLE_FULL]++;
	if (c->ops.divergence)
		c->ops.divergence(c->ctx, &ev);
}

void cmp_input(struct comparator *c, enum colo_role role, __u64 addr,
	       __u32 len, const struct colo_pkt *pkt, __u64 now_ns)
{
	__u64 fi = addr >> c->shift;
	__u64 off = addr & (c->cfg.frame_size - 1);
	struct conn *k;
	struct frec *f;

	c->now = now_ns;
	/* an unknown role is never sent: treat it as the secondary */
	if (role != PRI)
		role = SEC;
	c->st.rx_packets[role]++;
	c->st.rx_bytes[role] += len;

	if (fi >= c->cfg.nr_frames || off + len > c->cfg.frame_size ||
	    (c->fr[fi].fl & FR_HELD) || !pkt_fits(pkt, len)) {
		cmp__drop_addr(c, addr, CMP_DROP_INVALID);
		return;
	}
	if ((pkt->flags & COLO_PF_NON_IP) && !c->cfg.non_ip_compare) {
		if (role == PRI) {
			c->st.passed_non_ip++;
			emit_release(c, addr, len);
		} else {
			cmp__drop_addr(c, addr, CMP_DROP_NON_IP);
		}
		return;
	}

	k = conn_get(c, pkt);
	if (!k) {
		report_table_full(c, role, addr, len, pkt);
		cmp__drop_addr(c, addr, CMP_DROP_TABLE_FULL);
		return;
	}
	k->last_ns = now_ns;

	f = &c->fr[fi];
	memset(f, 0, sizeof(*f));
	f->addr = addr;
	f->ts = now_ns;
	f->len = len;
	f->next = f->prev = CMP_NIL;
	f->conn = conn_idx(c, k);
	f->l3_off = pkt->l3_off;
	f->l4_off = pkt->l4_off;
	f->payload_off = pkt->payload_off;
	f->l3_end = pkt->l3_end;
	f->l3 = pkt->l3;
	f->l4proto = pkt->l4proto;
	f->pflags = pkt->flags;
	f->role = (__u8)role;

	if (k->kind == CK_TCP) {
		tcp_fill(c, f);
		tcp_input(c, k, (__u32)fi);
	} else if (cmp__enqueue(c, k, (__u32)fi)) {
		dgram_run(c, k);
	}
	conn_relist(c, k);
}

/* --- timers, flush ------------------------------------------------------- */

static bool aged(__u64 now, __u64 since, __u64 limit)
{
	return (__s64)(now - since) >= (__s64)limit;
}

static void check_timeout(struct comparator *c, struct conn *k, __u64 now)
{
	static const __u8 mark[COLO_ROLE__MAX] = { CF_TO_PRI, CF_TO_SEC };
	bool old[COLO_ROLE__MAX] = { false, false };
	struct cmp_event ev;
	const struct frec *f;
	int r, first = -1;

	for (r = 0; r < COLO_ROLE__MAX; r++) {
		if (k->q[r].head == CMP_NIL || (k->fl & mark[r]))
			continue;
		f = &c->fr[k->q[r].head];
		old[r] = aged(now, f->ts, c->cfg.compare_timeout_ns);
		if (old[r] && first < 0)
			first = r;
	}
	if (first < 0)
		return;
	/* one event per connection: it covers both sides if both are old */
	for (r = 0; r < COLO_ROLE__MAX; r++)
		if (old[r])
			k->fl |= mark[r];

	cmp__event_init(c, k, &ev, CMP_REASON_TIMEOUT, (enum colo_role)first);
	for (r = 0; r < COLO_ROLE__MAX; r++)
		if (k->q[r].head != CMP_NIL)
			event_frame(&ev, &c->fr[k->q[r].head]);
	f = &c->fr[k->q[first].head];
	if (k->kind == CK_TCP) {
		cmp__event_what(&ev, tcp_wait_reason(k, f));
		ev.offset = tcp_stream_off(k, f);
	} else {
		cmp__event_what(&ev, "unmatched");
	}
	cmp__diverge(c, k, &ev);
}

void cmp_tick(struct comparator *c, __u64 now_ns)
{
	struct conn *k;
	__u32 i;

	c->now = now_ns;
	for (i = c->lists[CL_HELD].head; i != CMP_NIL; i = k->lnext) {
		k = &c->conns[i];
		/* a diverged connection has already asked for its checkpoint */
		if (!(k->fl & CF_DIVERGED))
			check_timeout(c, k, now_ns);
	}
	while ((i = c->lists[CL_CLOSED].head) != CMP_NIL &&
	       aged(now_ns, c->conns[i].list_ns, c->cfg.linger_ns))
		conn_expire(c, &c->conns[i]);
	while ((i = c->lists[CL_IDLE].head) != CMP_NIL &&
	       aged(now_ns, c->conns[i].list_ns, c->cfg.idle_timeout_ns))
		conn_expire(c, &c->conns[i]);
}

static void conn_reset_marks(struct conn *k)
{
	k->fl &= ~(CF_DIVERGED | CF_QFULL | CF_TO_PRI | CF_TO_SEC);
	if (k->kind == CK_TCP)
		tcp_flush_state(k);
}

void cmp_flush(struct comparator *c, __u64 now_ns)
{
	struct conn *k;
	__u32 i;
	int l;

	c->now = now_ns;
	while ((i = c->lists[CL_HELD].head) != CMP_NIL) {
		k = &c->conns[i];
		while (k->q[PRI].head != CMP_NIL)
			cmp__release(c, k, k->q[PRI].head);
		while (k->q[SEC].head != CMP_NIL)
			cmp__drop(c, k, k->q[SEC].head, CMP_DROP_FLUSH);
		conn_reset_marks(k);
		conn_relist(c, k);
	}
	/* the secondary is now a copy of the primary: empty ones too */
	for (l = CL_IDLE; l <= CL_CLOSED; l++)
		for (i = c->lists[l].head; i != CMP_NIL; i = c->conns[i].lnext)
			conn_reset_marks(&c->conns[i]);
	c->table_full_reported = false;
	c->st.flushes++;
}

/* --- life cycle, queries ------------------------------------------------- */

struct comparator *cmp_new(const struct cmp_config *cfg,
			   const struct cmp_ops *ops, void *ctx)
{
	struct comparator *c;
	int l, err;

	if (!cfg || !ops || !ops->release || !ops->drop || !cfg->umem ||
	    cfg->frame_size < 64 || (cfg->frame_size & (cfg->frame_size - 1)) ||
	    !cfg->nr_frames || !cfg->max_conns || !cfg->max_queue) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	c->cfg = *cfg;
	c->ops = *ops;
	c->ctx = ctx;
	c->umem = cfg->umem;
	while ((1u << c->shift) < cfg->frame_size)
		c->shift++;
	for (l = 0; l < CL__MAX; l++)
		c->lists[l].head = c->lists[l].tail = CMP_NIL;

	err = ct_init(&c->ct, cfg->max_conns);
	if (err) {
		free(c);
		errno = -err;
		return NULL;
	}
	c->fr = calloc(cfg->nr_frames, sizeof(*c->fr));
	c->conns = calloc(cfg->max_conns, sizeof(*c->conns));
	if (!c->fr || !c->conns) {
		free(c->fr);
		free(c->conns);
		ct_destroy(&c->ct);
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void cmp_free(struct comparator *c)
{
	struct conn *k;
	__u32 i;
	int r;

	if (!c)
		return;
	for (i = c->lists[CL_HELD].head; i != CMP_NIL; i = k->lnext) {
		k = &c->conns[i];
		for (r = 0; r < COLO_ROLE__MAX; r++)
			while (k->q[r].head != CMP_NIL)
				cmp__drop(c, k, k->q[r].head,
					  CMP_DROP_SHUTDOWN);
	}
	ct_destroy(&c->ct);
	free(c->fr);
	free(c->conns);
	free(c);
}

void cmp_get_stats(const struct comparator *c, struct cmp_stats *st)
{
	*st = c->st;
}

int cmp_for_each_conn(const struct comparator *c,
		      int (*fn)(const struct cmp_conn_info *ci, void *arg),
		      void *arg)
{
	static const int order[] = { CL_HELD, CL_IDLE, CL_CLOSED };
	struct cmp_conn_info ci;
	const struct conn *k;
	unsigned int l;
	int ret;
	__u32 i;

	for (l = 0; l < sizeof(order) / sizeof(order[0]); l++) {
		for (i = c->lists[order[l]].head; i != CMP_NIL; i = k->lnext) {
			k = &c->conns[i];
			memset(&ci, 0, sizeof(ci));
			ci.key = *ct_key(&c->ct, i);
			ci.l4proto = k->l4proto;
			ci.diverged = k->fl & CF_DIVERGED;
			ci.queued[PRI] = k->q[PRI].len;
			ci.queued[SEC] = k->q[SEC].len;
			ci.created_ns = k->created_ns;
			ci.last_ns = k->last_ns;
			ci.seq_offset = k->kind == CK_TCP ? k->tcp.seq_offset : 0;
			ret = fn(&ci, arg);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* --- invariants (tests, debugging) -------------------------------------- */

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "cmp__check: " __VA_ARGS__);       \
			fprintf(stderr, "\n");                             \
			return -1;                                         \
		}                                                          \
	} while (0)

static int check_queue(const struct comparator *c, const struct conn *k,
		       int r, __u64 *held)
{
	__u32 i, prev = CMP_NIL, n = 0, ci = conn_idx(c, k);
	const struct frec *f;

	for (i = k->q[r].head; i != CMP_NIL; i = f->next) {
		CHECK(i < c->cfg.nr_frames, "conn %u: bad frame index %u", ci, i);
		f = &c->fr[i];
		CHECK(f->fl & FR_HELD, "conn %u: queued frame %u not held", ci, i);
		CHECK(f->role == r, "conn %u: frame %u on the wrong side", ci, i);
		CHECK(f->conn == ci, "frame %u: conn %u, queued on %u", i,
		      f->conn, ci);
		CHECK(f->prev == prev, "conn %u: frame %u: bad prev link", ci, i);
		CHECK((f->addr >> c->shift) == i, "frame %u: addr mismatch", i);
		CHECK(++n <= k->q[r].len, "conn %u: queue longer than its len", ci);
		prev = i;
	}
	CHECK(n == k->q[r].len, "conn %u: queue len %u, walked %u", ci,
	      k->q[r].len, n);
	CHECK(k->q[r].tail == prev, "conn %u: bad tail", ci);
	CHECK(n <= c->cfg.max_queue, "conn %u: queue over max_queue", ci);
	held[r] += n;
	return 0;
}

int cmp__check(const struct comparator *c)
{
	__u64 held[COLO_ROLE__MAX] = { 0, 0 }, frames[COLO_ROLE__MAX] = { 0, 0 };
	__u64 rx, out, conns = 0;
	const struct conn *k;
	__u32 i, n, prev;
	int l, r;

	for (l = CL_IDLE; l < CL__MAX; l++) {
		n = 0;
		prev = CMP_NIL;
		for (i = c->lists[l].head; i != CMP_NIL; i = k->lnext) {
			CHECK(i < c->cfg.max_conns, "list %d: bad slot %u", l, i);
			k = &c->conns[i];
			CHECK(ct_used(&c->ct, i), "list %d: slot %u unused",
			      l, i);
			CHECK(k->list == l, "slot %u on list %d says %d", i, l,
			      k->list);
			CHECK(k->lprev == prev, "list %d: bad prev at %u", l, i);
			CHECK(++n <= c->cfg.max_conns, "list %d loops", l);
			CHECK((l == CL_HELD) ==
				      (k->q[PRI].len || k->q[SEC].len),
			      "slot %u: list %d, queues %u/%u", i, l,
			      k->q[PRI].len, k->q[SEC].len);
			for (r = 0; r < COLO_ROLE__MAX; r++)
				if (check_queue(c, k, r, held))
					return -1;
			prev = i;
		}
		CHECK(n == c->lists[l].len, "list %d: len %u, walked %u", l,
		      c->lists[l].len, n);
		CHECK(c->lists[l].tail == prev, "list %d: bad tail", l);
		conns += n;
	}
	CHECK(conns == c->st.connections && conns == c->ct.count,
	      "connections: lists %llu, stats %llu, table %u",
	      (unsigned long long)conns,
	      (unsigned long long)c->st.connections, c->ct.count);

	for (i = 0; i < c->cfg.nr_frames; i++)
		if (c->fr[i].fl & FR_HELD)
			frames[c->fr[i].role]++;
	for (r = 0; r < COLO_ROLE__MAX; r++) {
		CHECK(held[r] == c->st.held[r] && frames[r] == held[r],
		      "held[%d]: queues %llu, stats %llu, records %llu", r,
		      (unsigned long long)held[r],
		      (unsigned long long)c->st.held[r],
		      (unsigned long long)frames[r]);
	}

	rx = c->st.rx_packets[PRI] + c->st.rx_packets[SEC];
	out = c->st.released_packets + c->st.held[PRI] + c->st.held[SEC];
	for (i = 0; i < CMP_DROP__MAX; i++)
		out += c->st.dropped[i];
	CHECK(rx == out, "frames in %llu != released + dropped + held %llu",
	      (unsigned long long)rx, (unsigned long long)out);
	CHECK(c->st.released_packets <= c->st.rx_packets[PRI],
	      "released more than the primary sent");
	return 0;
}
