// SPDX-License-Identifier: GPL-2.0
/*
 * test_parse.c - the shared frame parser (colo_parse.h) on crafted frames.
 *
 * One table of frames, each built by tests/frames.h and optionally damaged
 * by a mutator, with the parse result the XDP program and the daemon must
 * agree on: the error reason, or the key, flags and offsets (the offsets are
 * checked against where frame_build() put the headers). Then the properties
 * the comparator relies on: both directions of a flow share one key and hash,
 * the hash sees every key field, and metadata round-trips through
 * colo_pkt_from_meta() while inconsistent metadata is refused.
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "test_util.h"
#include "frames.h"
#include "colo_parse.h"

TEST_STATE_DEFINE;

static uint8_t pl[512]; /* payload bytes, filled in main() */

/* Damages a built frame; updates *fi where the damage moves an offset. */
typedef void (*mutator_t)(uint8_t *buf, size_t *len, struct frame_info *fi);

struct parse_case {
	const char *name;
	struct frame_spec spec;
	mutator_t mutate;   /* damage the built frame, or NULL */
	int result;         /* enum colo_parse_result */
	/* checked when result is COLO_PARSE_OK */
	uint8_t l3;
	uint8_t proto;      /* key.proto and l4proto */
	uint16_t port_a, port_b;
	uint8_t flags;      /* exact COLO_PF_* */
	uint16_t ethertype; /* innermost */
};

/* ---- mutators ---- */

static void len_zero(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)buf, (void)fi;
	*len = 0;
}

static void len_13(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)buf, (void)fi;
	*len = 13;
}

/* cuts inside the (first) VLAN tag */
static void cut_vlan(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)buf, (void)fi;
	*len = 16;
}

static void cut_ip_hdr(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)buf;
	*len = fi->l3_off + (fi->family == 4 ? 19 : 39);
}

static void cut_l4_to_7(uint8_t *buf, size_t *len,
			struct frame_info *fi)
{
	frame_set_ip_len(buf, len, fi, fi->l4_off - fi->l3_off + 7);
}

static void cut_l4_to_19(uint8_t *buf, size_t *len,
			 struct frame_info *fi)
{
	frame_set_ip_len(buf, len, fi, fi->l4_off - fi->l3_off + 19);
}

static void cut_l4_to_12(uint8_t *buf, size_t *len,
			 struct frame_info *fi)
{
	frame_set_ip_len(buf, len, fi, fi->l4_off - fi->l3_off + 12);
}

/* only one byte of the first extension header is in the packet */
static void cut_ext_1(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	frame_set_ip_len(buf, len, fi, 41);
}

/* the frame holds the whole L4 header, the IP packet does not */
static void cut_ip_keep_frame(uint8_t *buf, size_t *len,
			      struct frame_info *fi)
{
	size_t keep = *len;

	frame_set_ip_len(buf, len, fi, fi->l4_off - fi->l3_off + 7);
	*len = keep;
}

static void ihl_4(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)len;
	buf[fi->l3_off] = 0x44;
}

static void ihl_15(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)len;
	buf[fi->l3_off] = 0x4f;
}

static void tot_len_plus1(uint8_t *buf, size_t *len,
			  struct frame_info *fi)
{
	(void)len;
	frame_put16(buf, fi->l3_off + 2,
		    frame_get16(buf, fi->l3_off + 2) + 1);
}

static void tot_len_19(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)len;
	frame_put16(buf, fi->l3_off + 2, 19);
}

static void ip6_plen_plus1(uint8_t *buf, size_t *len,
			   struct frame_info *fi)
{
	(void)len;
	frame_put16(buf, fi->l3_off + 4,
		    frame_get16(buf, fi->l3_off + 4) + 1);
}

static void version_6(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)len;
	buf[fi->l3_off] = (uint8_t)(0x60 | (buf[fi->l3_off] & 0x0f));
}

static void version_4(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)len;
	buf[fi->l3_off] = (uint8_t)(0x40 | (buf[fi->l3_off] & 0x0f));
}

static void doff_4(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)len;
	buf[fi->l4_off + 12] = 4 << 4;
}

static void doff_15(uint8_t *buf, size_t *len, struct frame_info *fi)
{
	(void)len;
	buf[fi->l4_off + 12] = 15 << 4;
}

/* first extension header claims to run past the IPv6 payload */
static void ext_too_long(uint8_t *buf, size_t *len,
			 struct frame_info *fi)
{
	(void)len;
	buf[fi->l3_off + 40 + 1] = 200;
}

/* DCCP X bit set on a packet holding only the 12-byte header */
static void dccp_x_short(uint8_t *buf, size_t *len,
			 struct frame_info *fi)
{
	buf[fi->l4_off + 8] |= 1;
	frame_set_ip_len(buf, len, fi, fi->l4_off - fi->l3_off + 12);
}

/* ---- the table ---- */

#define TCP4(...) { .family = 4, .proto = FRAME_TCP, .sport = 40000,     \
		    .dport = 80, .seq = 1, .tcp_flags = FRAME_TCP_ACK,     \
		    .payload = pl, .payload_len = 100, __VA_ARGS__ }

static const uint8_t ip_opts_nop[4] = { 1, 1, 1, 0 };
static const uint8_t tcp_opts_mss[4] = { 2, 4, 0x05, 0xb4 };

/* expected fields of a frame that parses */
#define OK(l3_, proto_, port_a_, port_b_, flags_, ethertype_)             \
	.result = COLO_PARSE_OK, .l3 = l3_, .proto = proto_,              \
	.port_a = port_a_, .port_b = port_b_, .flags = flags_,            \
	.ethertype = ethertype_

