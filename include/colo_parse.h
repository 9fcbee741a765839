/* SPDX-License-Identifier: GPL-2.0 */
/*
 * colo_parse.h - the frame parser shared by the XDP programs and the daemon.
 *
 * One implementation, compiled twice: into the BPF object (after vmlinux.h,
 * which defines __VMLINUX_H__) and into the daemon and the tests. The daemon
 * must key a frame exactly as the XDP program did, or a connection's primary
 * and secondary frames would land in different queues; sharing the code is
 * the only way to keep the two from drifting apart.
 *
 *   colo_parse()          walk Ethernet, up to COLO_MAX_VLAN_DEPTH VLAN tags,
 *                         IPv4 or IPv6 (+ extension headers) and the L4
 *                         header; fill a struct colo_pkt with offsets and a
 *                         direction-normalised key. Guest frames are hostile:
 *                         every length is checked against the frame before
 *                         it is used, and a frame that cannot be keyed gets a
 *                         COLO_PARSE_ERR_* reason instead. It is
 *                         colo_parse_l3() then colo_parse_l4_key(), which
 *                         the BPF side calls separately (see there why).
 *   colo_parse_l3_hdrs()  the first half for a packet of which only the
 *                         headers can be read (tc: a non-linear skb); with
 *                         colo_key_from_ports() the key of a TCP packet
 *                         whose header the caller read itself.
 *   colo_key_hash()       lookup3-style hash of a key, identical on both sides.
 *   colo_meta_from_pkt()  the metadata the XDP program puts before a frame.
 *   colo_pkt_from_meta()  the daemon's fast path: rebuild the struct colo_pkt
 *                         from that metadata without walking the headers, but
 *                         refuse metadata that does not fit the frame.
 *
 * Bounds checks use the form the verifier understands: a pointer into the
 * frame plus a constant size compared with data_end before every access.
 * Offsets are kept as integers alongside: the daemon wants offsets, and the
 * verifier lets only privileged (CAP_PERFMON) programs subtract packet
 * pointers, which the parser does once, for the frame length.
 *
 * Header structs are our own rather than the kernel's: the uapi headers lack
 * a VLAN and an IPv6 fragment header, vmlinux.h and the uapi headers do not
 * agree on the rest, and in userspace they are declared packed so frames at
 * any alignment (UMEM frames, test buffers) are read with unaligned-safe
 * loads and UBSan stays quiet. In BPF they keep their natural alignment so
 * loads stay word-sized; the verifier allows unaligned packet access where
 * the CPU does.
 */
#ifndef COLO_PARSE_H
#define COLO_PARSE_H

#ifndef __VMLINUX_H__
#include <stdint.h> /* pulls in sys/cdefs.h and its __always_inline */
#include <linux/types.h>
#include <linux/if_ether.h>
#endif

#include "colo_shared.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Fixed-count loops; unrolled by clang, left to the optimiser by gcc. */
#ifdef __clang__
#define COLO_UNROLL _Pragma("unroll")
#else
#define COLO_UNROLL
#endif

/* Ethertypes; macros in <linux/if_ether.h>, absent from vmlinux.h. */
#ifndef ETH_P_IP
#define ETH_P_IP 0x0800
#endif
#ifndef ETH_P_ARP
#define ETH_P_ARP 0x0806
#endif
#ifndef ETH_P_8021Q
#define ETH_P_8021Q 0x8100
#endif
#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#ifndef ETH_P_IPV6
#define ETH_P_IPV6 0x86DD
#endif

/*
 * IP protocol numbers. Our own names: vmlinux.h has IPPROTO_* as enum
 * constants, glibc's <netinet/in.h> as enum constants plus macros, and a
 * macro of ours by the same name would break whichever comes later.
 */
#define COLO_IPPROTO_ICMP    1
#define COLO_IPPROTO_TCP     6
#define COLO_IPPROTO_UDP     17
#define COLO_IPPROTO_DCCP    33
#define COLO_IPPROTO_GRE     47
#define COLO_IPPROTO_ESP     50
#define COLO_IPPROTO_AH      51
#define COLO_IPPROTO_ICMPV6  58
#define COLO_IPPROTO_SCTP    132
#define COLO_IPPROTO_UDPLITE 136

/* IPv6 next-header values of extension headers (kernel-internal names). */
#ifndef NEXTHDR_HOP
#define NEXTHDR_HOP 0
#endif
#ifndef NEXTHDR_ROUTING
#define NEXTHDR_ROUTING 43
#endif
#ifndef NEXTHDR_FRAGMENT
#define NEXTHDR_FRAGMENT 44
#endif
#ifndef NEXTHDR_AUTH
#define NEXTHDR_AUTH 51
#endif
#ifndef NEXTHDR_NONE
#define NEXTHDR_NONE 59
#endif
#ifndef NEXTHDR_DEST
#define NEXTHDR_DEST 60
#endif

