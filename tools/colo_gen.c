// SPDX-License-Identifier: GPL-2.0
/*
 * colo_gen.c - traffic generator and sink for colo-xdp's benchmark.
 *
 *   colo_gen send --pri-dev IF [--pri-ns NS] [--sec-dev IF --sec-ns NS] ...
 *   colo_gen sink --dev IF [--ns NS] ...
 *
 * send: one process opens an AF_PACKET socket on the primary VM's interface
 * and one on the secondary's (each in its own network namespace) and sends
 * every frame to both, back to back, with the same bytes: a comparator can
 * only match the two copies if they are identical, so the send timestamp in
 * the payload is taken once per frame and written into both. Frames are UDP
 * 10.77.0.2:sport -> 10.77.0.1:dport, cycling over --flows port pairs (flow
 * i: sport 10000 + i % 50000, dport 9 + i / 50000, so up to 1 000 000
 * flows), with a payload of magic, sequence number and CLOCK_MONOTONIC send
 * time.
 * --diverge-every K changes one payload byte of every K-th secondary copy.
 *
 * The interfaces are veths: a frame the peer cannot take is reported back
 * (-ENOBUFS) and sent again, so both streams carry every frame and the
 * generator runs as fast as the receiving side takes frames (flat out) or at
 * --rate.
 *
 * sink: reads frames on the client's interface through a TPACKET_V2 ring,
 * checks sequence numbers (duplicates, per-flow reordering, losses) and
 * puts latencies into log-linear histograms (bounded memory, ~3%
 * resolution): latency_ns is the kernel's receive time of the frame on the
 * client's interface minus the stamp (what a client on its own host would
 * see), read_latency_ns the time the sink read it minus the stamp (that adds
 * the sink's own wake-up, which on a 2-core machine waits for whatever else
 * runs on its CPU). It prints one JSON object on stdout when it stops: after
 * --duration, after --idle seconds without frames, or on SIGINT/SIGTERM.
 * With --idle-after-usr1 the idle time only counts once SIGUSR1 said the
 * sender is done: on a busy machine a forwarder or the sink itself may stall
 * for longer than any idle time that is short enough to be cheap.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <liburing.h>

#include "lat_hist.h"

#define GEN_MAGIC 0xC01064E7U
#define GEN_MIN_SIZE 62 /* Ethernet + IPv4 + UDP + struct gen_payload */
#define GEN_MAX_SIZE 1514
#define GEN_MAX_BATCH 64
#define GEN_SPORT_BASE 10000
#define GEN_SPORTS 50000 /* source ports per destination port */
#define GEN_DPORT 9
#define GEN_DPORTS 20
#define GEN_MAX_FLOWS (GEN_SPORTS * GEN_DPORTS)

#define SINK_FRAME_SIZE 256 /* ring slot: header + the first ~190 bytes */
#define SINK_BLOCK_SIZE (1 << 16)
#define SINK_DUP_WINDOW (1U << 20) /* sequence numbers checked for duplicates */

/* What follows the UDP header; offsets are even so checksums add up. */
struct gen_payload {
	uint32_t magic;
	uint64_t seq;
	uint64_t stamp_ns;
} __attribute__((packed));

#define ETH_OFF 0
#define IP_OFF 14
#define UDP_OFF (IP_OFF + 20)
#define PL_OFF (UDP_OFF + 8)

static volatile sig_atomic_t stop_flag, done_flag;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		done_flag = 1;
	else
		stop_flag = 1;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * CLOCK_REALTIME minus CLOCK_MONOTONIC: the packet ring stamps frames in
 * real time, the generator in monotonic time.
 */
static int64_t realtime_offset(void)
{
	int64_t best = 0, best_gap = INT64_MAX;
	int i;

	/* A read bracketed tightest by two monotonic reads was not preempted. */
	for (i = 0; i < 3; i++) {
		struct timespec m1, rt, m2;
		int64_t a, b, r;

		clock_gettime(CLOCK_MONOTONIC, &m1);
		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_MONOTONIC, &m2);
		a = (int64_t)m1.tv_sec * 1000000000LL + m1.tv_nsec;
		b = (int64_t)m2.tv_sec * 1000000000LL + m2.tv_nsec;
		r = (int64_t)rt.tv_sec * 1000000000LL + rt.tv_nsec;
		if (b - a < best_gap) {
			best_gap = b - a;
			best = r - a - (b - a) / 2;
		}
	}
	return best;
}

static int enter_netns(const char *name)
{
	char path[256];
	int fd, err = 0;

	if (!name || !*name)
		return 0;
	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "Failed to open netns %s: %s\n", path,
			strerror(errno));
		return err;
	}
	if (setns(fd, CLONE_NEWNET)) {
		err = -errno;
		fprintf(stderr, "Failed to enter netns %s: %s\n", path,
			strerror(errno));
	}
	close(fd);
	return err;
}