/* TCP4(...) overrides the defaults it sets, which is the point */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static const struct parse_case cases[] = {
	/* IPv4 L4 protocols */
	{ .name = "ip4_tcp",
	  .spec = TCP4(),
	  OK(COLO_L3_IPV4, FRAME_TCP, 40000, 80,
	     COLO_PF_HAS_L4, ETH_P_IP) },
	{ .name = "ip4_tcp_options",
	  .spec = TCP4(.tcp_opts = tcp_opts_mss, .tcp_opts_len = 4),
	  OK(COLO_L3_IPV4, FRAME_TCP, 40000, 80,
	     COLO_PF_HAS_L4, ETH_P_IP) },
	{ .name = "ip4_options",
	  .spec = TCP4(.ip_opts = ip_opts_nop, .ip_opts_len = 4),
	  OK(COLO_L3_IPV4, FRAME_TCP, 40000, 80,
	     COLO_PF_HAS_L4, ETH_P_IP) },
	{ .name = "ip4_udp",
	  .spec = { .family = 4, .proto = FRAME_UDP, .sport = 5353, .dport = 53,
		    .payload = pl, .payload_len = 30 },
	  OK(COLO_L3_IPV4, FRAME_UDP, 5353, 53,
	     COLO_PF_HAS_L4, ETH_P_IP) },
	{ .name = "ip4_udplite",
	  .spec = { .family = 4, .proto = FRAME_UDPLITE, .sport = 7, .dport = 9,
		    .payload = pl, .payload_len = 30 },
	  OK(COLO_L3_IPV4, FRAME_UDPLITE, 7, 9,
	     COLO_PF_HAS_L4, ETH_P_IP) },
	{ .name = "ip4_sctp",
	  .spec = { .family = 4, .proto = FRAME_SCTP, .sport = 3868,
		    .dport = 3868, .payload = pl, .payload_len = 16 },
	  OK(COLO_L3_IPV4, FRAME_SCTP, 3868, 3868,
	     COLO_PF_HAS_L4, ETH_P_IP) },
	{ .name = "ip4_dccp_x",
	  .spec = { .family = 4, .proto = FRAME_DCCP, .sport = 5004,
		    .dport = 5005, .payload = pl, .payload_len = 20 },
	  OK(COLO_L3_IPV4, FRAME_DCCP, 5004, 5005,
	     COLO_PF_HAS_L4, ETH_P_IP) },
	{ .name = "ip4_dccp_short_seq",
	  .spec = { .family = 4, .proto = FRAME_DCCP, .sport = 5004,
		    .dport = 5005, .dccp_short_seq = true, .payload = pl,
		    .payload_len = 20 },
	  OK(COLO_L3_IPV4, FRAME_DCCP, 5004, 5005,
	     COLO_PF_HAS_L4, ETH_P_IP) },
	{ .name = "ip4_icmp_echo",
	  .spec = { .family = 4, .proto = FRAME_ICMP, .icmp_type = 8,
		    .icmp_id = 0x1234, .icmp_seq = 7, .payload = pl,
		    .payload_len = 56 },
	  OK(COLO_L3_IPV4, FRAME_ICMP, 0x1234, 0x1234,
	     COLO_PF_HAS_L4, ETH_P_IP) },
	{ .name = "ip4_icmp_echo_reply",
	  .spec = { .family = 4, .proto = FRAME_ICMP, .icmp_type = 0,
		    .icmp_id = 0x4321, .payload = pl, .payload_len = 56 },
	  OK(COLO_L3_IPV4, FRAME_ICMP, 0x4321, 0x4321,
	     COLO_PF_HAS_L4, ETH_P_IP) },
	{ .name = "ip4_icmp_unreach",
	  .spec = { .family = 4, .proto = FRAME_ICMP, .icmp_type = 3,
		    .icmp_code = 3, .icmp_id = 0x5555, .payload = pl,
		    .payload_len = 28 },
	  OK(COLO_L3_IPV4, FRAME_ICMP, 0, 0,
	     COLO_PF_HAS_L4, ETH_P_IP) },
	{ .name = "ip4_gre",
	  .spec = { .family = 4, .proto = FRAME_GRE, .payload = pl,
		    .payload_len = 40 },
	  OK(COLO_L3_IPV4, FRAME_GRE, 0, 0,
	     0, ETH_P_IP) },
	{ .name = "ip4_eth_padding",
	  .spec = TCP4(.payload_len = 0, .min_len = 60),
	  OK(COLO_L3_IPV4, FRAME_TCP, 40000, 80,
	     COLO_PF_HAS_L4, ETH_P_IP) },
	{ .name = "ip4_swapped",
	  .spec = TCP4(.src = "10.0.0.9", .dst = "10.0.0.3"),
	  OK(COLO_L3_IPV4, FRAME_TCP, 80, 40000,
	     COLO_PF_HAS_L4 | COLO_PF_SWAPPED, ETH_P_IP) },
	{ .name = "ip4_same_addr_ports_swapped",
	  .spec = TCP4(.src = "10.0.0.1", .dst = "10.0.0.1"),
	  OK(COLO_L3_IPV4, FRAME_TCP, 80, 40000,
	     COLO_PF_HAS_L4 | COLO_PF_SWAPPED, ETH_P_IP) },

	/* IPv4 fragments */
	{ .name = "ip4_first_fragment",
	  .spec = TCP4(.more_frags = true, .ip_id = 99),
	  OK(COLO_L3_IPV4, FRAME_TCP, 40000, 80,
	     COLO_PF_HAS_L4 | COLO_PF_FRAGMENT, ETH_P_IP) },
	{ .name = "ip4_later_fragment",
	  .spec = TCP4(.frag_offset = 1480, .ip_id = 99),
	  OK(COLO_L3_IPV4, FRAME_TCP, 0, 0,
	     COLO_PF_FRAGMENT, ETH_P_IP) },
	{ .name = "ip4_middle_fragment",
	  .spec = TCP4(.frag_offset = 1480, .more_frags = true),
	  OK(COLO_L3_IPV4, FRAME_TCP, 0, 0,
	     COLO_PF_FRAGMENT, ETH_P_IP) },

	/* IPv6 */
	{ .name = "ip6_tcp",
	  .spec = TCP4(.family = 6),
	  OK(COLO_L3_IPV6, FRAME_TCP, 40000, 80,
	     COLO_PF_HAS_L4, ETH_P_IPV6) },
	{ .name = "ip6_udp",
	  .spec = { .family = 6, .proto = FRAME_UDP, .sport = 546, .dport = 547,
		    .payload = pl, .payload_len = 30 },
	  OK(COLO_L3_IPV6, FRAME_UDP, 546, 547,
	     COLO_PF_HAS_L4, ETH_P_IPV6) },
	{ .name = "ip6_udplite",
	  .spec = { .family = 6, .proto = FRAME_UDPLITE, .sport = 1, .dport = 2,
		    .payload = pl, .payload_len = 3 },
	  OK(COLO_L3_IPV6, FRAME_UDPLITE, 1, 2,
	     COLO_PF_HAS_L4, ETH_P_IPV6) },
	{ .name = "ip6_sctp",
	  .spec = { .family = 6, .proto = FRAME_SCTP, .sport = 9, .dport = 10,
		    .payload = pl, .payload_len = 16 },
	  OK(COLO_L3_IPV6, FRAME_SCTP, 9, 10,
	     COLO_PF_HAS_L4, ETH_P_IPV6) },
	{ .name = "ip6_dccp",
	  .spec = { .family = 6, .proto = FRAME_DCCP, .sport = 11, .dport = 12,
		    .payload = pl, .payload_len = 8 },
	  OK(COLO_L3_IPV6, FRAME_DCCP, 11, 12,
	     COLO_PF_HAS_L4, ETH_P_IPV6) },
	{ .name = "ip6_icmp_echo",
	  .spec = { .family = 6, .proto = FRAME_ICMPV6, .icmp_type = 128,
		    .icmp_id = 0xbeef, .payload = pl, .payload_len = 56 },
	  OK(COLO_L3_IPV6, FRAME_ICMPV6, 0xbeef, 0xbeef,
	     COLO_PF_HAS_L4, ETH_P_IPV6) },
	{ .name = "ip6_icmp_echo_reply",
	  .spec = { .family = 6, .proto = FRAME_ICMPV6, .icmp_type = 129,
		    .icmp_id = 3, .payload = pl, .payload_len = 8 },
	  OK(COLO_L3_IPV6, FRAME_ICMPV6, 3, 3,
	     COLO_PF_HAS_L4, ETH_P_IPV6) },
	{ .name = "ip6_icmp_neigh_solicit",
	  .spec = { .family = 6, .proto = FRAME_ICMPV6, .icmp_type = 135,
		    .icmp_id = 3, .payload = pl, .payload_len = 16 },
	  OK(COLO_L3_IPV6, FRAME_ICMPV6, 0, 0,
	     COLO_PF_HAS_L4, ETH_P_IPV6) },
	{ .name = "ip6_gre",
	  .spec = { .family = 6, .proto = FRAME_GRE, .payload = pl,
		    .payload_len = 40 },
	  OK(COLO_L3_IPV6, FRAME_GRE, 0, 0,
	     0, ETH_P_IPV6) },
	{ .name = "ip6_esp_after_dstopts",
	  .spec = { .family = 6, .proto = FRAME_ESP, .ext = { FRAME_DSTOPTS },
		    .next = 1, .payload = pl, .payload_len = 40 },
	  OK(COLO_L3_IPV6, FRAME_ESP, 0, 0,
	     0, ETH_P_IPV6) },
	{ .name = "ip6_no_next_header",
	  .spec = { .family = 6, .proto = FRAME_NONXT, .ext = { FRAME_HOPOPTS },
		    .next = 1 },
	  OK(COLO_L3_IPV6, FRAME_NONXT, 0, 0,
	     0, ETH_P_IPV6) },
	{ .name = "ip6_hop_dst_frag_first",
	  .spec = TCP4(.family = 6, .ext = { FRAME_HOPOPTS, FRAME_DSTOPTS },
			.next = 2, .more_frags = true, .ip_id = 7),
	  OK(COLO_L3_IPV6, FRAME_TCP, 40000, 80,
	     COLO_PF_HAS_L4 | COLO_PF_FRAGMENT, ETH_P_IPV6) },
	{ .name = "ip6_hop_dst_frag_later",
	  .spec = TCP4(.family = 6, .ext = { FRAME_HOPOPTS, FRAME_DSTOPTS },
			.next = 2, .frag_offset = 1448, .ip_id = 7),
	  OK(COLO_L3_IPV6, FRAME_TCP, 0, 0,
	     COLO_PF_FRAGMENT, ETH_P_IPV6) },
	{ .name = "ip6_routing_ah_udp",
	  .spec = { .family = 6, .proto = FRAME_UDP, .sport = 1000,
		    .dport = 2000, .ext = { FRAME_ROUTING, FRAME_AH },
		    .next = 2, .payload = pl, .payload_len = 10 },
	  OK(COLO_L3_IPV6, FRAME_UDP, 1000, 2000,
	     COLO_PF_HAS_L4, ETH_P_IPV6) },
	{ .name = "ip6_ext_chain_at_limit",
	  .spec = TCP4(.family = 6, .ext = { 60, 60, 60, 60, 60, 60, 60, 60 },
			.next = COLO_MAX_IPV6_EXTHDRS),
	  OK(COLO_L3_IPV6, FRAME_TCP, 40000, 80,
	     COLO_PF_HAS_L4, ETH_P_IPV6) },
	{ .name = "ip6_ext_chain_too_long",
	  .spec = TCP4(.family = 6,
			.ext = { 60, 60, 60, 60, 60, 60, 60, 60, 60 },
			.next = COLO_MAX_IPV6_EXTHDRS + 1),
	  .result = COLO_PARSE_ERR_IP6_EXTHDR },
	{ .name = "ip6_ext_past_payload",
	  .spec = TCP4(.family = 6, .ext = { FRAME_HOPOPTS }, .next = 1,
		       .payload_len = 10),
	  .mutate = ext_too_long,
	  .result = COLO_PARSE_ERR_IP6_EXTHDR },
	{ .name = "ip6_ext_cut",
	  .spec = TCP4(.family = 6, .ext = { FRAME_HOPOPTS }, .next = 1),
	  .mutate = cut_ext_1,
	  .result = COLO_PARSE_ERR_IP6_EXTHDR },
	{ .name = "ip6_tcp_trunc_after_ext",
	  .spec = TCP4(.family = 6, .ext = { FRAME_HOPOPTS }, .next = 1),
	  .mutate = cut_l4_to_7,
	  .result = COLO_PARSE_ERR_L4_TRUNC },

	/* VLAN and non-IP */
	{ .name = "vlan1_tcp",
	  .spec = TCP4(.nvlan = 1, .vlan_tci = { 100 }),
	  OK(COLO_L3_IPV4, FRAME_TCP, 40000, 80,
	     COLO_PF_HAS_L4, ETH_P_IP) },
	{ .name = "vlan2_qinq_ip6_udp",
	  .spec = { .family = 6, .proto = FRAME_UDP, .sport = 1, .dport = 2,
		    .nvlan = 2, .vlan_tpid = { 0x88a8, 0x8100 },
		    .vlan_tci = { 10, 20 }, .payload = pl, .payload_len = 20 },
	  OK(COLO_L3_IPV6, FRAME_UDP, 1, 2,
	     COLO_PF_HAS_L4, ETH_P_IPV6) },
	{ .name = "vlan3_too_deep",
	  .spec = TCP4(.nvlan = 3),
	  .result = COLO_PARSE_ERR_VLAN_DEPTH },
	{ .name = "vlan_trunc",
	  .spec = TCP4(.nvlan = 1),
	  .mutate = cut_vlan,
	  .result = COLO_PARSE_ERR_VLAN_TRUNC },
	{ .name = "arp",
	  .spec = { .family = 0, .ethertype = 0x0806, .payload = pl,
		    .payload_len = 28, .min_len = 60 },
	  OK(COLO_L3_NONE, 0, 0x0806, 0,
	     COLO_PF_NON_IP, 0x0806) },
	{ .name = "vlan_lldp",
	  .spec = { .family = 0, .ethertype = 0x88cc, .nvlan = 1, .payload = pl,
		    .payload_len = 40 },
	  OK(COLO_L3_NONE, 0, 0x88cc, 0,
	     COLO_PF_NON_IP, 0x88cc) },

	/* malformed */
	{ .name = "zero_length",
	  .spec = TCP4(),
	  .mutate = len_zero,
	  .result = COLO_PARSE_ERR_ETH_TRUNC },
	{ .name = "eth_trunc",
	  .spec = TCP4(),
	  .mutate = len_13,
	  .result = COLO_PARSE_ERR_ETH_TRUNC },
	{ .name = "ip4_trunc",
	  .spec = TCP4(),
	  .mutate = cut_ip_hdr,
	  .result = COLO_PARSE_ERR_IP4_TRUNC },
	{ .name = "ip6_trunc",
	  .spec = TCP4(.family = 6),
	  .mutate = cut_ip_hdr,
	  .result = COLO_PARSE_ERR_IP6_TRUNC },
	{ .name = "ip4_ihl_below_5",
	  .spec = TCP4(),
	  .mutate = ihl_4,
	  .result = COLO_PARSE_ERR_IP4_IHL },
	{ .name = "ip4_ihl_beyond_frame",
	  .spec = { .family = 4, .proto = FRAME_UDP, .payload = pl,
		    .payload_len = 12 },
	  .mutate = ihl_15,
	  .result = COLO_PARSE_ERR_IP4_IHL },
	{ .name = "ip4_tot_len_beyond_frame",
	  .spec = TCP4(),
	  .mutate = tot_len_plus1,
	  .result = COLO_PARSE_ERR_IP4_LEN },
	{ .name = "ip4_tot_len_below_ihl",
	  .spec = TCP4(),
	  .mutate = tot_len_19,
	  .result = COLO_PARSE_ERR_IP4_LEN },
	{ .name = "ip6_payload_len_beyond_frame",
	  .spec = TCP4(.family = 6),
	  .mutate = ip6_plen_plus1,
	  .result = COLO_PARSE_ERR_IP6_LEN },
	{ .name = "ip4_version_6",
	  .spec = TCP4(),
	  .mutate = version_6,
	  .result = COLO_PARSE_ERR_IP_VERSION },
	{ .name = "ip6_version_4",
	  .spec = TCP4(.family = 6),
	  .mutate = version_4,
	  .result = COLO_PARSE_ERR_IP_VERSION },
	{ .name = "ip4_tcp_trunc",
	  .spec = TCP4(),
	  .mutate = cut_l4_to_19,
	  .result = COLO_PARSE_ERR_L4_TRUNC },
	{ .name = "ip6_tcp_trunc",
	  .spec = TCP4(.family = 6),
	  .mutate = cut_l4_to_19,
	  .result = COLO_PARSE_ERR_L4_TRUNC },
	{ .name = "ip4_tcp_trunc_in_packet_not_frame",
	  .spec = TCP4(),
	  .mutate = cut_ip_keep_frame,
	  .result = COLO_PARSE_ERR_L4_TRUNC },
	{ .name = "ip4_tcp_doff_below_5",
	  .spec = TCP4(),
	  .mutate = doff_4,
	  .result = COLO_PARSE_ERR_TCP_DOFF },
	{ .name = "ip4_tcp_doff_beyond_packet",
	  .spec = TCP4(.payload_len = 10),
	  .mutate = doff_15,
	  .result = COLO_PARSE_ERR_TCP_DOFF },
	{ .name = "ip6_tcp_doff_beyond_packet",
	  .spec = TCP4(.family = 6, .payload_len = 0),
	  .mutate = doff_15,
	  .result = COLO_PARSE_ERR_TCP_DOFF },
	{ .name = "ip4_udp_trunc",
	  .spec = { .family = 4, .proto = FRAME_UDP, .payload = pl,
		    .payload_len = 10 },
	  .mutate = cut_l4_to_7,
	  .result = COLO_PARSE_ERR_L4_TRUNC },
	{ .name = "ip6_udp_trunc",
	  .spec = { .family = 6, .proto = FRAME_UDP, .payload = pl,
		    .payload_len = 10 },
	  .mutate = cut_l4_to_7,
	  .result = COLO_PARSE_ERR_L4_TRUNC },
	{ .name = "ip4_icmp_trunc",
	  .spec = { .family = 4, .proto = FRAME_ICMP, .icmp_type = 8,
		    .payload = pl, .payload_len = 10 },
	  .mutate = cut_l4_to_7,
	  .result = COLO_PARSE_ERR_L4_TRUNC },
	{ .name = "ip6_icmp_trunc",
	  .spec = { .family = 6, .proto = FRAME_ICMPV6, .icmp_type = 128,
		    .payload = pl, .payload_len = 10 },
	  .mutate = cut_l4_to_7,
	  .result = COLO_PARSE_ERR_L4_TRUNC },
	{ .name = "ip4_sctp_trunc",
	  .spec = { .family = 4, .proto = FRAME_SCTP, .payload = pl,
		    .payload_len = 10 },
	  .mutate = cut_l4_to_7,
	  .result = COLO_PARSE_ERR_L4_TRUNC },
	{ .name = "ip4_dccp_trunc",
	  .spec = { .family = 4, .proto = FRAME_DCCP, .dccp_short_seq = true,
		    .payload = pl, .payload_len = 10 },
	  .mutate = cut_l4_to_7,
	  .result = COLO_PARSE_ERR_L4_TRUNC },
	{ .name = "ip4_dccp_x_trunc",
	  .spec = { .family = 4, .proto = FRAME_DCCP, .dccp_short_seq = true,
		    .payload = pl, .payload_len = 10 },
	  .mutate = dccp_x_short,
	  .result = COLO_PARSE_ERR_L4_TRUNC },
	{ .name = "ip4_dccp_exactly_12",
	  .spec = { .family = 4, .proto = FRAME_DCCP, .sport = 1, .dport = 2,
		    .dccp_short_seq = true, .payload = pl, .payload_len = 10 },
	  .mutate = cut_l4_to_12,
	  OK(COLO_L3_IPV4, FRAME_DCCP, 1, 2,
	     COLO_PF_HAS_L4, ETH_P_IP) },
	{ .name = "ip4_first_fragment_l4_trunc",
	  .spec = TCP4(.more_frags = true),
	  .mutate = cut_l4_to_19,
	  .result = COLO_PARSE_ERR_L4_TRUNC },
};
#pragma GCC diagnostic pop