#define COLO_ICMP_ECHOREPLY     0
#define COLO_ICMP_ECHO          8
#define COLO_ICMPV6_ECHO        128
#define COLO_ICMPV6_ECHOREPLY   129

#define COLO_IP4_MF             0x2000 /* frag_off: more fragments */
#define COLO_IP4_OFFSET         0x1fff /* frag_off: offset in 8-byte units */
#define COLO_IP6_FRAG_OFFSET    0xfff8 /* fragment header: offset << 3 */

/*
 * Frames are parsed as if they ended here at the latest, so an IP packet
 * running past it is refused as too long. Far above any MTU, and low enough
 * that offset + header size stays under the verifier's packet offset limit
 * (0xffff), which it needs to accept a bounds check.
 */
#define COLO_FRAME_MAX_LEN      0x7fff

#ifdef __VMLINUX_H__
#define __colo_hdr
#else
#define __colo_hdr __attribute__((packed))
#endif

struct colo_eth {
	__u8 dst[6];
	__u8 src[6];
	__be16 proto;
} __colo_hdr;

struct colo_vlan {
	__be16 tci;
	__be16 proto; /* encapsulated ethertype */
} __colo_hdr;

struct colo_ip4 {
	__u8 ver_ihl;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__be16 check;
	__be32 saddr;
	__be32 daddr;
} __colo_hdr;

struct colo_ip6 {
	__u8 ver_tc; /* version << 4 | traffic class >> 4 */
	__u8 tc_flow[3];
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__be32 saddr[4];
	__be32 daddr[4];
} __colo_hdr;

/* Hop-by-hop, routing, destination options and AH start like this. */
struct colo_ip6_ext {
	__u8 nexthdr;
	__u8 hdrlen;
} __colo_hdr;

struct colo_ip6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset << 3 | M */
	__be32 id;
} __colo_hdr;

/* TCP, UDP, UDP-Lite, SCTP and DCCP all start with the two ports. */
struct colo_ports {
	__be16 src;
	__be16 dst;
} __colo_hdr;

struct colo_tcp {
	__be16 src;
	__be16 dst;
	__be32 seq;
	__be32 ack;
	__u8 doff_res; /* data offset << 4 */
	__u8 flags;
	__be16 window;
	__be16 check;
	__be16 urg;
} __colo_hdr;

/* DCCP generic header, short-sequence form; X set means 4 bytes more. */
struct colo_dccp {
	__be16 src;
	__be16 dst;
	__u8 doff;
	__u8 ccval_cscov;
	__be16 check;
	__u8 type_x; /* res:3 type:4 x:1, x in the low bit */
	__u8 reserved;
	__be16 seq_hi;
} __colo_hdr;

/* ICMP and ICMPv6 echo share this layout; other types use only 4 bytes. */
struct colo_icmp {
	__u8 type;
	__u8 code;
	__be16 check;
	__be16 id;
	__be16 seq;
} __colo_hdr;

#define COLO_TCP_MIN_HLEN  20
#define COLO_UDP_HLEN      8
#define COLO_SCTP_HLEN     12
#define COLO_DCCP_HLEN     12
#define COLO_DCCP_HLEN_X   16
#define COLO_ICMP_HLEN     8

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define colo_ntohs(x) ((__u16)__builtin_bswap16((__u16)(x)))
#define colo_ntohl(x) ((__u32)__builtin_bswap32((__u32)(x)))
#else
#define colo_ntohs(x) ((__u16)(x))
#define colo_ntohl(x) ((__u32)(x))
#endif
#define colo_htons(x) colo_ntohs(x)
#define colo_htonl(x) colo_ntohl(x)

/*
 * Where the parser is in the frame. Integers only, no packet pointers: the
 * BPF side runs the two halves of colo_parse() as two global functions (see
 * colo_parse_l3()) and hands this over between them through memory.
 */
struct colo_cursor {
	__u32 len;      /* readable length, at most COLO_FRAME_MAX_LEN */
	__u32 wire_len; /* packet length, for the IP length fields */
	__u32 off;      /* next header to parse */
	__u32 limit;    /* min(l3_end, len): L4 headers must end before it */
	__u32 l3_end;   /* end of the IP packet; may lie past len */
	__u8 l4proto;  /* what the IP header(s) said comes next */
	__u8 no_l4;    /* non-first fragment: no L4 header follows */
	__u8 non_ip;   /* not IPv4/IPv6: no L3/L4 to parse */
	__u8 pad;
};

