// SPDX-License-Identifier: GPL-2.0
/*
 * xsk_fwd.c - the benchmark's baseline: a plain AF_XDP forwarder.
 *
 *   xsk_fwd --primary IF --secondary IF --out IF [--xdp-mode native|skb]
 *           [--queue Q] [--busy-poll US] [-v]
 *
 * It does what colo-xdp does minus the comparison: frames received on the
 * primary interface go out of --out by posting their UMEM address on the out
 * socket's TX ring (no copy), frames received on the secondary interface go
 * straight back to its fill ring (dropped). Both inputs are read, so the
 * baseline pays for the secondary stream as colo-xdp does. libxdp loads its
 * default XSK program on the two input interfaces; the TX-only out socket
 * loads none. Copy mode, need_wakeup, batches of 64, like the daemon.
 *
 * One UMEM, split in two: the primary's frames cycle primary fill -> RX ->
 * out TX -> out completion -> primary fill, the secondary's cycle secondary
 * fill -> RX -> secondary fill. Each fill ring can hold all of its frames,
 * so a reserve on it never fails.
 *
 * Prints "xsk_fwd: ready" on stderr once the sockets are bound, runs until
 * SIGINT/SIGTERM, then prints its counters as one JSON object on stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>

#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#define FWD_FRAME_SIZE 4096 /* as the daemon's */
#define FWD_PORT_FRAMES 4096 /* frames owned by each input port */
#define FWD_FILL_SIZE FWD_PORT_FRAMES
#define FWD_RING_SIZE 2048 /* RX and TX rings */
#define FWD_BATCH 64

enum { P_PRI, P_SEC, P_OUT, P__MAX };
static const char *const port_names[P__MAX] = { "primary", "secondary", "out" };

struct port {
	const char *ifname;
	struct xsk_socket *xsk;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	__u64 rx_packets, rx_bytes;
	__u64 tx_packets, tx_bytes, tx_completed;
	__u64 tx_kicks, tx_kick_errors, rx_wakeups, idle_polls;
	__u32 outstanding;
};

static struct port ports[P__MAX];
static volatile sig_atomic_t stop_flag;
static int verbose;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int print_lib(enum libxdp_print_level level, const char *fmt,
		     va_list args)
{
	/* libxdp's warnings are often expected probes: only with -v. */
	if (level == LIBXDP_DEBUG && verbose < 2)
		return 0;
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int umem_setup(struct xsk_umem **umem, void **area)
{
	struct xsk_umem_config cfg = {
		.fill_size = FWD_FILL_SIZE,
		.comp_size = FWD_FILL_SIZE,
		.frame_size = FWD_FRAME_SIZE,
		.frame_headroom = 0,
	};
	size_t size = (size_t)2 * FWD_PORT_FRAMES * FWD_FRAME_SIZE;
	int err;

	*area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (*area == MAP_FAILED) {
		fprintf(stderr, "Failed to map the UMEM: %s\n", strerror(errno));
		return -errno;
	}
	/* The first socket takes over the UMEM's own fill/completion rings. */
	err = xsk_umem__create(umem, *area, size, &ports[P_PRI].fq,
			       &ports[P_PRI].cq, &cfg);
	if (err)
		fprintf(stderr, "Failed to create the UMEM: %s\n",
			strerror(-err));
	return err;
}

static int port_open(struct xsk_umem *umem, struct port *p, bool is_rx,
		     __u32 queue, __u32 xdp_mode)
{
	struct xsk_socket_config cfg = {
		.rx_size = is_rx ? FWD_RING_SIZE : 0,
		.tx_size = is_rx ? 0 : FWD_RING_SIZE,
		.xdp_flags = xdp_mode,
		.bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP,
		/* Only the inputs need the default redirect program. */
		.libxdp_flags = is_rx ? 0 : XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
	};
	int err;

	err = xsk_socket__create_shared(&p->xsk, p->ifname, queue, umem,
					is_rx ? &p->rx : NULL,
					is_rx ? NULL : &p->tx, &p->fq, &p->cq,
					&cfg);
	if (err)
		fprintf(stderr, "Failed to create the AF_XDP socket on %s: %s\n",
			p->ifname, strerror(-err));
	return err;
}

/* Puts n frames starting at first into p's fill ring. */
static int fill_initial(struct port *p, __u64 first, __u32 n)
{
	__u32 idx, i;

	if (xsk_ring_prod__reserve(&p->fq, n, &idx) != n)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&p->fq, idx + i) =
			(first + i) * FWD_FRAME_SIZE;
	xsk_ring_prod__submit(&p->fq, n);
	return 0;
}