static void check_ok(const struct parse_case *tc, const struct colo_pkt *p,
		     const uint8_t *buf, size_t len,
		     struct frame_info *fi)
{
	const char *n = tc->name;
	struct colo_conn_key k = { 0 };

	ASSERT_EQ(p->l3, tc->l3, n);
	ASSERT_EQ(p->key.family, tc->l3, n);
	ASSERT_EQ(p->key.proto, tc->proto, n);
	ASSERT_EQ(p->l4proto, tc->proto, n);
	ASSERT_EQ(p->key.port_a, tc->port_a, n);
	ASSERT_EQ(p->key.port_b, tc->port_b, n);
	ASSERT_EQ(p->flags, tc->flags, n);
	ASSERT_EQ(p->ethertype, tc->ethertype, n);
	ASSERT_EQ(p->l3_off, fi->l3_off, n);
	ASSERT_EQ(p->l4_off, fi->l4_off, n);
	ASSERT_EQ(p->payload_off, fi->payload_off, n);
	/* non-IP frames are compared whole, padding included */
	ASSERT_EQ(p->l3_end, tc->l3 == COLO_L3_NONE ? len : fi->l3_end, n);
	ASSERT_EQ(p->hash, colo_key_hash(&p->key), n);
	ASSERT_MEMEQ(p->key.pad, k.pad, sizeof(k.pad), n);
	ASSERT_MEMEQ(p->pad, (uint8_t[3]){ 0 }, sizeof(p->pad), n);