static __always_inline int colo_proto_is_vlan(__u16 proto)
{
	return proto == ETH_P_8021Q || proto == ETH_P_8021AD;
}

/*
 * Ethernet and VLAN tags. Returns the innermost ethertype (host order), or a
 * negated COLO_PARSE_ERR_*.
 */
static __always_inline int colo_parse_eth(const void *data,
					  const void *data_end,
					  struct colo_cursor *c,
					  struct colo_pkt *pkt)
{
	const struct colo_eth *eth = (const void *)data;
	const struct colo_vlan *vlan;
	__u16 proto;
	int i;

	if ((const void *)(eth + 1) > data_end)
		return -COLO_PARSE_ERR_ETH_TRUNC;
	proto = colo_ntohs(eth->proto);
	c->off = sizeof(*eth);

	COLO_UNROLL
	for (i = 0; i < COLO_MAX_VLAN_DEPTH; i++) {
		if (!colo_proto_is_vlan(proto))
			break;
		vlan = (const void *)((const __u8 *)data + c->off);
		if ((const void *)(vlan + 1) > data_end)
			return -COLO_PARSE_ERR_VLAN_TRUNC;
		proto = colo_ntohs(vlan->proto);
		c->off += sizeof(*vlan);
	}
	/* A frame we cannot see into cannot be keyed: refuse, never guess. */
	if (colo_proto_is_vlan(proto))
		return -COLO_PARSE_ERR_VLAN_DEPTH;

	pkt->ethertype = proto;
	pkt->l3_off = c->off;
	return proto;
}

/*
 * Where the IP packet ends. Headers are parsed only within the readable
 * part, so the limit for them is clamped to it; with the whole frame
 * readable (XDP, the daemon) the two are the same.
 */
static __always_inline void colo_set_l3_end(struct colo_cursor *c,
					    struct colo_pkt *pkt,
					    __u32 l3_end)
{
	c->l3_end = l3_end;
	c->limit = l3_end < c->len ? l3_end : c->len;
	pkt->l3_end = c->limit;
}

/* Returns the L4 protocol or a negated COLO_PARSE_ERR_*. */
static __always_inline int colo_parse_ipv4(const void *data,
					   const void *data_end,
					   struct colo_cursor *c,
					   struct colo_pkt *pkt)
{
	const struct colo_ip4 *iph = (const void *)((const __u8 *)data +
						    c->off);
	struct colo_conn_key *k = &pkt->key;
	__u32 hlen, tot_len;
	__u16 frag;

	if ((const void *)(iph + 1) > data_end)
		return -COLO_PARSE_ERR_IP4_TRUNC;
	if ((iph->ver_ihl >> 4) != 4)
		return -COLO_PARSE_ERR_IP_VERSION;
	hlen = (iph->ver_ihl & 0x0f) * 4;
	if (hlen < sizeof(*iph) || c->off + hlen > c->len)
		return -COLO_PARSE_ERR_IP4_IHL;
	tot_len = colo_ntohs(iph->tot_len);
	/* Bytes past tot_len are Ethernet padding: allowed, never keyed. */
	if (tot_len < hlen || c->off + tot_len > c->wire_len)
		return -COLO_PARSE_ERR_IP4_LEN;

	pkt->l3 = COLO_L3_IPV4;
	k->family = COLO_L3_IPV4;
	colo_set_l3_end(c, pkt, c->off + tot_len);

	/* v4-mapped ::ffff:a.b.c.d, so both families share one key layout */
	k->addr_a[2] = colo_htonl(0x0000ffff);
	k->addr_a[3] = iph->saddr;
	k->addr_b[2] = colo_htonl(0x0000ffff);
	k->addr_b[3] = iph->daddr;

	frag = colo_ntohs(iph->frag_off);
	if (frag & (COLO_IP4_MF | COLO_IP4_OFFSET)) {
		pkt->flags |= COLO_PF_FRAGMENT;
		/* Only the first fragment carries the L4 header. */
		if (frag & COLO_IP4_OFFSET)
			c->no_l4 = 1;
	}
	c->off += hlen;
	return iph->protocol;
}

static __always_inline int colo_ip6_is_ext(__u8 nexthdr)
{
	return nexthdr == NEXTHDR_HOP || nexthdr == NEXTHDR_ROUTING ||
	       nexthdr == NEXTHDR_DEST || nexthdr == NEXTHDR_FRAGMENT ||
	       nexthdr == NEXTHDR_AUTH;
}

