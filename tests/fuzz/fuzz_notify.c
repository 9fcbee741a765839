// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_notify.c - libFuzzer target for the notify_dev message reader
 * (user/notify.c): what a hostile or broken checkpoint peer sends.
 *
 * Input: one byte picks how the stream is cut into reads (one byte at a
 * time, a few hundred, or all at once), one how often the peer reads our
 * answers, and the rest is the byte stream itself, handed over with
 * notify_feed() as if recv() had returned it, while notify_drain_tx()
 * plays the peer reading what we write.
 *
 * Checked, besides ASan (leaks included) and UBSan:
 *  - a read takes at most what it is given; one that drops the connection
 *    counts one disconnect and a bad message, one that does not drop it
 *    counts no disconnect;
 *  - the reader never stalls: with our answers read, a full receive buffer
 *    always makes progress;
 *  - what we write is well framed, and every message is the answer to a
 *    COLO_USERSPACE_PROXY_INIT: as many as inits_received says (at most
 *    as many once a disconnect threw unread ones away);
 *  - checkpoint_done runs once per COLO_CHECKPOINT counted.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "log.h"
#include "notify.h"

/* log.c pulls in libbpf; the fuzzer only needs the formats exercised. */
void log_print(enum log_level lvl, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	(void)lvl;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
}

struct peer {
	struct notify *n;
	__u64 checkpoints;   /* checkpoint_done calls */
	__u64 answers;       /* XEN_INIT messages read back */
	uint8_t buf[64];     /* a message we write is shorter */
	size_t len;
	bool lost;           /* a disconnect threw unread answers away */
};

static void on_checkpoint_done(void *ctx)
{
	struct peer *p = ctx;

	p->checkpoints++;
	/* allowed from the callback: a divergence found while flushing */
	if (p->checkpoints % 3 == 0)
		notify_request(p->n);
}

static const struct notify_ops ops = {
	.checkpoint_done = on_checkpoint_done,
};

/* Reads what we wrote, as the peer would; every message must be an answer. */
static void peer_read(struct peer *p, size_t cap)
{
	uint8_t out[512];
	size_t got, i;
	__u32 mlen;

	while (cap) {
		got = notify_drain_tx(p->n, out, cap < sizeof(out) ? cap :
							       sizeof(out));
		FZ_CHECK(got <= cap, "drained %zu of %zu", got, cap);
		if (!got)
			return;
		cap -= got;
		for (i = 0; i < got; i++) {
			FZ_CHECK(p->len < sizeof(p->buf),
				 "we wrote a message over %zu bytes",
				 sizeof(p->buf));
			p->buf[p->len++] = out[i];
			if (p->len < 4)
				continue;
			mlen = (__u32)p->buf[0] << 24 | (__u32)p->buf[1] << 16 |
			       (__u32)p->buf[2] << 8 | p->buf[3];
			FZ_CHECK(mlen == strlen(NOTIFY_MSG_XEN_INIT),
				 "we wrote a message of %u bytes", mlen);
			if (p->len < 4 + mlen)
				continue;
			FZ_CHECK(!memcmp(p->buf + 4, NOTIFY_MSG_XEN_INIT, mlen),
				 "we wrote something else than the answer");
			p->answers++;
			p->len = 0;
		}
	}
}

/* What we wrote on the old connection and was not read is gone. */
static void disconnected(struct peer *p)
{
	p->len = 0;
	p->lost = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct notify_stats before, after;
	struct peer p = { 0 };
	size_t off = 2, chunk, want;
	int every, feeds = 0, r;

	if (size < 2)
		return 0;
	/* 1, 34, ... bytes per read, or 255: everything at once */
	chunk = data[0] == 255 ? size : 1 + (size_t)data[0] * 33;
	every = data[1] % 5; /* the peer reads our answers every Nth read */

	p.n = notify_new("unix:/nonexistent/colo-fuzz.sock", &ops, &p);
	FZ_CHECK(p.n, "notify_new");

	while (off < size) {
		want = size - off < chunk ? size - off : chunk;
		notify_get_stats(p.n, &before);
		r = notify_feed(p.n, data + off, want);
		notify_get_stats(p.n, &after);
		FZ_CHECK(r >= -1 && r <= (int)want, "took %d of %zu", r, want);
		if (r < 0) {
			disconnected(&p);
			FZ_CHECK(after.disconnects == before.disconnects + 1 &&
					 after.bad_messages >
						 before.bad_messages,
				 "a dropped connection not counted");
			off += want;
		} else {
			FZ_CHECK(after.disconnects == before.disconnects,
				 "disconnected without saying so");
			off += (size_t)r;
		}
		if (r == 0) {
			/* the buffer is full: once we are read, it must move */
			peer_read(&p, SIZE_MAX);
			r = notify_feed(p.n, data + off, want);
			FZ_CHECK(r != 0, "stalled with a full receive buffer");
			if (r < 0)
				disconnected(&p);
			off += r < 0 ? want : (size_t)r;
		}
		if (every && ++feeds % every == 0)
			peer_read(&p, 1 + (size_t)data[off % size] * 4);
	}

	/* the end: read everything, let it finish what it held back */
	do {
		peer_read(&p, SIZE_MAX);
		notify_get_stats(p.n, &before);
		r = notify_feed(p.n, NULL, 0);
		notify_get_stats(p.n, &after);
		FZ_CHECK(r == 0 || r == -1, "took %d of 0", r);
		if (r < 0)
			disconnected(&p);
	} while (after.inits_received != before.inits_received);
	peer_read(&p, SIZE_MAX);

	FZ_CHECK(p.len == 0, "a partial message left in what we wrote");
	FZ_CHECK(p.lost ? p.answers <= after.inits_received :
			  p.answers == after.inits_received,
		 "%llu answers read, %llu inits counted",
		 (unsigned long long)p.answers,
		 (unsigned long long)after.inits_received);
	FZ_CHECK(p.checkpoints == after.checkpoints_received,
		 "%llu callbacks, %llu checkpoints counted",
		 (unsigned long long)p.checkpoints,
		 (unsigned long long)after.checkpoints_received);
	FZ_CHECK(!after.connected && after.requests_sent == 0,
		 "connected without a socket");
	notify_free(p.n);
	return 0;
}
