/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lat_hist.h - a log-linear histogram of nanosecond latencies.
 *
 * 32 sub-buckets per power of two: any value is off by at most ~3% from
 * the bucket it lands in, memory is fixed (~9 KiB) and adding is a few
 * instructions, so the daemon can count every released frame. Values up to
 * 2^41 ns (~36 minutes) are told apart; larger ones share the last bucket.
 *
 * Userspace only: the daemon's release latency and colo_gen's sink use it.
 */
#ifndef COLO_LAT_HIST_H
#define COLO_LAT_HIST_H

#include <stdint.h>
#include <string.h>

#define LAT_HIST_SUB_BITS 5
#define LAT_HIST_SUB (1U << LAT_HIST_SUB_BITS)
#define LAT_HIST_MAX_MSB 40
#define LAT_HIST_BUCKETS ((LAT_HIST_MAX_MSB - LAT_HIST_SUB_BITS + 2) * LAT_HIST_SUB)

struct lat_hist {
	uint64_t b[LAT_HIST_BUCKETS];
	uint64_t n, sum, min, max;
};

static inline unsigned int lat_hist_idx(uint64_t v)
{
	unsigned int msb, shift;

	if (v < 2 * LAT_HIST_SUB)
		return (unsigned int)v;
	msb = 63 - (unsigned int)__builtin_clzll(v);
	if (msb > LAT_HIST_MAX_MSB)
		return LAT_HIST_BUCKETS - 1;
	shift = msb - LAT_HIST_SUB_BITS;
	return (shift + 1) * LAT_HIST_SUB +
	       (unsigned int)((v >> shift) & (LAT_HIST_SUB - 1));
}

/* The middle of bucket idx. */
static inline uint64_t lat_hist_value(unsigned int idx)
{
	unsigned int shift;

	if (idx < 2 * LAT_HIST_SUB)
		return idx;
	shift = idx / LAT_HIST_SUB - 1;
	return ((uint64_t)(LAT_HIST_SUB + idx % LAT_HIST_SUB) << shift) +
	       ((1ULL << shift) >> 1);
}

static inline void lat_hist_reset(struct lat_hist *h)
{
	memset(h, 0, sizeof(*h));
}

static inline void lat_hist_add(struct lat_hist *h, uint64_t v)
{
	h->b[lat_hist_idx(v)]++;
	if (!h->n || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->n++;
	h->sum += v;
}

/* The pct-th percentile (0..100); 0 for an empty histogram. */
static inline uint64_t lat_hist_pct(const struct lat_hist *h, double pct)
{
	uint64_t want, acc = 0;
	unsigned int i;

	if (!h->n)
		return 0;
	want = (uint64_t)(pct / 100.0 * (double)h->n);
	if (want >= h->n)
		want = h->n - 1;
	for (i = 0; i < LAT_HIST_BUCKETS; i++) {
		acc += h->b[i];
		if (acc > want) {
			uint64_t v = lat_hist_value(i);

			/* The bucket's middle may lie outside what was seen. */
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}

#endif /* COLO_LAT_HIST_H */
