// SPDX-License-Identifier: GPL-2.0
/*
 * test_notify.c - the notify_dev client against a real peer in this
 * process, on 127.0.0.1, [::1] and a Unix socket.
 *
 * The peer is a non-blocking listener that accepts, records every byte
 * the client writes (across connections) and writes what a test queues.
 * pump() drives both sides the way the daemon drives the client:
 * notify_pollfd() -> poll() -> notify_process(), until a condition holds
 * or a deadline passes. The back-off test alone runs on a fake clock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"
#include "notify.h"

TEST_STATE_DEFINE;

#define MS 1000000ULL
#define PEER_IN_MAX (4 << 20)

/* What the client must write, byte for byte. */
static const char DO_MSG[] = "\0\0\0\x0d" "DO_CHECKPOINT";
#define DO_LEN 17
static const char XEN_MSG[] = "\0\0\0\x19" "COLO_COMPARE_GET_XEN_INIT";
#define XEN_LEN 29

enum kind { K_TCP4, K_TCP6, K_UNIX };

struct peer {
	enum kind kind;
	int lfd;            /* listener, or -1 */
	int cfd;            /* the accepted connection, or -1 */
	int accepts;
	int eofs;           /* connections the client closed */
	bool no_read;       /* leave what the client writes in the socket */
	__u8 *in;           /* everything read, over every connection */
	size_t in_len;
	__u8 *out;          /* queued for the client */
	size_t out_len, out_off;
	int port;
	char path[108];
};

struct t {
	struct notify *n;
	struct peer p;
	int done;           /* checkpoint_done() calls */
	bool request_in_cb; /* checkpoint_done() calls notify_request() */
	char dir[64];
};

/* --- the peer -------------------------------------------------------------- */

static int peer_listen(struct peer *p)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_un *su = (struct sockaddr_un *)&ss;
	socklen_t len;
	int one = 1, fd;

	switch (p->kind) {
	case K_TCP4:
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p->port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s4);
		break;
	case K_TCP6:
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p->port);
		s6->sin6_addr = in6addr_loopback;
		len = sizeof(*s6);
		break;
	default:
		su->sun_family = AF_UNIX;
		snprintf(su->sun_path, sizeof(su->sun_path), "%s", p->path);
		unlink(p->path);
		len = sizeof(*su);
		break;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4)) {
		close(fd);
		return -1;
	}
	if (p->kind != K_UNIX && !p->port) {
		getsockname(fd, (struct sockaddr *)&ss, &len);
		p->port = ntohs(p->kind == K_TCP4 ? s4->sin_port : s6->sin6_port);
	}
	p->lfd = fd;
	return 0;
}

static void peer_read(struct peer *p)
{
	ssize_t r;

	while (p->cfd >= 0 && !p->no_read && p->in_len < PEER_IN_MAX) {
		r = recv(p->cfd, p->in + p->in_len, PEER_IN_MAX - p->in_len,
			 MSG_DONTWAIT);
		if (r > 0) {
			p->in_len += r;
			continue;
		}
		if (r < 0 && errno == EAGAIN)
			return;
		close(p->cfd);
		p->cfd = -1;
		p->eofs++;
	}
}

static void peer_service(struct peer *p)
{
	ssize_t w;
	int fd;

	if (p->lfd >= 0) {
		fd = accept4(p->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			/* A reconnect: take what the old one had first. */
			peer_read(p);
			if (p->cfd >= 0)
				close(p->cfd);
			p->cfd = fd;
			p->accepts++;
			p->out_len = p->out_off = 0;
		}
	}
	peer_read(p);
	while (p->cfd >= 0 && p->out_off < p->out_len) {
		w = send(p->cfd, p->out + p->out_off, p->out_len - p->out_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w <= 0)
			break;
		p->out_off += w;
	}
}

/* Queues len bytes for the client (sent by peer_service()). */
static void peer_queue(struct peer *p, const void *buf, size_t len)
{
	if (p->out_off == p->out_len)
		p->out_len = p->out_off = 0;
	p->out = realloc(p->out, p->out_len + len);
	memcpy(p->out + p->out_len, buf, len);
	p->out_len += len;
}

