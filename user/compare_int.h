/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compare_int.h - the comparator's private state, shared by compare.c (API,
 * queues, connections, timers), compare_dgram.c (datagrams, non-IP) and
 * compare_tcp.c (TCP byte streams). Not for other modules; the unit test
 * uses cmp__check().
 *
 * Memory is fixed at cmp_new(): one frame record per UMEM chunk (a frame is
 * found by addr >> log2(frame_size), so queueing never allocates) and one
 * connection per conntable slot. Queues and lists are index-linked.
 */
#ifndef COLO_COMPARE_INT_H
#define COLO_COMPARE_INT_H

#include <stdbool.h>
#include <linux/types.h>

#include "colo_shared.h"
#include "compare.h"
#include "conntable.h"

#define CMP_NIL 0xffffffffu

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

#define PRI COLO_ROLE_PRIMARY
#define SEC COLO_ROLE_SECONDARY

/* struct frec.fl */
#define FR_HELD    0x01 /* queued on a connection */
#define FR_TCP     0x02 /* seq/ack/tflags/plen are valid */
#define FR_CONTRIB 0x04 /* some of its payload took part in a compare */

/* One per UMEM chunk; what the comparator keeps of a held frame. */
struct frec {
	__u64 addr;
	__u64 ts;            /* arrival */
	__u32 len;
	__u32 next, prev;    /* queue links (frame indexes) */
	__u32 conn;
	__u16 l3_off, l4_off, payload_off, l3_end;
	__u8 l3, l4proto, pflags, role;
	__u8 fl;             /* FR_* */
	__u8 tflags;         /* TCP flags */
	__u16 win;           /* TCP window field, unscaled */
	__u32 seq;           /* TCP sequence number, sender's space */
	__u32 ack;
	__u32 plen;          /* TCP payload bytes */
};

struct fq {
	__u32 head, tail, len;
};

/* Which list a connection is on; it is always on exactly one. */
enum {
	CL_FREE = 0, /* slot unused */
	CL_IDLE,     /* queues empty: expires after idle_timeout */
	CL_CLOSED,   /* queues empty, TCP closed: expires after linger */
	CL_HELD,     /* holds frames: scanned by cmp_tick() */
	CL__MAX,
};

enum { CK_DGRAM = 0, CK_TCP };

/* struct conn.fl */
#define CF_DIVERGED 0x01 /* miscompared: frozen until a flush */
#define CF_QFULL    0x02 /* a full queue was reported */
#define CF_TO_PRI   0x04 /* the primary head's timeout was reported */
#define CF_TO_SEC   0x08
#define CF_CLOSED   0x10 /* TCP: the primary's FIN or RST went out */

/* struct tcp_conn.st */
#define TS_ISN(r)  (0x001u << (r)) /* isn[r] known (SYN seen) */
#define TS_FIN(r)  (0x004u << (r)) /* fin[r] known */
#define TS_RST(r)  (0x010u << (r)) /* side r sent an RST */
#define TS_ACK(r)  (0x040u << (r)) /* max_ack[r] valid */
#define TS_END(r)  (0x100u << (r)) /* max_end[r] valid */
#define TS_SCAN(r) (0x400u << (r)) /* queue r not searched at compare_seq */
#define TS_STARTED 0x1000u         /* compare_seq and seq_offset are set */
#define TS_TSV(r)  (0x4000u << (r)) /* tsval[r] known (timestamp in the SYN) */
#define TS_SWIN    0x10000u        /* sec_win valid */

/*
 * TCP stream state of the guest -> network direction. Sequence numbers of
 * the secondary are in its own space until compared: minus seq_offset.
 */
