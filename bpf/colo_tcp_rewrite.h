/* SPDX-License-Identifier: GPL-2.0 */
/*
 * colo_tcp_rewrite.h - translate what the network acknowledges into the
 * secondary's TCP sequence space (BPF only, for colo_tc_mirror).
 *
 * The primary and the secondary guest pick different initial sequence
 * numbers; the client only ever sees the primary's. Before the secondary
 * gets its copy of a client segment, everything in it that refers to the
 * guest's sequence space is moved by offset = secondary ISN - primary ISN:
 * the acknowledgement number and both edges of every SACK block. The TCP
 * checksum is updated incrementally, the rest of the frame is left alone.
 *
 * The options are walked the way Linux's tcp_parse_options() walks them:
 * the walk stops at EOL, at an option without room for its length byte, at
 * a length below 2 and at one running past the header. A guest stops there
 * too and acts on what came before, so SACK blocks before a malformed
 * option are translated and nothing after it. A SACK option counts only
 * with a length of 2 + 8n, n >= 1, as for Linux (others are ignored by the
 * guest, so they are left alone). 40 bytes of options hold at most four
 * blocks, however many SACK options carry them.
 */
#ifndef COLO_TCP_REWRITE_H
#define COLO_TCP_REWRITE_H

#include "colo_parse.h"

#define COLO_TCPF_SYN      0x02
#define COLO_TCPF_ACK      0x10

#define COLO_TCPOPT_EOL    0
#define COLO_TCPOPT_NOP    1
#define COLO_TCPOPT_SACK   5

#define COLO_TCP_OPT_MAX   40 /* 60-byte header minus the 20 fixed bytes */
#define COLO_TCP_SACK_MAX  4  /* blocks in 40 bytes: 2 + 4 * 8 = 34 */
#define COLO_TCP_SACK_BASE 2  /* kind and length */
#define COLO_TCP_SACK_BLK  8  /* left and right edge */

/* Offsets in the fixed TCP header. */
#define COLO_TCP_ACK_OFF   8
#define COLO_TCP_CSUM_OFF  16

/*
 * The options, copied out of the skb. 64 bytes so an index masked with 63
 * can never leave it, whatever the verifier knows about the index.
 */
struct colo_tcp_opts {
	__u8 b[64];
};

/* Where the SACK blocks are: offsets into the options. */
struct colo_sack_pos {
	__u8 n; /* how many of off[] are valid */
	__u8 off[COLO_TCP_SACK_MAX];
	__u8 pad[3];
};

/*
 * Finds the SACK blocks in optlen bytes of options. Bounded: every round
 * consumes at least one byte, so COLO_TCP_OPT_MAX rounds see all of them.
 */
static __always_inline void colo_tcp_sack_scan(const struct colo_tcp_opts *o,
					       __u32 optlen,
					       struct colo_sack_pos *sp)
{
	__u32 p = 0, len, nblk, j, n = 0;
	__u8 kind;
	int i;

	__builtin_memset(sp, 0, sizeof(*sp));
	if (optlen > COLO_TCP_OPT_MAX)
		return;

	for (i = 0; i < COLO_TCP_OPT_MAX; i++) {
		if (p >= optlen)
			break;
		kind = o->b[p & 63];
		if (kind == COLO_TCPOPT_EOL)
			break;
		if (kind == COLO_TCPOPT_NOP) {
			p++;
			continue;
		}
		if (p + 2 > optlen) /* no room for the length byte */
			break;
		len = o->b[(p + 1) & 63];
		if (len < 2 || len > optlen - p)
			break;
		if (kind == COLO_TCPOPT_SACK &&
		    len >= COLO_TCP_SACK_BASE + COLO_TCP_SACK_BLK &&
		    !((len - COLO_TCP_SACK_BASE) % COLO_TCP_SACK_BLK)) {
			nblk = (len - COLO_TCP_SACK_BASE) / COLO_TCP_SACK_BLK;
			COLO_UNROLL
			for (j = 0; j < COLO_TCP_SACK_MAX; j++) {
				if (j >= nblk || n >= COLO_TCP_SACK_MAX)
					break;
				sp->off[n & (COLO_TCP_SACK_MAX - 1)] =
					p + COLO_TCP_SACK_BASE +
					j * COLO_TCP_SACK_BLK;
				n++;
			}
		}
		p += len;
	}
	sp->n = n;
}

/* Big-endian 32-bit value of the 4 option bytes at off (off <= 36). */
static __always_inline __be32 colo_tcp_opt32(const struct colo_tcp_opts *o,
					     __u32 off)
{
	return bpf_htonl((__u32)o->b[off & 63] << 24 |
			 (__u32)o->b[(off + 1) & 63] << 16 |
			 (__u32)o->b[(off + 2) & 63] << 8 |
			 (__u32)o->b[(off + 3) & 63]);
}

/*
 * The 4 bytes of v, as stored, with each byte pair swapped: b0 b1 b2 b3
 * becomes b1 b0 b3 b2, on either endianness.
 */
static __always_inline __be32 colo_swap_pairs(__be32 v)
{
	return ((v & 0x00ff00ff) << 8) | ((v >> 8) & 0x00ff00ff);
}

/*
 * Adds delta to the 32-bit sequence-space field at off (from the start of
 * the frame) that holds old, and updates the TCP checksum at csum_off.
 *
 * bpf_l4_csum_replace() without BPF_F_PSEUDO_HDR: the field is not in the
 * pseudo-header. For CHECKSUM_PARTIAL skbs (GSO, locally sent) the kernel
 * then leaves the checksum field alone, which is right: it holds only the
 * pseudo-header sum, and the real checksum is computed over the rewritten
 * data on the way out. For CHECKSUM_COMPLETE, skb->csum stays valid as the
 * field and the checksum change by opposite amounts, hence no
 * BPF_F_RECOMPUTE_CSUM on the store either.
 *
 * The one's complement sum is taken over 16-bit words from the TCP header's
 * start; a field at an odd offset from it (a SACK block after a single NOP)
 * has its bytes in the other halves of those words, so the checksum moves
 * by the byte-swapped difference: hand the helper the pair-swapped values.
 */
static __always_inline int colo_tcp_add32(struct __sk_buff *skb, __u32 off,
					  __u32 csum_off, bool odd,
					  __be32 old, __u32 delta)
{
	__be32 new = bpf_htonl(bpf_ntohl(old) + delta);
	__be32 cfrom = odd ? colo_swap_pairs(old) : old;
	__be32 cto = odd ? colo_swap_pairs(new) : new;

	if (bpf_skb_store_bytes(skb, off, &new, sizeof(new), 0))
		return -1;
	if (bpf_l4_csum_replace(skb, csum_off, cfrom, cto, sizeof(__u32)))
		return -1;
	return 0;
}

#endif /* COLO_TCP_REWRITE_H */