/* Queues one framed message (len overrides strlen(msg) when >= 0). */
static void peer_msg(struct peer *p, const char *msg, long len)
{
	__u32 n = len >= 0 ? (__u32)len : strlen(msg);
	__u32 be = htonl(n);

	peer_queue(p, &be, 4);
	peer_queue(p, msg, n);
}

static void peer_close(struct peer *p)
{
	if (p->cfd >= 0)
		close(p->cfd);
	if (p->lfd >= 0)
		close(p->lfd);
	p->cfd = p->lfd = -1;
}

/* --- driving ---------------------------------------------------------------- */

static void on_done(void *ctx)
{
	struct t *t = ctx;

	t->done++;
	if (t->request_in_cb)
		notify_request(t->n);
}

static const struct notify_ops ops = { .checkpoint_done = on_done };

typedef bool (*cond_fn)(struct t *t, long arg);

/* Runs client and peer until cond(t, arg) or timeout_ms; returns cond. */
static bool pump(struct t *t, int timeout_ms, cond_fn cond, long arg)
{
	__u64 deadline = mono_ns() + timeout_ms * MS;
	struct pollfd pfd[3];
	int n;

	for (;;) {
		n = notify_pollfd(t->n, &pfd[0]);
		if (t->p.lfd >= 0)
			pfd[n++] = (struct pollfd){ .fd = t->p.lfd, .events = POLLIN };
		if (t->p.cfd >= 0)
			pfd[n++] = (struct pollfd){
				.fd = t->p.cfd,
				.events = (t->p.no_read ? 0 : POLLIN) |
					  (t->p.out_off < t->p.out_len ? POLLOUT : 0)
			};
		poll(pfd, n, 5);
		notify_process(t->n, mono_ns());
		peer_service(&t->p);
		if (cond && cond(t, arg))
			return true;
		if (mono_ns() >= deadline)
			return cond ? cond(t, arg) : true;
	}
}

static bool c_connected(struct t *t, long arg)
{
	struct notify_stats st;

	notify_get_stats(t->n, &st);
	return st.connected && t->p.cfd >= 0 && t->p.accepts >= arg;
}

static bool c_disconnected(struct t *t, long arg)
{
	struct notify_stats st;

	(void)arg;
	notify_get_stats(t->n, &st);
	return !st.connected;
}

static bool c_in(struct t *t, long arg)
{
	return t->p.in_len >= (size_t)arg;
}

static bool c_done(struct t *t, long arg)
{
	return t->done >= arg;
}

static bool c_sent(struct t *t, long arg)
{
	(void)arg;
	return t->p.out_off == t->p.out_len;
}

static bool setup(struct t *t, enum kind kind)
{
	char spec[200];

	memset(t, 0, sizeof(*t));
	t->p.kind = kind;
	t->p.lfd = t->p.cfd = -1;
	t->p.in = malloc(PEER_IN_MAX);
	if (kind == K_UNIX) {
		snprintf(t->dir, sizeof(t->dir), "/tmp/test_notify.XXXXXX");
		if (!ASSERT_OK_PTR(mkdtemp(t->dir), "mkdtemp"))
			return false;
		snprintf(t->p.path, sizeof(t->p.path), "%s/peer.sock", t->dir);
	}
	if (!ASSERT_OK(peer_listen(&t->p), "peer listens"))
		return false;
	if (kind == K_UNIX)
		snprintf(spec, sizeof(spec), "unix:%s", t->p.path);
	else if (kind == K_TCP6)
		snprintf(spec, sizeof(spec), "tcp:[::1]:%d", t->p.port);
	else
		snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", t->p.port);
	t->n = notify_new(spec, &ops, t);
	return ASSERT_OK_PTR(t->n, "notify_new");
}

static bool setup_connected(struct t *t, enum kind kind)
{
	if (!setup(t, kind))
		return false;
	return ASSERT_TRUE(pump(t, 2000, c_connected, 1), "connected");
}

static void teardown(struct t *t)
{
	notify_free(t->n);
	peer_close(&t->p);
	free(t->p.in);
	free(t->p.out);
	if (t->dir[0]) {
		unlink(t->p.path);
		rmdir(t->dir);
	}
}

static struct notify_stats stats(struct t *t)
{
	struct notify_stats st;

	notify_get_stats(t->n, &st);
	return st;
}

/* --- subtests ---------------------------------------------------------------- */

