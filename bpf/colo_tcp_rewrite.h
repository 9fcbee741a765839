/* SPDX-License-Identifier: GPL-2.0 */
/*
 * colo_tcp_rewrite.h - translate what the network acknowledges into the
 * secondary's TCP sequence space (BPF only, for colo_tc_mirror).
 *
 * The primary and the secondary guest pick different initial sequence
 * numbers; the client only ever sees the primary's. Before the secondary
 * gets its copy of a client segment, everything in it that refers to the
 * guest's sequence space is moved by offset = secondary ISN - primary ISN:
 * the acknowledgement number and both edges of every SACK block. The TSecr
 * of the timestamp option moves by ts_offset (the two guests' clocks, seen
 * in their SYNs). The TCP checksum is updated incrementally, the rest of
 * the frame is left alone.
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

#define COLO_TCPF_ACK      0x10

#define COLO_TCPOPT_EOL    0
#define COLO_TCPOPT_NOP    1
#define COLO_TCPOPT_SACK   5
#define COLO_TCPOPT_TS     8
#define COLO_TCP_TS_LEN    10 /* kind, length, TSval, TSecr */
#define COLO_TCP_TSECR_OFF 6  /* TSecr from the option's start */

#define COLO_TCP_OPT_MAX   40 /* 60-byte header minus the 20 fixed bytes */
#define COLO_TCP_SACK_MAX  4  /* blocks in 40 bytes: 2 + 4 * 8 = 34 */
#define COLO_TCP_SACK_BASE 2  /* kind and length */
#define COLO_TCP_SACK_BLK  8  /* left and right edge */

/* Offsets in the fixed TCP header. */
#define COLO_TCP_ACK_OFF   8
#define COLO_TCP_CSUM_OFF  16

/*
 * The options, copied out of the skb into a zeroed buffer: past their end
 * it holds zeros, which read as EOL. 64 bytes so an index masked with 63
 * can never leave it, whatever the verifier knows about the index.
 */
struct colo_tcp_opts {
	__u8 b[64];
};

/*
 * The SACK options found: where each starts in the options and its length,
 * 2 + 8 * blocks. At most COLO_TCP_SACK_MAX of them, as each has a block.
 */
struct colo_sack_pos {
	__u8 n;
	__u8 off[COLO_TCP_SACK_MAX];
	__u8 len[COLO_TCP_SACK_MAX];
	__u8 ts_plus1; /* 1 + where the timestamp option starts; 0: none */
	__u8 pad[2];
};

/*
 * Finds the SACK options in the options, which the caller zero-filled past
 * their end: the zeros read as EOL and end the walk there.
 *
 * Written for the verifier: one round per byte, with the bytes of the
 * current option left to skip, rather than a cursor jumping from option to
 * option (a cursor used as an index must be tracked exactly, and each
 * option length it might have advanced by became a state of its own: over
 * a million instructions). Nor is the walk compared with the options'
 * length: each comparison would make that length a value to track exactly
 * too. So an option running past the end is followed into the zeros, and
 * a SACK option doing so is reported, for the caller to ignore it (and stop
 * there) as a guest does. A SACK option is recorded whole, not block by
 * block: the number of blocks split the walk into one state per count.
 */
static __always_inline void colo_tcp_sack_scan(const struct colo_tcp_opts *o,
					       struct colo_sack_pos *sp)
{
	__u32 skip = 0, len, n = 0;
	__u8 kind;
	int i;

	__builtin_memset(sp, 0, sizeof(*sp));
	for (i = 0; i < COLO_TCP_OPT_MAX; i++) {
		if (skip) {
			skip--;
			continue;
		}
		kind = o->b[i];
		if (kind == COLO_TCPOPT_EOL)
			break;
		if (kind == COLO_TCPOPT_NOP)
			continue;
		len = o->b[i + 1];
		/* too short, or past the longest possible header */
		if (len < 2 || len > COLO_TCP_OPT_MAX - i)
			break;
		skip = len - 1;
		if (kind == COLO_TCPOPT_TS && len == COLO_TCP_TS_LEN &&
		    !sp->ts_plus1) {
			sp->ts_plus1 = i + 1;
			continue;
		}
		if (kind != COLO_TCPOPT_SACK ||
		    len < COLO_TCP_SACK_BASE + COLO_TCP_SACK_BLK ||
		    (len - COLO_TCP_SACK_BASE) % COLO_TCP_SACK_BLK)
			continue;
		if (n < COLO_TCP_SACK_MAX) {
			sp->off[n] = i;
			sp->len[n] = len;
			n++;
		}
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