/*
 * IPv6 and its extension headers. Returns the upper-layer protocol (ESP and
 * "no next header" end the walk and are keyed like any other protocol) or a
 * negated COLO_PARSE_ERR_*.
 */
static __always_inline int colo_parse_ipv6(const void *data,
					   const void *data_end,
					   struct colo_cursor *c,
					   struct colo_pkt *pkt)
{
	const struct colo_ip6 *ip6 = (const void *)((const __u8 *)data +
						    c->off);
	const struct colo_ip6_frag *fh;
	const struct colo_ip6_ext *ext;
	struct colo_conn_key *k = &pkt->key;
	__u32 plen, hlen;
	__u8 nexthdr;
	int i;

	if ((const void *)(ip6 + 1) > data_end)
		return -COLO_PARSE_ERR_IP6_TRUNC;
	if ((ip6->ver_tc >> 4) != 6)
		return -COLO_PARSE_ERR_IP_VERSION;
	plen = colo_ntohs(ip6->payload_len);
	if (c->off + sizeof(*ip6) + plen > c->wire_len)
		return -COLO_PARSE_ERR_IP6_LEN;

	pkt->l3 = COLO_L3_IPV6;
	k->family = COLO_L3_IPV6;
	colo_set_l3_end(c, pkt, c->off + sizeof(*ip6) + plen);

	COLO_UNROLL
	for (i = 0; i < 4; i++) {
		k->addr_a[i] = ip6->saddr[i];
		k->addr_b[i] = ip6->daddr[i];
	}

	nexthdr = ip6->nexthdr;
	c->off += sizeof(*ip6);

	/* Bounded: a chain longer than the limit is refused, not skipped. */
	for (i = 0; i < COLO_MAX_IPV6_EXTHDRS; i++) {
		if (!colo_ip6_is_ext(nexthdr))
			return nexthdr;

		ext = (const void *)((const __u8 *)data + c->off);
		if ((const void *)(ext + 1) > data_end)
			return -COLO_PARSE_ERR_IP6_EXTHDR;

		if (nexthdr == NEXTHDR_FRAGMENT) {
			fh = (const void *)ext;
			if ((const void *)(fh + 1) > data_end ||
			    c->off + sizeof(*fh) > c->limit)
				return -COLO_PARSE_ERR_IP6_EXTHDR;
			pkt->flags |= COLO_PF_FRAGMENT;
			c->off += sizeof(*fh);
			if (colo_ntohs(fh->frag_off) & COLO_IP6_FRAG_OFFSET) {
				/* later fragment: mid-datagram, no L4 */
				c->no_l4 = 1;
				return fh->nexthdr;
			}
			nexthdr = fh->nexthdr;
			continue;
		}

		if (nexthdr == NEXTHDR_AUTH)
			hlen = (ext->hdrlen + 2) * 4;
		else
			hlen = (ext->hdrlen + 1) * 8;
		if (c->off + hlen > c->limit)
			return -COLO_PARSE_ERR_IP6_EXTHDR;
		nexthdr = ext->nexthdr;
		c->off += hlen;
	}
	if (colo_ip6_is_ext(nexthdr))
		return -COLO_PARSE_ERR_IP6_EXTHDR;
	return nexthdr;
}

/* Ports as they are in the header (network order) into a key. */
static __always_inline void colo_key_set_ports(struct colo_conn_key *k,
					       __be16 src, __be16 dst)
{
	k->port_a = colo_ntohs(src);
	k->port_b = colo_ntohs(dst);
}

/*
 * The L4 header: ports (or the ICMP echo id) and where the payload starts.
 * Protocols we do not know are keyed by protocol number with ports 0.
 * Returns 0 or a negated COLO_PARSE_ERR_*.
 */
static __always_inline int colo_parse_l4(const void *data,
					 const void *data_end,
					 struct colo_cursor *c,
					 struct colo_pkt *pkt)
{
	const void *l4 = (const __u8 *)data + c->off;
	const struct colo_ports *ports = l4;
	const struct colo_icmp *icmp = l4;
	const struct colo_dccp *dccp = l4;
	const struct colo_tcp *tcp = l4;
	struct colo_conn_key *k = &pkt->key;
	__u8 proto = c->l4proto;
	__u32 hlen;

	pkt->l4proto = proto;
	k->proto = proto;
	/* Without COLO_PF_HAS_L4 both point at the first byte after IP. */
	pkt->l4_off = c->off;
	pkt->payload_off = c->off;
	if (c->no_l4)
		return 0;

