// SPDX-License-Identifier: GPL-2.0
/*
 * compare_tcp.c - TCP as a byte stream: the primary's and the secondary's
 * output of one connection are compared byte by byte in sequence order,
 * however each side cut it into segments.
 *
 * The secondary picks its own ISN, so its sequence numbers are moved into
 * the primary's space (minus seq_offset, learned from the two SYNs; 0 for a
 * connection first seen mid-stream, or after a checkpoint, when both guests
 * are the same). compare_seq is where the bytes compared equal end. Each
 * queue keeps a hint, the frame holding compare_seq, so in-order streams
 * never search their queues.
 *
 * A primary frame leaves (only from the queue head: output keeps the
 * primary's order) when its bytes are below compare_seq (compared, or a
 * retransmission of compared bytes), the secondary showed the same SYN, FIN
 * and RST, and it acknowledges nothing the secondary has not acknowledged
 * (else, after a failover, the client would believe the secondary has data
 * it never got). Window, options, checksums and the IP header are not
 * compared. Sequence arithmetic is modulo 2^32.
 *
 * The window a released primary frame offers the client is clamped to the
 * secondary's (tcp_clamp_window): a client that sends what the primary's
 * window allows overruns a slower secondary, which drops what lies past its
 * window; the client never resends it (the primary took it), so the
 * secondary falls behind until a checkpoint. Twins negotiate the same
 * window scale with the same client, so the two fields compare as they are.
 */
#include <string.h>

#include "compare_int.h"

