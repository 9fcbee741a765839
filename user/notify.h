/* SPDX-License-Identifier: GPL-2.0 */
/*
 * notify.h - checkpoint requests over the protocol of QEMU colo-compare's
 * notify_dev (the one Xen COLO uses), byte for byte.
 *
 * Each message is a 4-byte big-endian length, then that many bytes of text
 * with no NUL. colo-xdp plays colo-compare and is the CLIENT:
 *
 *   we write  "DO_CHECKPOINT"              please checkpoint
 *   we read   "COLO_USERSPACE_PROXY_INIT"  -> we answer
 *   we write  "COLO_COMPARE_GET_XEN_INIT"
 *   we read   "COLO_CHECKPOINT"            done: ops->checkpoint_done()
 *
 * Unlike QEMU, a hostile or buggy peer never stops us: a zero length is
 * counted and skipped, an unknown message is counted and logged once per
 * kind, and a length over NOTIFY_MSG_MAX is counted and the connection is
 * dropped and made again. The connection is re-established with
 * exponential back-off; a request made while it is down is kept (requests
 * coalesce: one checkpoint settles every divergence) and sent on connect.
 * A DO_CHECKPOINT that was written but not answered when the connection
 * dropped is sent again on the next one: the new peer never saw it.
 *
 * Single-threaded and non-blocking: the caller polls notify_pollfd() and
 * calls notify_process() after poll and at notify_next_deadline().
 */
#ifndef COLO_NOTIFY_H
#define COLO_NOTIFY_H

#include <poll.h>
#include <stdbool.h>
#include <linux/types.h>

/* Longest message accepted from the peer (QEMU's own are < 32 bytes). */
#ifndef NOTIFY_MSG_MAX
#define NOTIFY_MSG_MAX 4096
#endif
/* Reconnect back-off: doubles from MIN to MAX, back to MIN once connected. */
#define NOTIFY_BACKOFF_MIN_MS 100
#define NOTIFY_BACKOFF_MAX_MS 5000
/* A TCP connect still in progress after this is abandoned and retried. */
#define NOTIFY_CONNECT_TIMEOUT_MS 5000
/* Longest SPEC accepted by notify_new(). */
#define NOTIFY_SPEC_MAX 256

#define NOTIFY_MSG_DO_CHECKPOINT "DO_CHECKPOINT"
#define NOTIFY_MSG_PROXY_INIT "COLO_USERSPACE_PROXY_INIT"
#define NOTIFY_MSG_XEN_INIT "COLO_COMPARE_GET_XEN_INIT"
#define NOTIFY_MSG_CHECKPOINT "COLO_CHECKPOINT"

struct notify;

struct notify_ops {
	/*
	 * The peer says the checkpoint is done: flush. May call
	 * notify_request(), must not call notify_free().
	 */
	void (*checkpoint_done)(void *ctx);
};

struct notify_stats {
	bool connected;
	bool pending;               /* a request waits to be sent */
	__u64 connects;             /* connections established */
	__u64 disconnects;          /* ...and lost (peer closed, error, oversize) */
	__u64 connect_failures;     /* attempts that did not connect */
	__u64 requests;             /* notify_request() calls */
	__u64 requests_sent;        /* DO_CHECKPOINT messages written */
	__u64 checkpoints_received; /* COLO_CHECKPOINT */
	__u64 inits_received;       /* COLO_USERSPACE_PROXY_INIT, each answered */
	__u64 bad_messages;         /* length 0 or over NOTIFY_MSG_MAX */
	__u64 unknown_messages;     /* well framed, not a known string */
};

/*
 * spec: "tcp:HOST:PORT" (HOST an IPv4 address, "[IPv6]" or a name, looked
 * up once, here) or "unix:PATH". Does not connect yet: the first
 * notify_process() does. Returns NULL with errno EINVAL (and one line
 * logged) for a bad spec, ENOMEM when out of memory.
 */
struct notify *notify_new(const char *spec, const struct notify_ops *ops,
			  void *ctx);
void notify_free(struct notify *n);

/* Asks for a checkpoint: sent now if connected, else once connected. */
void notify_request(struct notify *n);

/*
 * Fills *pfd with the fd to poll and returns 1, or returns 0 when there is
 * none (disconnected: see notify_next_deadline()). Events are POLLIN, plus
 * POLLOUT while connecting or while bytes wait to be written.
 */
int notify_pollfd(const struct notify *n, struct pollfd *pfd);

/*
 * Does whatever is due at now_ns (CLOCK_MONOTONIC): connects, reads and
 * handles messages, writes. Never blocks. Call it after poll() and at
 * notify_next_deadline(); calling it more often is harmless.
 */
void notify_process(struct notify *n, __u64 now_ns);

/* When notify_process() must run next at the latest; ~0ULL if no timer. */
__u64 notify_next_deadline(const struct notify *n);

void notify_get_stats(const struct notify *n, struct notify_stats *st);

/* The spec as given, for logs and stats. */
const char *notify_spec(const struct notify *n);

/*
 * Without a socket, for the fuzzer (tests/fuzz/fuzz_notify.c):
 * notify_feed() handles len bytes as if recv() had just returned them:
 * every complete message is handled as on a connection. It returns how
 * many bytes it took (fewer than len when the receive buffer is full), or
 * -1 if they made it drop the connection (the rest is then discarded).
 * notify_drain_tx() takes up to cap bytes of what waits to be written into
 * buf, as if send() had written them, and returns how many.
 */
int notify_feed(struct notify *n, const void *buf, size_t len);
size_t notify_drain_tx(struct notify *n, void *buf, size_t cap);

#endif /* COLO_NOTIFY_H */
