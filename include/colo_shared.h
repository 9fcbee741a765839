/* SPDX-License-Identifier: GPL-2.0 */
/*
 * colo_shared.h - the ABI between colo-xdp's BPF programs and its daemon.
 *
 * Everything here is seen by both sides: map keys and values, the XDP
 * metadata that travels in front of each captured frame, the counters and
 * the load-time configuration. Only fixed-width types, explicit padding.
 */
#ifndef COLO_SHARED_H
#define COLO_SHARED_H

#ifndef __VMLINUX_H__ /* the BPF side gets these types from vmlinux.h */
#include <linux/types.h>
#endif

/* Limits, overridable at build time. */
#ifndef COLO_MAX_QUEUES
#define COLO_MAX_QUEUES 64 /* RX queues per captured interface */
#endif
#ifndef COLO_CONN_MAP_SIZE
#define COLO_CONN_MAP_SIZE 65536 /* default entries of the per-connection LRU map */
#endif
#define COLO_MAX_VLAN_DEPTH 2 /* 802.1Q/802.1ad tags parsed */
#define COLO_MAX_IPV6_EXTHDRS 8 /* extension headers walked before giving up */

/* Who sent a captured frame. */
enum colo_role {
	COLO_ROLE_PRIMARY = 0,
	COLO_ROLE_SECONDARY = 1,
	COLO_ROLE__MAX,
};

/*
 * Result of parsing one frame. 0 is a frame we can key; the rest are reasons
 * a frame was refused. The BPF program drops refused frames (they cannot be
 * keyed, so they cannot be compared, and releasing them unchecked would let a
 * diverged primary leak output) and counts them by reason.
 */
enum colo_parse_result {
	COLO_PARSE_OK = 0,
	COLO_PARSE_ERR_ETH_TRUNC,     /* shorter than an Ethernet header */
	COLO_PARSE_ERR_VLAN_TRUNC,    /* VLAN tag cut short */
	COLO_PARSE_ERR_VLAN_DEPTH,    /* more than COLO_MAX_VLAN_DEPTH tags */
	COLO_PARSE_ERR_IP4_TRUNC,     /* IPv4 header cut short */
	COLO_PARSE_ERR_IP4_IHL,       /* IHL < 5 or header beyond the frame */
	COLO_PARSE_ERR_IP4_LEN,       /* total length < IHL or beyond the frame */
	COLO_PARSE_ERR_IP6_TRUNC,     /* IPv6 header cut short */
	COLO_PARSE_ERR_IP6_LEN,       /* payload length beyond the frame */
	COLO_PARSE_ERR_IP6_EXTHDR,    /* extension header chain cut short or too long */
	COLO_PARSE_ERR_L4_TRUNC,      /* TCP/UDP/SCTP/DCCP/ICMP header cut short */
	COLO_PARSE_ERR_TCP_DOFF,      /* TCP data offset < 5 or beyond the packet */
	COLO_PARSE_ERR_IP_VERSION,    /* version field disagrees with the ethertype */
	COLO_PARSE__MAX,
};

/* L3 kind of a parsed frame. */
enum colo_l3 {
	COLO_L3_NONE = 0, /* not IP: ARP, LLDP, ...; key.port_a holds the ethertype */
	COLO_L3_IPV4 = 4,
	COLO_L3_IPV6 = 6,
};

/* struct colo_meta.flags / struct colo_pkt.flags */
#define COLO_PF_FRAGMENT   0x01 /* an IP fragment; non-first ones carry no ports */
#define COLO_PF_SWAPPED    0x02 /* key endpoints were swapped to normalise direction */
#define COLO_PF_HAS_L4     0x04 /* l4_off/payload_off point at a parsed L4 header */
#define COLO_PF_NON_IP     0x08 /* not IPv4/IPv6 */

/*
 * Direction-normalised connection key: endpoint "a" is the lower of the two
 * (address, port) pairs, so both directions of a connection give one key.
 * IPv4 addresses are stored v4-mapped (::ffff:a.b.c.d). Ports are in host
 * byte order; ICMP/ICMPv6 echo puts the echo id in both ports; non-IP frames
 * put the ethertype in port_a.
 */
struct colo_conn_key {
	__be32 addr_a[4];
	__be32 addr_b[4];
	__u16 port_a;
	__u16 port_b;
	__u8 proto;  /* IP protocol number, 0 for non-IP */
	__u8 family; /* enum colo_l3 */
	__u8 pad[2];
};

/*
 * What the parser learns about a frame. Offsets are from the start of the
 * Ethernet header. l3_end is where the IP packet ends: frames may carry
 * Ethernet padding past it, which is never compared or hashed.
 */
struct colo_pkt {
	struct colo_conn_key key;
	__u32 hash;        /* colo_key_hash(&key) */
	__u16 l3_off;
	__u16 l4_off;      /* valid with COLO_PF_HAS_L4 */
	__u16 payload_off; /* valid with COLO_PF_HAS_L4: first byte after the L4 header */
	__u16 l3_end;
	__u16 ethertype;   /* innermost, host byte order */
	__u8 l3;           /* enum colo_l3 */
	__u8 l4proto;      /* IP protocol of the L4 header (after IPv6 ext headers) */
	__u8 flags;        /* COLO_PF_* */
	__u8 pad[3];
};

