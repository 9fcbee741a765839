/* SPDX-License-Identifier: GPL-2.0 */
/*
 * frames.h - craft test frames in a byte buffer, for colo-xdp's C tests.
 *
 * Describe a frame in a struct frame_spec and frame_build() writes
 * Ethernet (+ VLAN tags) / IPv4 or IPv6 (+ extension headers) / L4 / payload
 * with a correct IPv4 header checksum and a correct L4 checksum (TCP, UDP,
 * UDP-Lite, DCCP and ICMPv6 over the pseudo-header, ICMP over its message,
 * SCTP as CRC32c). Everything left zero gets a sensible default:
 *
 *   uint8_t buf[FRAME_BUF];
 *   struct frame_spec s = frame_tcp(4, seq, ack, FRAME_TCP_ACK, data, n);
 *   struct frame_info fi;
 *   size_t len = frame_build_info(&s, buf, sizeof(buf), &fi);
 *
 *   s = frame_reply(&s);            the other direction of the same flow
 *   s.src = "10.1.2.3"; s.sport = 4242; ...  tweak any field afterwards
 *
 * Defaults: MACs 02:00:00:00:00:01 -> :02, addresses 10.0.0.1 -> 10.0.0.2
 * (fd00::1 -> fd00::2), TTL/hop limit 64, TCP window 65535, DCCP with
 * extended (48-bit) sequence numbers. family 0 builds a non-IP frame of
 * s->ethertype carrying the payload.
 *
 * frame_build() returns the frame length, or 0 if the spec is invalid (bad
 * address text, too many tags) or the frame does not fit in cap. struct
 * frame_info gives the offsets a correct parser must find, so tests can
 * compare against them and corrupt fields at the right place with the
 * frame_put*() and frame_set_*() helpers; frame_fix_csums() recomputes the
 * checksums after a deliberate change when a test wants only one thing wrong.
 *
 * Fragments: frag_offset (in bytes, a multiple of 8) or more_frags make an
 * IPv4 fragment, or add an IPv6 fragment header if ext[] has none. A frame
 * with a non-zero offset carries the payload right after the IP header(s)
 * (no L4 header), as a later fragment does; the first fragment's L4
 * checksum covers only what is in that frame.
 */
#ifndef COLO_TESTS_FRAMES_H
#define COLO_TESTS_FRAMES_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FRAME_BUF       2048 /* a buffer big enough for any test frame */
#define FRAME_MAX_VLAN  4
#define FRAME_MAX_EXT   12

/* IP protocol and IPv6 extension header numbers. */
#define FRAME_HOPOPTS   0
#define FRAME_ICMP      1
#define FRAME_TCP       6
#define FRAME_UDP       17
#define FRAME_DCCP      33
#define FRAME_ROUTING   43
#define FRAME_FRAGMENT  44
#define FRAME_GRE       47
#define FRAME_ESP       50
#define FRAME_AH        51
#define FRAME_ICMPV6    58
#define FRAME_NONXT     59
#define FRAME_DSTOPTS   60
#define FRAME_SCTP      132
#define FRAME_UDPLITE   136

/* TCP flags */
#define FRAME_TCP_FIN   0x01
#define FRAME_TCP_SYN   0x02
#define FRAME_TCP_RST   0x04
#define FRAME_TCP_PSH   0x08
#define FRAME_TCP_ACK   0x10

struct frame_spec {
	/* Ethernet */
	uint8_t src_mac[6];       /* all zero: 02:00:00:00:00:01 */
	uint8_t dst_mac[6];       /* all zero: 02:00:00:00:00:02 */
	uint16_t ethertype;       /* family 0 only: the ethertype */
	int nvlan;                /* tags, outermost first */
	uint16_t vlan_tpid[FRAME_MAX_VLAN]; /* 0: 0x8100 */
	uint16_t vlan_tci[FRAME_MAX_VLAN];