	/* the addresses, in the order the key says */
	if (tc->l3 == COLO_L3_IPV4) {
		const uint8_t *ip = buf + fi->l3_off;
		bool sw = p->flags & COLO_PF_SWAPPED;

		k.addr_a[2] = htonl(0xffff);
		k.addr_b[2] = htonl(0xffff);
		memcpy(&k.addr_a[3], ip + (sw ? 16 : 12), 4);
		memcpy(&k.addr_b[3], ip + (sw ? 12 : 16), 4);
	} else if (tc->l3 == COLO_L3_IPV6) {
		const uint8_t *ip = buf + fi->l3_off;
		bool sw = p->flags & COLO_PF_SWAPPED;

		memcpy(k.addr_a, ip + (sw ? 24 : 8), 16);
		memcpy(k.addr_b, ip + (sw ? 8 : 24), 16);
	}
	ASSERT_MEMEQ(p->key.addr_a, k.addr_a, 16, n);
	ASSERT_MEMEQ(p->key.addr_b, k.addr_b, 16, n);
}

static void run_case(const struct parse_case *tc)
{
	uint8_t buf[FRAME_BUF];
	struct frame_info fi;
	struct colo_pkt p;
	uint8_t *frame;
	size_t len;
	int ret;

	len = frame_build_info(&tc->spec, buf, sizeof(buf), &fi);
	if (!ASSERT_NEQ(len, 0, "frame_build"))
		return;
	if (tc->mutate)
		tc->mutate(buf, &len, &fi);

	/*
	 * Copy to a buffer of exactly len bytes, so a read past the frame is
	 * an ASan error rather than a read of our own leftover bytes.
	 */
	frame = malloc(len ? len : 1);
	if (!ASSERT_OK_PTR(frame, "malloc"))
		return;
	memcpy(frame, buf, len);
	ret = colo_parse(frame, frame + len, &p);
	ASSERT_EQ(ret, tc->result, tc->name);
	if (ret == COLO_PARSE_OK && tc->result == COLO_PARSE_OK)
		check_ok(tc, &p, frame, len, &fi);
	free(frame);
}

