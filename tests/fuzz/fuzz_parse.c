// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_parse.c - libFuzzer target for the frame parser shared by the XDP
 * programs and the daemon (include/colo_parse.h).
 *
 * Every input is used three ways, each on a buffer of exactly the size the
 * parser is told, so ASan sees any read past the frame:
 *
 *  - the whole input as a frame: colo_parse() must return a known result
 *    and, when it keys the frame, offsets in order inside the frame, the
 *    hash of the key, a normalised key that stays the same when the
 *    addresses and ports are swapped (both directions share a connection),
 *    and metadata that colo_pkt_from_meta() accepts and turns back into the
 *    very same struct colo_pkt;
 *  - the first sizeof(struct colo_meta) bytes as metadata, the rest as the
 *    frame: colo_pkt_from_meta() must refuse or give offsets inside the
 *    frame (tried also with the right magic and the hash it computes, so
 *    the fuzzer gets past those two checks);
 *  - a readable prefix of the frame as the tc program sees a non-linear
 *    skb: colo_parse_l3_hdrs() with the whole length as wire length.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "colo_parse.h"
#include "fuzz_util.h"

#define KNOWN_FLAGS (COLO_PF_FRAGMENT | COLO_PF_SWAPPED | COLO_PF_HAS_L4 | \
		     COLO_PF_NON_IP)

static uint32_t clamp_len(size_t n)
{
	return n > COLO_FRAME_MAX_LEN ? COLO_FRAME_MAX_LEN : (uint32_t)n;
}

/* What holds for any struct colo_pkt the daemon may be given. */
static void check_pkt_bounds(const struct colo_pkt *p, uint32_t len)
{
	FZ_CHECK(p->l3_off >= sizeof(struct colo_eth), "l3_off %u", p->l3_off);
	FZ_CHECK(p->l3_off <= sizeof(struct colo_eth) +
				     COLO_MAX_VLAN_DEPTH *
					     sizeof(struct colo_vlan),
		 "l3_off %u", p->l3_off);
	FZ_CHECK(p->l3_off <= p->l4_off && p->l4_off <= p->payload_off &&
			 p->payload_off <= p->l3_end && p->l3_end <= len,
		 "offsets %u %u %u %u, len %u", p->l3_off, p->l4_off,
		 p->payload_off, p->l3_end, len);
	FZ_CHECK(!(p->flags & ~KNOWN_FLAGS), "flags %#x", p->flags);
	FZ_CHECK(p->hash == colo_key_hash(&p->key), "hash");
	if (p->l3 == COLO_L3_IPV4)
		FZ_CHECK(p->l4_off >= p->l3_off + sizeof(struct colo_ip4),
			 "l4_off %u inside the IPv4 header", p->l4_off);
	if (p->l3 == COLO_L3_IPV6)
		FZ_CHECK(p->l4_off >= p->l3_off + sizeof(struct colo_ip6),
			 "l4_off %u inside the IPv6 header", p->l4_off);
}

/* Swaps n bytes at a and b in place. */
static void swap_bytes(uint8_t *f, uint32_t a, uint32_t b, uint32_t n)
{
	uint8_t t[16];

	memcpy(t, f + a, n);
	memcpy(f + a, f + b, n);
	memcpy(f + b, t, n);
}

/*
 * The frame of the other direction (addresses and, where the key has
 * them, ports swapped) must get the same key and hash, SWAPPED the other
 * way round unless both endpoints are equal.
 */
