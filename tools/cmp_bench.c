// SPDX-License-Identifier: GPL-2.0
/*
 * cmp_bench.c - the comparator alone, without sockets or kernel: identical
 * primary and secondary UDP streams over N flows, fed from an in-memory
 * frame region, every primary frame matched and released.
 *
 *   cmp_bench [--size BYTES] [--flows N] [--frames N]
 *
 * Prints frames/s of wall time. Under `valgrind --tool=callgrind` it gives
 * the instructions each released frame costs in userspace, and where they
 * go (tools/profile.sh): a figure that does not depend on the machine's
 * load, unlike the veth benchmark.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "colo_parse.h"
#include "compare.h"
#include "../tests/frames.h"

#define BENCH_FRAME_SIZE 4096
#define BENCH_HEADROOM 256
#define BENCH_SLOTS 4096 /* frames per side in the region */

struct bench {
	__u8 *region;
	struct colo_pkt pkt[2 * BENCH_SLOTS];
	__u32 len[2 * BENCH_SLOTS];
	unsigned long released, dropped;
};

static void on_release(void *ctx, __u64 addr, __u32 len)
{
	struct bench *b = ctx;

	(void)addr;
	(void)len;
	b->released++;
}

static void on_drop(void *ctx, __u64 addr, enum cmp_drop_reason why)
{
	struct bench *b = ctx;

	(void)addr;
	(void)why;
	b->dropped++;
}

static __u64 addr_of(__u32 slot)
{
	return (__u64)slot * BENCH_FRAME_SIZE + BENCH_HEADROOM;
}

/* Slot k of each side carries flow k % flows, the same bytes on both. */
static int fill(struct bench *b, unsigned int size, unsigned int flows)
{
	static __u8 payload[2048];
	__u8 buf[FRAME_BUF];
	__u32 k, side, slot;
	size_t len;

	memset(payload, 0x5a, sizeof(payload));
	for (k = 0; k < BENCH_SLOTS; k++) {
		struct frame_spec s = frame_udp(4, 10000 + k % flows, 9, payload,
						size > 42 ? size - 42 : 0);

		/* spread flows over addresses too, as many clients would */
		char src[16];

		snprintf(src, sizeof(src), "10.%u.%u.1", (k % flows) >> 16 & 255,
			 (k % flows) >> 8 & 255);
		s.src = src;
		len = frame_build(&s, buf, sizeof(buf));
		if (!len)
			return -1;
		for (side = 0; side < 2; side++) {
			slot = side * BENCH_SLOTS + k;
			memcpy(b->region + addr_of(slot), buf, len);
			b->len[slot] = len;
			if (colo_parse(buf, buf + len, &b->pkt[slot]))
				return -1;
		}
	}
	return 0;
}

static void reflow(struct bench *b, __u32 k, __u32 flow)
{
	__u32 side, slot;
	__u8 *f;

	for (side = 0; side < 2; side++) {
		slot = side * BENCH_SLOTS + k;
		f = b->region + addr_of(slot);
		/* UDP source port of an untagged IPv4 frame with a 20-byte header */
		f[34] = (10000 + flow) >> 8;
		f[35] = (10000 + flow) & 0xff;
		f[26 + 1] = flow >> 8 & 255; /* second byte of the source address */
		colo_parse(f, f + b->len[slot], &b->pkt[slot]);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "flows", required_argument, NULL, 'f' },
		{ "frames", required_argument, NULL, 'n' },
		{}
	};
	unsigned int size = 64, flows = 1, i;
	unsigned long frames = 1000000;
	struct cmp_ops ops = { .release = on_release, .drop = on_drop };
	struct cmp_config cfg = {
		.frame_size = BENCH_FRAME_SIZE,
		.nr_frames = 2 * BENCH_SLOTS,
		.max_conns = 1 << 18,
		.max_queue = 1024,
		.compare_timeout_ns = 3000000000ULL,
		.idle_timeout_ns = 120000000000ULL,
		.linger_ns = 2000000000ULL,
	};
	struct timespec t0, t1;
	struct comparator *c;
	struct bench b = {};
	double secs;
	int opt;

	while ((opt = getopt_long(argc, argv, "s:f:n:", opts, NULL)) != -1) {
		switch (opt) {
		case 's': size = atoi(optarg); break;
		case 'f': flows = atoi(optarg); break;
		case 'n': frames = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: cmp_bench [--size B] [--flows N] [--frames N]\n");
			return 2;
		}
	}
	if (size < 60 || size > 1514 || !flows || flows > (1 << 18)) {
		fprintf(stderr, "cmp_bench: --size 60..1514, --flows 1..262144\n");
		return 2;
	}
	b.region = calloc(2 * BENCH_SLOTS, BENCH_FRAME_SIZE);
	if (!b.region || fill(&b, size, flows)) {
		fprintf(stderr, "cmp_bench: set-up failed\n");
		return 1;
	}
	cfg.umem = b.region;
	c = cmp_new(&cfg, &ops, &b);
	if (!c) {
		perror("cmp_new");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < frames; i++) {
		__u32 k = i % BENCH_SLOTS;
		__u64 now = i * 1000ULL;

		/*
		 * More flows than slots: give this round's frames their flow's
		 * source port, and parse them again as the XDP program would.
		 */
		if (flows > BENCH_SLOTS)
			reflow(&b, k, i % flows);

		cmp_input(c, COLO_ROLE_PRIMARY, addr_of(k), b.len[k], &b.pkt[k], now);
		cmp_input(c, COLO_ROLE_SECONDARY, addr_of(BENCH_SLOTS + k),
			  b.len[BENCH_SLOTS + k], &b.pkt[BENCH_SLOTS + k], now);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("{\"size\": %u, \"flows\": %u, \"frames\": %lu, \"released\": %lu, "
	       "\"secondary_consumed\": %lu, \"released_per_s\": %.0f}\n",
	       size, flows, frames, b.released, b.dropped, b.released / secs);
	cmp_free(c);
	free(b.region);
	return b.released == frames ? 0 : 1;
}
