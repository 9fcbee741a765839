// SPDX-License-Identifier: GPL-2.0
/*
 * xsk.c - the UMEM, its free frame pool and the AF_XDP sockets.
 *
 * Frames are 4 KiB chunks of one anonymous mapping. A frame is, at any
 * time, in exactly one place: the free pool, a fill ring, the kernel, an RX
 * ring, the comparator (held), the daemon's pending-TX queue, a TX ring, or
 * a completion ring. The daemon checks that the counts add up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_xdp.h>

#include "log.h"
#include "xsk.h"

int umem_create(struct umem_area *u, __u32 nr_frames)
{
	struct xsk_umem_config cfg = {
		.fill_size = COLO_RING_SIZE,
		.comp_size = COLO_RING_SIZE,
		.frame_size = COLO_FRAME_SIZE,
		.frame_headroom = 0,
		.flags = 0,
	};
	__u32 i;
	int err;

	memset(u, 0, sizeof(*u));
	u->frame_size = COLO_FRAME_SIZE;
	u->nr_frames = nr_frames;
	u->size = (__u64)nr_frames * COLO_FRAME_SIZE;
	/* NORESERVE: untouched frames cost nothing. */
	u->area = mmap(NULL, u->size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (u->area == MAP_FAILED) {
		err = -errno;
		u->area = NULL;
		pr_warn("Failed to map a UMEM of %u frames: %s\n", nr_frames,
			strerror(-err));
		return err;
	}
	u->free = calloc(nr_frames, sizeof(*u->free));
	if (!u->free) {
		err = -ENOMEM;
		goto err_unmap;
	}
	/* Lowest addresses on top, so a quiet daemon touches few pages. */
	for (i = 0; i < nr_frames; i++)
		u->free[i] = (__u64)(nr_frames - 1 - i) * COLO_FRAME_SIZE;
	u->nr_free = nr_frames;

	err = xsk_umem__create(&u->umem, u->area, u->size, &u->fq0, &u->cq0,
			       &cfg);
	if (err) {
		/* Without CAP_IPC_LOCK the UMEM counts against RLIMIT_MEMLOCK. */
		pr_warn("Failed to create the UMEM (%u frames): %s\n",
			nr_frames, strerror(-err));
		goto err_free;
	}
	return 0;

err_free:
	free(u->free);
	u->free = NULL;
err_unmap:
	munmap(u->area, u->size);
	u->area = NULL;
	return err;
}

int umem_destroy(struct umem_area *u)
{
	int err;

	if (u->umem) {
		err = xsk_umem__delete(u->umem);
		if (err)
			return err;
		u->umem = NULL;
	}
	free(u->free);
	u->free = NULL;
	if (u->area)
		munmap(u->area, u->size);
	u->area = NULL;
	return 0;
}

int port_open(struct umem_area *u, struct xsk_port *p, bool copy_mode,
	      int xskmap_fd)
{
	bool rx = p->kind != PORT_OUT;
	struct xsk_socket_config cfg = {
		.rx_size = rx ? COLO_RING_SIZE : 0,
		.tx_size = rx ? 0 : COLO_RING_SIZE,
		/* We own the XDP program: libxdp must not load its own. */
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_USE_NEED_WAKEUP | (copy_mode ? XDP_COPY : 0),
	};
	struct xsk_ring_prod *fq = &p->fq;
	struct xsk_ring_cons *cq = &p->cq;
	int err;

	/*
	 * The first socket takes over the rings xsk_umem__create() made;
	 * libxdp copies them into the port's ring structs.
	 */
	if (!u->first_used) {
		u->first_used = true;
		*fq = u->fq0;
		*cq = u->cq0;
	}
	err = xsk_socket__create_shared(&p->xsk, p->ifname, p->queue, u->umem,
					rx ? &p->rx : NULL, rx ? NULL : &p->tx,
					fq, cq, &cfg);
	if (err) {
		pr_warn("Failed to create an AF_XDP socket on %s queue %u: %s\n",
			p->ifname, p->queue, strerror(-err));
		p->xsk = NULL;
		return err;
	}
	if (rx) {
		err = xsk_socket__update_xskmap(p->xsk, xskmap_fd);
		if (err) {
			pr_warn("Failed to register the socket of %s queue %u: %s\n",
				p->ifname, p->queue, strerror(-err));
			port_close(u, p);
			return err;
		}
		port_refill(u, p);
	}
	return 0;
}

