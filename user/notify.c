// SPDX-License-Identifier: GPL-2.0
/*
 * notify.c - the notify_dev client: QEMU colo-compare's checkpoint protocol
 * (see notify.h), over a non-blocking TCP or Unix stream socket that is
 * re-established with back-off whenever it is lost.
 *
 * States: IDLE (no socket, next attempt at next_attempt_ns), CONNECTING
 * (non-blocking connect in progress) and CONNECTED. Every peer byte is
 * untrusted: lengths are checked before anything is buffered, the receive
 * buffer never grows, and when the peer does not read our answers we stop
 * reading its requests (back-pressure) instead of queueing without bound.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

#define NS_PER_MS 1000000ULL
#define HDR_LEN 4
/* Room for two largest messages, so a full buffer always holds one. */
#define RX_BUF (2 * (HDR_LEN + NOTIFY_MSG_MAX))
/* Our messages are < 32 bytes; this holds over a hundred answers. */
#define TX_BUF 4096
/*
 * Reads, and write-then-parse rounds, per notify_process(): a flooding
 * peer cannot starve the data path.
 */
#define READS_PER_PROCESS 8
#define ROUNDS_PER_PROCESS 4
/* Addresses kept from the lookup of a tcp: host (tried in turn). */
#define MAX_ADDRS 4
/* Unknown message kinds remembered, so each is logged once. */
#define UNKNOWN_KINDS 16

enum conn_state {
	ST_IDLE,
	ST_CONNECTING,
	ST_CONNECTED,
};

struct notify {
	char spec[NOTIFY_SPEC_MAX];
	const struct notify_ops *ops;
	void *ctx;

	struct sockaddr_storage addr[MAX_ADDRS];
	socklen_t addr_len[MAX_ADDRS];
	int nr_addrs;
	int cur_addr;

	int fd;
	enum conn_state state;
	__u64 now;             /* of the last notify_process() */
	__u64 next_attempt_ns; /* ST_IDLE: when to connect */
	__u64 connect_start_ns;
	__u32 backoff_ms;
	int io_error;          /* a send error seen outside notify_process() */
	bool in_process;       /* inside notify_process(): no direct sends */
	bool failure_logged;   /* since the last successful connect */
	bool zero_logged;      /* on this connection */

	bool pending;          /* a request waits for a connection */
	bool awaiting;         /* DO_CHECKPOINT written, not answered yet */
	size_t req_end;        /* tx bytes up to the end of a queued request */

	__u8 rx[RX_BUF];
	size_t rx_len;
	__u8 tx[TX_BUF];
	size_t tx_len;

	__u32 unknown_kind[UNKNOWN_KINDS];
	int nr_unknown_kinds;

	struct notify_stats st;
};

/* --- spec --------------------------------------------------------------- */

static int bad_spec(const char *spec, const char *why)
{
	pr_warn("Bad notify spec '%.*s': %s (expected tcp:HOST:PORT or unix:PATH)\n",
		NOTIFY_SPEC_MAX, spec, why);
	return -EINVAL;
}

static int parse_tcp(struct notify *n, const char *spec, const char *rest)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	char host[NOTIFY_SPEC_MAX];
	struct addrinfo *res, *ai;
	const char *port, *end;
	char *tail;
	long pnum;
	int err;

	if (rest[0] == '[') {
		end = strchr(rest, ']');
		if (!end || end[1] != ':')
			return bad_spec(spec, "unterminated [IPv6] address");
		snprintf(host, sizeof(host), "%.*s", (int)(end - rest - 1),
			 rest + 1);
		port = end + 2;
	} else {
		end = strrchr(rest, ':');
		if (!end)
			return bad_spec(spec, "no port");
		snprintf(host, sizeof(host), "%.*s", (int)(end - rest), rest);
		port = end + 1;
	}
	if (!host[0])
		return bad_spec(spec, "no host");
	if (port[0] < '0' || port[0] > '9')
		return bad_spec(spec, "the port is not a number");
	errno = 0;
	pnum = strtol(port, &tail, 10);
	if (errno || *tail || pnum < 1 || pnum > 65535)
		return bad_spec(spec, "the port is not in 1..65535");

	err = getaddrinfo(host, port, &hints, &res);
	if (err) {
		pr_warn("Bad notify spec '%s': cannot resolve '%s': %s\n", spec,
			host, gai_strerror(err));
		return -EINVAL;
	}
	for (ai = res; ai && n->nr_addrs < MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(n->addr[0]))
			continue;
		memcpy(&n->addr[n->nr_addrs], ai->ai_addr, ai->ai_addrlen);
		n->addr_len[n->nr_addrs++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	return n->nr_addrs ? 0 : bad_spec(spec, "no usable address");
}

