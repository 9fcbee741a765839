/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz_util.h - what colo-xdp's libFuzzer targets share: a check that
 * aborts (so libFuzzer saves the input as a crash) with the broken
 * invariant printed, and a reader that turns the fuzzer's bytes into
 * choices.
 *
 * The reader never fails: past the end of the input it returns zeros, and
 * fz_left() tells a harness's loop when to stop. Choices come from the
 * front of the input so that libFuzzer's mutations (which work on bytes)
 * map to small changes of the scenario.
 */
#ifndef COLO_FUZZ_UTIL_H
#define COLO_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An invariant of the code under test: abort with its text if it fails. */
#define FZ_CHECK(cond, fmt, ...)                                           \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: check failed: %s: " fmt   \
				"\n", __FILE__, __LINE__, #cond,           \
				##__VA_ARGS__);                            \
			abort();                                           \
		}                                                          \
	} while (0)

struct fz_in {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static inline void fz_init(struct fz_in *in, const uint8_t *p, size_t len)
{
	in->p = p;
	in->len = len;
	in->off = 0;
}

static inline size_t fz_left(const struct fz_in *in)
{
	return in->len - in->off;
}

static inline uint8_t fz_u8(struct fz_in *in)
{
	return in->off < in->len ? in->p[in->off++] : 0;
}

static inline uint16_t fz_u16(struct fz_in *in)
{
	uint16_t hi = fz_u8(in);

	return (uint16_t)(hi << 8 | fz_u8(in));
}

static inline uint32_t fz_u32(struct fz_in *in)
{
	uint32_t hi = fz_u16(in);

	return hi << 16 | fz_u16(in);
}

/* Up to max bytes into dst; returns how many there were. */
static inline size_t fz_bytes(struct fz_in *in, void *dst, size_t max)
{
	size_t n = fz_left(in) < max ? fz_left(in) : max;

	memcpy(dst, in->p + in->off, n);
	in->off += n;
	return n;
}

#endif /* COLO_FUZZ_UTIL_H */