/* ---- direction normalisation ---- */

static void parse_spec(const struct frame_spec *s, struct colo_pkt *p,
		       const char *name)
{
	uint8_t buf[FRAME_BUF];
	size_t len = frame_build(s, buf, sizeof(buf));

	ASSERT_NEQ(len, 0, name);
	ASSERT_EQ(colo_parse(buf, buf + len, p), COLO_PARSE_OK, name);
}

static void test_both_directions(void)
{
	struct frame_spec specs[] = {
		frame_tcp(4, 1000, 2000, FRAME_TCP_ACK, pl, 10),
		frame_tcp(6, 1000, 2000, FRAME_TCP_ACK, pl, 10),
		frame_udp(4, 53, 40000, pl, 20),
		frame_udp(6, 53, 40000, pl, 20),
		frame_echo(4, false, 77, 1, pl, 56),
		frame_echo(6, false, 77, 1, pl, 56),
		{ .family = 4, .proto = FRAME_SCTP, .sport = 1, .dport = 1,
		  .src = "192.168.1.1", .dst = "10.0.0.1" },
		{ .family = 4, .proto = FRAME_GRE, .src = "1.1.1.1",
		  .dst = "1.1.1.2" },
		{ .family = 6, .proto = FRAME_TCP, .sport = 80, .dport = 80,
		  .src = "fe80::1", .dst = "fd00::1" },
		{ .family = 4, .proto = FRAME_TCP, .sport = 9, .dport = 8,
		  .src = "10.0.0.1", .dst = "10.0.0.1" },
	};
	struct colo_pkt fwd, rev;
	size_t i;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct frame_spec r = frame_reply(&specs[i]);
		char name[32];

		snprintf(name, sizeof(name), "flow %zu", i);
		parse_spec(&specs[i], &fwd, name);
		parse_spec(&r, &rev, name);
		ASSERT_MEMEQ(&fwd.key, &rev.key, sizeof(fwd.key), name);
		ASSERT_EQ(fwd.hash, rev.hash, name);
		/* exactly one direction was swapped */
		ASSERT_EQ(!!(fwd.flags & COLO_PF_SWAPPED) +
				  !!(rev.flags & COLO_PF_SWAPPED),
			  1, name);
		ASSERT_EQ(fwd.flags & ~COLO_PF_SWAPPED,
			  rev.flags & ~COLO_PF_SWAPPED, name);
	}
}