	/* IP */
	int family;               /* 4, 6, or 0 for a non-IP frame */
	const char *src, *dst;    /* address text; NULL: defaults */
	uint8_t proto;            /* FRAME_TCP, ... (upper layer for IPv6) */
	uint8_t ttl;              /* 0: 64 */
	uint8_t tos;              /* IPv4 TOS / IPv6 traffic class */
	uint16_t ip_id;           /* IPv4 id / IPv6 fragment id */
	uint16_t frag_offset;     /* bytes, a multiple of 8 */
	bool more_frags;
	bool dont_frag;           /* IPv4 DF */
	const uint8_t *ip_opts;   /* IPv4 options, a multiple of 4 bytes */
	size_t ip_opts_len;
	uint8_t ext[FRAME_MAX_EXT]; /* IPv6 extension headers in order */
	int next;                 /* how many of ext[] */

	/* L4 */
	uint16_t sport, dport;    /* TCP/UDP/UDP-Lite/SCTP/DCCP ports */
	uint32_t seq, ack;        /* TCP */
	uint8_t tcp_flags;        /* FRAME_TCP_* */
	uint16_t window;          /* TCP; 0: 65535 */
	const uint8_t *tcp_opts;  /* padded with EOL to a multiple of 4 */
	size_t tcp_opts_len;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq; /* echo; the rest of the header else */
	bool dccp_short_seq;      /* DCCP X = 0: 12-byte generic header */
	bool no_l4;               /* write the payload right after IP */

	/* Payload and length */
	const void *payload;
	size_t payload_len;
	size_t min_len;           /* zero-pad the frame to this length */
};

/* Where frame_build() put things; what a correct parser must report. */
struct frame_info {
	size_t len;               /* frame length, padding included */
	size_t l3_off;            /* first byte after Ethernet/VLAN */
	size_t l4_off;            /* first byte after IP and its ext. headers */
	size_t payload_off;       /* first byte after the L4 header */
	size_t l3_end;            /* end of the IP packet (before padding) */
	size_t ip_hlen;           /* IPv4 header length incl. options / 40 */
	size_t l4_hlen;           /* 0 without an L4 header */
	int family;
	uint8_t proto;            /* upper-layer protocol */
	bool has_l4;
};

/* ---- byte helpers ---- */

static inline void frame_put8(uint8_t *buf, size_t off, uint8_t v)
{
	buf[off] = v;
}

static inline void frame_put16(uint8_t *buf, size_t off, uint16_t v)
{
	buf[off] = v >> 8;
	buf[off + 1] = v;
}

static inline void frame_put32(uint8_t *buf, size_t off, uint32_t v)
{
	buf[off] = v >> 24;
	buf[off + 1] = v >> 16;
	buf[off + 2] = v >> 8;
	buf[off + 3] = v;
}

static inline uint16_t frame_get16(const uint8_t *buf, size_t off)
{
	return (uint16_t)(buf[off] << 8 | buf[off + 1]);
}

static inline uint32_t frame_get32(const uint8_t *buf, size_t off)
{
	return (uint32_t)buf[off] << 24 | (uint32_t)buf[off + 1] << 16 |
	       (uint32_t)buf[off + 2] << 8 | buf[off + 3];
}