static void check_reverse(const uint8_t *data, size_t n,
			  const struct colo_pkt *pkt)
{
	struct colo_pkt rev;
	uint8_t *f;
	bool ports;
	int r;

	if (pkt->l3 == COLO_L3_NONE)
		return;
	f = malloc(n);
	if (!f)
		return;
	memcpy(f, data, n);
	if (pkt->l3 == COLO_L3_IPV4)
		swap_bytes(f, pkt->l3_off + 12, pkt->l3_off + 16, 4);
	else
		swap_bytes(f, pkt->l3_off + 8, pkt->l3_off + 24, 16);
	ports = (pkt->flags & COLO_PF_HAS_L4) &&
		pkt->l4proto != COLO_IPPROTO_ICMP &&
		pkt->l4proto != COLO_IPPROTO_ICMPV6;
	if (ports)
		swap_bytes(f, pkt->l4_off, pkt->l4_off + 2, 2);

	r = colo_parse(f, f + n, &rev);
	FZ_CHECK(r == COLO_PARSE_OK, "reversed frame refused: %d", r);
	FZ_CHECK(!memcmp(&rev.key, &pkt->key, sizeof(rev.key)),
		 "the two directions get different keys");
	FZ_CHECK(rev.hash == pkt->hash, "the two directions hash apart");
	FZ_CHECK(rev.l3_off == pkt->l3_off && rev.l4_off == pkt->l4_off &&
			 rev.payload_off == pkt->payload_off &&
			 rev.l3_end == pkt->l3_end,
		 "offsets change with the direction");
	if (memcmp(pkt->key.addr_a, pkt->key.addr_b, 16) ||
	    pkt->key.port_a != pkt->key.port_b)
		FZ_CHECK((rev.flags ^ pkt->flags) == COLO_PF_SWAPPED,
			 "flags %#x reversed %#x", pkt->flags, rev.flags);
	else
		FZ_CHECK(rev.flags == pkt->flags, "flags %#x reversed %#x",
			 pkt->flags, rev.flags);
	free(f);
}

static void check_frame(const uint8_t *data, size_t n)
{
	struct colo_pkt pkt, again, back;
	struct colo_meta m;
	uint32_t min, max;
	int r;

	r = colo_parse(data, data + n, &pkt);
	FZ_CHECK(r >= COLO_PARSE_OK && r < COLO_PARSE__MAX, "result %d", r);
	FZ_CHECK(colo_parse(data, data + n, &again) == r &&
			 !memcmp(&pkt, &again, sizeof(pkt)),
		 "two parses of one frame differ");
	if (r != COLO_PARSE_OK) {
		/* the BPF side refuses short frames the same way */
		if (n < sizeof(struct colo_eth))
			FZ_CHECK(r == COLO_PARSE_ERR_ETH_TRUNC, "result %d", r);
		return;
	}

	check_pkt_bounds(&pkt, clamp_len(n));
	FZ_CHECK(pkt.key.family == pkt.l3, "family %u, l3 %u",
		 pkt.key.family, pkt.l3);
	if (pkt.l3 == COLO_L3_NONE) {
		FZ_CHECK(pkt.flags == COLO_PF_NON_IP, "flags %#x", pkt.flags);
		FZ_CHECK(pkt.key.port_a == pkt.ethertype, "non-IP key");
		FZ_CHECK(pkt.l3_end == clamp_len(n), "non-IP l3_end");
	} else {
		FZ_CHECK(pkt.l3 == COLO_L3_IPV4 || pkt.l3 == COLO_L3_IPV6,
			 "l3 %u", pkt.l3);
		FZ_CHECK(!(pkt.flags & COLO_PF_NON_IP), "flags %#x",
			 pkt.flags);
		FZ_CHECK(pkt.key.proto == pkt.l4proto, "key proto");
		FZ_CHECK(colo_endpoint_cmp(&pkt.key) <= 0,
			 "key not normalised");
	}
	if (pkt.flags & COLO_PF_HAS_L4) {
		FZ_CHECK(!colo_l4_hlen_range(pkt.l4proto, &min, &max),
			 "HAS_L4 for protocol %u", pkt.l4proto);
		FZ_CHECK(pkt.payload_off - pkt.l4_off >= min &&
				 pkt.payload_off - pkt.l4_off <= max,
			 "L4 header of %u bytes for protocol %u",
			 pkt.payload_off - pkt.l4_off, pkt.l4proto);
	} else {
		FZ_CHECK(pkt.payload_off == pkt.l4_off, "payload without L4");
	}

	/* what the XDP program writes, the daemon must read back unchanged */
	colo_meta_from_pkt(&pkt, COLO_ROLE_SECONDARY, &m);
	r = colo_pkt_from_meta(data, data + n, &m, &back);
	FZ_CHECK(r == 0, "metadata of a parsed frame refused");
	FZ_CHECK(!memcmp(&back, &pkt, sizeof(pkt)),
		 "metadata round trip changes the packet");

	check_reverse(data, n, &pkt);
}