static int parse_unix(struct notify *n, const char *spec, const char *path)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&n->addr[0];
	size_t len = strlen(path);

	if (!len)
		return bad_spec(spec, "empty path");
	if (len >= sizeof(sun->sun_path))
		return bad_spec(spec, "path too long");
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len + 1);
	n->addr_len[0] = sizeof(*sun);
	n->nr_addrs = 1;
	return 0;
}

static int parse_spec(struct notify *n, const char *spec)
{
	if (strlen(spec) >= NOTIFY_SPEC_MAX)
		return bad_spec(spec, "too long");
	if (!strncmp(spec, "tcp:", 4))
		return parse_tcp(n, spec, spec + 4);
	if (!strncmp(spec, "unix:", 5))
		return parse_unix(n, spec, spec + 5);
	return bad_spec(spec, "unknown transport");
}

/* --- connection --------------------------------------------------------- */

static void schedule_retry(struct notify *n)
{
	n->state = ST_IDLE;
	n->next_attempt_ns = n->now + n->backoff_ms * NS_PER_MS;
	n->backoff_ms *= 2;
	if (n->backoff_ms > NOTIFY_BACKOFF_MAX_MS)
		n->backoff_ms = NOTIFY_BACKOFF_MAX_MS;
}

static void close_socket(struct notify *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	n->rx_len = 0;
	n->tx_len = 0;
	n->req_end = 0;
	n->io_error = 0;
}

static void connect_failed(struct notify *n, int err)
{
	close_socket(n);
	n->st.connect_failures++;
	if (!n->failure_logged)
		pr_warn("Failed to connect to notify peer %s: %s (retrying)\n",
			n->spec, strerror(err));
	else
		pr_debug("Failed to connect to notify peer %s: %s\n", n->spec,
			 strerror(err));
	n->failure_logged = true;
	n->cur_addr = (n->cur_addr + 1) % n->nr_addrs;
	schedule_retry(n);
}

/*
 * A request queued or written but not answered is not lost with the
 * connection: the next peer gets it.
 */
static void disconnect(struct notify *n, const char *why)
{
	if (n->req_end || n->awaiting)
		n->pending = true;
	n->awaiting = false;
	close_socket(n);
	n->st.disconnects++;
	n->st.connected = false;
	pr_warn("Lost notify peer %s: %s\n", n->spec, why);
	schedule_retry(n);
}

static bool tx_queue(struct notify *n, const char *msg)
{
	size_t len = strlen(msg);
	__u32 be = htonl(len);

	if (n->tx_len + HDR_LEN + len > sizeof(n->tx))
		return false;
	memcpy(n->tx + n->tx_len, &be, HDR_LEN);
	memcpy(n->tx + n->tx_len + HDR_LEN, msg, len);
	n->tx_len += HDR_LEN + len;
	return true;
}

/* Queues the pending request unless one is already queued (coalesced). */
static void queue_request(struct notify *n)
{
	if (n->req_end) {
		n->pending = false;
		return;
	}
	if (!tx_queue(n, NOTIFY_MSG_DO_CHECKPOINT))
		return; /* stays pending until the peer reads */
	n->req_end = n->tx_len;
	n->pending = false;
}

/* The first w bytes of tx are written: drop them, note a request sent. */
static void tx_sent(struct notify *n, size_t w)
{
	if (n->req_end) {
		if (w >= n->req_end) {
			n->req_end = 0;
			n->awaiting = true;
			n->st.requests_sent++;
		} else {
			n->req_end -= w;
		}
	}
	n->tx_len -= w;
	memmove(n->tx, n->tx + w, n->tx_len);
}