struct tcp_conn {
	__u32 isn[COLO_ROLE__MAX];
	__u32 fin[COLO_ROLE__MAX];     /* sequence number of the FIN */
	__u32 max_ack[COLO_ROLE__MAX];
	__u32 max_end[COLO_ROLE__MAX]; /* highest end of data (+SYN) sent */
	__u32 hint[COLO_ROLE__MAX];    /* frame holding compare_seq, maybe */
	__u32 seq_offset;              /* secondary ISN - primary ISN */
	__u32 tsval[COLO_ROLE__MAX];   /* TSval of each side's SYN */
	__u32 compare_seq;             /* primary space: compared up to here */
	__u32 sec_win;                 /* window of the secondary's max_ack */
	__u32 base;                    /* stream offset 0 (primary space) */
	__u32 st;                      /* TS_* */
};

struct conn {
	struct fq q[COLO_ROLE__MAX];
	__u32 lprev, lnext;   /* list links (slot numbers) */
	__u8 list;            /* CL_* */
	__u8 kind;            /* CK_* */
	__u8 l4proto;
	__u8 fl;              /* CF_* */
	__u64 created_ns;
	__u64 last_ns;        /* last frame in */
	__u64 list_ns;        /* put on its idle/closed list */
	struct tcp_conn tcp;
};

struct clist {
	__u32 head, tail, len;
};

struct comparator {
	struct cmp_config cfg;
	struct cmp_ops ops;
	void *ctx;
	__u8 *umem;
	__u32 shift;          /* log2(frame_size) */
	struct frec *fr;      /* nr_frames */
	struct conn *conns;   /* max_conns, by conntable slot */
	struct conntable ct;
	struct clist lists[CL__MAX];
	struct cmp_stats st;
	__u64 now;
	bool table_full_reported;
};

static inline __u32 conn_idx(const struct comparator *c, const struct conn *k)
{
	return (__u32)(k - c->conns);
}

static inline __u8 *fr_data(const struct comparator *c, const struct frec *f)
{
	return c->umem + f->addr;
}

static inline bool seq_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

static inline bool seq_after(__u32 a, __u32 b)
{
	return seq_before(b, a);
}

/* compare.c */
void cmp__release(struct comparator *c, struct conn *k, __u32 fi);
void cmp__drop(struct comparator *c, struct conn *k, __u32 fi,
	       enum cmp_drop_reason why);
/* Drops a frame that was never queued (no record is touched). */
void cmp__drop_addr(struct comparator *c, __u64 addr,
		    enum cmp_drop_reason why);
/* Appends to the role's queue; false (frame dropped, reported) when full. */
bool cmp__enqueue(struct comparator *c, struct conn *k, __u32 fi);
void cmp__event_init(const struct comparator *c, const struct conn *k,
		     struct cmp_event *ev, enum cmp_reason why,
		     enum colo_role role);
void cmp__event_what(struct cmp_event *ev, const char *what);
void cmp__excerpt(__u8 *dst, __u8 *dst_len, const __u8 *p, __u32 avail);
void cmp__diverge(struct comparator *c, struct conn *k,
		  const struct cmp_event *ev);
/*
 * Checks every invariant (queue links, counters, frames in = released +
 * dropped + held, lists); returns 0 or -1 after printing what is wrong.
 */
int cmp__check(const struct comparator *c);

/* compare_dgram.c */
void dgram_run(struct comparator *c, struct conn *k);

/* compare_tcp.c */
void tcp_conn_init(struct conn *k);
void tcp_fill(const struct comparator *c, struct frec *f);
/* Takes the frame (queued, consumed or dropped). */
void tcp_input(struct comparator *c, struct conn *k, __u32 fi);
void tcp_flush_state(struct conn *k);
void tcp_unlinked(struct conn *k, __u32 fi, enum colo_role role);
const char *tcp_wait_reason(const struct conn *k, const struct frec *f);
__u32 tcp_stream_off(const struct conn *k, const struct frec *f);
/*
 * Lowers a primary frame's window to the secondary's (before its checksum
 * is recomputed); true if it did.
 */
bool tcp_clamp_window(const struct comparator *c, const struct conn *k,
		      struct frec *f);

#endif /* COLO_COMPARE_INT_H */