static void test_request(enum kind kind)
{
	struct t t;

	if (!setup_connected(&t, kind))
		goto out;
	ASSERT_EQ(t.p.in_len, 0, "nothing written before a request");
	notify_request(t.n);
	ASSERT_TRUE(pump(&t, 2000, c_in, DO_LEN), "DO_CHECKPOINT arrives");
	pump(&t, 50, NULL, 0);
	ASSERT_EQ(t.p.in_len, DO_LEN, "exactly one message");
	ASSERT_MEMEQ(t.p.in, DO_MSG, DO_LEN, "DO_CHECKPOINT bytes");
	ASSERT_EQ(stats(&t).requests, 1, "requests");
	ASSERT_EQ(stats(&t).requests_sent, 1, "requests_sent");
	ASSERT_EQ(stats(&t).connects, 1, "connects");
	ASSERT_FALSE(stats(&t).pending, "nothing pending");

	/* A second request once the first went out is a second message. */
	notify_request(t.n);
	ASSERT_TRUE(pump(&t, 2000, c_in, 2 * DO_LEN), "second DO_CHECKPOINT");
	ASSERT_MEMEQ(t.p.in + DO_LEN, DO_MSG, DO_LEN, "second message bytes");
	ASSERT_EQ(stats(&t).requests_sent, 2, "requests_sent");
out:
	teardown(&t);
}

static void test_request_before_connect(void)
{
	struct t t;

	if (!setup(&t, K_TCP4))
		goto out;
	notify_request(t.n); /* before the first notify_process() */
	notify_request(t.n);
	ASSERT_TRUE(stats(&t).pending, "pending while not connected");
	ASSERT_TRUE(pump(&t, 2000, c_in, DO_LEN), "sent once connected");
	pump(&t, 50, NULL, 0);
	ASSERT_EQ(t.p.in_len, DO_LEN, "two requests, one message");
	ASSERT_MEMEQ(t.p.in, DO_MSG, DO_LEN, "DO_CHECKPOINT bytes");
	ASSERT_EQ(stats(&t).requests, 2, "requests");
	ASSERT_EQ(stats(&t).requests_sent, 1, "requests_sent");
out:
	teardown(&t);
}

static void test_init(enum kind kind)
{
	struct t t;

	if (!setup_connected(&t, kind))
		goto out;
	peer_msg(&t.p, NOTIFY_MSG_PROXY_INIT, -1);
	ASSERT_TRUE(pump(&t, 2000, c_in, XEN_LEN), "answer arrives");
	pump(&t, 50, NULL, 0);
	ASSERT_EQ(t.p.in_len, XEN_LEN, "exactly one answer");
	ASSERT_MEMEQ(t.p.in, XEN_MSG, XEN_LEN, "COLO_COMPARE_GET_XEN_INIT bytes");
	ASSERT_EQ(stats(&t).inits_received, 1, "inits_received");
	ASSERT_EQ(t.done, 0, "no checkpoint_done");
out:
	teardown(&t);
}

static void test_checkpoint(enum kind kind)
{
	struct t t;

	if (!setup_connected(&t, kind))
		goto out;
	notify_request(t.n);
	ASSERT_TRUE(pump(&t, 2000, c_in, DO_LEN), "request out");
	peer_msg(&t.p, NOTIFY_MSG_CHECKPOINT, -1);
	ASSERT_TRUE(pump(&t, 2000, c_done, 1), "checkpoint_done called");
	pump(&t, 50, NULL, 0);
	ASSERT_EQ(t.done, 1, "called once");
	ASSERT_EQ(stats(&t).checkpoints_received, 1, "checkpoints_received");
	ASSERT_EQ(t.p.in_len, DO_LEN, "nothing written back");
	ASSERT_EQ(stats(&t).bad_messages + stats(&t).unknown_messages, 0,
		  "no bad or unknown message");
out:
	teardown(&t);
}

/* The daemon may ask again from inside checkpoint_done(). */
static void test_request_from_callback(void)
{
	struct t t;

	if (!setup_connected(&t, K_TCP4))
		goto out;
	t.request_in_cb = true;
	peer_msg(&t.p, NOTIFY_MSG_CHECKPOINT, -1);
	ASSERT_TRUE(pump(&t, 2000, c_in, DO_LEN), "request from the callback");
	ASSERT_EQ(t.done, 1, "checkpoint_done called once");
	ASSERT_MEMEQ(t.p.in, DO_MSG, DO_LEN, "DO_CHECKPOINT bytes");
out:
	teardown(&t);
}

