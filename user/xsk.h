/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xsk.h - one UMEM shared by every AF_XDP socket of an instance, its free
 * frame pool, and the sockets ("ports") on the primary, secondary and out
 * interfaces.
 *
 * All ports share the UMEM, so a primary frame received on the primary
 * interface is released by posting its address on the out port's TX ring:
 * no copy. Each port has its own fill and completion rings (required when
 * the sockets are on different devices). Single-threaded: no locks.
 */
#ifndef COLO_XSK_H
#define COLO_XSK_H

#include <stdbool.h>
#include <linux/types.h>
#include <xdp/xsk.h>

#ifndef COLO_FRAME_SIZE
#define COLO_FRAME_SIZE 4096 /* one page per frame: MTU-sized frames fit with headroom */
#endif
/* Longest frame a socket takes: the kernel keeps XDP_PACKET_HEADROOM in front. */
#define COLO_MAX_FRAME_LEN (COLO_FRAME_SIZE - 256)
#ifndef COLO_RING_SIZE
#define COLO_RING_SIZE 2048 /* RX, TX, fill and completion rings */
#endif
#define COLO_RX_BATCH 64
#define COLO_FILL_BATCH 32 /* fill rings are topped up this many frames at a time */

enum port_kind {
	PORT_PRIMARY = 0, /* same values as enum colo_role */
	PORT_SECONDARY = 1,
	PORT_OUT = 2,
};

/* Application-side counters of a port (next to the kernel's XDP_STATISTICS). */
struct port_stats {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 rx_empty_polls;
	__u64 fill_fail_polls;  /* the pool had no frame for the fill ring */
	__u64 tx_packets;       /* completed transmissions */
	__u64 tx_bytes;         /* posted to the TX ring */
	__u64 tx_wakeup_sendtos;
	__u64 tx_kick_errors;
};

struct xsk_port {
	enum port_kind kind;
	char ifname[16];
	int ifindex;
	__u32 queue;
	struct xsk_socket *xsk;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	__u32 outstanding_tx;
	__u32 fill_cap;   /* most frames kept on the fill ring (0: ring size) */
	struct port_stats st;
};

/* The UMEM and its pool of free frames (base addresses). */
struct umem_area {
	void *area;
	__u64 size;
	__u32 frame_size;
	__u32 nr_frames;
	struct xsk_umem *umem;
	__u64 *free;      /* stack of free frame base addresses */
	__u32 nr_free;
	bool first_used;  /* the UMEM's own fill/comp rings went to the first port */
	struct xsk_ring_prod fq0;
	struct xsk_ring_cons cq0;
};

int umem_create(struct umem_area *u, __u32 nr_frames);
/* Fails with -EBUSY while sockets still use it. */
int umem_destroy(struct umem_area *u);

static inline void umem_free_frame(struct umem_area *u, __u64 addr)
{
	u->free[u->nr_free++] = xsk_umem__extract_addr(addr);
}

static inline void *umem_data(const struct umem_area *u, __u64 addr)
{
	return xsk_umem__get_data(u->area, addr);
}

/*
 * Creates the socket of port p on (p->ifname, p->queue), with an RX ring for
 * primary/secondary and a TX ring for out, bound in copy or driver mode
 * (copy: XDP_COPY), with XDP_USE_NEED_WAKEUP. rx ports are registered in
 * xskmap_fd at their queue index and their fill ring is filled.
 */
int port_open(struct umem_area *u, struct xsk_port *p, bool copy_mode,
	      int xskmap_fd);
void port_close(struct umem_area *u, struct xsk_port *p);

/*
 * Gives free frames to the fill ring, up to its fill_cap, once at least
 * COLO_FILL_BATCH (or half the cap) are missing.
 */
void port_refill(struct umem_area *u, struct xsk_port *p);
/*
 * Returns completed TX frames to the pool, telling sent(ctx, addr) first
 * if it is not NULL.
 */
void port_drain_completions(struct umem_area *u, struct xsk_port *p,
			    void (*sent)(void *ctx, __u64 addr), void *ctx);
/* Posts one frame on the TX ring; -ENOBUFS if the ring is full. */
int port_tx(struct xsk_port *p, __u64 addr, __u32 len);
/* Frames on the TX ring the kernel has not taken yet. */
__u32 port_tx_pending(struct xsk_port *p);
/* Makes the kernel send what is on the TX ring (copy mode: 32 per call). */
void port_kick_tx(struct xsk_port *p);
/* Asks the kernel for RX work if the fill ring wants a wakeup. */
void port_wakeup_rx(struct xsk_port *p);

int port_fd(const struct xsk_port *p);
/* The kernel's XDP_STATISTICS of the socket. */
int port_xdp_stats(const struct xsk_port *p, struct xdp_statistics *st);

#endif /* COLO_XSK_H */
