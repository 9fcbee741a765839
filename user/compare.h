/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compare.h - the comparator: per-connection primary and secondary queues,
 * comparison per protocol, release in the primary's order, flush on
 * checkpoint.
 *
 * The comparator knows nothing of sockets. Frames live in one memory region
 * (the UMEM) of nr_frames chunks of frame_size bytes; a frame is named by
 * its offset in that region ("addr", which may point past the chunk start,
 * as AF_XDP descriptors do). cmp_input() takes ownership of a frame; the
 * comparator gives it back exactly once, through ops->release (send it) or
 * ops->drop (free it). Everything is single-threaded and bounded: at most
 * max_conns connections, at most max_queue frames per side per connection,
 * and never more frames than the region holds.
 */
#ifndef COLO_COMPARE_H
#define COLO_COMPARE_H

#include <stdbool.h>
#include <linux/types.h>

#include "colo_shared.h"

/* Why a frame was given back through ops->drop. */
enum cmp_drop_reason {
	CMP_DROP_MATCHED = 0,  /* secondary frame consumed by a successful compare */
	CMP_DROP_RETRANS,      /* secondary TCP data already compared */
	CMP_DROP_FLUSH,        /* secondary frame discarded by a checkpoint flush */
	CMP_DROP_QUEUE_FULL,   /* the connection's queue for that side was full */
	CMP_DROP_TABLE_FULL,   /* no connection could be created */
	CMP_DROP_NON_IP,       /* secondary non-IP frame with --non-ip pass */
	CMP_DROP_SHUTDOWN,     /* held when the comparator was destroyed */
	CMP_DROP_INVALID,      /* addr/len outside the region, parse offsets that
				* do not fit the frame, or an addr already held */
	CMP_DROP__MAX,
};

/* Why the comparator asks for a checkpoint. */
enum cmp_reason {
	CMP_REASON_MISCOMPARE = 0, /* primary and secondary output differ */
	CMP_REASON_TIMEOUT,        /* a frame waited longer than compare_timeout */
	CMP_REASON_QUEUE_FULL,     /* a connection queue was full */
	CMP_REASON_TABLE_FULL,     /* the connection table was full */
	CMP_REASON__MAX,
};

/* A divergence: reported through ops->divergence, each one asks for a checkpoint. */
struct cmp_event {
	enum cmp_reason reason;
	enum colo_role role;        /* side of the frame concerned (timeouts, full queues) */
	struct colo_conn_key key;
	__u8 l4proto;
	/*
	 * Miscompare detail: the first differing byte, counted from the start
	 * of the L4 payload for datagrams (of the IP header for fragments and
	 * unknown protocols, "packet"; after the Ethernet header for non-IP,
	 * "frame"; 0 when a header field differs), from the start of the
	 * stream (first byte after the SYN) for TCP; what names the field or
	 * event ("payload", "length", "fin", "icmp-type", "header", ...).
	 */
	__u32 offset;
	char what[24];
	__u8 pri_excerpt[16];       /* bytes from offset on, as far as each side has */
	__u8 sec_excerpt[16];
	__u8 pri_excerpt_len;
	__u8 sec_excerpt_len;
	/* The frames compared (valid during the callback only), or ~0ULL. */
	__u64 pri_addr, sec_addr;
	__u32 pri_len, sec_len;
};

/* Callbacks run inside cmp_*() calls and must not call back into it. */
struct cmp_ops {
	/* Send a primary frame (its L4 checksum already made correct). */
	void (*release)(void *ctx, __u64 addr, __u32 len);
	/* Free a frame. */
	void (*drop)(void *ctx, __u64 addr, enum cmp_drop_reason why);
	/* A divergence was found: the caller asks for a checkpoint. */
	void (*divergence)(void *ctx, const struct cmp_event *ev);
	/*
	 * Optional. A TCP connection's sequence offset (secondary ISN -
	 * primary ISN) and timestamp offset (secondary TSval - primary TSval
	 * in the SYNs, 0 without timestamps) were learnt from its two
	 * SYN(/ACK)s, before any frame
	 * of it is released: the caller tells the mirror path, which
	 * translates what the network sends the secondary. cmp_flush()
	 * resets every offset to 0 without calling this.
	 */
	void (*seq_offset)(void *ctx, const struct colo_conn_key *key,
			   __u32 offset, __u32 ts_offset);
};