static void kick_tx(struct port *o)
{
	/* Copy mode sends at most 32 frames per call. */
	if (!xsk_ring_prod__needs_wakeup(&o->tx))
		return;
	o->tx_kicks++;
	if (sendto(xsk_socket__fd(o->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 &&
	    errno != ENOBUFS && errno != EAGAIN && errno != EBUSY &&
	    errno != ENETDOWN)
		o->tx_kick_errors++;
}

static __u32 tx_ring_pending(const struct port *o)
{
	return *o->tx.producer - __atomic_load_n(o->tx.consumer,
						 __ATOMIC_ACQUIRE);
}

/* out's completed frames go back to the primary's fill ring. */
static __u32 complete_tx(struct port *pri, struct port *o)
{
	__u32 idx_cq, idx_fq, n, i;

	n = xsk_ring_cons__peek(&o->cq, FWD_BATCH * 4, &idx_cq);
	if (!n)
		return 0;
	/* Cannot fail: the fill ring holds all of the primary's frames. */
	if (xsk_ring_prod__reserve(&pri->fq, n, &idx_fq) != n) {
		xsk_ring_cons__cancel(&o->cq, n);
		return 0;
	}
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&pri->fq, idx_fq + i) =
			xsk_umem__extract_addr(
				*xsk_ring_cons__comp_addr(&o->cq, idx_cq + i));
	xsk_ring_prod__submit(&pri->fq, n);
	xsk_ring_cons__release(&o->cq, n);
	o->outstanding -= n;
	o->tx_completed += n;
	return n;
}

static void wake_rx(struct port *p)
{
	if (xsk_ring_prod__needs_wakeup(&p->fq)) {
		p->rx_wakeups++;
		recvfrom(xsk_socket__fd(p->xsk), NULL, 0, MSG_DONTWAIT, NULL,
			 NULL);
	}
}

static __u32 forward_primary(struct port *pri, struct port *o)
{
	__u32 idx_rx, idx_tx, n, room, i;

	room = xsk_prod_nb_free(&o->tx, FWD_BATCH);
	if (room > FWD_BATCH)
		room = FWD_BATCH;
	if (!room) {
		complete_tx(pri, o);
		kick_tx(o);
		return 0;
	}
	n = xsk_ring_cons__peek(&pri->rx, room, &idx_rx);
	if (!n) {
		wake_rx(pri);
		return 0;
	}
	if (xsk_ring_prod__reserve(&o->tx, n, &idx_tx) != n) {
		xsk_ring_cons__cancel(&pri->rx, n);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d =
			xsk_ring_cons__rx_desc(&pri->rx, idx_rx + i);
		struct xdp_desc *t = xsk_ring_prod__tx_desc(&o->tx, idx_tx + i);

		t->addr = d->addr;
		t->len = d->len;
		pri->rx_bytes += d->len;
		o->tx_bytes += d->len;
	}
	xsk_ring_prod__submit(&o->tx, n);
	xsk_ring_cons__release(&pri->rx, n);
	pri->rx_packets += n;
	o->tx_packets += n;
	o->outstanding += n;
	kick_tx(o);
	return n;
}

static __u32 drop_secondary(struct port *sec)
{
	__u32 idx_rx, idx_fq, n, i;

	n = xsk_ring_cons__peek(&sec->rx, FWD_BATCH, &idx_rx);
	if (!n) {
		wake_rx(sec);
		return 0;
	}
	if (xsk_ring_prod__reserve(&sec->fq, n, &idx_fq) != n) {
		xsk_ring_cons__cancel(&sec->rx, n);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d =
			xsk_ring_cons__rx_desc(&sec->rx, idx_rx + i);

		*xsk_ring_prod__fill_addr(&sec->fq, idx_fq + i) =
			xsk_umem__extract_addr(d->addr);
		sec->rx_bytes += d->len;
	}
	xsk_ring_prod__submit(&sec->fq, n);
	xsk_ring_cons__release(&sec->rx, n);
	sec->rx_packets += n;
	return n;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* busy_us: keep looking this long after the last frame, as colo-xdp's --busy-poll. */
static void run(__u64 busy_us)
{
	__u64 busy_ns = busy_us * 1000ULL, now, last_work = 0;
	struct port *pri = &ports[P_PRI], *sec = &ports[P_SEC],
		    *o = &ports[P_OUT];
	struct pollfd pfd[2] = {
		{ .fd = xsk_socket__fd(pri->xsk), .events = POLLIN },
		{ .fd = xsk_socket__fd(sec->xsk), .events = POLLIN },
	};
	__u32 work;

	while (!stop_flag) {
		work = forward_primary(pri, o);
		work += drop_secondary(sec);
		work += complete_tx(pri, o);
		if (tx_ring_pending(o))
			kick_tx(o);
		/*
		 * Spin only while the TX ring holds frames the kernel has not
		 * taken, as the daemon does. Taken but not completed frames
		 * complete when the receiver frees their skbs (maybe in a
		 * softirq deferred to this CPU's ksoftirqd, which spinning
		 * would starve); that raises no event, so the sleep is short
		 * while some are out.
		 */
		if (busy_ns) {
			now = mono_ns();
			if (work)
				last_work = now;
			else if (now - last_work < busy_ns)
				continue;
		}
		if (work || tx_ring_pending(o))
			continue;
		pri->idle_polls++;
		poll(pfd, 2, o->outstanding ? 1 : 100);
	}
}

static void print_port(const char *name, const struct port *p, bool last)
{
	struct xdp_statistics xs = {};
	socklen_t len = sizeof(xs);

	if (p->xsk)
		getsockopt(xsk_socket__fd(p->xsk), SOL_XDP, XDP_STATISTICS, &xs,
			   &len);
	printf("\"%s\":{\"rx_packets\":%llu,\"rx_bytes\":%llu,"
	       "\"tx_packets\":%llu,\"tx_bytes\":%llu,\"tx_completed\":%llu,"
	       "\"tx_kicks\":%llu,\"tx_kick_errors\":%llu,\"rx_wakeups\":%llu,"
	       "\"idle_polls\":%llu,\"xdp_rx_dropped\":%llu,"
	       "\"xdp_rx_invalid_descs\":%llu,\"xdp_tx_invalid_descs\":%llu,"
	       "\"xdp_rx_ring_full\":%llu,\"xdp_rx_fill_ring_empty\":%llu}%s",
	       name, p->rx_packets, p->rx_bytes, p->tx_packets, p->tx_bytes,
	       p->tx_completed, p->tx_kicks, p->tx_kick_errors, p->rx_wakeups,
	       p->idle_polls, xs.rx_dropped, xs.rx_invalid_descs,
	       xs.tx_invalid_descs, xs.rx_ring_full,
	       xs.rx_fill_ring_empty_descs, last ? "" : ",");
}

static bool has_xdp_prog(const char *ifname)
{
	struct xdp_multiprog *mp;
	int ifindex = if_nametoindex(ifname);

	if (!ifindex)
		return false;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp) || !mp)
		return false;
	xdp_multiprog__close(mp);
	return true;
}