/* endpoints are ordered by address bytes first, then by port */
static void test_order(void)
{
	struct frame_spec s = frame_udp(4, 1, 65535, pl, 0);
	struct colo_pkt p;

	/* 10.0.0.2 > 9.255.255.255 byte-wise even though .2 < .255 */
	s.src = "10.0.0.2";
	s.dst = "9.255.255.255";
	parse_spec(&s, &p, "v4 order");
	ASSERT_TRUE(p.flags & COLO_PF_SWAPPED, "v4 order");
	ASSERT_EQ(p.key.port_a, 65535, "v4 order");
	ASSERT_EQ(((uint8_t *)&p.key.addr_a[3])[0], 9, "v4 order");

	/* v6: differs only in the last byte */
	s = frame_udp(6, 7, 6, pl, 0);
	s.src = "fd00::1:0";
	s.dst = "fd00::ff";
	parse_spec(&s, &p, "v6 order");
	ASSERT_TRUE(p.flags & COLO_PF_SWAPPED, "v6 order");
	ASSERT_EQ(p.key.port_a, 6, "v6 order");

	/* equal endpoints: no swap */
	s = frame_udp(4, 5, 5, pl, 0);
	s.src = s.dst = "10.1.1.1";
	parse_spec(&s, &p, "equal");
	ASSERT_FALSE(p.flags & COLO_PF_SWAPPED, "equal");
}

/* ---- hash ---- */