struct cmp_config {
	void *umem;              /* start of the frame region */
	__u32 frame_size;        /* chunk size, a power of two */
	__u32 nr_frames;         /* chunks in the region */
	__u32 max_conns;         /* --max-conns */
	__u32 max_queue;         /* --max-queue: frames per side per connection */
	__u64 compare_timeout_ns; /* --compare-timeout */
	__u64 idle_timeout_ns;   /* a connection with empty queues idle this long is expired */
	__u64 linger_ns;         /* a closed TCP connection is kept this long */
	bool non_ip_compare;     /* --non-ip compare (else pass) */
};

/* Counters; frames in = released + dropped + held at every moment. */
struct cmp_stats {
	__u64 rx_packets[COLO_ROLE__MAX];
	__u64 rx_bytes[COLO_ROLE__MAX];
	__u64 released_packets;
	__u64 released_bytes;
	__u64 passed_non_ip;          /* primary non-IP released unchecked (included in released) */
	__u64 dropped[CMP_DROP__MAX]; /* by reason */
	__u64 divergences[CMP_REASON__MAX];
	__u64 held[COLO_ROLE__MAX];   /* frames held now */
	__u64 connections;            /* tracked now */
	__u64 conns_created;
	__u64 conns_expired;
	__u64 flushes;
	__u64 csum_fixed;             /* released frames whose L4 checksum was rewritten */
	__u64 windows_clamped;        /* TCP: released with the secondary's smaller window */
};

/* A read-only view of one connection, for listings. */
struct cmp_conn_info {
	struct colo_conn_key key;
	__u8 l4proto;
	bool diverged;               /* waits for a checkpoint */
	__u32 queued[COLO_ROLE__MAX];
	__u64 created_ns;
	__u64 last_ns;
	__u32 seq_offset;            /* TCP: secondary ISN - primary ISN */
};

struct comparator;

/* Returns NULL with errno set. */
struct comparator *cmp_new(const struct cmp_config *cfg,
			   const struct cmp_ops *ops, void *ctx);
/* Drops every held frame (CMP_DROP_SHUTDOWN) and frees the comparator. */
void cmp_free(struct comparator *c);

/*
 * Takes ownership of the frame at addr (len bytes at umem + addr), parsed
 * into *pkt (by the XDP program or colo_parse()). May release or drop this
 * frame and others, and report divergences, before it returns.
 */
void cmp_input(struct comparator *c, enum colo_role role, __u64 addr,
	       __u32 len, const struct colo_pkt *pkt, __u64 now_ns);

/* Timeouts and expiry; call at least every scan interval. */
void cmp_tick(struct comparator *c, __u64 now_ns);

/*
 * A checkpoint completed: release every held primary frame in the order it
 * arrived, drop every held secondary frame, and reset what a checkpoint
 * makes equal (TCP sequence offsets, divergence marks, timers).
 */
void cmp_flush(struct comparator *c, __u64 now_ns);

void cmp_get_stats(const struct comparator *c, struct cmp_stats *st);

/* Calls fn for each connection until it returns non-zero; returns that. */
int cmp_for_each_conn(const struct comparator *c,
		      int (*fn)(const struct cmp_conn_info *ci, void *arg),
		      void *arg);

const char *cmp_reason_str(enum cmp_reason r);
const char *cmp_drop_str(enum cmp_drop_reason r);

#endif /* COLO_COMPARE_H */
