/* SPDX-License-Identifier: GPL-2.0 */
/*
 * release_lat.h - the latency colo-xdp adds to every released frame.
 *
 * Measured per primary frame from its arrival in the XDP program (the
 * metadata's bpf_ktime_get_ns(), CLOCK_MONOTONIC like the daemon's clock) to
 * the kernel's completion of its transmission on out: the time the frame
 * spent waiting for its secondary twin, in the comparator and in the TX
 * ring. Kept since start and for the last full one-second window, which is
 * what an operator watching `colo-xdp stats` wants to see.
 */
#ifndef COLO_RELEASE_LAT_H
#define COLO_RELEASE_LAT_H

#include <linux/types.h>

#include "lat_hist.h"

#define RELEASE_LAT_WINDOW_NS 1000000000ULL

struct release_lat {
	__u64 *arrival_ns;       /* per UMEM frame: the primary frame's arrival */
	__u32 nr_frames;
	__u32 frame_shift;       /* log2 of the frame size */
	struct lat_hist total;
	struct lat_hist win[2];  /* win[cur] fills, the other is the last full one */
	int cur;
	__u64 win_start_ns;
};

int release_lat_init(struct release_lat *r, __u32 nr_frames,
		     __u32 frame_size, __u64 now_ns);
void release_lat_free(struct release_lat *r);

/* A primary frame at addr arrived at arrival_ns. */
static inline void release_lat_arrived(struct release_lat *r, __u64 addr,
				       __u64 arrival_ns)
{
	__u64 i = addr >> r->frame_shift;

	if (i < r->nr_frames)
		r->arrival_ns[i] = arrival_ns;
}

/* The frame at addr left on out at now_ns. */
void release_lat_sent(struct release_lat *r, __u64 addr, __u64 now_ns);
/* Starts a new window once the current one is a second old. */
void release_lat_tick(struct release_lat *r, __u64 now_ns);
/* The last full window (empty during the first second). */
const struct lat_hist *release_lat_last(const struct release_lat *r);

#endif /* COLO_RELEASE_LAT_H */