static void test_hash(void)
{
	struct colo_conn_key base = { 0 }, k;
	uint32_t h0;
	int i;

	base.addr_a[2] = htonl(0xffff);
	base.addr_a[3] = htonl(0x0a000001);
	base.addr_b[2] = htonl(0xffff);
	base.addr_b[3] = htonl(0x0a000002);
	base.port_a = 40000;
	base.port_b = 80;
	base.proto = 6;
	base.family = 4;
	h0 = colo_key_hash(&base);

	/* every byte of every field reaches the hash */
	for (i = 0; i < 16; i++) {
		k = base;
		((uint8_t *)k.addr_a)[i] ^= 0x01;
		ASSERT_NEQ(colo_key_hash(&k), h0, "addr_a byte");
		k = base;
		((uint8_t *)k.addr_b)[i] ^= 0x80;
		ASSERT_NEQ(colo_key_hash(&k), h0, "addr_b byte");
	}
	k = base;
	k.port_a++;
	ASSERT_NEQ(colo_key_hash(&k), h0, "port_a");
	k = base;
	k.port_b ^= 0x8000;
	ASSERT_NEQ(colo_key_hash(&k), h0, "port_b");
	k = base;
	k.proto = 17;
	ASSERT_NEQ(colo_key_hash(&k), h0, "proto");
	k = base;
	k.family = 6;
	ASSERT_NEQ(colo_key_hash(&k), h0, "family");
	/* swapping the ports is a different key, so a different hash */
	k = base;
	k.port_a = base.port_b;
	k.port_b = base.port_a;
	ASSERT_NEQ(colo_key_hash(&k), h0, "ports swapped");
	/* padding is not part of the key */
	k = base;
	k.pad[0] = 0xff;
	k.pad[1] = 0x01;
	ASSERT_EQ(colo_key_hash(&k), h0, "pad ignored");

	/* a crude spread check: 4096 ports hit most of 256 buckets */
	{
		uint8_t seen[256] = { 0 };
		int used = 0;

		for (i = 0; i < 4096; i++) {
			k = base;
			k.port_a = (uint16_t)i;
			seen[colo_key_hash(&k) & 0xff] = 1;
		}
		for (i = 0; i < 256; i++)
			used += seen[i];
		ASSERT_TRUE(used > 240, "spread");
	}
}

/* ---- metadata ---- */

static void test_meta_roundtrip(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *tc = &cases[i];
		uint8_t buf[FRAME_BUF];
		struct colo_pkt p, q;
		struct colo_meta m;
		size_t len;

		if (tc->result != COLO_PARSE_OK)
			continue;
		struct frame_info fi;

		len = frame_build_info(&tc->spec, buf, sizeof(buf), &fi);
		if (tc->mutate)
			tc->mutate(buf, &len, &fi);
		if (!ASSERT_EQ(colo_parse(buf, buf + len, &p), COLO_PARSE_OK,
			       tc->name))
			continue;
		colo_meta_from_pkt(&p, COLO_ROLE_SECONDARY, &m);
		ASSERT_EQ(m.magic, COLO_META_MAGIC, tc->name);
		ASSERT_EQ(m.role, COLO_ROLE_SECONDARY, tc->name);
		ASSERT_EQ(m.hash, p.hash, tc->name);
		memset(&q, 0xa5, sizeof(q));
		ASSERT_OK(colo_pkt_from_meta(buf, buf + len, &m, &q), tc->name);
		ASSERT_MEMEQ(&q, &p, sizeof(p), tc->name);
	}
}

struct meta_bad {
	const char *name;
	void (*spoil)(struct colo_meta *m, size_t *len);
};

static void m_magic(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->magic ^= 1;
}

static void m_hash(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->hash++;
}

static void m_l3_off_odd(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->l3_off++;
}

static void m_l3_off_13(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->l3_off = 13;
}

static void m_l3_off_deep(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->l3_off = 14 + 4 * (COLO_MAX_VLAN_DEPTH + 1);
}

static void m_l3_end_past_frame(struct colo_meta *m, size_t *len)
{
	m->l3_end = (uint16_t)(*len + 1);
}

static void m_frame_cut(struct colo_meta *m, size_t *len)
{
	*len = m->l3_end - 1;
}

static void m_l4_off_before_ip_end(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->l4_off = m->l3_off + 19;
}

static void m_l4_off_past_end(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->l4_off = m->l3_end + 1;
}

/* offsets that fit but point at the wrong bytes: caught by the hash */
static void m_l4_shifted(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->l4_off += 4;
	m->payload_off += 4;
}

static void m_payload_before_l4(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->payload_off = m->l4_off - 1;
}

static void m_payload_past_end(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->payload_off = m->l3_end + 1;
}

static void m_tcp_hlen_too_short(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->payload_off = m->l4_off + 19;
}

static void m_proto_udp(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->l4proto = 17; /* header length 20 does not fit UDP */
}

static void m_proto_unknown(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->l4proto = 99; /* HAS_L4 for a protocol we never parse */
}

static void m_no_l4_with_payload(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->flags &= ~COLO_PF_HAS_L4;
}

static void m_l3_bad(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->l3 = 5;
}

static void m_l3_six(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->l3 = COLO_L3_IPV6;
}

static void m_ethertype(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->ethertype = ETH_P_IPV6;
}

static void m_flags_unknown(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->flags |= 0x80;
}

static void m_flags_non_ip(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->flags |= COLO_PF_NON_IP;
}

static void m_l3_none(struct colo_meta *m, size_t *len)
{
	(void)len;
	m->l3 = COLO_L3_NONE;
	m->flags = COLO_PF_NON_IP;
}

static const struct meta_bad meta_bad[] = {
	{ "magic", m_magic },
	{ "hash", m_hash },
	{ "l3_off_odd", m_l3_off_odd },
	{ "l3_off_13", m_l3_off_13 },
	{ "l3_off_too_deep", m_l3_off_deep },
	{ "l3_end_past_frame", m_l3_end_past_frame },
	{ "frame_shorter_than_l3_end", m_frame_cut },
	{ "l4_off_inside_ip_header", m_l4_off_before_ip_end },
	{ "l4_off_past_l3_end", m_l4_off_past_end },
	{ "l4_shifted", m_l4_shifted },
	{ "payload_before_l4", m_payload_before_l4 },
	{ "payload_past_l3_end", m_payload_past_end },
	{ "tcp_header_too_short", m_tcp_hlen_too_short },
	{ "l4proto_udp", m_proto_udp },
	{ "l4proto_unknown", m_proto_unknown },
	{ "has_l4_cleared", m_no_l4_with_payload },
	{ "l3_invalid", m_l3_bad },
	{ "l3_ipv6_on_ipv4", m_l3_six },
	{ "ethertype", m_ethertype },
	{ "flags_unknown", m_flags_unknown },
	{ "flags_non_ip", m_flags_non_ip },
	{ "l3_none_on_ipv4", m_l3_none },
};