	switch (proto) {
	case COLO_IPPROTO_TCP:
		if ((const void *)(tcp + 1) > data_end ||
		    c->off + sizeof(*tcp) > c->limit)
			return -COLO_PARSE_ERR_L4_TRUNC;
		hlen = (tcp->doff_res >> 4) * 4;
		if (hlen < COLO_TCP_MIN_HLEN || c->off + hlen > c->limit)
			return -COLO_PARSE_ERR_TCP_DOFF;
		break;
	case COLO_IPPROTO_UDP:
	case COLO_IPPROTO_UDPLITE:
		hlen = COLO_UDP_HLEN;
		break;
	case COLO_IPPROTO_SCTP:
		hlen = COLO_SCTP_HLEN;
		break;
	case COLO_IPPROTO_DCCP:
		if ((const void *)(dccp + 1) > data_end ||
		    c->off + sizeof(*dccp) > c->limit)
			return -COLO_PARSE_ERR_L4_TRUNC;
		hlen = (dccp->type_x & 1) ? COLO_DCCP_HLEN_X : COLO_DCCP_HLEN;
		break;
	case COLO_IPPROTO_ICMP:
	case COLO_IPPROTO_ICMPV6:
		hlen = COLO_ICMP_HLEN;
		break;
	default:
		return 0;
	}

	/* Every header above is at least 8 bytes: ports and echo id are in. */
	if ((const void *)(icmp + 1) > data_end || c->off + hlen > c->limit)
		return -COLO_PARSE_ERR_L4_TRUNC;

	if (proto == COLO_IPPROTO_ICMP || proto == COLO_IPPROTO_ICMPV6) {
		/* Echo is keyed by its id, in both ports so both ends agree. */
		if ((proto == COLO_IPPROTO_ICMP &&
		     (icmp->type == COLO_ICMP_ECHO ||
		      icmp->type == COLO_ICMP_ECHOREPLY)) ||
		    (proto == COLO_IPPROTO_ICMPV6 &&
		     (icmp->type == COLO_ICMPV6_ECHO ||
		      icmp->type == COLO_ICMPV6_ECHOREPLY))) {
			k->port_a = colo_ntohs(icmp->id);
			k->port_b = k->port_a;
		}
	} else {
		colo_key_set_ports(k, ports->src, ports->dst);
	}
	pkt->flags |= COLO_PF_HAS_L4;
	pkt->payload_off = c->off + hlen;
	return 0;
}

/* <0, 0, >0 as (addr_a, port_a) sorts before, as, after (addr_b, port_b) */
static __always_inline int colo_endpoint_cmp(const struct colo_conn_key *k)
{
	__u32 a, b;
	int i;

	/* Big-endian words compare like the bytes they hold. */
	COLO_UNROLL
	for (i = 0; i < 4; i++) {
		a = colo_ntohl(k->addr_a[i]);
		b = colo_ntohl(k->addr_b[i]);
		if (a != b)
			return a < b ? -1 : 1;
	}
	if (k->port_a != k->port_b)
		return k->port_a < k->port_b ? -1 : 1;
	return 0;
}

/* Puts the lower endpoint in "a", so both directions share one key. */
static __always_inline void colo_key_normalise(struct colo_pkt *pkt)
{
	struct colo_conn_key *k = &pkt->key;
	__be32 t;
	__u16 p;
	int i;

	if (colo_endpoint_cmp(k) <= 0)
		return;
	COLO_UNROLL
	for (i = 0; i < 4; i++) {
		t = k->addr_a[i];
		k->addr_a[i] = k->addr_b[i];
		k->addr_b[i] = t;
	}
	p = k->port_a;
	k->port_a = k->port_b;
	k->port_b = p;
	pkt->flags |= COLO_PF_SWAPPED;
}

/*
 * The key of a packet whose first half colo_parse_l3_hdrs() parsed, from
 * the ports of its L4 header as the caller read them: the key
 * colo_parse_l4_key() builds for TCP/UDP/SCTP/DCCP, for a caller that
 * reads the L4 header itself (tc, from a non-linear skb). No hash.
 */
static __always_inline void colo_key_from_ports(struct colo_pkt *pkt,
						__u8 proto, __be16 src,
						__be16 dst)
{
	pkt->l4proto = proto;
	pkt->key.proto = proto;
	colo_key_set_ports(&pkt->key, src, dst);
	colo_key_normalise(pkt);
}

#define COLO_HASH_INITVAL 0xc0103a5eU

static __always_inline __u32 colo_rol32(__u32 w, unsigned int s)
{
	return (w << s) | (w >> (32 - s));
}