static inline __u32 be32_at(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static inline __u32 fr_dseq(const struct frec *f)
{
	return f->seq + !!(f->tflags & TH_SYN);
}

static inline __u32 fr_dend(const struct frec *f)
{
	return fr_dseq(f) + f->plen;
}

/* A sequence number of side r in the primary's space. */
static inline __u32 to_pri(const struct conn *k, int r, __u32 seq)
{
	return r == SEC ? seq - k->tcp.seq_offset : seq;
}

static inline bool is_pure_ack(const struct frec *f)
{
	return !f->plen && !(f->tflags & (TH_SYN | TH_FIN | TH_RST));
}

void tcp_conn_init(struct conn *k)
{
	memset(&k->tcp, 0, sizeof(k->tcp));
	k->tcp.hint[PRI] = k->tcp.hint[SEC] = CMP_NIL;
	k->tcp.st = TS_SCAN(PRI) | TS_SCAN(SEC);
}

void tcp_fill(const struct comparator *c, struct frec *f)
{
	const __u8 *th;

	/* fragments and the like stay opaque: held until timeout or flush */
	if (f->l4proto != 6 || !(f->pflags & COLO_PF_HAS_L4) ||
	    (f->pflags & COLO_PF_FRAGMENT) || f->payload_off < f->l4_off + 20)
		return;
	th = fr_data(c, f) + f->l4_off;
	f->seq = be32_at(th + 4);
	f->ack = be32_at(th + 8);
	f->tflags = th[13];
	f->win = (__u16)(th[14] << 8 | th[15]);
	f->plen = f->l3_end - f->payload_off;
	f->fl |= FR_TCP;
}

void tcp_unlinked(struct conn *k, __u32 fi, enum colo_role role)
{
	if (k->tcp.hint[role] == fi)
		k->tcp.hint[role] = CMP_NIL;
}

/*
 * What frame f still waits for, or NULL if it can go: a primary frame is
 * released, a secondary one consumed.
 */
static const char *tcp_pending(const struct conn *k, const struct frec *f)
{
	const struct tcp_conn *t = &k->tcp;
	bool started = t->st & TS_STARTED;
	int r = f->role, o = !r;
	__u32 end;

	if (!(f->fl & FR_TCP))
		return "unparsed";
	end = to_pri(k, r, fr_dend(f));
	if (f->plen && (!started || seq_after(end, t->compare_seq)))
		return "payload";
	if ((f->tflags & TH_SYN) &&
	    (!(t->st & TS_ISN(o)) || !(t->st & TS_ISN(r)) ||
	     f->seq != t->isn[r]))
		return "syn";
	if ((f->tflags & TH_FIN) &&
	    (!started || !(t->st & TS_FIN(o)) ||
	     end != to_pri(k, o, t->fin[o]) || seq_after(end, t->compare_seq)))
		return "fin";
	if ((f->tflags & TH_RST) && !(t->st & TS_RST(o)))
		return "rst";
	/* the primary must not acknowledge what the secondary has not */
	if (r == PRI && (f->tflags & TH_ACK) &&
	    (!(t->st & TS_ACK(SEC)) || seq_after(f->ack, t->max_ack[SEC])))
		return "ack";
	return NULL;
}

const char *tcp_wait_reason(const struct conn *k, const struct frec *f)
{
	const char *why = tcp_pending(k, f);

	return why ? why : "queued"; /* behind another frame */
}

__u32 tcp_stream_off(const struct conn *k, const struct frec *f)
{
	if (!(k->tcp.st & TS_STARTED) || !(f->fl & FR_TCP))
		return 0;
	return to_pri(k, f->role, fr_dseq(f)) - k->tcp.base;
}

/* Learns from a frame of side r; true if the other side may now be matched. */
static bool tcp_learn(struct conn *k, const struct frec *f)
{
	struct tcp_conn *t = &k->tcp;
	int r = f->role;
	bool ev = false;
	__u32 end = fr_dend(f);

	if ((f->tflags & TH_ACK) &&
	    (!(t->st & TS_ACK(r)) || seq_after(f->ack, t->max_ack[r]))) {
		t->max_ack[r] = f->ack;
		t->st |= TS_ACK(r);
	}
	/*
	 * The secondary's latest window, or a window update at its max_ack;
	 * not a SYN's, which is never scaled.
	 */
	if (r == SEC && (f->tflags & TH_ACK) &&
	    !(f->tflags & (TH_RST | TH_SYN)) && f->ack == t->max_ack[SEC]) {
		t->sec_win = f->win;
		t->st |= TS_SWIN;
	}
	/*
	 * An RST may carry any sequence number: it ends nothing. Nor does a
	 * pure ACK: after a FIN its seq is FIN + 1, which is not data past
	 * the FIN (a guest acking the client's FIN right after its own).
	 */
	if (!(f->tflags & TH_RST) && !is_pure_ack(f) &&
	    (!(t->st & TS_END(r)) || seq_after(end, t->max_end[r]))) {
		t->max_end[r] = end;
		t->st |= TS_END(r);
	}
	if ((f->tflags & TH_SYN) && !(t->st & TS_ISN(r))) {
		t->isn[r] = f->seq;
		t->st |= TS_ISN(r);
		ev = true;
	}
	if ((f->tflags & TH_FIN) && !(t->st & TS_FIN(r))) {
		t->fin[r] = end;
		t->st |= TS_FIN(r);
		ev = true;
	}
	if ((f->tflags & TH_RST) && !(t->st & TS_RST(r))) {
		t->st |= TS_RST(r);
		ev = true;
	}
	return ev;
}

/* Secondary TSval - primary TSval in the SYNs, 0 unless both had one. */
static __u32 tcp_ts_offset(const struct tcp_conn *t)
{
	if ((t->st & TS_TSV(PRI)) && (t->st & TS_TSV(SEC)))
		return t->tsval[SEC] - t->tsval[PRI];
	return 0;
}

/* Sets compare_seq and seq_offset once both sides can be placed. */
static bool tcp_try_start(struct comparator *c, struct conn *k)
{
	struct tcp_conn *t = &k->tcp;
	const struct frec *p, *s;
	__u32 pd, sd;

	if (t->st & TS_STARTED)
		return false;
	if ((t->st & TS_ISN(PRI)) && (t->st & TS_ISN(SEC))) {
		t->seq_offset = t->isn[SEC] - t->isn[PRI];
		t->compare_seq = t->isn[PRI] + 1;
	} else if (!(t->st & (TS_ISN(PRI) | TS_ISN(SEC))) && k->q[PRI].len &&
		   k->q[SEC].len) {
		/*
		 * No handshake seen (a restart, an evicted connection): both
		 * guests are taken as identical, offset 0, and the comparison
		 * starts at the lower first sequence number, so no primary
		 * byte goes out unseen by the secondary.
		 */
		p = &c->fr[k->q[PRI].head];
		s = &c->fr[k->q[SEC].head];
		if (!(p->fl & FR_TCP) || !(s->fl & FR_TCP))
			return false;
		pd = fr_dseq(p);
		sd = fr_dseq(s);
		t->seq_offset = 0;
		t->compare_seq = seq_before(sd, pd) ? sd : pd;
	} else {
		return false;
	}
	t->base = t->compare_seq;
	t->hint[PRI] = t->hint[SEC] = CMP_NIL;
	t->st |= TS_STARTED | TS_SCAN(PRI) | TS_SCAN(SEC);
	return true;
}

/* Does f hold the byte at compare_seq? */
static bool covers(const struct conn *k, const struct frec *f)
{
	__u32 cs = k->tcp.compare_seq, d;

	if (!(f->fl & FR_TCP) || !f->plen)
		return false;
	d = to_pri(k, f->role, fr_dseq(f));
	return !seq_before(cs, d) && seq_before(cs, d + f->plen);
}

/*
 * The frame of side r holding compare_seq: the hint or the frame after it
 * (in-order streams), else one search of the queue per compare_seq value
 * (frames arriving later are checked on arrival).
 */
static __u32 find_cover(struct comparator *c, struct conn *k, int r)
{
	struct tcp_conn *t = &k->tcp;
	__u32 h = t->hint[r], i;

	if (h != CMP_NIL) {
		if (covers(k, &c->fr[h]))
			return h;
		i = c->fr[h].next;
		if (i != CMP_NIL && covers(k, &c->fr[i]))
			return t->hint[r] = i;
	}
	if (!(t->st & TS_SCAN(r)))
		return CMP_NIL;
	t->st &= ~TS_SCAN(r);
	for (i = k->q[r].head; i != CMP_NIL; i = c->fr[i].next)
		if (covers(k, &c->fr[i]))
			return t->hint[r] = i;
	return CMP_NIL;
}

static void tcp_diverge(struct comparator *c, struct conn *k,
			struct cmp_event *ev)
{
	k->fl |= CF_DIVERGED;
	cmp__diverge(c, k, ev);
}

/* Compares the run both frames hold from compare_seq; false on a difference. */
static bool tcp_compare_step(struct comparator *c, struct conn *k, __u32 pi,
			     __u32 si)
{
	struct tcp_conn *t = &k->tcp;
	struct frec *pf = &c->fr[pi], *sf = &c->fr[si];
	__u32 cs = t->compare_seq;
	__u32 po = cs - fr_dseq(pf);
	__u32 so = cs - to_pri(k, SEC, fr_dseq(sf));
	__u32 n = pf->plen - po, i;
	const __u8 *a, *b;
	struct cmp_event ev;

	if (sf->plen - so < n)
		n = sf->plen - so;
	a = fr_data(c, pf) + pf->payload_off + po;
	b = fr_data(c, sf) + sf->payload_off + so;
	pf->fl |= FR_CONTRIB;
	sf->fl |= FR_CONTRIB;
	if (!memcmp(a, b, n)) {
		t->compare_seq = cs + n;
		t->st |= TS_SCAN(PRI) | TS_SCAN(SEC);
		return true;
	}
	for (i = 0; a[i] == b[i]; i++)
		;
	cmp__event_init(c, k, &ev, CMP_REASON_MISCOMPARE, PRI);
	cmp__event_what(&ev, "payload");
	ev.offset = cs + i - t->base;
	cmp__excerpt(ev.pri_excerpt, &ev.pri_excerpt_len, a + i,
		     pf->plen - po - i);
	cmp__excerpt(ev.sec_excerpt, &ev.sec_excerpt_len, b + i,
		     sf->plen - so - i);
	ev.pri_addr = pf->addr;
	ev.pri_len = pf->len;
	ev.sec_addr = sf->addr;
	ev.sec_len = sf->len;
	tcp_diverge(c, k, &ev);
	return false;
}

static bool tcp_progress(struct comparator *c, struct conn *k)
{
	__u32 pi, si;

	while (k->tcp.st & TS_STARTED) {
		pi = find_cover(c, k, PRI);
		if (pi == CMP_NIL)
			break;
		si = find_cover(c, k, SEC);
		if (si == CMP_NIL)
			break;
		if (!tcp_compare_step(c, k, pi, si))
			return false;
	}
	return true;
}

/*
 * A FIN contradicted by the other side: data past it, or a FIN elsewhere.
 * A lone FIN or RST is caught by the timeout instead.
 */
static bool tcp_fin_conflict(struct comparator *c, struct conn *k,
			     const struct frec *f)
{
	struct tcp_conn *t = &k->tcp;
	int r = f->role, o = !r;
	__u32 end = to_pri(k, r, fr_dend(f)), at;
	struct cmp_event ev;

	if ((t->st & TS_FIN(o)) &&
	    ((f->plen && seq_after(end, to_pri(k, o, t->fin[o]))) ||
	     ((f->tflags & TH_FIN) && end != to_pri(k, o, t->fin[o]))))
		at = to_pri(k, o, t->fin[o]);
	else if ((f->tflags & TH_FIN) && (t->st & TS_END(o)) &&
		 seq_after(to_pri(k, o, t->max_end[o]), end))
		at = end;
	else
		return false;

	cmp__event_init(c, k, &ev, CMP_REASON_MISCOMPARE,
			(enum colo_role)r);
	cmp__event_what(&ev, "fin");
	ev.offset = at - t->base;
	if (r == PRI) {
		ev.pri_addr = f->addr;
		ev.pri_len = f->len;
	} else {
		ev.sec_addr = f->addr;
		ev.sec_len = f->len;
	}
	tcp_diverge(c, k, &ev);
	return true;
}

static bool is_future(const struct conn *k, const struct frec *f)
{
	return !(k->tcp.st & TS_STARTED) ||
	       ((f->fl & FR_TCP) && seq_after(to_pri(k, SEC, fr_dseq(f)),
					      k->tcp.compare_seq));
}

static void sec_consume(struct comparator *c, struct conn *k, __u32 si)
{
	const struct frec *f = &c->fr[si];

	cmp__drop(c, k, si, (f->plen && !(f->fl & FR_CONTRIB)) ?
				    CMP_DROP_RETRANS : CMP_DROP_MATCHED);
}

/*
 * Drops the secondary frames that are done. Without full, stops at the
 * first frame still ahead of compare_seq: what follows it arrived later and
 * is ahead too in an in-order stream, so this stays O(1) per frame even when
 * the secondary runs far ahead.
 */
static void tcp_consume_sec(struct comparator *c, struct conn *k, bool full)
{
	__u32 i, next;

	for (i = k->q[SEC].head; i != CMP_NIL; i = next) {
		next = c->fr[i].next;
		if (!tcp_pending(k, &c->fr[i])) {
			sec_consume(c, k, i);
			continue;
		}
		if (!full && is_future(k, &c->fr[i]))
			break;
	}
}

static void tcp_release_pri(struct comparator *c, struct conn *k)
{
	__u32 i;

	while ((i = k->q[PRI].head) != CMP_NIL && !tcp_pending(k, &c->fr[i]))
		cmp__release(c, k, i);
}

/* A new SYN on a connection whose old incarnation is over starts afresh. */
static void tcp_maybe_reinit(struct conn *k, const struct frec *f)
{
	const struct tcp_conn *t = &k->tcp;
	int r = f->role;

	if (!(f->tflags & TH_SYN) || k->q[PRI].len || k->q[SEC].len)
		return;
	if (t->st & TS_ISN(r)) {
		if (f->seq == t->isn[r])
			return; /* retransmitted */
	} else if (!(k->fl & CF_CLOSED) && !(t->st & TS_STARTED)) {
		return; /* the first one (else: closed, or tracked mid-stream) */
	}
	tcp_conn_init(k);
	k->fl &= ~CF_CLOSED;
}

/*
 * The TSval of a SYN's timestamp option, walked like Linux's
 * tcp_parse_options(): stops at EOL, a bad length or the header's end.
 */
static bool tcp_syn_tsval(const struct comparator *c, const struct frec *f,
			  __u32 *tsval)
{
	const __u8 *o = fr_data(c, f) + f->l4_off + 20;
	__u32 i = 0, n = f->payload_off - f->l4_off - 20, len;

	if (f->payload_off < f->l4_off + 20)
		return false;
	while (i < n) {
		if (o[i] == 0)
			return false;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n)
			return false;
		len = o[i + 1];
		if (len < 2 || i + len > n)
			return false;
		if (o[i] == 8 && len == 10) {
			*tsval = (__u32)o[i + 2] << 24 | (__u32)o[i + 3] << 16 |
				 (__u32)o[i + 4] << 8 | o[i + 5];
			return true;
		}
		i += len;
	}
	return false;
}

