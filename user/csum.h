/* SPDX-License-Identifier: GPL-2.0 */
/*
 * csum.h - L4 checksums of frames about to be released.
 *
 * Frames captured on veth or tap carry a partial checksum (the pseudo-header
 * sum only) when the guest offloads checksumming, and a hostile guest may
 * send anything there. A released frame goes onto a real wire, so its L4
 * checksum is recomputed from the bytes that were compared.
 */
#ifndef COLO_CSUM_H
#define COLO_CSUM_H

#include <stddef.h>
#include <linux/types.h>

/*
 * Adds the 16-bit one's complement words of [buf, buf + len) to sum, in
 * native byte order, without folding. Every call but the last must cover an
 * even number of bytes (pieces are concatenated as 16-bit words).
 */
__u64 csum_add(__u64 sum, const void *buf, size_t len);

/* Folds sum to 16 bits (not inverted); store it with memcpy, no byte swap. */
__u16 csum_fold(__u64 sum);

/* CRC32c (Castagnoli) as SCTP uses it: initial ~0, result inverted. */
__u32 csum_crc32c(const void *buf, size_t len);

/*
 * Rewrites the L4 checksum of the IP packet in frame: l3 is COLO_L3_IPV4 or
 * COLO_L3_IPV6, the IP header is at l3_off, the L4 header of protocol
 * l4proto at l4_off, the packet ends at l3_end. Handles TCP, UDP, UDP-Lite
 * (its coverage), ICMP, ICMPv6 and SCTP; a UDP-over-IPv4 checksum of 0 ("no
 * checksum") is left alone. Returns 1 if the field changed, 0 if it was
 * already right or the protocol carries no checksum we fix, -EINVAL if the
 * lengths cannot hold the header (nothing is written then).
 */
int csum_fix_l4(__u8 *frame, __u8 l3, __u8 l4proto, __u32 l3_off,
		__u32 l4_off, __u32 l3_end);

#endif /* COLO_CSUM_H */