/* Bob Jenkins' lookup3 mix and final steps (public domain algorithm). */
#define __colo_mix(a, b, c)                                             \
	do {                                                            \
		a -= c; a ^= colo_rol32(c, 4);  c += b;                 \
		b -= a; b ^= colo_rol32(a, 6);  a += c;                 \
		c -= b; c ^= colo_rol32(b, 8);  b += a;                 \
		a -= c; a ^= colo_rol32(c, 16); c += b;                 \
		b -= a; b ^= colo_rol32(a, 19); a += c;                 \
		c -= b; c ^= colo_rol32(b, 4);  b += a;                 \
	} while (0)

#define __colo_final(a, b, c)                                           \
	do {                                                            \
		c ^= b; c -= colo_rol32(b, 14);                         \
		a ^= c; a -= colo_rol32(c, 11);                         \
		b ^= a; b -= colo_rol32(a, 25);                         \
		c ^= b; c -= colo_rol32(b, 16);                         \
		a ^= c; a -= colo_rol32(c, 4);                          \
		b ^= a; b -= colo_rol32(a, 14);                         \
		c ^= b; c -= colo_rol32(b, 24);                         \
	} while (0)

/*
 * Hash of a key over its ten 32-bit words. The words are built from the
 * fields (not read through a cast), so padding never leaks into the hash and
 * the result does not depend on how the compiler lays out the struct.
 */
static __always_inline __u32 colo_key_hash(const struct colo_conn_key *key)
{
	__u32 a, b, c;

	a = b = c = 0xdeadbeef + (10 << 2) + COLO_HASH_INITVAL;
	a += key->addr_a[0];
	b += key->addr_a[1];
	c += key->addr_a[2];
	__colo_mix(a, b, c);
	a += key->addr_a[3];
	b += key->addr_b[0];
	c += key->addr_b[1];
	__colo_mix(a, b, c);
	a += key->addr_b[2];
	b += key->addr_b[3];
	c += (__u32)key->port_a | (__u32)key->port_b << 16;
	__colo_mix(a, b, c);
	a += (__u32)key->proto | (__u32)key->family << 8;
	__colo_final(a, b, c);
	return c;
}

/*
 * colo_parse_l3() for a packet of wire_len bytes of which only the first
 * part, [data, data_end), can be read: the headers of a non-linear skb in
 * tc. The IP length fields are checked against wire_len; every header
 * parsed must lie in the readable part, and in *pkt l3_end (and so the
 * room for L4 headers) is clamped to it, the real end is in cur->l3_end.
 */
static __always_inline int colo_parse_l3_hdrs(const void *data,
					      const void *data_end,
					      __u32 wire_len,
					      struct colo_cursor *cur,
					      struct colo_pkt *pkt)
{
	/* a local copy stays in registers, where the verifier tracks it */
	struct colo_cursor c = {};
	int proto, ret;

	__builtin_memset(pkt, 0, sizeof(*pkt));
	__builtin_memset(cur, 0, sizeof(*cur));
	c.len = (const __u8 *)data_end - (const __u8 *)data;
	if (c.len > COLO_FRAME_MAX_LEN)
		c.len = COLO_FRAME_MAX_LEN;
	c.wire_len = wire_len;

	proto = colo_parse_eth(data, data_end, &c, pkt);
	if (proto < 0)
		return -proto;

	switch (proto) {
	case ETH_P_IP:
		ret = colo_parse_ipv4(data, data_end, &c, pkt);
		break;
	case ETH_P_IPV6:
		ret = colo_parse_ipv6(data, data_end, &c, pkt);
		break;
	default:
		/* ARP, LLDP, ...: compared whole, keyed by ethertype. */
		c.non_ip = 1;
		pkt->l3 = COLO_L3_NONE;
		pkt->flags |= COLO_PF_NON_IP;
		pkt->key.port_a = proto;
		pkt->l3_end = c.len;
		pkt->l4_off = c.off;
		pkt->payload_off = c.off;
		*cur = c;
		return COLO_PARSE_OK;
	}
	if (ret < 0)
		return -ret;
	c.l4proto = ret;
	*cur = c;
	return COLO_PARSE_OK;
}

/*
 * First half of colo_parse(): Ethernet, VLAN tags, the IP header and the
 * IPv6 extension headers. Fills *c for colo_parse_l4_key().
 *
 * Why two halves: the verifier walks every path through the parser with its
 * own offsets (three VLAN depths times every extension header chain), and
 * everything inlined after the parser would be walked again for each of
 * them. The BPF programs call each half through a global function, which
 * the verifier checks once on its own, so the state explosion stays inside
 * the first half. Userspace just calls colo_parse().
 */
static __always_inline int colo_parse_l3(const void *data,
					 const void *data_end,
					 struct colo_cursor *cur,
					 struct colo_pkt *pkt)
{
	__u32 len = (const __u8 *)data_end - (const __u8 *)data;