static int parse_mac(const char *s, uint8_t mac[ETH_ALEN])
{
	unsigned int b[ETH_ALEN];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != ETH_ALEN)
		return -EINVAL;
	for (i = 0; i < ETH_ALEN; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = b[i];
	}
	return 0;
}

/* An AF_PACKET socket bound to dev in the current netns; send-only if !proto. */
static int packet_open(const char *dev, int proto, uint8_t mac[ETH_ALEN])
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr = {};
	int fd, ifindex;

	ifindex = if_nametoindex(dev);
	if (!ifindex) {
		fprintf(stderr, "No interface %s: %s\n", dev, strerror(errno));
		return -1;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(proto));
	if (fd < 0) {
		fprintf(stderr, "Failed to open a packet socket: %s\n",
			strerror(errno));
		return -1;
	}
	sll.sll_protocol = htons(proto);
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		fprintf(stderr, "Failed to bind to %s: %s\n", dev,
			strerror(errno));
		close(fd);
		return -1;
	}
	if (mac) {
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
		if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0)
			memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	}
	return fd;
}

static double parse_double(const char *s, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0) {
		fprintf(stderr, "Bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

/* ---- checksums ---- */

static uint32_t csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---- send ---- */

/*
 * Which VM gets a batch first. A real primary and secondary emit at the
 * same time; one process sends one copy after the other, so one of them
 * always leads by a sendmmsg(). "primary" makes the comparator wait for
 * the secondary on every frame (the latency then includes that wait),
 * "secondary" has the twin already there when the primary's frame comes
 * (the latency is the comparator's own), "alternate" switches every batch.
 */
enum { LEAD_PRIMARY, LEAD_SECONDARY, LEAD_ALTERNATE };

struct send_opts {
	const char *pri_dev, *pri_ns, *sec_dev, *sec_ns;
	unsigned int size, flows, batch;
	double rate, duration;
	uint64_t count, diverge_every;
	int lead;             /* LEAD_*: which VM gets each batch first */
	unsigned int burst;   /* rate mode: frames sent per wake-up, at least */
	bool interleave;      /* frame by frame to both VMs, not batch by batch */
	uint8_t src_mac[ETH_ALEN], dst_mac[ETH_ALEN];
	bool have_src_mac;
	struct in_addr src_ip, dst_ip;
};

struct send_stats {
	uint64_t sent[2];
	uint64_t retries[2];
	uint64_t unsent[2]; /* given up on at the deadline */
	uint64_t diverged;
	uint64_t late_batches; /* rate mode: behind schedule by a full batch */
};

struct frame_tmpl {
	uint32_t udp_base_sum; /* everything but sport, seq and stamp */
	unsigned int len;
	uint8_t pad[2];        /* puts the IP header (data + 14) on 4 bytes */
	uint8_t data[GEN_MAX_SIZE];
};

static void tmpl_build(struct frame_tmpl *t, const struct send_opts *o)
{
	uint8_t *f = t->data;
	struct iphdr *ip = (struct iphdr *)(f + IP_OFF);
	struct udphdr *udp = (struct udphdr *)(f + UDP_OFF);
	struct gen_payload pl = { .magic = htonl(GEN_MAGIC) };
	unsigned int udp_len = o->size - UDP_OFF, i;
	uint8_t pseudo[12];

	memset(f, 0, sizeof(t->data));
	t->len = o->size;
	memcpy(f, o->dst_mac, ETH_ALEN);
	memcpy(f + ETH_ALEN, o->src_mac, ETH_ALEN);
	f[12] = ETH_P_IP >> 8;
	f[13] = ETH_P_IP & 0xff;

	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(o->size - IP_OFF);
	ip->id = 0;
	ip->frag_off = htons(IP_DF);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = o->src_ip.s_addr;
	ip->daddr = o->dst_ip.s_addr;
	ip->check = htons(csum_fold(csum_add(0, ip, 20)));

	/* Both ports are per frame, added to the checksum by frame_fill. */
	udp->source = 0;
	udp->dest = 0;
	udp->len = htons(udp_len);
	udp->check = 0;
	memcpy(f + PL_OFF, &pl, sizeof(pl));
	/* A fixed fill pattern, so the checksum base covers it once. */
	for (i = PL_OFF + sizeof(pl); i < o->size; i++)
		f[i] = (uint8_t)(i * 7);

	memcpy(pseudo, &ip->saddr, 4);
	memcpy(pseudo + 4, &ip->daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_UDP;
	pseudo[10] = udp_len >> 8;
	pseudo[11] = udp_len & 0xff;
	t->udp_base_sum = csum_add(csum_add(0, pseudo, sizeof(pseudo)),
				   f + UDP_OFF, udp_len);
}

/*
 * Writes the ports of flow, seq, stamp and the UDP checksum into a copy of
 * the template.
 */
static void frame_fill(uint8_t *f, const struct frame_tmpl *t, uint32_t flow,
		       uint64_t seq, uint64_t stamp)
{
	struct gen_payload *pl = (struct gen_payload *)(f + PL_OFF);
	uint16_t sport = GEN_SPORT_BASE + flow % GEN_SPORTS;
	uint16_t dport = GEN_DPORT + flow / GEN_SPORTS;
	uint8_t sp[4] = { sport >> 8, sport & 0xff, dport >> 8, dport & 0xff };
	uint64_t nseq = htobe64(seq), nstamp = htobe64(stamp);
	uint32_t sum = t->udp_base_sum;
	uint16_t check;

	memcpy(f + UDP_OFF, sp, 4);
	memcpy(&pl->seq, &nseq, 8);
	memcpy(&pl->stamp_ns, &nstamp, 8);
	sum = csum_add(sum, sp, 4);
	sum = csum_add(sum, &nseq, 8);
	sum = csum_add(sum, &nstamp, 8);
	check = csum_fold(sum);
	if (!check)
		check = 0xffff; /* 0 means "no checksum" in UDP over IPv4 */
	check = htons(check);
	memcpy(f + UDP_OFF + 6, &check, 2);
}

/* The side (0 primary, 1 secondary) the batch starting at seq sends j-th. */
static int lead_order(const struct send_opts *o, uint64_t seq, unsigned int j)
{
	int first = o->lead == LEAD_SECONDARY ||
		    (o->lead == LEAD_ALTERNATE && (seq / o->batch) & 1);

	return j ? !first : first;
}

/* The secondary's copy differs in its last byte (checksum kept valid). */
static void frame_diverge(uint8_t *f, unsigned int len)
{
	uint8_t *last = f + len - 1;
	uint16_t check, v;
	uint32_t sum;
	int odd = (len - 1 - UDP_OFF) & 1;

	memcpy(&check, f + UDP_OFF + 6, 2);
	check = ntohs(check);
	/* Incremental update (RFC 1624): ~(~HC + ~m + m'). */
	v = odd ? *last : (uint16_t)(*last << 8);
	sum = (uint16_t)~check + (uint16_t)~v;
	*last ^= 0x5a;
	v = odd ? *last : (uint16_t)(*last << 8);
	sum += v;
	check = csum_fold(sum);
	if (!check)
		check = 0xffff;
	check = htons(check);
	memcpy(f + UDP_OFF + 6, &check, 2);
}

/*
 * One burst as each VM gets it (msgs[0] the primary's, msgs[1] the
 * secondary's): the secondary's copy of a frame is the primary's buffer, or
 * for a planted divergence a changed copy of it in changed[]. Interleaved
 * sending has both copies in flight in one io_uring_enter(), so a copy
 * cannot be changed in place.
 */
struct gen_batch {
	uint8_t bufs[GEN_MAX_BATCH][GEN_MAX_SIZE];
	uint8_t changed[GEN_MAX_BATCH][GEN_MAX_SIZE];
	struct iovec iov[2][GEN_MAX_BATCH];
	struct mmsghdr msgs[2][GEN_MAX_BATCH];
};

static void batch_init(struct gen_batch *b, const struct frame_tmpl *t)
{
	unsigned int k, side;

	memset(b->msgs, 0, sizeof(b->msgs));
	for (k = 0; k < GEN_MAX_BATCH; k++) {
		memcpy(b->bufs[k], t->data, t->len);
		for (side = 0; side < 2; side++) {
			b->iov[side][k].iov_base = b->bufs[k];
			b->iov[side][k].iov_len = t->len;
			b->msgs[side][k].msg_hdr.msg_iov = &b->iov[side][k];
			b->msgs[side][k].msg_hdr.msg_iovlen = 1;
		}
	}
}

/* Makes every diverge_every-th secondary copy of the batch differ. */
static void plant_divergences(const struct send_opts *o,
			      const struct frame_tmpl *t, struct gen_batch *b,
			      uint64_t seq, unsigned int n, uint64_t *diverged)
{
	unsigned int k;

	for (k = 0; k < n; k++) {
		b->iov[1][k].iov_base = b->bufs[k];
		if (!o->diverge_every ||
		    (seq + k) % o->diverge_every != o->diverge_every - 1)
			continue;
		memcpy(b->changed[k], b->bufs[k], t->len);
		frame_diverge(b->changed[k], t->len);
		b->iov[1][k].iov_base = b->changed[k];
		(*diverged)++;
	}
}

/* Sends n frames, resending those the device refused, until the deadline. */
static unsigned int send_all(int fd, struct mmsghdr *m, unsigned int n,
			     uint64_t deadline, uint64_t *retries)
{
	unsigned int off = 0;
	int r;

	while (off < n) {
		r = sendmmsg(fd, m + off, n - off, 0);
		if (r > 0) {
			off += r;
			continue;
		}
		if (r < 0 && errno != ENOBUFS && errno != EAGAIN &&
		    errno != EBUSY && errno != EINTR) {
			fprintf(stderr, "sendmmsg: %s\n", strerror(errno));
			break;
		}
		(*retries)++;
		if ((*retries & 63) == 0 && now_ns() > deadline)
			break;
		sched_yield();
	}
	return off;
}

/*
 * Interleaved sending: frame by frame, each VM's copy right after the
 * other's, as twins in lock-step emit them. Sending a whole burst to one VM
 * and then to the other makes the second VM's copies late by the burst's
 * sending time, and a comparator, which must wait for both, pays that on
 * every frame. One io_uring_enter() issues the burst's 2n sendmsg() in
 * order; without io_uring (disabled by sysctl or seccomp) each copy takes a
 * syscall of its own. A copy the device refused is sent again on its own.
 */
struct pair_sender {
	struct io_uring ring;
	bool have_ring;
};

static void pair_sender_init(struct pair_sender *ps)
{
	int err = io_uring_queue_init(2 * GEN_MAX_BATCH, &ps->ring, 0);

	ps->have_ring = !err;
	if (err)
		fprintf(stderr, "io_uring: %s: interleaving with one syscall per copy\n",
			strerror(-err));
}

static void pair_sender_exit(struct pair_sender *ps)
{
	if (ps->have_ring)
		io_uring_queue_exit(&ps->ring);
}

/* Issues both copies of n frames in one submission; marks what failed. */
static void pairs_submit(struct pair_sender *ps, const int fds[2],
			 struct gen_batch *b, unsigned int n,
			 const struct send_opts *o, uint64_t seq,
			 bool failed[2][GEN_MAX_BATCH])
{
	struct io_uring_cqe *cqe;
	unsigned int k, j, queued = 0;
	int r;

	for (k = 0; k < n; k++)
		for (j = 0; j < 2; j++) {
			int side = lead_order(o, seq, j);
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ps->ring);

			/* The ring holds two full batches: never NULL. */
			io_uring_prep_sendmsg(sqe, fds[side],
					      &b->msgs[side][k].msg_hdr, 0);
			io_uring_sqe_set_data64(sqe, side * GEN_MAX_BATCH + k);
			queued++;
		}
	r = io_uring_submit(&ps->ring);
	if (r < 0) {
		fprintf(stderr, "io_uring_submit: %s\n", strerror(-r));
		return; /* all still marked failed: sent one by one */
	}
	while (queued) {
		__u64 id;

		r = io_uring_wait_cqe(&ps->ring, &cqe);
		if (r == -EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "io_uring_wait_cqe: %s\n", strerror(-r));
			exit(1); /* buffers may still be in flight */
		}
		id = io_uring_cqe_get_data64(cqe);
		if (cqe->res >= 0 && id < 2 * GEN_MAX_BATCH)
			failed[id / GEN_MAX_BATCH][id % GEN_MAX_BATCH] = false;
		io_uring_cqe_seen(&ps->ring, cqe);
		queued--;
	}
}

static void send_interleaved(struct pair_sender *ps, const int fds[2],
			     struct gen_batch *b, unsigned int n,
			     const struct send_opts *o, uint64_t seq,
			     uint64_t deadline, struct send_stats *st)
{
	bool failed[2][GEN_MAX_BATCH];
	unsigned int k, j, done;

	for (k = 0; k < n; k++)
		failed[0][k] = failed[1][k] = true;
	if (ps->have_ring)
		pairs_submit(ps, fds, b, n, o, seq, failed);
	for (k = 0; k < n; k++)
		for (j = 0; j < 2; j++) {
			int side = lead_order(o, seq, j);

			if (!failed[side][k]) {
				st->sent[side]++;
				continue;
			}
			if (ps->have_ring)
				st->retries[side]++;
			done = send_all(fds[side], &b->msgs[side][k], 1,
					deadline, &st->retries[side]);
			st->sent[side] += done;
			st->unsent[side] += 1 - done;
		}
}

/* Stamps n frames from seq on and sends them to one or both VMs. */
static void send_burst(const struct send_opts *o, const struct frame_tmpl *t,
		       struct gen_batch *b, struct pair_sender *ps,
		       const int fds[2], int nsides, uint64_t seq,
		       unsigned int n, uint64_t deadline, struct send_stats *st)
{
	unsigned int k, j, done;

	for (k = 0; k < n; k++)
		frame_fill(b->bufs[k], t, (seq + k) % o->flows, seq + k,
			   now_ns());
	if (nsides == 2)
		plant_divergences(o, t, b, seq, n, &st->diverged);
	if (nsides == 2 && o->interleave) {
		send_interleaved(ps, fds, b, n, o, seq, deadline, st);
		return;
	}
	/* The whole burst to one VM, then the same bytes to the other. */
	for (j = 0; j < (unsigned int)nsides; j++) {
		int side = nsides == 2 ? lead_order(o, seq, j) : 0;

		done = send_all(fds[side], b->msgs[side], n, deadline,
				&st->retries[side]);
		st->sent[side] += done;
		st->unsent[side] += n - done;
	}
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000ULL,
			       .tv_nsec = t % 1000000000ULL };

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static void send_usage(void)
{
	fprintf(stderr,
		"Usage: colo_gen send --pri-dev IF [--pri-ns NS] [--sec-dev IF [--sec-ns NS]]\n"
		"         [--size BYTES(64)] [--flows N(1, at most %d)]\n"
		"         [--rate PPS(0: flat out)]\n"
		"         [--duration SEC(5)] [--count N] [--batch N(32)] [--burst N(1)]\n"
		"         [--diverge-every K] [--lead primary|secondary|alternate]\n"
		"         [--interleave]\n"
		"         [--src-mac MAC] [--dst-mac MAC]\n"
		"         [--src-ip A(10.77.0.2)] [--dst-ip A(10.77.0.1)]\n"
		"Sizes are Ethernet frame lengths without FCS (%d..%d).\n",
		GEN_MAX_FLOWS, GEN_MIN_SIZE, GEN_MAX_SIZE);
}

static int do_send(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "pri-dev", required_argument, NULL, 'p' },
		{ "pri-ns", required_argument, NULL, 'P' },
		{ "sec-dev", required_argument, NULL, 's' },
		{ "sec-ns", required_argument, NULL, 'S' },
		{ "size", required_argument, NULL, 'l' },
		{ "flows", required_argument, NULL, 'f' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "batch", required_argument, NULL, 'b' },
		{ "diverge-every", required_argument, NULL, 'k' },
		{ "lead", required_argument, NULL, 'L' },
		{ "burst", required_argument, NULL, 'B' },
		{ "interleave", no_argument, NULL, 'X' },
		{ "src-mac", required_argument, NULL, 'm' },
		{ "dst-mac", required_argument, NULL, 'M' },
		{ "src-ip", required_argument, NULL, 'i' },
		{ "dst-ip", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct send_opts o = {
		.size = 64, .flows = 1, .batch = 32, .duration = 5, .burst = 1,
		.dst_mac = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	};
	static struct gen_batch b;
	struct pair_sender ps = {};
	struct send_stats st = {};
	struct frame_tmpl t;
	uint64_t seq = 0, start, end, t_now, elapsed;
	int fds[2] = { -1, -1 }, opt, nsides, i;
	uint8_t dev_mac[ETH_ALEN] = {};
	unsigned int n, off, chunk;
	struct rusage ru;
	double secs;

	inet_aton("10.77.0.2", &o.src_ip);
	inet_aton("10.77.0.1", &o.dst_ip);
	while ((opt = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'p': o.pri_dev = optarg; break;
		case 'P': o.pri_ns = optarg; break;
		case 's': o.sec_dev = optarg; break;
		case 'S': o.sec_ns = optarg; break;
		case 'l': o.size = parse_double(optarg, "size"); break;
		case 'f': o.flows = parse_double(optarg, "flows"); break;
		case 'r': o.rate = parse_double(optarg, "rate"); break;
		case 'd': o.duration = parse_double(optarg, "duration"); break;
		case 'c': o.count = parse_double(optarg, "count"); break;
		case 'b': o.batch = parse_double(optarg, "batch"); break;
		case 'B': o.burst = parse_double(optarg, "burst"); break;
		case 'X': o.interleave = true; break;
		case 'k':
			o.diverge_every = parse_double(optarg, "diverge-every");
			break;
		case 'L':
			if (!strcmp(optarg, "primary"))
				o.lead = LEAD_PRIMARY;
			else if (!strcmp(optarg, "secondary"))
				o.lead = LEAD_SECONDARY;
			else if (!strcmp(optarg, "alternate"))
				o.lead = LEAD_ALTERNATE;
			else {
				fprintf(stderr, "Bad --lead %s\n", optarg);
				return 2;
			}
			break;
		case 'm':
			if (parse_mac(optarg, o.src_mac)) {
				fprintf(stderr, "Bad MAC %s\n", optarg);
				return 2;
			}
			o.have_src_mac = true;
			break;
		case 'M':
			if (parse_mac(optarg, o.dst_mac)) {
				fprintf(stderr, "Bad MAC %s\n", optarg);
				return 2;
			}
			break;
		case 'i':
		case 'I':
			if (!inet_aton(optarg, opt == 'i' ? &o.src_ip : &o.dst_ip)) {
				fprintf(stderr, "Bad address %s\n", optarg);
				return 2;
			}
			break;
		default:
			send_usage();
			return opt == 'h' ? 0 : 2;
		}
	}
	if (!o.pri_dev || o.size < GEN_MIN_SIZE || o.size > GEN_MAX_SIZE ||
	    !o.flows || o.flows > GEN_MAX_FLOWS || !o.batch ||
	    o.batch > GEN_MAX_BATCH || !o.burst || o.burst > o.batch) {
		send_usage();
		return 2;
	}

	/* Each socket stays in the namespace it was opened in. */
	if (enter_netns(o.pri_ns))
		return 1;
	fds[0] = packet_open(o.pri_dev, 0, dev_mac);
	if (fds[0] < 0)
		return 1;
	nsides = 1;
	if (o.sec_dev) {
		if (enter_netns(o.sec_ns))
			return 1;
		fds[1] = packet_open(o.sec_dev, 0, NULL);
		if (fds[1] < 0)
			return 1;
		nsides = 2;
	}
	for (i = 0; i < nsides; i++) {
		int one = 1;

		/* Straight to the driver: a refused frame comes back as ENOBUFS. */
		if (setsockopt(fds[i], SOL_PACKET, PACKET_QDISC_BYPASS, &one,
			       sizeof(one)))
			fprintf(stderr, "PACKET_QDISC_BYPASS: %s\n",
				strerror(errno));
	}
	if (!o.have_src_mac)
		memcpy(o.src_mac, dev_mac, ETH_ALEN);
	tmpl_build(&t, &o);

	batch_init(&b, &t);
	if (o.interleave && nsides == 2)
		pair_sender_init(&ps);
	/* Sleeps of a few microseconds must not stretch to 50. */
	prctl(PR_SET_TIMERSLACK, 1UL);
	install_signals();

	start = now_ns();
	end = start + (uint64_t)(o.duration * 1e9);
	while (!stop_flag) {
		t_now = now_ns();
		if (o.duration > 0 && t_now >= end)
			break;
		if (o.count && seq >= o.count)
			break;
		n = o.batch;
		if (o.rate > 0) {
			uint64_t due;

			elapsed = t_now - start;
			due = (uint64_t)((double)elapsed * o.rate / 1e9) + 1;
			/*
			 * Wait until a burst is due: one wake-up and two
			 * sendmmsg() per frame would load the sending CPU,
			 * which also runs both VMs' XDP programs, more than
			 * the frames themselves.
			 */
			if (due < seq + o.burst) {
				sleep_until(start + (uint64_t)((double)(seq + o.burst - 1) *
							       1e9 / o.rate));
				continue;
			}
			if (due - seq > o.batch)
				st.late_batches++;
			else
				n = due - seq;
		}
		if (o.count && o.count - seq < n)
			n = o.count - seq;

		/*
		 * Stamped right before they leave: a generator catching up
		 * sends a whole batch, and frames stamped at its start would
		 * carry the sending time of those before them into every
		 * target's latency.
		 */
		chunk = o.rate > 0 ? o.burst : n;
		for (off = 0; off < n; off += chunk) {
			unsigned int c = n - off < chunk ? n - off : chunk;

			send_burst(&o, &t, &b, &ps, fds, nsides, seq + off, c,
				   end + 1000000000ULL, &st);
		}
		seq += n;
	}
	secs = (double)(now_ns() - start) / 1e9;
	/*
	 * The process's CPU time: well below secs at a rate missed means
	 * another process had the CPU, and the miss says nothing about the
	 * target. (Whether the veths' softirq work in our syscalls counts
	 * depends on the kernel's IRQ time accounting.)
	 */
	getrusage(RUSAGE_SELF, &ru);

	printf("{\"mode\":\"send\",\"size\":%u,\"flows\":%u,\"rate\":%.0f,"
	       "\"duration_s\":%.6f,\"cpu_s\":%.6f,\"frames\":%" PRIu64
	       ",\"pps\":%.1f,"
	       "\"primary\":{\"sent\":%" PRIu64 ",\"retries\":%" PRIu64
	       ",\"unsent\":%" PRIu64 "},"
	       "\"secondary\":{\"sent\":%" PRIu64 ",\"retries\":%" PRIu64
	       ",\"unsent\":%" PRIu64 "},"
	       "\"diverged\":%" PRIu64 ",\"late_batches\":%" PRIu64
	       ",\"order\":\"%s\"}\n",
	       o.size, o.flows, o.rate, secs,
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
	       seq,
	       secs > 0 ? (double)st.sent[0] / secs : 0.0, st.sent[0],
	       st.retries[0], st.unsent[0], st.sent[1], st.retries[1],
	       st.unsent[1], st.diverged, st.late_batches,
	       nsides < 2 ? "one-vm" : !o.interleave ? "by-burst" :
	       ps.have_ring ? "interleaved" : "interleaved-syscalls");
	pair_sender_exit(&ps);
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return st.sent[0] ? 0 : 1;
}

/* ---- sink ---- */

struct sink_state {
	uint64_t frames, bytes, other, dups, reordered, late, early;
	uint64_t min_seq, max_seq, unique;
	uint64_t first_ns, last_ns;
	uint64_t *flow_next; /* per flow (port pair): next expected seq + 1 */
	uint8_t *seen;       /* bitmap of the last SINK_DUP_WINDOW seqs */
	uint64_t seen_top;   /* bitmap covers (seen_top - WINDOW, seen_top] */
	struct lat_hist lat;      /* kernel receive time - stamp */
	struct lat_hist read_lat; /* time the sink read it - stamp */
};

static bool bit_test_set(uint8_t *map, uint64_t i)
{
	uint8_t m = 1U << (i & 7);
	bool was = map[i >> 3 & (SINK_DUP_WINDOW / 8 - 1)] & m;

	map[i >> 3 & (SINK_DUP_WINDOW / 8 - 1)] |= m;
	return was;
}

static void bit_clear(uint8_t *map, uint64_t i)
{
	map[i >> 3 & (SINK_DUP_WINDOW / 8 - 1)] &= ~(1U << (i & 7));
}

static void sink_frame(struct sink_state *s, const uint8_t *f,
		       unsigned int caplen, unsigned int len, uint64_t rx_ns,
		       uint64_t now)
{
	const struct iphdr *ip = (const void *)(f + IP_OFF);
	struct gen_payload pl;
	uint64_t seq, stamp;
	uint16_t sport, dport;
	unsigned int ihl;
	uint32_t flow;

	if (caplen < GEN_MIN_SIZE || f[12] != (ETH_P_IP >> 8) ||
	    f[13] != (ETH_P_IP & 0xff) || ip->version != 4 ||
	    ip->protocol != IPPROTO_UDP)
		goto other;
	ihl = ip->ihl * 4;
	if (ihl != 20)
		goto other;
	memcpy(&dport, f + UDP_OFF + 2, 2);
	memcpy(&pl, f + PL_OFF, sizeof(pl));
	dport = ntohs(dport);
	if (dport < GEN_DPORT || dport >= GEN_DPORT + GEN_DPORTS ||
	    ntohl(pl.magic) != GEN_MAGIC)
		goto other;
	memcpy(&sport, f + UDP_OFF, 2);
	flow = (uint32_t)(dport - GEN_DPORT) << 16 | ntohs(sport);
	seq = be64toh(pl.seq);
	stamp = be64toh(pl.stamp_ns);

	s->frames++;
	s->bytes += len;
	if (s->frames == 1) {
		s->first_ns = now;
		s->min_seq = s->max_seq = seq;
		s->seen_top = seq;
	}
	s->last_ns = now;
	if (rx_ns < stamp)
		s->early++; /* received before it was sent: a clock problem */
	lat_hist_add(&s->lat, rx_ns > stamp ? rx_ns - stamp : 0);
	lat_hist_add(&s->read_lat, now > stamp ? now - stamp : 0);

	/* Duplicates: a window of recent sequence numbers. */
	if (seq + SINK_DUP_WINDOW <= s->seen_top) {
		s->late++; /* too old to tell */
	} else {
		while (s->seen_top < seq)
			bit_clear(s->seen, ++s->seen_top);
		if (bit_test_set(s->seen, seq)) {
			s->dups++;
			return;
		}
	}
	s->unique++;
	if (seq < s->min_seq)
		s->min_seq = seq;
	if (seq > s->max_seq)
		s->max_seq = seq;
	/* Order is only promised within a flow. */
	if (seq + 1 < s->flow_next[flow])
		s->reordered++;
	else
		s->flow_next[flow] = seq + 1;
	return;
other:
	s->other++;
}

/* "name":{count, min, mean, p50, p90, p99, p999, max} */
static void print_hist(const char *name, const struct lat_hist *h)
{
	static const struct { const char *k; double p; } pcts[] = {
		{ "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p999", 99.9 },
	};
	unsigned int i;

	printf("\"%s\":{\"count\":%" PRIu64 ",\"min\":%" PRIu64
	       ",\"mean\":%.0f", name, h->n, h->min,
	       h->n ? (double)h->sum / h->n : 0.0);
	for (i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		printf(",\"%s\":%" PRIu64, pcts[i].k, lat_hist_pct(h, pcts[i].p));
	printf(",\"max\":%" PRIu64 "}", h->max);
}

static void sink_usage(void)
{
	fprintf(stderr,
		"Usage: colo_gen sink --dev IF [--ns NS] [--duration SEC(0: until signal)]\n"
		"         [--idle SEC(0: off)] [--idle-after-usr1] [--ring FRAMES(16384)]\n"
		"         [--nap-us US(0: wake on every frame)]\n");
}

static int do_sink(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "ns", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 't' },
		{ "idle", required_argument, NULL, 'i' },
		{ "idle-after-usr1", no_argument, NULL, 'u' },
		{ "nap-us", required_argument, NULL, 'N' },
		{ "ring", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *dev = NULL, *ns = NULL;
	double duration = 0, idle = 0;
	bool after_usr1 = false;
	uint64_t idle_from, done_ns = 0;
	unsigned int ring_frames = 16384, slot = 0, nap_us = 0;
	struct tpacket_req req = {};
	struct tpacket_stats kst = {};
	socklen_t kst_len = sizeof(kst);
	struct sink_state *s;
	uint64_t start, t, span, rx_ns;
	int64_t rt_off;
	int fd, opt, ver = TPACKET_V2, one = 1;
	uint8_t *ring;
	size_t ring_len;
	double pps;

	while ((opt = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 'n': ns = optarg; break;
		case 't': duration = parse_double(optarg, "duration"); break;
		case 'i': idle = parse_double(optarg, "idle"); break;
		case 'u': after_usr1 = true; break;
		case 'N': nap_us = parse_double(optarg, "nap-us"); break;
		case 'r': ring_frames = parse_double(optarg, "ring"); break;
		default:
			sink_usage();
			return opt == 'h' ? 0 : 2;
		}
	}
	if (!dev || ring_frames < 64) {
		sink_usage();
		return 2;
	}
	if (enter_netns(ns))
		return 1;

	s = calloc(1, sizeof(*s));
	if (!s)
		return 1;
	s->flow_next = calloc((size_t)GEN_DPORTS << 16, sizeof(*s->flow_next));
	s->seen = calloc(SINK_DUP_WINDOW / 8, 1);
	if (!s->flow_next || !s->seen)
		return 1;

	fd = packet_open(dev, ETH_P_IP, NULL);
	if (fd < 0)
		return 1;
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		       sizeof(one))) {
		fprintf(stderr, "Failed to set up the packet socket: %s\n",
			strerror(errno));
		return 1;
	}
	req.tp_block_size = SINK_BLOCK_SIZE;
	req.tp_frame_size = SINK_FRAME_SIZE;
	req.tp_block_nr = (ring_frames * SINK_FRAME_SIZE + SINK_BLOCK_SIZE - 1) /
			  SINK_BLOCK_SIZE;
	req.tp_frame_nr = req.tp_block_nr * (SINK_BLOCK_SIZE / SINK_FRAME_SIZE);
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req))) {
		fprintf(stderr, "Failed to set up the RX ring: %s\n",
			strerror(errno));
		return 1;
	}
	ring_len = (size_t)req.tp_block_size * req.tp_block_nr;
	ring = mmap(NULL, ring_len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, 0);
	if (ring == MAP_FAILED) {
		fprintf(stderr, "Failed to map the RX ring: %s\n",
			strerror(errno));
		return 1;
	}
	/* Drop what arrived before the ring existed. */
	getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &kst, &kst_len);
	memset(&kst, 0, sizeof(kst));

	install_signals();
	rt_off = realtime_offset();
	fprintf(stderr, "sink: ready on %s\n", dev);
	start = now_ns();
	while (!stop_flag) {
		struct tpacket2_hdr *h =
			(void *)(ring + (size_t)slot * SINK_FRAME_SIZE);

		if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER)) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			t = now_ns();
			if (duration > 0 && t - start >= duration * 1e9)
				break;
			if (after_usr1 && done_flag && !done_ns)
				done_ns = t;
			idle_from = s->last_ns > done_ns ? s->last_ns : done_ns;
			if (idle > 0 && (after_usr1 ? done_ns : s->frames) &&
			    t - idle_from >= idle * 1e9)
				break;
			/*
			 * Latency comes from the kernel's receive time, so
			 * the sink need not wake for every frame: napping
			 * keeps it off the CPU the forwarder shares with it.
			 */
			if (nap_us) {
				struct timespec ts = { 0, (long)nap_us * 1000 };

				nanosleep(&ts, NULL);
			} else {
				poll(&pfd, 1, 50);
			}
			rt_off = realtime_offset();
			continue;
		}
		t = now_ns();
		rx_ns = (uint64_t)h->tp_sec * 1000000000ULL + h->tp_nsec -
			(uint64_t)rt_off;
		sink_frame(s, (uint8_t *)h + h->tp_mac, h->tp_snaplen,
			   h->tp_len, rx_ns, t);
		__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL,
				 __ATOMIC_RELEASE);
		if (++slot == req.tp_frame_nr)
			slot = 0;
	}
	kst_len = sizeof(kst);
	getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &kst, &kst_len);

	span = s->last_ns - s->first_ns;
	pps = s->frames > 1 && span ? (double)(s->frames - 1) * 1e9 / span : 0;
	printf("{\"mode\":\"sink\",\"frames\":%" PRIu64 ",\"bytes\":%" PRIu64
	       ",\"span_s\":%.6f,\"pps\":%.1f,\"mbps\":%.3f,"
	       "\"unique\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"dups\":%" PRIu64
	       ",\"reordered\":%" PRIu64 ",\"late\":%" PRIu64
	       ",\"other\":%" PRIu64 ",\"min_seq\":%" PRIu64
	       ",\"max_seq\":%" PRIu64 ",\"ring_drops\":%u,",
	       s->frames, s->bytes, span / 1e9, pps,
	       span ? (double)s->bytes * 8e3 / span : 0.0, s->unique,
	       s->frames ? s->max_seq - s->min_seq + 1 - s->unique : 0,
	       s->dups, s->reordered, s->late, s->other, s->min_seq,
	       s->max_seq, kst.tp_drops);
	printf("\"early\":%" PRIu64 ",", s->early);
	print_hist("latency_ns", &s->lat);
	printf(",");
	print_hist("read_latency_ns", &s->read_lat);
	printf("}\n");
	munmap(ring, ring_len);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "send"))
		return do_send(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "sink"))
		return do_sink(argc - 1, argv + 1);
	fprintf(stderr, "Usage: colo_gen send|sink [--help] ...\n");
	return 2;
}