void port_close(struct umem_area *u, struct xsk_port *p)
{
	(void)u;
	if (p->xsk)
		xsk_socket__delete(p->xsk);
	p->xsk = NULL;
}

void port_refill(struct umem_area *u, struct xsk_port *p)
{
	__u32 cap = p->fill_cap ? p->fill_cap : p->fq.size;
	__u32 n, i, idx = 0, in_ring;

	/* The kernel holds what is on the ring; keep the rest for holding. */
	in_ring = p->fq.size - xsk_prod_nb_free(&p->fq, p->fq.size);
	n = in_ring < cap ? cap - in_ring : 0;
	/*
	 * Top up in batches: every submit moves the ring's producer cache
	 * line to the CPU that receives, once per frame if done per frame.
	 */
	if (n < COLO_FILL_BATCH && n < (cap + 1) / 2)
		return;
	if (n > u->nr_free)
		n = u->nr_free;
	if (!n) {
		p->st.fill_fail_polls++;
		return;
	}
	if (xsk_ring_prod__reserve(&p->fq, n, &idx) != n)
		return;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&p->fq, idx++) =
			u->free[--u->nr_free];
	xsk_ring_prod__submit(&p->fq, n);
}

void port_drain_completions(struct umem_area *u, struct xsk_port *p,
			    void (*sent)(void *ctx, __u64 addr), void *ctx)
{
	__u32 n, i, idx = 0;

	if (!p->outstanding_tx)
		return;
	n = xsk_ring_cons__peek(&p->cq, COLO_RING_SIZE, &idx);
	for (i = 0; i < n; i++) {
		__u64 addr = *xsk_ring_cons__comp_addr(&p->cq, idx++);

		if (sent)
			sent(ctx, addr);
		umem_free_frame(u, addr);
	}
	xsk_ring_cons__release(&p->cq, n);
	p->outstanding_tx -= n;
	p->st.tx_packets += n;
}

int port_tx(struct xsk_port *p, __u64 addr, __u32 len)
{
	struct xdp_desc *d;
	__u32 idx;

	if (xsk_ring_prod__reserve(&p->tx, 1, &idx) != 1)
		return -ENOBUFS;
	d = xsk_ring_prod__tx_desc(&p->tx, idx);
	d->addr = addr;
	d->len = len;
	d->options = 0;
	xsk_ring_prod__submit(&p->tx, 1);
	p->outstanding_tx++;
	p->st.tx_bytes += len;
	return 0;
}

__u32 port_tx_pending(struct xsk_port *p)
{
	if (!p->outstanding_tx)
		return 0;
	return p->tx.size - xsk_prod_nb_free(&p->tx, p->tx.size);
}

void port_kick_tx(struct xsk_port *p)
{
	if (!p->outstanding_tx || !xsk_ring_prod__needs_wakeup(&p->tx))
		return;
	p->st.tx_wakeup_sendtos++;
	if (sendto(xsk_socket__fd(p->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
		return;
	/* These mean "try again later"; anything else is worth counting. */
	if (errno != ENOBUFS && errno != EAGAIN && errno != EBUSY &&
	    errno != ENETDOWN)
		p->st.tx_kick_errors++;
}

void port_wakeup_rx(struct xsk_port *p)
{
	if (xsk_ring_prod__needs_wakeup(&p->fq)) {
		p->st.rx_empty_polls++;
		recvfrom(xsk_socket__fd(p->xsk), NULL, 0, MSG_DONTWAIT, NULL,
			 NULL);
	}
}

int port_fd(const struct xsk_port *p)
{
	return xsk_socket__fd(p->xsk);
}

int port_xdp_stats(const struct xsk_port *p, struct xdp_statistics *st)
{
	socklen_t len = sizeof(*st);

	memset(st, 0, sizeof(*st));
	if (!p->xsk)
		return -ENOTCONN;
	if (getsockopt(xsk_socket__fd(p->xsk), SOL_XDP, XDP_STATISTICS, st,
		       &len))
		return -errno;
	return 0;
}