	/* the whole frame is readable: check the IP lengths against it */
	if (len > COLO_FRAME_MAX_LEN)
		len = COLO_FRAME_MAX_LEN;
	return colo_parse_l3_hdrs(data, data_end, len, cur, pkt);
}

/*
 * Second half of colo_parse(): the L4 header, then the key and its hash.
 * *cur may have come through memory the verifier knows nothing about, so it
 * is checked before any offset in it is used.
 */
static __always_inline int colo_parse_l4_key(const void *data,
					     const void *data_end,
					     const struct colo_cursor *cur,
					     struct colo_pkt *pkt)
{
	struct colo_cursor c = *cur;
	int ret;

	/* non-IP keys have no endpoints: port_a stays the ethertype */
	if (!c.non_ip) {
		if (c.len > COLO_FRAME_MAX_LEN || c.limit > c.len ||
		    c.off > c.limit)
			return COLO_PARSE_ERR_L4_TRUNC;
		ret = colo_parse_l4(data, data_end, &c, pkt);
		if (ret < 0)
			return -ret;
		colo_key_normalise(pkt);
	}
	pkt->hash = colo_key_hash(&pkt->key);
	return COLO_PARSE_OK;
}

/*
 * Parses the frame [data, data_end) into *pkt. Returns COLO_PARSE_OK or the
 * enum colo_parse_result reason the frame cannot be keyed.
 */
static __always_inline int colo_parse(const void *data, const void *data_end,
				      struct colo_pkt *pkt)
{
	struct colo_cursor c;
	int ret;

	ret = colo_parse_l3(data, data_end, &c, pkt);
	if (ret)
		return ret;
	return colo_parse_l4_key(data, data_end, &c, pkt);
}

/* The metadata the XDP program writes for a parsed frame. */
static __always_inline void colo_meta_from_pkt(const struct colo_pkt *pkt,
					       __u8 role, struct colo_meta *m)
{
	m->magic = COLO_META_MAGIC;
	m->hash = pkt->hash;
	m->l3_off = pkt->l3_off;
	m->l4_off = pkt->l4_off;
	m->payload_off = pkt->payload_off;
	m->l3_end = pkt->l3_end;
	m->ethertype = pkt->ethertype;
	m->role = role;
	m->l3 = pkt->l3;
	m->l4proto = pkt->l4proto;
	m->flags = pkt->flags;
	m->pad[0] = 0;
	m->pad[1] = 0;
	m->rx_ns = 0; /* the XDP program stamps it */
}

/* L4 header length range of a protocol; -1 if we never parse its header. */
static __always_inline int colo_l4_hlen_range(__u8 proto, __u32 *min,
					      __u32 *max)
{
	switch (proto) {
	case COLO_IPPROTO_TCP:
		*min = COLO_TCP_MIN_HLEN;
		*max = 60;
		return 0;
	case COLO_IPPROTO_UDP:
	case COLO_IPPROTO_UDPLITE:
		*min = *max = COLO_UDP_HLEN;
		return 0;
	case COLO_IPPROTO_SCTP:
		*min = *max = COLO_SCTP_HLEN;
		return 0;
	case COLO_IPPROTO_DCCP:
		*min = COLO_DCCP_HLEN;
		*max = COLO_DCCP_HLEN_X;
		return 0;
	case COLO_IPPROTO_ICMP:
	case COLO_IPPROTO_ICMPV6:
		*min = *max = COLO_ICMP_HLEN;
		return 0;
	}
	return -1;
}

/*
 * Rebuilds *pkt from the metadata the XDP program wrote, reading only the
 * addresses and ports at the offsets it gives. The metadata comes from a
 * UMEM frame, so it is checked as hostile too: every offset must be
 * consistent with the frame and the rebuilt key must hash to the hash the
 * BPF side computed. Returns 0, or -1 if anything disagrees (the caller then
 * parses the frame with colo_parse()).
 */
static __always_inline int colo_pkt_from_meta(const void *data,
					      const void *data_end,
					      const struct colo_meta *m,
					      struct colo_pkt *pkt)
{
	const __u8 *d = data;
	const struct colo_ip4 *iph;
	const struct colo_ip6 *ip6;
	const struct colo_icmp *icmp;
	const struct colo_ports *ports;
	struct colo_conn_key *k = &pkt->key;
	const __u8 known = COLO_PF_FRAGMENT | COLO_PF_SWAPPED |
			   COLO_PF_HAS_L4 | COLO_PF_NON_IP;
	__u32 len, l3_off, l4_off, payload_off, l3_end, min, max;
	int i;