static void test_split_and_batched(void)
{
	char init[4 + 25], ck[4 + 15];
	__u32 be;
	size_t i;
	struct t t;

	if (!setup_connected(&t, K_UNIX))
		goto out;
	be = htonl(25);
	memcpy(init, &be, 4);
	memcpy(init + 4, NOTIFY_MSG_PROXY_INIT, 25);
	be = htonl(15);
	memcpy(ck, &be, 4);
	memcpy(ck + 4, NOTIFY_MSG_CHECKPOINT, 15);

	/* One byte per write: nothing happens before the last one. */
	for (i = 0; i < sizeof(init); i++) {
		peer_queue(&t.p, init + i, 1);
		pump(&t, 500, c_sent, 0);
		pump(&t, 5, NULL, 0);
		if (i + 1 < sizeof(init) && t.p.in_len) {
			ASSERT_EQ(t.p.in_len, 0, "no answer to a partial message");
			break;
		}
	}
	ASSERT_TRUE(pump(&t, 2000, c_in, XEN_LEN), "answer after the last byte");
	ASSERT_MEMEQ(t.p.in, XEN_MSG, XEN_LEN, "answer bytes");

	/* Header split 2+2, payload split 7+8. */
	peer_queue(&t.p, ck, 2);
	pump(&t, 20, NULL, 0);
	peer_queue(&t.p, ck + 2, 2);
	pump(&t, 20, NULL, 0);
	peer_queue(&t.p, ck + 4, 7);
	pump(&t, 20, NULL, 0);
	ASSERT_EQ(t.done, 0, "not done before the last piece");
	peer_queue(&t.p, ck + 11, 8);
	ASSERT_TRUE(pump(&t, 2000, c_done, 1), "split COLO_CHECKPOINT");

	/* Four messages in one write. */
	{
		char all[2 * sizeof(init) + 2 * sizeof(ck)];
		size_t o = 0;

		memcpy(all + o, init, sizeof(init)), o += sizeof(init);
		memcpy(all + o, ck, sizeof(ck)), o += sizeof(ck);
		memcpy(all + o, ck, sizeof(ck)), o += sizeof(ck);
		memcpy(all + o, init, sizeof(init)), o += sizeof(init);
		peer_queue(&t.p, all, o);
	}
	ASSERT_TRUE(pump(&t, 2000, c_in, 3 * XEN_LEN), "two more answers");
	ASSERT_TRUE(pump(&t, 2000, c_done, 3), "two more checkpoints");
	pump(&t, 50, NULL, 0);
	ASSERT_EQ(t.done, 3, "checkpoint_done calls");
	ASSERT_EQ(t.p.in_len, 3 * XEN_LEN, "answers");
	ASSERT_MEMEQ(t.p.in + 2 * XEN_LEN, XEN_MSG, XEN_LEN, "last answer");
	ASSERT_EQ(stats(&t).inits_received, 3, "inits_received");
	ASSERT_EQ(stats(&t).checkpoints_received, 3, "checkpoints_received");
	ASSERT_EQ(stats(&t).connects, 1, "one connection throughout");
out:
	teardown(&t);
}

static void test_zero_length(void)
{
	struct t t;

	if (!setup_connected(&t, K_TCP4))
		goto out;
	peer_msg(&t.p, "", 0);
	peer_msg(&t.p, NOTIFY_MSG_CHECKPOINT, -1);
	peer_msg(&t.p, "", 0);
	peer_msg(&t.p, "", 0);
	peer_msg(&t.p, NOTIFY_MSG_PROXY_INIT, -1);
	ASSERT_TRUE(pump(&t, 2000, c_in, XEN_LEN), "messages after them handled");
	ASSERT_EQ(t.done, 1, "checkpoint_done");
	ASSERT_EQ(stats(&t).bad_messages, 3, "bad_messages");
	ASSERT_TRUE(stats(&t).connected, "still connected");
	ASSERT_EQ(stats(&t).connects, 1, "connects");
	ASSERT_EQ(stats(&t).disconnects, 0, "disconnects");
out:
	teardown(&t);
}

