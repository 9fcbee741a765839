/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctl.h - the control socket: a Unix stream socket per instance at
 * /run/colo-xdp/NAME.sock (mode 0600), one JSON object per line each way.
 *
 * Request:  {"cmd": "stats"} | {"cmd": "conns", "top": N} |
 *           {"cmd": "checkpoint-done"} | {"cmd": "ping"} | {"cmd": "events"}
 * Reply:    {"ok": true, ...} or {"ok": false, "error": "why"}
 *
 * "events" subscribes: the connection then receives one JSON object per
 * event (miscompare, checkpoint request, timeout, flush) until it closes.
 * A subscriber that does not keep up is disconnected, never waited for.
 *
 * A bad request gets an error reply and never stops the daemon; a line
 * longer than CTL_LINE_MAX gets an error and the connection is closed.
 */
#ifndef COLO_CTL_H
#define COLO_CTL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#define CTL_DIR "/run/colo-xdp"
#define CTL_LINE_MAX 4096
#define CTL_MAX_CLIENTS 16
#define CTL_NAME_MAX 32

/*
 * Handles one parsed request. Returns a reply object (the server adds
 * "ok": true and frees it) or NULL with a message in err.
 */
typedef struct json_object *(*ctl_handler_fn)(void *ctx, const char *cmd,
					      struct json_object *req,
					      char *err, size_t errlen);

struct ctl_client {
	int fd;
	bool subscribed; /* receives events */
	size_t len;
	char buf[CTL_LINE_MAX];
};

struct ctl_server {
	int listen_fd;
	char path[108];
	ctl_handler_fn handler;
	void *ctx;
	struct ctl_client clients[CTL_MAX_CLIENTS];
	unsigned long bad_requests;
	unsigned long events_dropped; /* subscribers dropped for lagging */
};

/* Client side: a line reader over a connected control socket. */
struct ctl_reader {
	int fd;
	size_t len;
	size_t start;
	char buf[1 << 20];
};

/* Instance names: letters, digits, '-', '_' and '.', not starting with '.'. */
int ctl_name_valid(const char *name);
void ctl_socket_path(const char *name, char *path, size_t len);

int ctl_server_open(struct ctl_server *s, const char *name,
		    ctl_handler_fn handler, void *ctx);
void ctl_server_close(struct ctl_server *s);
/* Adds the server's fds to pfds (at most max); returns how many. */
int ctl_server_pollfds(const struct ctl_server *s, struct pollfd *pfds,
		       int max);
/* Accepts, reads and answers whatever is ready, without blocking. */
void ctl_server_process(struct ctl_server *s);

/*
 * Answers one request line (NUL-terminated, without its newline): the reply
 * object to send back, never NULL; the caller puts it. Marks c subscribed
 * on "events". ctl_server_process() calls it for each line it reads; it is
 * exported, and needs no socket, so that tests/fuzz/fuzz_ctl.c can drive it.
 */
struct json_object *ctl_handle_line(struct ctl_server *s, struct ctl_client *c,
				    const char *line);

/* Sends ev (one line) to every subscriber. */
void ctl_server_broadcast(struct ctl_server *s, struct json_object *ev);
bool ctl_server_has_subscribers(const struct ctl_server *s);

/* Client: connects to instance name; returns the fd or -errno (printed). */
int ctl_connect(const char *name, int timeout_ms);
int ctl_send(int fd, struct json_object *req);
void ctl_reader_init(struct ctl_reader *r, int fd);
/* Reads the next line as JSON; -ECONNRESET at the end, -errno on error. */
int ctl_read_line(struct ctl_reader *r, struct json_object **obj);

/*
 * Client: sends one request line to instance name and parses the reply.
 * Returns 0 and *reply (caller puts it), or -errno with a message printed.
 */
int ctl_request(const char *name, struct json_object *req,
		struct json_object **reply, int timeout_ms);

#endif /* COLO_CTL_H */