	__builtin_memset(pkt, 0, sizeof(*pkt));
	len = (const __u8 *)data_end - d;
	if (len > COLO_FRAME_MAX_LEN)
		len = COLO_FRAME_MAX_LEN;
	l3_off = m->l3_off;
	l4_off = m->l4_off;
	payload_off = m->payload_off;
	l3_end = m->l3_end;

	if (m->magic != COLO_META_MAGIC || (m->flags & ~known))
		return -1;
	/* Ethernet plus whole VLAN tags only. */
	if (l3_off < sizeof(struct colo_eth) ||
	    l3_off > sizeof(struct colo_eth) +
			     COLO_MAX_VLAN_DEPTH * sizeof(struct colo_vlan) ||
	    (l3_off - sizeof(struct colo_eth)) % sizeof(struct colo_vlan))
		return -1;
	if (l3_end > len || l4_off < l3_off || payload_off < l4_off ||
	    payload_off > l3_end)
		return -1;

	pkt->l3_off = l3_off;
	pkt->l4_off = l4_off;
	pkt->payload_off = payload_off;
	pkt->l3_end = l3_end;
	pkt->ethertype = m->ethertype;
	pkt->l3 = m->l3;
	pkt->l4proto = m->l4proto;
	/* SWAPPED is recomputed by colo_key_normalise() below. */
	pkt->flags = m->flags & ~COLO_PF_SWAPPED;

	switch (m->l3) {
	case COLO_L3_NONE:
		if (m->flags != COLO_PF_NON_IP || m->l4proto ||
		    m->ethertype == ETH_P_IP || m->ethertype == ETH_P_IPV6 ||
		    colo_proto_is_vlan(m->ethertype) || l3_end != len ||
		    l4_off != l3_off || payload_off != l3_off)
			return -1;
		k->port_a = m->ethertype;
		goto hash;
	case COLO_L3_IPV4:
		iph = (const void *)(d + l3_off);
		if (m->ethertype != ETH_P_IP ||
		    (const void *)(iph + 1) > data_end ||
		    l4_off < l3_off + sizeof(*iph) ||
		    (iph->ver_ihl >> 4) != 4)
			return -1;
		k->family = COLO_L3_IPV4;
		k->addr_a[2] = colo_htonl(0x0000ffff);
		k->addr_a[3] = iph->saddr;
		k->addr_b[2] = colo_htonl(0x0000ffff);
		k->addr_b[3] = iph->daddr;
		break;
	case COLO_L3_IPV6:
		ip6 = (const void *)(d + l3_off);
		if (m->ethertype != ETH_P_IPV6 ||
		    (const void *)(ip6 + 1) > data_end ||
		    l4_off < l3_off + sizeof(*ip6) || (ip6->ver_tc >> 4) != 6)
			return -1;
		k->family = COLO_L3_IPV6;
		COLO_UNROLL
		for (i = 0; i < 4; i++) {
			k->addr_a[i] = ip6->saddr[i];
			k->addr_b[i] = ip6->daddr[i];
		}
		break;
	default:
		return -1;
	}
	if (m->flags & COLO_PF_NON_IP)
		return -1;
	k->proto = m->l4proto;

	if (m->flags & COLO_PF_HAS_L4) {
		if (colo_l4_hlen_range(m->l4proto, &min, &max) ||
		    payload_off - l4_off < min || payload_off - l4_off > max)
			return -1;
		icmp = (const void *)(d + l4_off);
		ports = (const void *)icmp;
		if ((const void *)(icmp + 1) > data_end)
			return -1;
		if (m->l4proto == COLO_IPPROTO_ICMP ||
		    m->l4proto == COLO_IPPROTO_ICMPV6) {
			if ((m->l4proto == COLO_IPPROTO_ICMP &&
			     (icmp->type == COLO_ICMP_ECHO ||
			      icmp->type == COLO_ICMP_ECHOREPLY)) ||
			    (m->l4proto == COLO_IPPROTO_ICMPV6 &&
			     (icmp->type == COLO_ICMPV6_ECHO ||
			      icmp->type == COLO_ICMPV6_ECHOREPLY))) {
				k->port_a = colo_ntohs(icmp->id);
				k->port_b = k->port_a;
			}
		} else {
			k->port_a = colo_ntohs(ports->src);
			k->port_b = colo_ntohs(ports->dst);
		}
	} else if (payload_off != l4_off) {
		return -1;
	}
	colo_key_normalise(pkt);
hash:
	pkt->hash = colo_key_hash(&pkt->key);
	if (pkt->hash != m->hash)
		return -1;
	return 0;
}

#endif /* COLO_PARSE_H */