/* Deterministic payload bytes, different for each seed. */
static inline void frame_pattern(uint8_t *p, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 0x9e3779b9u;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* ---- checksums ---- */

/* One's complement sum of big-endian 16-bit words, odd byte padded. */
static inline uint32_t frame_csum_add(uint32_t sum, const uint8_t *p,
				      size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += frame_get16(p, i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static inline uint16_t frame_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* CRC32c, bitwise; start with crc = 0xffffffff, finish with ~crc. */
static inline uint32_t frame_crc32c_add(uint32_t crc, const uint8_t *p,
					size_t len)
{
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
	}
	return crc;
}

/* Sum of the pseudo-header for an upper-layer length of len bytes. */
static inline uint32_t frame_pseudo_sum(const uint8_t *buf,
					const struct frame_info *fi,
					size_t len)
{
	const uint8_t *ip = buf + fi->l3_off;
	uint32_t sum;

	if (fi->family == 4)
		sum = frame_csum_add(0, ip + 12, 8);
	else
		sum = frame_csum_add(0, ip + 8, 32);
	return sum + fi->proto + (uint32_t)(len >> 16) + (len & 0xffff);
}

/* Offset of the checksum field in the L4 header, or -1. */
static inline int frame_l4_csum_field(uint8_t proto)
{
	switch (proto) {
	case FRAME_TCP:
		return 16;
	case FRAME_UDP:
	case FRAME_UDPLITE:
	case FRAME_DCCP:
		return 6;
	case FRAME_ICMP:
	case FRAME_ICMPV6:
		return 2;
	case FRAME_SCTP:
		return 8;
	}
	return -1;
}

/*
 * The checksum the L4 header should carry (host order for the 16-bit ones,
 * the CRC32c value for SCTP), computed with the field as zero.
 */
static inline uint32_t frame_l4_csum(const uint8_t *buf,
				     const struct frame_info *fi)
{
	static const uint8_t zero[4];
	const uint8_t *l4 = buf + fi->l4_off;
	size_t len = fi->l3_end - fi->l4_off;
	int field = frame_l4_csum_field(fi->proto);
	uint32_t sum, crc;
	uint16_t c;

	if (!fi->has_l4 || field < 0)
		return 0;
	if (fi->proto == FRAME_SCTP) {
		crc = frame_crc32c_add(0xffffffffu, l4, (size_t)field);
		crc = frame_crc32c_add(crc, zero, 4);
		crc = frame_crc32c_add(crc, l4 + field + 4, len - field - 4);
		/* stored little-endian on the wire */
		return __builtin_bswap32(~crc);
	}
	/* the checksum field counts as zero: sum around it */
	sum = frame_csum_add(0, l4, (size_t)field);
	sum = frame_csum_add(sum, l4 + field + 2, len - field - 2);
	if (fi->proto != FRAME_ICMP)
		sum += frame_pseudo_sum(buf, fi, len);
	c = frame_csum_fold(sum);
	if (c == 0 && (fi->proto == FRAME_UDP || fi->proto == FRAME_UDPLITE))
		c = 0xffff; /* 0 means "no checksum" */
	return c;
}

static inline uint16_t frame_ip4_csum(const uint8_t *buf,
				      const struct frame_info *fi)
{
	uint8_t hdr[60];

	memcpy(hdr, buf + fi->l3_off, fi->ip_hlen);
	hdr[10] = hdr[11] = 0;
	return frame_csum_fold(frame_csum_add(0, hdr, fi->ip_hlen));
}

static inline bool frame_ip4_csum_ok(const uint8_t *buf,
				     const struct frame_info *fi)
{
	return frame_get16(buf, fi->l3_off + 10) == frame_ip4_csum(buf, fi);
}

static inline bool frame_l4_csum_ok(const uint8_t *buf,
				    const struct frame_info *fi)
{
	int field = frame_l4_csum_field(fi->proto);

	if (!fi->has_l4 || field < 0)
		return true;
	if (fi->proto == FRAME_SCTP)
		return frame_get32(buf, fi->l4_off + field) ==
		       frame_l4_csum(buf, fi);
	return frame_get16(buf, fi->l4_off + field) == frame_l4_csum(buf, fi);
}

/* Recomputes the IPv4 header and L4 checksums in place. */
static inline void frame_fix_csums(uint8_t *buf, const struct frame_info *fi)
{
	int field = frame_l4_csum_field(fi->proto);

	if (fi->family == 4)
		frame_put16(buf, fi->l3_off + 10, frame_ip4_csum(buf, fi));
	if (!fi->has_l4 || field < 0)
		return;
	if (fi->proto == FRAME_SCTP)
		frame_put32(buf, fi->l4_off + field, frame_l4_csum(buf, fi));
	else
		frame_put16(buf, fi->l4_off + field,
			    (uint16_t)frame_l4_csum(buf, fi));
}

/* ---- damaging ---- */

/*
 * Makes the IP packet l3_len bytes long: IP length field (and the IPv4 header
 * checksum) fixed up, the frame cut to match (or extended into the buffer),
 * *fi updated. Cutting into the L4 header gives a consistent IP packet with
 * a truncated L4 header.
 */
static inline void frame_set_ip_len(uint8_t *buf, size_t *len,
				    struct frame_info *fi, size_t l3_len)
{
	if (fi->family == 4) {
		frame_put16(buf, fi->l3_off + 2, (uint16_t)l3_len);
		frame_put16(buf, fi->l3_off + 10, frame_ip4_csum(buf, fi));
	} else if (fi->family == 6) {
		frame_put16(buf, fi->l3_off + 4, (uint16_t)(l3_len - 40));
	}
	*len = fi->l3_off + l3_len;
	fi->l3_end = *len;
	fi->len = *len;
}

/* IP version nibble, header length untouched. */
static inline void frame_set_ip_version(uint8_t *buf,
					const struct frame_info *fi,
					uint8_t version)
{
	buf[fi->l3_off] = (uint8_t)(version << 4 | (buf[fi->l3_off] & 0x0f));
}

/* IPv4 IHL in 4-byte words; the checksum is left as it was. */
static inline void frame_set_ihl(uint8_t *buf, const struct frame_info *fi,
				 uint8_t ihl)
{
	buf[fi->l3_off] = (uint8_t)((buf[fi->l3_off] & 0xf0) | (ihl & 0x0f));
}

/* TCP data offset in 4-byte words; the checksum is left as it was. */
static inline void frame_set_tcp_doff(uint8_t *buf,
				      const struct frame_info *fi,
				      uint8_t doff)
{
	buf[fi->l4_off + 12] = (uint8_t)(doff << 4);
}

/* ---- building ---- */

static inline size_t frame_l4_hlen(const struct frame_spec *s)
{
	size_t opts = (s->tcp_opts_len + 3) & ~(size_t)3;

	switch (s->proto) {
	case FRAME_TCP:
		return 20 + opts;
	case FRAME_UDP:
	case FRAME_UDPLITE:
	case FRAME_ICMP:
	case FRAME_ICMPV6:
		return 8;
	case FRAME_SCTP:
		return 12;
	case FRAME_DCCP:
		return s->dccp_short_seq ? 12 : 16;
	}
	return 0;
}

static inline size_t frame_ext_len(uint8_t type)
{
	return type == FRAME_AH ? 16 : 8;
}

/* Writes the L4 header at p (checksum left zero). */
static inline void frame_put_l4(const struct frame_spec *s, uint8_t *p,
				size_t hlen, size_t l4_len)
{
	switch (s->proto) {
	case FRAME_TCP:
		frame_put16(p, 0, s->sport);
		frame_put16(p, 2, s->dport);
		frame_put32(p, 4, s->seq);
		frame_put32(p, 8, s->ack);
		p[12] = (uint8_t)((hlen / 4) << 4);
		p[13] = s->tcp_flags;
		frame_put16(p, 14, s->window ? s->window : 65535);
		if (s->tcp_opts_len)
			memcpy(p + 20, s->tcp_opts, s->tcp_opts_len);
		break;
	case FRAME_UDP:
	case FRAME_UDPLITE:
		frame_put16(p, 0, s->sport);
		frame_put16(p, 2, s->dport);
		/* UDP-Lite: checksum coverage 0 = the whole datagram */
		frame_put16(p, 4, s->proto == FRAME_UDP ? (uint16_t)l4_len : 0);
		break;
	case FRAME_SCTP:
		frame_put16(p, 0, s->sport);
		frame_put16(p, 2, s->dport);
		frame_put32(p, 4, 0x01020304); /* verification tag */
		break;
	case FRAME_DCCP:
		frame_put16(p, 0, s->sport);
		frame_put16(p, 2, s->dport);
		p[4] = (uint8_t)(hlen / 4); /* data offset */
		p[8] = (uint8_t)(2 << 1 | !s->dccp_short_seq); /* DCCP-Data */
		frame_put16(p, 10, (uint16_t)(s->seq >> 16));
		if (!s->dccp_short_seq)
			frame_put32(p, 12, s->seq);
		break;
	case FRAME_ICMP:
	case FRAME_ICMPV6:
		p[0] = s->icmp_type;
		p[1] = s->icmp_code;
		frame_put16(p, 4, s->icmp_id);
		frame_put16(p, 6, s->icmp_seq);
		break;
	}
}

/* Writes an IPv6 extension header of type at p; returns its length. */
static inline size_t frame_put_ext(const struct frame_spec *s, uint8_t type,
				   uint8_t next, uint8_t *p)
{
	size_t len = frame_ext_len(type);

	memset(p, 0, len);
	p[0] = next;
	switch (type) {
	case FRAME_FRAGMENT:
		frame_put16(p, 2, (uint16_t)((s->frag_offset & ~7u) |
					     (s->more_frags ? 1 : 0)));
		frame_put32(p, 4, s->ip_id);
		break;
	case FRAME_AH:
		p[1] = (uint8_t)(len / 4 - 2);
		frame_put32(p, 4, 0x100); /* SPI */
		frame_put32(p, 8, 1);     /* sequence number */
		break;
	case FRAME_ROUTING:
		p[1] = 0;
		p[2] = 253; /* experimental routing type */
		p[3] = 0;   /* segments left */
		break;
	default: /* hop-by-hop, destination options: PadN */
		p[1] = 0;
		p[2] = 1;
		p[3] = 4;
		break;
	}
	return len;
}

/* Builds the frame; returns its length (0: invalid spec or cap too small). */
static inline size_t frame_build_info(const struct frame_spec *s, uint8_t *buf,
				      size_t cap, struct frame_info *fi)
{
	static const uint8_t def_src[6] = { 2, 0, 0, 0, 0, 1 };
	static const uint8_t def_dst[6] = { 2, 0, 0, 0, 0, 2 };
	static const uint8_t zero[6];
	struct frame_info info = { 0 };
	uint8_t exts[FRAME_MAX_EXT + 1];
	size_t off, ext_len = 0, l4_hlen = 0, l4_len, ip_len, i, zero_len;
	uint8_t saddr[16], daddr[16];
	const char *src = s->src, *dst = s->dst;
	bool later_frag = s->frag_offset != 0;
	bool frag = later_frag || s->more_frags;
	uint16_t ethertype;
	int next = s->next;

	if (s->nvlan < 0 || s->nvlan > FRAME_MAX_VLAN || next < 0 ||
	    next > FRAME_MAX_EXT || (s->ip_opts_len & 3) ||
	    s->ip_opts_len > 40 || s->tcp_opts_len > 40)
		return 0;
	/* zero what the frame can cover, not all of cap (UMEM-sized caps) */
	zero_len = 14 + 4 * (size_t)s->nvlan + 60 + FRAME_MAX_EXT * 16 + 60 +
		   s->payload_len;
	if (zero_len < s->min_len)
		zero_len = s->min_len;
	memset(buf, 0, zero_len < cap ? zero_len : cap);

	/* Ethernet and VLAN tags */
	if (cap < 14 + 4 * (size_t)s->nvlan)
		return 0;
	memcpy(buf, memcmp(s->dst_mac, zero, 6) ? s->dst_mac : def_dst, 6);
	memcpy(buf + 6, memcmp(s->src_mac, zero, 6) ? s->src_mac : def_src, 6);
	off = 12;
	for (i = 0; i < (size_t)s->nvlan; i++) {
		frame_put16(buf, off,
			    s->vlan_tpid[i] ? s->vlan_tpid[i] : 0x8100);
		frame_put16(buf, off + 2, s->vlan_tci[i]);
		off += 4;
	}
	ethertype = s->family == 4 ? 0x0800 :
		    s->family == 6 ? 0x86dd : s->ethertype;
	frame_put16(buf, off, ethertype);
	off += 2;
	info.l3_off = off;
	info.family = s->family;
	info.proto = s->proto;

	if (s->family != 4 && s->family != 6) {
		if (off + s->payload_len > cap)
			return 0;
		if (s->payload_len)
			memcpy(buf + off, s->payload, s->payload_len);
		off += s->payload_len;
		info.l4_off = info.payload_off = info.l3_off;
		info.l3_end = off;
		goto pad;
	}

	/* addresses */
	if (s->family == 4) {
		if (!src)
			src = "10.0.0.1";
		if (!dst)
			dst = "10.0.0.2";
		if (inet_pton(AF_INET, src, saddr) != 1 ||
		    inet_pton(AF_INET, dst, daddr) != 1)
			return 0;
		info.ip_hlen = 20 + s->ip_opts_len;
	} else {
		if (!src)
			src = "fd00::1";
		if (!dst)
			dst = "fd00::2";
		if (inet_pton(AF_INET6, src, saddr) != 1 ||
		    inet_pton(AF_INET6, dst, daddr) != 1)
			return 0;
		info.ip_hlen = 40;
		memcpy(exts, s->ext, (size_t)next);
		/* a fragment needs a fragment header */
		if (frag && !memchr(exts, FRAME_FRAGMENT, (size_t)next))
			exts[next++] = FRAME_FRAGMENT;
		for (i = 0; i < (size_t)next; i++)
			ext_len += frame_ext_len(exts[i]);
	}

	info.has_l4 = !s->no_l4 && !later_frag && frame_l4_hlen(s);
	if (info.has_l4)
		l4_hlen = frame_l4_hlen(s);
	l4_len = l4_hlen + s->payload_len;
	ip_len = info.ip_hlen + ext_len + l4_len;
	if (off + ip_len > cap || ip_len > 0xffff)
		return 0;

	if (s->family == 4) {
		uint16_t fo = (uint16_t)(s->frag_offset >> 3);

		fo |= s->more_frags ? 0x2000 : 0;
		fo |= s->dont_frag ? 0x4000 : 0;
		buf[off] = (uint8_t)(0x40 | info.ip_hlen / 4);
		buf[off + 1] = s->tos;
		frame_put16(buf, off + 2, (uint16_t)ip_len);
		frame_put16(buf, off + 4, s->ip_id);
		frame_put16(buf, off + 6, fo);
		buf[off + 8] = s->ttl ? s->ttl : 64;
		buf[off + 9] = s->proto;
		memcpy(buf + off + 12, saddr, 4);
		memcpy(buf + off + 16, daddr, 4);
		if (s->ip_opts_len)
			memcpy(buf + off + 20, s->ip_opts, s->ip_opts_len);
		off += info.ip_hlen;
	} else {
		buf[off] = (uint8_t)(0x60 | s->tos >> 4);
		buf[off + 1] = (uint8_t)(s->tos << 4);
		frame_put16(buf, off + 4, (uint16_t)(ip_len - 40));
		buf[off + 6] = next ? exts[0] : s->proto;
		buf[off + 7] = s->ttl ? s->ttl : 64;
		memcpy(buf + off + 8, saddr, 16);
		memcpy(buf + off + 24, daddr, 16);
		off += 40;
		for (i = 0; i < (size_t)next; i++) {
			uint8_t nh = i + 1 < (size_t)next ? exts[i + 1] :
							    s->proto;

			off += frame_put_ext(s, exts[i], nh, buf + off);
		}
	}

	info.l4_off = off;
	if (info.has_l4)
		frame_put_l4(s, buf + off, l4_hlen, l4_len);
	off += l4_hlen;
	info.l4_hlen = l4_hlen;
	info.payload_off = off;
	if (s->payload_len)
		memcpy(buf + off, s->payload, s->payload_len);
	off += s->payload_len;
	info.l3_end = off;
	frame_fix_csums(buf, &info);

pad:
	if (off < s->min_len) {
		if (s->min_len > cap)
			return 0;
		off = s->min_len; /* buf was zeroed */
	}
	info.len = off;
	if (fi)
		*fi = info;
	return off;
}

static inline size_t frame_build(const struct frame_spec *s, uint8_t *buf,
				 size_t cap)
{
	return frame_build_info(s, buf, cap, NULL);
}

/* ---- specs ---- */

static inline struct frame_spec frame_tcp(int family, uint32_t seq,
					  uint32_t ack, uint8_t flags,
					  const void *payload, size_t len)
{
	struct frame_spec s = {
		.family = family,
		.proto = FRAME_TCP,
		.sport = 40000,
		.dport = 80,
		.seq = seq,
		.ack = ack,
		.tcp_flags = flags,
		.payload = payload,
		.payload_len = len,
	};

	return s;
}

static inline struct frame_spec frame_udp(int family, uint16_t sport,
					  uint16_t dport, const void *payload,
					  size_t len)
{
	struct frame_spec s = {
		.family = family,
		.proto = FRAME_UDP,
		.sport = sport,
		.dport = dport,
		.payload = payload,
		.payload_len = len,
	};

	return s;
}

/* ICMP or ICMPv6 echo request (reply = false) or reply. */
static inline struct frame_spec frame_echo(int family, bool reply,
					   uint16_t id, uint16_t seq,
					   const void *payload, size_t len)
{
	struct frame_spec s = {
		.family = family,
		.proto = family == 6 ? FRAME_ICMPV6 : FRAME_ICMP,
		.icmp_id = id,
		.icmp_seq = seq,
		.payload = payload,
		.payload_len = len,
	};

	if (family == 6)
		s.icmp_type = reply ? 129 : 128;
	else
		s.icmp_type = reply ? 0 : 8;
	return s;
}

/*
 * The same flow in the other direction: MACs, addresses and ports swapped,
 * TCP seq/ack swapped, an echo request turned into a reply.
 */
static inline struct frame_spec frame_reply(const struct frame_spec *s)
{
	struct frame_spec r = *s;
	uint8_t mac[6];

	memcpy(mac, r.src_mac, 6);
	memcpy(r.src_mac, r.dst_mac, 6);
	memcpy(r.dst_mac, mac, 6);
	if (!memcmp(r.src_mac, r.dst_mac, 6) && !r.src_mac[5]) {
		static const uint8_t a[6] = { 2, 0, 0, 0, 0, 2 };
		static const uint8_t b[6] = { 2, 0, 0, 0, 0, 1 };

		memcpy(r.src_mac, a, 6);
		memcpy(r.dst_mac, b, 6);
	}
	r.src = s->dst ? s->dst : (s->family == 6 ? "fd00::2" : "10.0.0.2");
	r.dst = s->src ? s->src : (s->family == 6 ? "fd00::1" : "10.0.0.1");
	r.sport = s->dport;
	r.dport = s->sport;
	r.seq = s->ack;
	r.ack = s->seq;
	if (s->proto == FRAME_ICMP && s->icmp_type == 8)
		r.icmp_type = 0;
	else if (s->proto == FRAME_ICMPV6 && s->icmp_type == 128)
		r.icmp_type = 129;
	return r;
}

#endif /* COLO_TESTS_FRAMES_H */
