// SPDX-License-Identifier: GPL-2.0
/*
 * csum.c - one's complement and CRC32c checksums for released frames.
 *
 * The one's complement sum is byte-order independent when words are loaded
 * and stored in the same (native) order, so the loop adds native 32-bit
 * halves of 64-bit loads into a 64-bit accumulator and folds once at the
 * end; memcpy loads keep it correct at any alignment.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "colo_shared.h"
#include "csum.h"

#define IPPROTO_NR_ICMP    1
#define IPPROTO_NR_TCP     6
#define IPPROTO_NR_UDP     17
#define IPPROTO_NR_ICMPV6  58
#define IPPROTO_NR_SCTP    132
#define IPPROTO_NR_UDPLITE 136

static inline __u64 load64(const __u8 *p)
{
	__u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

__u64 csum_add(__u64 sum, const void *buf, size_t len)
{
	const __u8 *p = buf;
	__u64 a, b;
	__u32 w32;
	__u16 w16;

	/* Two 64-bit loads per round: each adds at most 2 * (2^32 - 1). */
	while (len >= 16) {
		a = load64(p);
		b = load64(p + 8);
		sum += (a & 0xffffffffu) + (a >> 32);
		sum += (b & 0xffffffffu) + (b >> 32);
		p += 16;
		len -= 16;
	}
	if (len >= 8) {
		a = load64(p);
		sum += (a & 0xffffffffu) + (a >> 32);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		memcpy(&w32, p, 4);
		sum += w32;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		sum += w16;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* the odd byte is the first of a zero-padded word */
		w16 = 0;
		memcpy(&w16, p, 1);
		sum += w16;
	}
	return sum;
}

__u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static __u32 crc32c_table[256];

__attribute__((constructor)) static void crc32c_init(void)
{
	__u32 i, crc;
	int b;

	for (i = 0; i < 256; i++) {
		crc = i;
		for (b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
		crc32c_table[i] = crc;
	}
}

__u32 csum_crc32c(const void *buf, size_t len)
{
	const __u8 *p = buf;
	__u32 crc = 0xffffffffu;

	while (len--)
		crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* Sum of the pseudo-header for an L4 segment of seg_len bytes. */
static __u64 pseudo_sum(const __u8 *ip, __u8 l3, __u8 proto, __u32 seg_len)
{
	__u8 tail[8];

	if (l3 == COLO_L3_IPV4) {
		tail[0] = 0;
		tail[1] = proto;
		tail[2] = (__u8)(seg_len >> 8);
		tail[3] = (__u8)seg_len;
		return csum_add(csum_add(0, ip + 12, 8), tail, 4);
	}
	tail[0] = (__u8)(seg_len >> 24);
	tail[1] = (__u8)(seg_len >> 16);
	tail[2] = (__u8)(seg_len >> 8);
	tail[3] = (__u8)seg_len;
	tail[4] = tail[5] = tail[6] = 0;
	tail[7] = proto;
	return csum_add(csum_add(0, ip + 8, 32), tail, 8);
}

static int fix_sctp(__u8 *l4, __u32 len)
{
	__u8 old[4], new[4];
	__u32 crc;

	if (len < 12)
		return -EINVAL;
	memcpy(old, l4 + 8, 4);
	memset(l4 + 8, 0, 4);
	crc = csum_crc32c(l4, len);
	/* SCTP stores the CRC least significant byte first */
	new[0] = (__u8)crc;
	new[1] = (__u8)(crc >> 8);
	new[2] = (__u8)(crc >> 16);
	new[3] = (__u8)(crc >> 24);
	memcpy(l4 + 8, new, 4);
	return memcmp(old, new, 4) != 0;
}

int csum_fix_l4(__u8 *frame, __u8 l3, __u8 l4proto, __u32 l3_off,
		__u32 l4_off, __u32 l3_end)
{
	__u8 *ip = frame + l3_off, *l4 = frame + l4_off;
	__u32 len, cov, field, min;
	__u16 old, new;
	bool pseudo = true;
	__u64 sum;

	if (l3 == COLO_L3_IPV4)
		min = 20;
	else if (l3 == COLO_L3_IPV6)
		min = 40;
	else
		return 0;
	if (l4_off < l3_off + min || l3_end < l4_off)
		return -EINVAL;
	len = l3_end - l4_off;
	cov = len;

	switch (l4proto) {
	case IPPROTO_NR_TCP:
		field = 16;
		min = 20;
		break;
	case IPPROTO_NR_UDP:
	case IPPROTO_NR_UDPLITE:
		field = 6;
		min = 8;
		break;
	case IPPROTO_NR_ICMP:
		/* ICMPv4 sums its message only; ICMP in IPv6 is an error */
		if (l3 != COLO_L3_IPV4)
			return 0;
		pseudo = false;
		field = 2;
		min = 4;
		break;
	case IPPROTO_NR_ICMPV6:
		if (l3 != COLO_L3_IPV6)
			return 0;
		field = 2;
		min = 4;
		break;
	case IPPROTO_NR_SCTP:
		return fix_sctp(l4, len);
	default:
		return 0;
	}
	if (len < min || len > 0xffff)
		return -EINVAL;

	memcpy(&old, l4 + field, 2);
	if (l4proto == IPPROTO_NR_UDP && l3 == COLO_L3_IPV4 && !old)
		return 0; /* the sender asked for no checksum */
	if (l4proto == IPPROTO_NR_UDPLITE) {
		cov = (__u32)l4[4] << 8 | l4[5];
		if (!cov)
			cov = len;
		else if (cov < 8 || cov > len)
			return -EINVAL; /* receivers discard it anyway */
	}

	memset(l4 + field, 0, 2);
	sum = pseudo ? pseudo_sum(ip, l3, l4proto, len) : 0;
	new = (__u16)~csum_fold(csum_add(sum, l4, cov));
	if (!new && (l4proto == IPPROTO_NR_UDP ||
		     l4proto == IPPROTO_NR_UDPLITE))
		new = 0xffff; /* 0 would mean "no checksum" */
	memcpy(l4 + field, &new, 2);
	return old != new;
}