/* Writes what the socket takes. Returns 0 or -errno (connection broken). */
static int tx_flush(struct notify *n)
{
	ssize_t w;

	while (n->tx_len) {
		w = send(n->fd, n->tx, n->tx_len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		tx_sent(n, (size_t)w);
	}
	return 0;
}

static void connected(struct notify *n)
{
	n->state = ST_CONNECTED;
	n->st.connected = true;
	n->st.connects++;
	n->backoff_ms = NOTIFY_BACKOFF_MIN_MS;
	n->failure_logged = false;
	n->zero_logged = false;
	pr_info("Connected to notify peer %s\n", n->spec);
	if (n->pending)
		queue_request(n);
}

static void start_connect(struct notify *n)
{
	struct sockaddr *sa = (struct sockaddr *)&n->addr[n->cur_addr];

	n->fd = socket(sa->sa_family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (n->fd < 0) {
		connect_failed(n, errno);
		return;
	}
	if (!connect(n->fd, sa, n->addr_len[n->cur_addr])) {
		connected(n);
		return;
	}
	if (errno == EINPROGRESS) {
		n->state = ST_CONNECTING;
		n->connect_start_ns = n->now;
		return;
	}
	/* EAGAIN on a Unix socket: the listener's backlog is full. */
	connect_failed(n, errno);
}

static void check_connect(struct notify *n)
{
	struct pollfd p = { .fd = n->fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (poll(&p, 1, 0) == 1) {
		if (getsockopt(n->fd, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
		if (!err && (p.revents & (POLLERR | POLLHUP)))
			err = ECONNREFUSED;
		if (err)
			connect_failed(n, err);
		else
			connected(n);
		return;
	}
	if (n->now - n->connect_start_ns >=
	    NOTIFY_CONNECT_TIMEOUT_MS * NS_PER_MS)
		connect_failed(n, ETIMEDOUT);
}

/* --- messages ----------------------------------------------------------- */

static bool msg_is(const __u8 *msg, __u32 len, const char *s)
{
	return len == strlen(s) && !memcmp(msg, s, len);
}

static __u32 msg_hash(const __u8 *msg, __u32 len)
{
	__u32 h = 2166136261u; /* FNV-1a */
	__u32 i;

	for (i = 0; i < len; i++)
		h = (h ^ msg[i]) * 16777619u;
	return h ^ len;
}

/* Logs an unknown message the first time its kind is seen. */
static void unknown_message(struct notify *n, const __u8 *msg, __u32 len)
{
	__u32 h = msg_hash(msg, len);
	char txt[49];
	__u32 i;

	n->st.unknown_messages++;
	for (i = 0; i < (__u32)n->nr_unknown_kinds; i++)
		if (n->unknown_kind[i] == h)
			return;
	if (n->nr_unknown_kinds == UNKNOWN_KINDS)
		return; /* the last slot's message said so */
	n->unknown_kind[n->nr_unknown_kinds++] = h;
	for (i = 0; i < len && i < sizeof(txt) - 1; i++)
		txt[i] = msg[i] >= 0x20 && msg[i] < 0x7f ? msg[i] : '.';
	txt[i] = '\0';
	pr_warn("Unknown message from notify peer %s (%u bytes): \"%s\"%s\n",
		n->spec, len, txt,
		n->nr_unknown_kinds == UNKNOWN_KINDS ?
			" (further kinds not logged)" : "");
}

/* Returns false if the message must wait (no room for the answer). */
static bool handle_message(struct notify *n, const __u8 *msg, __u32 len)
{
	if (msg_is(msg, len, NOTIFY_MSG_CHECKPOINT)) {
		n->st.checkpoints_received++;
		n->awaiting = false;
		if (n->ops && n->ops->checkpoint_done)
			n->ops->checkpoint_done(n->ctx);
	} else if (msg_is(msg, len, NOTIFY_MSG_PROXY_INIT)) {
		if (!tx_queue(n, NOTIFY_MSG_XEN_INIT))
			return false;
		n->st.inits_received++;
	} else {
		unknown_message(n, msg, len);
	}
	return true;
}

/* Handles every complete message in rx. Returns -1 if it disconnected. */
static int rx_parse(struct notify *n)
{
	size_t off = 0;
	__u32 len;

	while (n->rx_len - off >= HDR_LEN) {
		memcpy(&len, n->rx + off, HDR_LEN);
		len = ntohl(len);
		if (!len) {
			/* QEMU aborts on this one; we skip it. */
			n->st.bad_messages++;
			if (!n->zero_logged)
				pr_warn("Notify peer %s sent a zero-length message (ignored)\n",
					n->spec);
			n->zero_logged = true;
			off += HDR_LEN;
			continue;
		}
		if (len > NOTIFY_MSG_MAX) {
			char why[64];

			n->st.bad_messages++;
			snprintf(why, sizeof(why), "message of %u bytes (max %u)",
				 len, NOTIFY_MSG_MAX);
			disconnect(n, why);
			return -1;
		}
		if (n->rx_len - off - HDR_LEN < len)
			break;
		if (!handle_message(n, n->rx + off + HDR_LEN, len))
			break;
		off += HDR_LEN + len;
	}
	n->rx_len -= off;
	memmove(n->rx, n->rx + off, n->rx_len);
	return 0;
}

/* Reads and handles what has arrived. Returns -1 if it disconnected. */
static int rx_read(struct notify *n)
{
	char why[64];
	ssize_t r;
	int i;

	if (rx_parse(n))
		return -1;
	for (i = 0; i < READS_PER_PROCESS && n->rx_len < sizeof(n->rx); i++) {
		r = recv(n->fd, n->rx + n->rx_len, sizeof(n->rx) - n->rx_len,
			 MSG_DONTWAIT);
		if (r == 0) {
			disconnect(n, "closed by the peer");
			return -1;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			snprintf(why, sizeof(why), "%s", strerror(errno));
			disconnect(n, why);
			return -1;
		}
		n->rx_len += r;
		if (rx_parse(n))
			return -1;
	}
	return 0;
}

/* A complete message waits in rx (held back while tx was full). */
static bool rx_ready(const struct notify *n)
{
	__u32 len;

	if (n->rx_len < HDR_LEN)
		return false;
	memcpy(&len, n->rx, HDR_LEN);
	len = ntohl(len);
	return !len || len > NOTIFY_MSG_MAX || n->rx_len - HDR_LEN >= len;
}

static void process_connected(struct notify *n)
{
	int err = n->io_error, i;

	for (i = 0; !err && i < ROUNDS_PER_PROCESS; i++) {
		err = -tx_flush(n);
		if (err)
			break;
		if (rx_read(n))
			return;
		if (n->pending)
			queue_request(n);
		err = -tx_flush(n);
		/*
		 * Go on only if messages wait for room that the flush just
		 * made: otherwise poll() wakes us when there is more to do.
		 */
		if (n->tx_len || !rx_ready(n))
			break;
	}
	if (err)
		disconnect(n, strerror(err));
}

/* --- API ---------------------------------------------------------------- */

struct notify *notify_new(const char *spec, const struct notify_ops *ops,
			  void *ctx)
{
	struct notify *n;

	if (!spec) {
		errno = EINVAL;
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		errno = ENOMEM;
		return NULL;
	}
	if (parse_spec(n, spec)) {
		free(n);
		errno = EINVAL;
		return NULL;
	}
	snprintf(n->spec, sizeof(n->spec), "%s", spec);
	n->ops = ops;
	n->ctx = ctx;
	n->fd = -1;
	n->state = ST_IDLE;
	n->backoff_ms = NOTIFY_BACKOFF_MIN_MS;
	return n;
}

void notify_free(struct notify *n)
{
	if (!n)
		return;
	if (n->fd >= 0)
		close(n->fd);
	free(n);
}

void notify_request(struct notify *n)
{
	int err;

	n->st.requests++;
	n->pending = true;
	if (n->state != ST_CONNECTED)
		return;
	queue_request(n);
	/* Send now rather than at the next poll; errors surface there. */
	if (!n->in_process && !n->io_error) {
		err = tx_flush(n);
		if (err)
			n->io_error = -err;
	}
}

int notify_pollfd(const struct notify *n, struct pollfd *pfd)
{
	short ev = 0;

	switch (n->state) {
	case ST_IDLE:
		return 0;
	case ST_CONNECTING:
		ev = POLLOUT;
		break;
	case ST_CONNECTED:
		if (n->rx_len < sizeof(n->rx))
			ev |= POLLIN;
		if (n->tx_len)
			ev |= POLLOUT;
		break;
	}
	*pfd = (struct pollfd){ .fd = n->fd, .events = ev };
	return 1;
}

void notify_process(struct notify *n, __u64 now_ns)
{
	n->now = now_ns;
	n->in_process = true;
	if (n->state == ST_IDLE && now_ns >= n->next_attempt_ns)
		start_connect(n);
	if (n->state == ST_CONNECTING)
		check_connect(n);
	if (n->state == ST_CONNECTED)
		process_connected(n);
	n->in_process = false;
}

__u64 notify_next_deadline(const struct notify *n)
{
	switch (n->state) {
	case ST_IDLE:
		return n->next_attempt_ns;
	case ST_CONNECTING:
		return n->connect_start_ns +
		       NOTIFY_CONNECT_TIMEOUT_MS * NS_PER_MS;
	case ST_CONNECTED:
		/* An error to act on, or messages the last call left over. */
		if (n->io_error || (!n->tx_len && rx_ready(n)))
			return n->now;
		return ~0ULL;
	}
	return ~0ULL;
}

void notify_get_stats(const struct notify *n, struct notify_stats *st)
{
	*st = n->st;
	st->connected = n->state == ST_CONNECTED;
	st->pending = n->pending;
}

const char *notify_spec(const struct notify *n)
{
	return n->spec;
}

/* --- without a socket (tests/fuzz/fuzz_notify.c) ------------------------ */

int notify_feed(struct notify *n, const void *buf, size_t len)
{
	size_t room = sizeof(n->rx) - n->rx_len;

	if (len > room)
		len = room;
	if (len)
		memcpy(n->rx + n->rx_len, buf, len);
	n->rx_len += len;
	return rx_parse(n) ? -1 : (int)len;
}

size_t notify_drain_tx(struct notify *n, void *buf, size_t cap)
{
	size_t w = n->tx_len < cap ? n->tx_len : cap;

	memcpy(buf, n->tx, w);
	tx_sent(n, w);
	return w;
}
