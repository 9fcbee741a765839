// SPDX-License-Identifier: GPL-2.0
/*
 * compare_dgram.c - datagram comparison: UDP, UDP-Lite, DCCP, SCTP, ICMP,
 * ICMPv6, other IP protocols, IP fragments and (with --non-ip compare)
 * non-IP frames.
 *
 * Only the head of the primary queue is ever released, so output leaves in
 * the primary's order (QEMU pops the newest primary first and reorders). The
 * head is matched with the first equal frame of the secondary queue; when
 * the secondary queue has frames but none equal, the streams differ and the
 * connection is frozen until the checkpoint flush.
 *
 * What is compared never includes what legitimately differs between two
 * identical guests: Ethernet header and padding, L4 checksums (offloaded
 * checksums are partial), the IPv4 ID and header checksum, the IPv6 flow
 * label (Linux picks it at random per socket).
 */
#include <string.h>

#include "compare_int.h"

enum {
	VC_FRAME = 0, /* non-IP: the frame after the Ethernet header */
	VC_L3V4,      /* the whole IPv4 packet */
	VC_L3V6,      /* the whole IPv6 packet */
	VC_UDP,       /* L4 segment, checksum at +6 (UDP, UDP-Lite, DCCP) */
	VC_SCTP,      /* L4 segment, CRC32c at +8 */
	VC_ICMP,      /* ICMP/ICMPv6 message, checksum at +2 */
	VC__MAX,
};

/* Bytes never compared, as (offset, length) from the view's start. */
static const struct {
	__u8 off, len;
} skips[VC__MAX][2] = {
	[VC_L3V4] = { { 4, 2 }, { 10, 2 } },   /* ID, header checksum */
	/* flow label; byte 1's traffic class nibble is checked apart */
	[VC_L3V6] = { { 1, 3 }, { 0, 0 } },
	[VC_UDP] = { { 6, 2 }, { 0, 0 } },
	[VC_SCTP] = { { 8, 4 }, { 0, 0 } },
	[VC_ICMP] = { { 2, 2 }, { 0, 0 } },
};

struct dview {
	const __u8 *p;
	__u32 len;
	__u32 pay; /* where the payload starts in the view */
	int cls;
};

static void dgram_view(const struct comparator *c, const struct frec *f,
		       struct dview *v)
{
	const __u8 *d = fr_data(c, f);

	if (f->pflags & COLO_PF_NON_IP) {
		v->cls = VC_FRAME;
		goto l3;
	}
	if ((f->pflags & COLO_PF_HAS_L4) && !(f->pflags & COLO_PF_FRAGMENT)) {
		switch (f->l4proto) {
		case 17:  /* UDP */
		case 136: /* UDP-Lite */
		case 33:  /* DCCP */
			v->cls = VC_UDP;
			break;
		case 132:
			v->cls = VC_SCTP;
			break;
		case 1:
		case 58:
			v->cls = VC_ICMP;
			break;
		default:
			goto ip;
		}
		v->p = d + f->l4_off;
		v->len = f->l3_end - f->l4_off;
		v->pay = f->payload_off - f->l4_off;
		return;
	}
ip:
	v->cls = f->l3 == COLO_L3_IPV4 ? VC_L3V4 : VC_L3V6;
l3:
	v->p = d + f->l3_off;
	v->len = f->l3_end - f->l3_off;
	v->pay = 0;
}

/* First index in [from, to) where a and b differ, or to. */
static __u32 span_diff(const __u8 *a, const __u8 *b, __u32 from, __u32 to)
{
	if (from >= to || !memcmp(a + from, b + from, to - from))
		return to;
	while (a[from] == b[from])
		from++;
	return from;
}