static void test_unknown(void)
{
	static char big[NOTIFY_MSG_MAX];
	struct t t;

	if (!setup_connected(&t, K_TCP4))
		goto out;
	memset(big, 'x', sizeof(big));
	peer_msg(&t.p, "HELLO", -1);
	peer_msg(&t.p, "HELLO", -1);
	peer_msg(&t.p, "COLO_CHECKPOINT\0", 16); /* exact length only */
	peer_msg(&t.p, "colo_checkpoint", -1);
	peer_msg(&t.p, NOTIFY_MSG_DO_CHECKPOINT, -1); /* ours, not theirs */
	peer_msg(&t.p, big, NOTIFY_MSG_MAX);          /* longest allowed */
	peer_msg(&t.p, NOTIFY_MSG_CHECKPOINT, -1);
	ASSERT_TRUE(pump(&t, 2000, c_done, 1), "checkpoint after them");
	ASSERT_EQ(stats(&t).unknown_messages, 6, "unknown_messages");
	ASSERT_EQ(stats(&t).bad_messages, 0, "bad_messages");
	ASSERT_TRUE(stats(&t).connected, "still connected");
	ASSERT_EQ(stats(&t).connects, 1, "connects");
	ASSERT_EQ(t.p.in_len, 0, "nothing answered");
out:
	teardown(&t);
}

static void test_oversize(void)
{
	__u32 huge[2] = { htonl(NOTIFY_MSG_MAX + 1), htonl(0xffffffff) };
	struct t t;

	if (!setup_connected(&t, K_TCP4))
		goto out;
	notify_request(t.n);
	ASSERT_TRUE(pump(&t, 2000, c_in, DO_LEN), "request out");

	/* Only the header: the client must not wait for 4 KiB of payload. */
	peer_queue(&t.p, &huge[0], 4);
	ASSERT_TRUE(pump(&t, 3000, c_connected, 2), "reconnected");
	ASSERT_EQ(t.p.eofs, 1, "the client closed the first connection");
	ASSERT_EQ(stats(&t).bad_messages, 1, "bad_messages");
	ASSERT_EQ(stats(&t).disconnects, 1, "disconnects");
	ASSERT_EQ(stats(&t).connects, 2, "connects");
	/* The unanswered request goes to the new connection. */
	ASSERT_TRUE(pump(&t, 2000, c_in, 2 * DO_LEN), "request sent again");
	ASSERT_MEMEQ(t.p.in + DO_LEN, DO_MSG, DO_LEN, "DO_CHECKPOINT bytes");
	ASSERT_EQ(stats(&t).requests, 1, "requests");
	ASSERT_EQ(stats(&t).requests_sent, 2, "requests_sent");

	/* The new connection works, and 4 GiB is refused the same way. */
	peer_msg(&t.p, NOTIFY_MSG_CHECKPOINT, -1);
	ASSERT_TRUE(pump(&t, 2000, c_done, 1), "checkpoint on the new one");
	peer_queue(&t.p, &huge[1], 4);
	ASSERT_TRUE(pump(&t, 3000, c_connected, 3), "reconnected again");
	ASSERT_EQ(stats(&t).bad_messages, 2, "bad_messages");
	pump(&t, 50, NULL, 0);
	ASSERT_EQ(t.p.in_len, 2 * DO_LEN, "answered request not sent again");
out:
	teardown(&t);
}

/*
 * The peer goes away; requests made meanwhile coalesce into one
 * DO_CHECKPOINT that reaches a new peer on the same address.
 */
static void test_peer_restart(enum kind kind)
{
	struct t t;
	int i;

	if (!setup_connected(&t, kind))
		goto out;
	peer_close(&t.p);
	ASSERT_TRUE(pump(&t, 2000, c_disconnected, 0), "sees the peer gone");
	ASSERT_EQ(stats(&t).disconnects, 1, "disconnects");
	for (i = 0; i < 3; i++)
		notify_request(t.n);
	pump(&t, 400, NULL, 0); /* reconnect attempts fail meanwhile */
	ASSERT_TRUE(stats(&t).connect_failures >= 1, "connect attempts failed");
	ASSERT_TRUE(stats(&t).pending, "request pending");
	ASSERT_EQ(t.p.in_len, 0, "nothing sent");
	if (!ASSERT_OK(peer_listen(&t.p), "peer listens again"))
		goto out;
	ASSERT_TRUE(pump(&t, 6000, c_in, DO_LEN), "request after reconnect");
	pump(&t, 50, NULL, 0);
	ASSERT_EQ(t.p.in_len, DO_LEN, "one message");
	ASSERT_MEMEQ(t.p.in, DO_MSG, DO_LEN, "DO_CHECKPOINT bytes");
	ASSERT_EQ(stats(&t).connects, 2, "connects");
	ASSERT_EQ(stats(&t).requests, 3, "requests");
	ASSERT_EQ(stats(&t).requests_sent, 1, "requests_sent");
	ASSERT_FALSE(stats(&t).pending, "nothing pending");
out:
	teardown(&t);
}