void tcp_input(struct comparator *c, struct conn *k, __u32 fi)
{
	struct frec *f = &c->fr[fi];
	bool tcp = f->fl & FR_TCP, ev = false;
	struct tcp_conn *t = &k->tcp;
	int r = f->role;

	if (tcp && r == SEC && is_pure_ack(f)) {
		/* nothing to compare: only its ack number matters */
		tcp_learn(k, f);
		cmp__drop_addr(c, f->addr, CMP_DROP_MATCHED);
		if (!(k->fl & CF_DIVERGED))
			tcp_release_pri(c, k);
		return;
	}
	if (tcp)
		tcp_maybe_reinit(k, f);
	if (!cmp__enqueue(c, k, fi))
		return;
	if (tcp && (f->tflags & TH_SYN) && !(t->st & TS_ISN(r)) &&
	    tcp_syn_tsval(c, f, &t->tsval[r]))
		t->st |= TS_TSV(r);
	if (tcp)
		ev = tcp_learn(k, f);
	if (k->fl & CF_DIVERGED)
		return;
	if (tcp_try_start(c, k)) {
		ev = true;
		if (c->ops.seq_offset)
			c->ops.seq_offset(c->ctx, ct_key(&c->ct, conn_idx(c, k)),
					  t->seq_offset, tcp_ts_offset(t));
	}
	if (tcp && (t->st & TS_STARTED)) {
		if (tcp_fin_conflict(c, k, f))
			return;
		if (covers(k, f))
			t->hint[r] = fi;
	}
	if (!tcp_progress(c, k))
		return;
	tcp_consume_sec(c, k, ev);
	if (r == SEC && (f->fl & FR_HELD) && !tcp_pending(k, f))
		sec_consume(c, k, fi);
	tcp_release_pri(c, k);
}