/* First differing byte of the first len bytes of two views of one class. */
static __u32 first_diff(const struct dview *a, const struct dview *b,
			__u32 len)
{
	__u32 pos = 0, end, d;
	int s;

	for (s = 0; s < 2 && skips[a->cls][s].len; s++) {
		end = skips[a->cls][s].off;
		if (end > len)
			end = len;
		d = span_diff(a->p, b->p, pos, end);
		if (d < end)
			return d;
		/* IPv6: byte 1 is traffic class (high nibble) + flow label */
		if (a->cls == VC_L3V6 && s == 0 && len > 1 &&
		    ((a->p[1] ^ b->p[1]) & 0xf0))
			return 1;
		end = skips[a->cls][s].off + skips[a->cls][s].len;
		if (end > pos)
			pos = end;
	}
	return span_diff(a->p, b->p, pos, len);
}

static bool dgram_equal(const struct comparator *c, const struct frec *pf,
			const struct frec *sf)
{
	struct dview a, b;

	dgram_view(c, pf, &a);
	dgram_view(c, sf, &b);
	return a.cls == b.cls && a.len == b.len && a.pay == b.pay &&
	       first_diff(&a, &b, a.len) == a.len;
}

static const char *header_field(int cls, __u32 at)
{
	if (cls == VC_ICMP)
		return at == 0 ? "icmp-type" : at == 1 ? "icmp-code" :
						   "icmp-header";
	if (cls == VC_UDP && (at == 4 || at == 5))
		return "length";
	return "header";
}

static void dgram_report(struct comparator *c, struct conn *k,
			 const struct frec *pf, const struct frec *sf)
{
	struct dview a, b;
	struct cmp_event ev;
	__u32 min, at;

	cmp__event_init(c, k, &ev, CMP_REASON_MISCOMPARE, PRI);
	ev.pri_addr = pf->addr;
	ev.pri_len = pf->len;
	ev.sec_addr = sf->addr;
	ev.sec_len = sf->len;
	dgram_view(c, pf, &a);
	dgram_view(c, sf, &b);

	if (a.cls != b.cls || a.pay != b.pay) {
		/* different protocols, fragment vs whole, header sizes */
		cmp__event_what(&ev, "kind");
		at = 0;
	} else {
		min = a.len < b.len ? a.len : b.len;
		if (a.len != b.len) {
			cmp__event_what(&ev, "length");
			/* the first payload byte that differs, or where one ends */
			at = span_diff(a.p, b.p, a.pay < min ? a.pay : min, min);
			ev.offset = at - (a.pay < at ? a.pay : at);
		} else {
			at = first_diff(&a, &b, min);
			if (at < a.pay) {
				cmp__event_what(&ev, header_field(a.cls, at));
			} else {
				cmp__event_what(&ev, a.cls == VC_FRAME ? "frame" :
						     a.cls <= VC_L3V6 ? "packet" :
									"payload");
				ev.offset = at - a.pay;
			}
		}
	}
	/* excerpts start at the differing byte, header or payload */
	cmp__excerpt(ev.pri_excerpt, &ev.pri_excerpt_len, a.p + at,
		     a.len > at ? a.len - at : 0);
	cmp__excerpt(ev.sec_excerpt, &ev.sec_excerpt_len, b.p + at,
		     b.len > at ? b.len - at : 0);
	k->fl |= CF_DIVERGED;
	cmp__diverge(c, k, &ev);
}

void dgram_run(struct comparator *c, struct conn *k)
{
	__u32 pi, si;

	while (!(k->fl & CF_DIVERGED) && k->q[PRI].len && k->q[SEC].len) {
		pi = k->q[PRI].head;
		for (si = k->q[SEC].head; si != CMP_NIL; si = c->fr[si].next)
			if (dgram_equal(c, &c->fr[pi], &c->fr[si]))
				break;
		if (si == CMP_NIL) {
			dgram_report(c, k, &c->fr[pi], &c->fr[k->q[SEC].head]);
			return;
		}
		cmp__release(c, k, pi);
		cmp__drop(c, k, si, CMP_DROP_MATCHED);
	}
}
