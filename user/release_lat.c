// SPDX-License-Identifier: GPL-2.0
/*
 * release_lat.c - arrival-to-transmission latency of released frames.
 */
#include <errno.h>
#include <stdlib.h>

#include "release_lat.h"

int release_lat_init(struct release_lat *r, __u32 nr_frames,
		     __u32 frame_size, __u64 now_ns)
{
	lat_hist_reset(&r->total);
	lat_hist_reset(&r->win[0]);
	lat_hist_reset(&r->win[1]);
	r->cur = 0;
	r->win_start_ns = now_ns;
	r->nr_frames = nr_frames;
	r->frame_shift = (__u32)__builtin_ctz(frame_size);
	r->arrival_ns = calloc(nr_frames, sizeof(*r->arrival_ns));
	return r->arrival_ns ? 0 : -ENOMEM;
}

void release_lat_free(struct release_lat *r)
{
	free(r->arrival_ns);
	r->arrival_ns = NULL;
}

void release_lat_sent(struct release_lat *r, __u64 addr, __u64 now_ns)
{
	__u64 i = addr >> r->frame_shift, t;

	if (i >= r->nr_frames)
		return;
	t = r->arrival_ns[i];
	/* A clock that went backwards is not a latency. */
	t = now_ns > t ? now_ns - t : 0;
	lat_hist_add(&r->total, t);
	lat_hist_add(&r->win[r->cur], t);
}

void release_lat_tick(struct release_lat *r, __u64 now_ns)
{
	if (now_ns - r->win_start_ns < RELEASE_LAT_WINDOW_NS)
		return;
	r->cur ^= 1;
	lat_hist_reset(&r->win[r->cur]);
	r->win_start_ns = now_ns;
}

const struct lat_hist *release_lat_last(const struct release_lat *r)
{
	return &r->win[r->cur ^ 1];
}