static void test_meta_refused(void)
{
	struct frame_spec s = frame_tcp(4, 1, 2, FRAME_TCP_ACK, pl, 64);
	uint8_t buf[FRAME_BUF];
	struct colo_pkt p, q;
	struct colo_meta m0, m;
	size_t len0, len, i;

	s.nvlan = 1;
	len0 = frame_build(&s, buf, sizeof(buf));
	if (!ASSERT_EQ(colo_parse(buf, buf + len0, &p), COLO_PARSE_OK, "parse"))
		return;
	colo_meta_from_pkt(&p, COLO_ROLE_PRIMARY, &m0);
	ASSERT_OK(colo_pkt_from_meta(buf, buf + len0, &m0, &q), "baseline");

	for (i = 0; i < sizeof(meta_bad) / sizeof(meta_bad[0]); i++) {
		m = m0;
		len = len0;
		meta_bad[i].spoil(&m, &len);
		ASSERT_TRUE(colo_pkt_from_meta(buf, buf + len, &m, &q) < 0,
			    meta_bad[i].name);
	}

	/* a frame changed after the metadata was written: hash mismatch */
	buf[p.l3_off + 15] ^= 1; /* source address */
	ASSERT_TRUE(colo_pkt_from_meta(buf, buf + len0, &m0, &q) < 0,
		    "frame changed");

	/* stale metadata of a non-IP frame on an IP frame */
	{
		struct frame_spec arp = { .ethertype = 0x0806, .payload = pl,
					  .payload_len = 28 };
		uint8_t b2[FRAME_BUF];
		size_t n = frame_build(&arp, b2, sizeof(b2));

		ASSERT_EQ(colo_parse(b2, b2 + n, &p), COLO_PARSE_OK, "arp");
		colo_meta_from_pkt(&p, COLO_ROLE_PRIMARY, &m);
		ASSERT_OK(colo_pkt_from_meta(b2, b2 + n, &m, &q), "arp meta");
		ASSERT_TRUE(colo_pkt_from_meta(b2, b2 + n - 1, &m, &q) < 0,
			    "arp meta, frame shorter");
		m.ethertype = ETH_P_IP;
		ASSERT_TRUE(colo_pkt_from_meta(b2, b2 + n, &m, &q) < 0,
			    "arp meta with IP ethertype");
	}
}

/* frames longer than COLO_FRAME_MAX_LEN are parsed as if cut there */
static void test_huge_frame(void)
{
	static uint8_t big[COLO_FRAME_MAX_LEN + 1000];
	struct frame_spec s = { .ethertype = 0x88b5, .min_len = sizeof(big) };
	struct colo_pkt p;
	size_t len = frame_build(&s, big, sizeof(big));

	ASSERT_EQ(len, sizeof(big), "build");
	ASSERT_EQ(colo_parse(big, big + len, &p), COLO_PARSE_OK, "parse");
	ASSERT_EQ(p.l3_end, COLO_FRAME_MAX_LEN, "l3_end");
}

/* the frame builder's own checksums, which other tests rely on */
static void test_frames_csum(void)
{
	static const uint8_t protos[] = { FRAME_TCP, FRAME_UDP, FRAME_UDPLITE,
					  FRAME_SCTP, FRAME_DCCP, FRAME_ICMP };
	uint8_t buf[FRAME_BUF];
	struct frame_info fi;
	size_t i;
	int f;

	for (f = 4; f <= 6; f += 2) {
		for (i = 0; i < sizeof(protos); i++) {
			struct frame_spec s = frame_tcp(f, 5, 6, 0, pl, 33);

			s.proto = protos[i];
			if (s.proto == FRAME_ICMP && f == 6)
				s.proto = FRAME_ICMPV6;
			ASSERT_NEQ(frame_build_info(&s, buf, sizeof(buf), &fi),
				   0, "build");
			if (f == 4)
				ASSERT_TRUE(frame_ip4_csum_ok(buf, &fi), "ip4");
			ASSERT_TRUE(frame_l4_csum_ok(buf, &fi), "l4");
			buf[fi.payload_off] ^= 0x10;
			ASSERT_FALSE(frame_l4_csum_ok(buf, &fi), "l4 changed");
			frame_fix_csums(buf, &fi);
			ASSERT_TRUE(frame_l4_csum_ok(buf, &fi), "l4 fixed");
		}
	}
	/* a well-known IPv4 header and its checksum */
	{
		/* 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7 */
		struct frame_spec s = { .family = 4, .proto = FRAME_UDP,
					.src = "192.168.0.1",
					.dst = "192.168.0.199",
					.dont_frag = true, .payload = pl,
					.payload_len = 0x73 - 28 };

		frame_build_info(&s, buf, sizeof(buf), &fi);
		ASSERT_EQ(frame_get16(buf, fi.l3_off + 10), 0xb861,
			  "ip4 known");
	}
}

int main(int argc, char **argv)
{
	size_t i;

	test__init(argc, argv);
	frame_pattern(pl, sizeof(pl), 42);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		RUN_SUBTEST(cases[i].name, run_case, &cases[i]);
	RUN_SUBTEST("both_directions_one_key", test_both_directions);
	RUN_SUBTEST("endpoint_order", test_order);
	RUN_SUBTEST("key_hash", test_hash);
	RUN_SUBTEST("meta_roundtrip", test_meta_roundtrip);
	RUN_SUBTEST("meta_refused", test_meta_refused);
	RUN_SUBTEST("huge_frame", test_huge_frame);
	RUN_SUBTEST("frames_csum", test_frames_csum);

	return test__summary("test_parse");
}