/*
 * XDP metadata placed in front of each frame redirected to an AF_XDP socket
 * (bpf_xdp_adjust_meta; the kernel copies it into the UMEM in copy mode).
 * At most 32 bytes, a multiple of 4. The daemon checks the magic and clears
 * it after reading, so a stale copy in a recycled UMEM frame is never trusted;
 * without it (a driver without metadata support) it parses the frame itself.
 */
#define COLO_META_MAGIC 0xC010DA7AU
struct colo_meta {
	__u32 magic;
	__u32 hash;
	__u16 l3_off;
	__u16 l4_off;
	__u16 payload_off;
	__u16 l3_end;
	__u16 ethertype;
	__u8 role;  /* enum colo_role */
	__u8 l3;    /* enum colo_l3 */
	__u8 l4proto;
	__u8 flags; /* COLO_PF_* */
	__u8 pad[2];
	__u64 rx_ns; /* bpf_ktime_get_ns() in XDP: CLOCK_MONOTONIC, for latency */
};

/* Per-CPU counters of the BPF programs, index of the colo_stats array. */
enum colo_counter {
	COLO_CNT_PRI_RX = 0,       /* frames seen on the primary interface */
	COLO_CNT_SEC_RX,           /* frames seen on the secondary interface */
	COLO_CNT_PRI_TO_XSK,       /* primary frames redirected to the daemon */
	COLO_CNT_SEC_TO_XSK,       /* secondary frames redirected to the daemon */
	COLO_CNT_PRI_FAIL_OPEN,    /* no socket: primary frame passed on (--primary-fail open) */
	COLO_CNT_PRI_FAIL_CLOSED,  /* no socket: primary frame dropped (--primary-fail closed) */
	COLO_CNT_SEC_NO_XSK,       /* no socket: secondary frame dropped */
	COLO_CNT_PRI_MALFORMED,    /* primary frames dropped by the parser */
	COLO_CNT_SEC_MALFORMED,    /* secondary frames dropped by the parser */
	COLO_CNT_META_FAIL,        /* bpf_xdp_adjust_meta refused; frame sent without metadata */
	COLO_CNT_MIRROR_IN,        /* frames from --out mirrored to primary and secondary */
	COLO_CNT_MIRROR_CLONE_ERR, /* clone to the secondary failed */
	COLO_CNT_FAILOPEN_FWD,     /* passed primary frames forwarded to --out by tc */
	COLO_CNT_MIRROR_REWRITE,   /* mirrored TCP frames whose ACK/SACK were translated for the secondary */
	COLO_CNT_MIRROR_REWRITE_ERR, /* translation failed (headers unreadable): frame not sent to the secondary */
	COLO_CNT_PRI_OVERSIZE,     /* primary frames too large for a UMEM frame (guest GSO/TSO), dropped */
	COLO_CNT_SEC_OVERSIZE,     /* the same from the secondary */
	COLO_CNT_PARSE_ERR_BASE,   /* + enum colo_parse_result: malformed by reason */
	COLO_CNT__MAX = COLO_CNT_PARSE_ERR_BASE + COLO_PARSE__MAX,
};

/* Value of the colo_stats per-CPU array. */
struct colo_datarec {
	__u64 packets;
	__u64 bytes;
};

/* Value of the colo_conns LRU map, keyed by struct colo_conn_key. */
struct colo_conn_stats {
	__u64 pri_packets;
	__u64 pri_bytes;
	__u64 sec_packets;
	__u64 sec_bytes;
	__u64 last_seen_ns; /* bpf_ktime_get_ns() of the last frame */
};

/*
 * Value of the colo_seq map, keyed by struct colo_conn_key: how the
 * secondary's TCP sequence space sits relative to the primary's. The
 * daemon writes it when the comparator learns it from the two SYN(/ACK)s;
 * the mirror path adds offset to the ACK number and SACK blocks of what
 * the network sends the secondary, and ts_offset to the TSecr of its TCP
 * timestamp option: the client echoes the primary's TSval, and a guest may
 * refuse an echo of a value it never sent (Linux 6.x does in the
 * handshake). A checkpoint makes both 0 (entries are deleted).
 */
struct colo_seq_state {
	__u32 offset;    /* secondary ISN - primary ISN, mod 2^32 */
	__u32 ts_offset; /* secondary SYN TSval - primary SYN TSval: added to TSecr */
};

/* struct colo_config.flags */
#define COLO_CFG_PRIMARY_FAIL_OPEN 0x1 /* no socket: pass primary frames on */
#define COLO_CFG_NO_CONN_STATS     0x2 /* no per-frame colo_conns update */

/* Load-time configuration (const volatile rodata of the BPF object). */
struct colo_config {
	__u32 out_ifindex;       /* where fail-open primary frames go */
	__u32 primary_ifindex;   /* mirror target */
	__u32 secondary_ifindex; /* mirror target */
	__u32 flags;             /* COLO_CFG_* */
	__u32 max_frame_len;     /* longest frame an AF_XDP socket takes; 0: no limit */
};

#endif /* COLO_SHARED_H */