/* Fake clock: 100 ms doubling to 5 s, back to 100 ms once connected. */
static void test_backoff(void)
{
	static const unsigned int delays_ms[] = { 100, 200, 400, 800, 1600,
						  3200, 5000, 5000 };
	__u64 now = 1000 * MS, due;
	struct pollfd pfd;
	struct t t = {};
	char spec[200];
	unsigned int i;

	t.p.kind = K_UNIX;
	t.p.lfd = t.p.cfd = -1;
	t.p.in = malloc(PEER_IN_MAX);
	snprintf(t.dir, sizeof(t.dir), "/tmp/test_notify.XXXXXX");
	if (!ASSERT_OK_PTR(mkdtemp(t.dir), "mkdtemp"))
		return;
	snprintf(t.p.path, sizeof(t.p.path), "%s/later.sock", t.dir);
	snprintf(spec, sizeof(spec), "unix:%s", t.p.path);
	t.n = notify_new(spec, &ops, &t);
	if (!ASSERT_OK_PTR(t.n, "notify_new"))
		goto out;
	ASSERT_EQ(notify_next_deadline(t.n), 0, "first attempt due at once");
	notify_process(t.n, now);
	ASSERT_EQ(stats(&t).connect_failures, 1, "first attempt failed");
	ASSERT_EQ(notify_pollfd(t.n, &pfd), 0, "no fd while waiting");
	for (i = 0; i < sizeof(delays_ms) / sizeof(delays_ms[0]); i++) {
		due = now + delays_ms[i] * MS;
		ASSERT_EQ(notify_next_deadline(t.n), due, "next attempt");
		notify_process(t.n, due - 1);
		ASSERT_EQ(stats(&t).connect_failures, i + 1, "not before it is due");
		now = due;
		notify_process(t.n, now);
		ASSERT_EQ(stats(&t).connect_failures, i + 2, "attempt when due");
	}
	if (!ASSERT_OK(peer_listen(&t.p), "peer listens"))
		goto out;
	now = notify_next_deadline(t.n);
	notify_process(t.n, now);
	ASSERT_TRUE(stats(&t).connected, "connected");
	ASSERT_EQ(notify_next_deadline(t.n), ~0ULL, "no timer when connected");
	ASSERT_EQ(notify_pollfd(t.n, &pfd), 1, "an fd to poll");
	peer_service(&t.p);
	peer_close(&t.p);
	now += 7 * MS;
	notify_process(t.n, now);
	ASSERT_FALSE(stats(&t).connected, "peer gone");
	ASSERT_EQ(notify_next_deadline(t.n), now + 100 * MS,
		  "back-off reset after a connection");
out:
	teardown(&t);
}

static void test_bad_specs(void)
{
	static const char *bad[] = {
		"", "tcp:", "tcp:127.0.0.1", "tcp:127.0.0.1:", "tcp::80",
		"tcp:127.0.0.1:0", "tcp:127.0.0.1:65536", "tcp:127.0.0.1:12ab",
		"tcp:127.0.0.1:-1", "tcp:[::1:80", "tcp:[::1]80", "tcp:[]:80",
		"udp:127.0.0.1:80", "unix:", "TCP:127.0.0.1:80", "127.0.0.1:80",
		"tcp:no.such.host.invalid:80",
	};
	static const char *good[] = {
		"tcp:127.0.0.1:1", "tcp:[::1]:65535", "tcp:localhost:80",
		"unix:/tmp/x.sock", "unix:relative.sock",
	};
	char longpath[200];
	struct notify *n;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		n = notify_new(bad[i], &ops, NULL);
		if (!ASSERT_TRUE(n == NULL, bad[i]))
			notify_free(n);
		ASSERT_EQ(errno, EINVAL, bad[i]);
	}
	snprintf(longpath, sizeof(longpath), "unix:/tmp/%0150d", 0);
	n = notify_new(longpath, &ops, NULL);
	ASSERT_TRUE(n == NULL && errno == EINVAL, "unix path too long");
	n = notify_new(NULL, &ops, NULL);
	ASSERT_TRUE(n == NULL && errno == EINVAL, "NULL spec");
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		n = notify_new(good[i], &ops, NULL);
		if (ASSERT_OK_PTR(n, good[i]))
			ASSERT_TRUE(!strcmp(notify_spec(n), good[i]), "spec kept");
		notify_free(n);
	}
}