static void check_meta(const uint8_t *data, size_t n)
{
	const uint8_t *frame = data + sizeof(struct colo_meta);
	size_t flen = n - sizeof(struct colo_meta);
	struct colo_meta m;
	struct colo_pkt pkt;
	int r, i;

	memcpy(&m, data, sizeof(m));
	/* as given, then past the magic, then past the hash too */
	for (i = 0; i < 3; i++) {
		if (i == 1)
			m.magic = COLO_META_MAGIC;
		if (i == 2) {
			if (pkt.hash == m.hash)
				break;
			m.hash = pkt.hash;
		}
		r = colo_pkt_from_meta(frame, frame + flen, &m, &pkt);
		FZ_CHECK(r == 0 || r == -1, "result %d", r);
		if (!r) {
			check_pkt_bounds(&pkt, clamp_len(flen));
			FZ_CHECK(pkt.hash == m.hash, "hash not checked");
			break;
		}
	}
}

/* The tc view: only the first `readable` bytes of an n-byte packet. */
static void check_partial(const uint8_t *data, size_t n, size_t readable)
{
	struct colo_cursor cur;
	struct colo_pkt pkt, full;
	uint8_t *buf;
	int r;

	buf = malloc(readable ? readable : 1);
	if (!buf)
		return;
	memcpy(buf, data, readable);
	r = colo_parse_l3_hdrs(buf, buf + readable, clamp_len(n), &cur, &pkt);
	FZ_CHECK(r >= COLO_PARSE_OK && r < COLO_PARSE__MAX, "result %d", r);
	if (r == COLO_PARSE_OK) {
		FZ_CHECK(cur.len == clamp_len(readable), "cursor len %u",
			 cur.len);
		FZ_CHECK(pkt.l3_end <= cur.len, "l3_end %u past readable %u",
			 pkt.l3_end, cur.len);
		if (!cur.non_ip) {
			FZ_CHECK(cur.off <= cur.limit && cur.limit <= cur.len,
				 "cursor off %u limit %u len %u", cur.off,
				 cur.limit, cur.len);
			/* tc reads the ports itself, where it has them */
			if (cur.off + 4 <= cur.limit && !cur.no_l4) {
				const struct colo_ports *pp =
					(const void *)(buf + cur.off);
				struct colo_pkt tc = pkt;

				colo_key_from_ports(&tc, cur.l4proto, pp->src,
						    pp->dst);
				FZ_CHECK(colo_endpoint_cmp(&tc.key) <= 0,
					 "key not normalised");
			}
		}
		r = colo_parse_l4_key(buf, buf + readable, &cur, &pkt);
		FZ_CHECK(r >= COLO_PARSE_OK && r < COLO_PARSE__MAX,
			 "result %d", r);
	}
	/* with everything readable, the two halves are colo_parse() */
	if (readable == n) {
		int rf = colo_parse(buf, buf + n, &full);

		FZ_CHECK(rf == r, "halves say %d, whole %d", r, rf);
		if (r == COLO_PARSE_OK)
			FZ_CHECK(!memcmp(&pkt, &full, sizeof(pkt)),
				 "halves and whole disagree");
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t readable;

	check_frame(data, size);
	if (size >= sizeof(struct colo_meta))
		check_meta(data, size);
	/* the last byte picks how much of the packet tc can read */
	readable = size;
	if (size)
		readable = size - data[size - 1] % (size < 64 ? size : 64);
	check_partial(data, size, readable);
	return 0;
}