/*
 * libxdp leaves its program attached when the last socket closes: remove
 * it, so the next benchmark run (colo-xdp) finds the interface free.
 */
static void detach_default_prog(const char *ifname)
{
	struct xdp_multiprog *mp;
	int ifindex = if_nametoindex(ifname);

	if (!ifindex)
		return;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp) || !mp)
		return;
	if (xdp_multiprog__detach(mp))
		fprintf(stderr, "Failed to detach the XDP program from %s\n",
			ifname);
	xdp_multiprog__close(mp);
}

static void usage(void)
{
	fprintf(stderr,
		"Usage: xsk_fwd --primary IF --secondary IF --out IF\n"
		"               [--xdp-mode native|skb] [--queue Q] [--busy-poll US] [-v]\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "primary", required_argument, NULL, 'p' },
		{ "secondary", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "xdp-mode", required_argument, NULL, 'm' },
		{ "queue", required_argument, NULL, 'q' },
		{ "busy-poll", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct sigaction sa = { .sa_handler = on_signal };
	__u32 xdp_mode = XDP_FLAGS_DRV_MODE, queue = 0;
	struct xsk_umem *umem = NULL;
	bool attached[2] = {};
	__u64 busy_us = 0;
	void *area = NULL;
	int opt, err, i, ret = 1;

	while ((opt = getopt_long(argc, argv, "vh", lopts, NULL)) != -1) {
		switch (opt) {
		case 'p': ports[P_PRI].ifname = optarg; break;
		case 's': ports[P_SEC].ifname = optarg; break;
		case 'o': ports[P_OUT].ifname = optarg; break;
		case 'q': queue = strtoul(optarg, NULL, 0); break;
		case 'b': busy_us = strtoull(optarg, NULL, 0); break;
		case 'v': verbose++; break;
		case 'm':
			if (!strcmp(optarg, "native") || !strcmp(optarg, "drv")) {
				xdp_mode = XDP_FLAGS_DRV_MODE;
			} else if (!strcmp(optarg, "skb")) {
				xdp_mode = XDP_FLAGS_SKB_MODE;
			} else {
				usage();
				return 2;
			}
			break;
		default:
			usage();
			return opt == 'h' ? 0 : 2;
		}
	}
	if (!ports[P_PRI].ifname || !ports[P_SEC].ifname ||
	    !ports[P_OUT].ifname) {
		usage();
		return 2;
	}
	libxdp_set_print(print_lib);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (umem_setup(&umem, &area))
		goto out;
	for (i = 0; i < P__MAX; i++) {
		/* Only a program we brought is ours to remove. */
		if (i != P_OUT)
			attached[i] = !has_xdp_prog(ports[i].ifname);
		err = port_open(umem, &ports[i], i != P_OUT, queue, xdp_mode);
		if (err)
			goto out_close;
	}
	if (fill_initial(&ports[P_PRI], 0, FWD_PORT_FRAMES) ||
	    fill_initial(&ports[P_SEC], FWD_PORT_FRAMES, FWD_PORT_FRAMES)) {
		fprintf(stderr, "Failed to fill the fill rings\n");
		goto out_close;
	}
	fprintf(stderr, "xsk_fwd: ready (%s -> %s, %s dropped, %s mode)\n",
		ports[P_PRI].ifname, ports[P_OUT].ifname, ports[P_SEC].ifname,
		xdp_mode == XDP_FLAGS_SKB_MODE ? "skb" : "native");

	run(busy_us);

	printf("{\"mode\":\"%s\",", xdp_mode == XDP_FLAGS_SKB_MODE ? "skb" :
								    "native");
	for (i = 0; i < P__MAX; i++)
		print_port(port_names[i], &ports[i], i == P__MAX - 1);
	printf("}\n");
	fflush(stdout);
	ret = 0;

out_close:
	for (i = P__MAX - 1; i >= 0; i--) {
		if (ports[i].xsk)
			xsk_socket__delete(ports[i].xsk);
		ports[i].xsk = NULL;
	}
	for (i = 0; i < 2; i++)
		if (attached[i])
			detach_default_prog(ports[i].ifname);
	if (umem && xsk_umem__delete(umem))
		fprintf(stderr, "Failed to delete the UMEM\n");
out:
	if (area)
		munmap(area, (size_t)2 * FWD_PORT_FRAMES * FWD_FRAME_SIZE);
	return ret;
}
