// SPDX-License-Identifier: GPL-2.0
/*
 * test_release_lat.c - the latency histogram (include/lat_hist.h) and the
 * daemon's arrival-to-transmission bookkeeping (user/release_lat.c).
 */
#include <stdlib.h>

#include "lat_hist.h"
#include "release_lat.h"
#include "test_util.h"

TEST_STATE_DEFINE;

#define FRAME 4096

/* Every value maps to a bucket whose middle is within 1/32 of it. */
static void test_bucket_precision(void)
{
	uint64_t v;
	bool ok = true;

	for (v = 0; v < (1ULL << 40); v = v * 1.07 + 1) {
		uint64_t mid = lat_hist_value(lat_hist_idx(v));
		uint64_t err = mid > v ? mid - v : v - mid;

		if (err * 32 > v && err > 1) {
			ok = false;
			printf("  %" PRIu64 " -> %" PRIu64 "\n", v, mid);
			break;
		}
		if (lat_hist_idx(v) >= LAT_HIST_BUCKETS) {
			ok = false;
			break;
		}
	}
	ASSERT_TRUE(ok, "bucket within 1/32");
	ASSERT_EQ(lat_hist_idx(~0ULL), LAT_HIST_BUCKETS - 1, "huge value");
}

static void test_percentiles(void)
{
	struct lat_hist h;
	uint64_t p50, p99;
	int i;

	lat_hist_reset(&h);
	ASSERT_EQ(lat_hist_pct(&h, 99), 0, "empty");
	/* 995 frames at 10 us, 5 at 1 ms: p50 and p99 10 us, p99.9 1 ms */
	for (i = 0; i < 995; i++)
		lat_hist_add(&h, 10000);
	for (i = 0; i < 5; i++)
		lat_hist_add(&h, 1000000);
	p50 = lat_hist_pct(&h, 50);
	p99 = lat_hist_pct(&h, 99);
	ASSERT_TRUE(p50 >= 9700 && p50 <= 10300, "p50");
	ASSERT_TRUE(p99 >= 9700 && p99 <= 10300, "p99 is still 10 us");
	ASSERT_EQ(lat_hist_pct(&h, 99.9), 1000000, "p99.9 clamped to max");
	ASSERT_EQ(h.min, 10000, "min");
	ASSERT_EQ(h.max, 1000000, "max");
	ASSERT_EQ(h.n, 1000, "count");
}

static void test_arrival_to_sent(void)
{
	struct release_lat r;
	const struct lat_hist *last;
	uint64_t t = 5000000000ULL;

	if (!ASSERT_OK(release_lat_init(&r, 16, FRAME, t), "init"))
		return;
	/* frame 3 arrives at t, leaves 20 us later */
	release_lat_arrived(&r, 3 * FRAME + 256, t);
	release_lat_sent(&r, 3 * FRAME, t + 20000);
	ASSERT_EQ(r.total.n, 1, "counted");
	ASSERT_EQ(r.total.max, 20000, "arrival to sent");
	/* addresses past the UMEM are ignored, not written */
	release_lat_arrived(&r, 16 * FRAME, t);
	release_lat_sent(&r, 99 * FRAME, t);
	ASSERT_EQ(r.total.n, 1, "out of range ignored");
	/* a send stamped before the arrival counts as 0, not 2^64 */
	release_lat_arrived(&r, 4 * FRAME, t + 50000);
	release_lat_sent(&r, 4 * FRAME, t + 40000);
	ASSERT_EQ(r.total.n, 2, "backwards counted");
	ASSERT_EQ(r.total.min, 0, "backwards is 0");

	/* the last window is empty until a second has passed */
	last = release_lat_last(&r);
	ASSERT_EQ(last->n, 0, "no full window yet");
	release_lat_tick(&r, t + 999999999ULL);
	ASSERT_EQ(release_lat_last(&r)->n, 0, "still the first window");
	release_lat_tick(&r, t + 1000000000ULL);
	last = release_lat_last(&r);
	ASSERT_EQ(last->n, 2, "first window complete");
	ASSERT_EQ(last->max, 20000, "its max");
	/* the next window starts empty and replaces it after a second */
	release_lat_arrived(&r, 5 * FRAME, t + 1100000000ULL);
	release_lat_sent(&r, 5 * FRAME, t + 1100000000ULL + 7000);
	release_lat_tick(&r, t + 2000000000ULL);
	last = release_lat_last(&r);
	ASSERT_EQ(last->n, 1, "second window");
	ASSERT_EQ(last->max, 7000, "second window max");
	ASSERT_EQ(r.total.n, 3, "total keeps everything");
	release_lat_free(&r);
}

int main(int argc, char **argv)
{
	test__init(argc, argv);
	RUN_SUBTEST("bucket_precision", test_bucket_precision);
	RUN_SUBTEST("percentiles", test_percentiles);
	RUN_SUBTEST("arrival_to_sent", test_arrival_to_sent);
	return test__summary("test_release_lat");
}