/*
 * A peer that floods INITs and does not read the answers: the client stops
 * reading instead of buffering without bound, and loses nothing.
 */
static void test_backpressure(void)
{
	const int count = 40000;
	struct pollfd pfd;
	char *all;
	size_t i;
	struct t t;

	if (!setup_connected(&t, K_UNIX))
		goto out;
	all = malloc((size_t)count * 29);
	for (i = 0; i < (size_t)count; i++) {
		__u32 be = htonl(25);

		memcpy(all + i * 29, &be, 4);
		memcpy(all + i * 29 + 4, NOTIFY_MSG_PROXY_INIT, 25);
	}
	t.p.no_read = true;
	peer_queue(&t.p, all, (size_t)count * 29);
	free(all);
	pump(&t, 300, NULL, 0);
	ASSERT_TRUE(t.p.out_off < t.p.out_len, "the client stopped reading");
	ASSERT_TRUE(stats(&t).inits_received < (__u64)count, "not all handled yet");
	ASSERT_TRUE(notify_pollfd(t.n, &pfd) == 1 && (pfd.events & POLLOUT),
		    "waits to write");
	t.p.no_read = false;
	ASSERT_TRUE(pump(&t, 20000, c_in, (long)count * XEN_LEN),
		    "every answer arrives");
	ASSERT_EQ(t.p.in_len, (size_t)count * XEN_LEN, "answers");
	for (i = 0; i < (size_t)count; i++)
		if (memcmp(t.p.in + i * XEN_LEN, XEN_MSG, XEN_LEN))
			break;
	ASSERT_EQ(i, count, "every answer intact");
	ASSERT_EQ(stats(&t).inits_received, count, "inits_received");
	ASSERT_EQ(stats(&t).connects, 1, "one connection");
out:
	teardown(&t);
}

static bool have_ipv6_loopback(void)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM, 0), ok;

	if (fd < 0)
		return false;
	ok = !bind(fd, (struct sockaddr *)&s6, sizeof(s6));
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	test__init(argc, argv);
	RUN_SUBTEST("request_tcp", test_request, K_TCP4);
	RUN_SUBTEST("request_unix", test_request, K_UNIX);
	if (have_ipv6_loopback())
		RUN_SUBTEST("request_tcp6", test_request, K_TCP6);
	else
		printf("skip request_tcp6 (no ::1)\n");
	RUN_SUBTEST("request_before_connect", test_request_before_connect);
	RUN_SUBTEST("init_tcp", test_init, K_TCP4);
	RUN_SUBTEST("init_unix", test_init, K_UNIX);
	RUN_SUBTEST("checkpoint_tcp", test_checkpoint, K_TCP4);
	RUN_SUBTEST("checkpoint_unix", test_checkpoint, K_UNIX);
	RUN_SUBTEST("request_from_callback", test_request_from_callback);
	RUN_SUBTEST("split_and_batched", test_split_and_batched);
	RUN_SUBTEST("zero_length", test_zero_length);
	RUN_SUBTEST("unknown", test_unknown);
	RUN_SUBTEST("oversize", test_oversize);
	RUN_SUBTEST("peer_restart_tcp", test_peer_restart, K_TCP4);
	RUN_SUBTEST("peer_restart_unix", test_peer_restart, K_UNIX);
	RUN_SUBTEST("backoff", test_backoff);
	RUN_SUBTEST("bad_specs", test_bad_specs);
	RUN_SUBTEST("backpressure", test_backpressure);
	return test__summary("test_notify");
}