void tcp_flush_state(struct conn *k)
{
	struct tcp_conn *t = &k->tcp;
	const __u32 mask = TS_ISN(SEC) | TS_FIN(SEC) | TS_RST(SEC) |
			   TS_ACK(SEC) | TS_END(SEC) | TS_TSV(SEC);

	/* nothing is known of the re-synced secondary's window yet */
	t->st &= ~TS_SWIN;
	/* the secondary is now a copy of the primary, ISN included */
	t->seq_offset = 0;
	if (t->st & TS_END(PRI)) {
		if (!(t->st & TS_STARTED))
			t->base = t->max_end[PRI];
		t->compare_seq = t->max_end[PRI];
		t->st |= TS_STARTED;
	}
	t->isn[SEC] = t->isn[PRI];
	t->tsval[SEC] = t->tsval[PRI];
	t->fin[SEC] = t->fin[PRI];
	t->max_ack[SEC] = t->max_ack[PRI];
	t->max_end[SEC] = t->max_end[PRI];
	/* the SEC bit of each pair is the PRI bit shifted by one */
	t->st = (t->st & ~mask) | ((t->st << 1) & mask);
	t->hint[PRI] = t->hint[SEC] = CMP_NIL;
	t->st |= TS_SCAN(PRI) | TS_SCAN(SEC);
}

bool tcp_clamp_window(const struct comparator *c, const struct conn *k,
		      struct frec *f)
{
	const struct tcp_conn *t = &k->tcp;
	__u8 *th;

	/*
	 * The release rule keeps f->ack at or below the secondary's max_ack,
	 * so the secondary's right edge (max_ack + sec_win) is at or beyond
	 * f->ack + sec_win: the clamp never offers more than it can take.
	 */
	if (!(f->fl & FR_TCP) || !(f->tflags & TH_ACK) ||
	    (f->tflags & (TH_SYN | TH_RST)) || !(t->st & TS_SWIN) ||
	    f->win <= t->sec_win)
		return false;
	th = fr_data(c, f) + f->l4_off;
	th[14] = (__u8)(t->sec_win >> 8);
	th[15] = (__u8)t->sec_win;
	f->win = (__u16)t->sec_win;
	return true;
}
