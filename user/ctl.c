// SPDX-License-Identifier: GPL-2.0
/* ctl.c - the control socket server (in the daemon) and client (in the CLI). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

int ctl_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (!n || n >= CTL_NAME_MAX || name[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return 0;
	}
	return 1;
}

void ctl_socket_path(const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s.sock", CTL_DIR, name);
}

int ctl_server_open(struct ctl_server *s, const char *name,
		    ctl_handler_fn handler, void *ctx)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old_umask;
	int fd, err, i;

	memset(s, 0, sizeof(*s));
	s->listen_fd = -1;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	s->handler = handler;
	s->ctx = ctx;
	ctl_socket_path(name, s->path, sizeof(s->path));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->path);

	if (mkdir(CTL_DIR, 0700) && errno != EEXIST) {
		err = -errno;
		pr_warn("Failed to create %s: %s\n", CTL_DIR, strerror(-err));
		return err;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A live instance answers; a stale socket file from a crash does not. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		pr_warn("Failed to start: instance '%s' is already running (%s)\n",
			name, s->path);
		return -EADDRINUSE;
	}
	unlink(s->path);
	old_umask = umask(0177); /* the socket is created 0600 */
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	if (err || listen(fd, 8)) {
		err = -errno;
		pr_warn("Failed to listen on %s: %s\n", s->path, strerror(-err));
		close(fd);
		return err;
	}
	s->listen_fd = fd;
	return 0;
}

static void client_close(struct ctl_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->subscribed = false;
}

void ctl_server_close(struct ctl_server *s)
{
	int i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		client_close(&s->clients[i]);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->path);
	}
	s->listen_fd = -1;
}

int ctl_server_pollfds(const struct ctl_server *s, struct pollfd *pfds, int max)
{
	int i, n = 0;

	if (s->listen_fd < 0 || max < 1)
		return 0;
	pfds[n++] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
	for (i = 0; i < CTL_MAX_CLIENTS && n < max; i++)
		if (s->clients[i].fd >= 0)
			pfds[n++] = (struct pollfd){ .fd = s->clients[i].fd,
						     .events = POLLIN };
	return n;
}

/* Only root and the daemon's own user may talk to it. */
static int peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return 0;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void accept_clients(struct ctl_server *s)
{
	int fd, i;

	for (;;) {
		fd = accept4(s->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (!peer_allowed(fd)) {
			pr_warn("Refused a control connection from another user\n");
			close(fd);
			continue;
		}
		for (i = 0; i < CTL_MAX_CLIENTS; i++)
			if (s->clients[i].fd < 0)
				break;
		if (i == CTL_MAX_CLIENTS) {
			pr_debug("Too many control clients, refusing one\n");
			close(fd);
			continue;
		}
		s->clients[i].fd = fd;
		s->clients[i].len = 0;
	}
}

/* Replies are small; a client that does not read them is dropped. */
static int send_reply(struct ctl_client *c, struct json_object *reply)
{
	const char *txt = json_object_to_json_string_ext(reply,
							 JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(txt);
	ssize_t n;

	n = send(c->fd, txt, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == (ssize_t)len)
		n = send(c->fd, "\n", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	else
		n = -1;
	return n == 1 ? 0 : -EIO;
}

static struct json_object *error_reply(const char *msg)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "ok", json_object_new_boolean(0));
	json_object_object_add(r, "error", json_object_new_string(msg));
	return r;
}

struct json_object *ctl_handle_line(struct ctl_server *s, struct ctl_client *c,
				    const char *line)
{
	struct json_object *req, *cmd, *reply;
	char err[160] = "";

	req = json_tokener_parse(line);
	if (!req || !json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		s->bad_requests++;
		return error_reply("request is not a JSON object");
	}
	if (!json_object_object_get_ex(req, "cmd", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		json_object_put(req);
		s->bad_requests++;
		return error_reply("request has no string \"cmd\"");
	}
	/* A subscription is the transport's business: the client stays open. */
	if (!strcmp(json_object_get_string(cmd), "events")) {
		json_object_put(req);
		c->subscribed = true;
		reply = json_object_new_object();
		json_object_object_add(reply, "subscribed",
				       json_object_new_boolean(1));
		json_object_object_add(reply, "ok", json_object_new_boolean(1));
		return reply;
	}
	reply = s->handler(s->ctx, json_object_get_string(cmd), req, err,
			   sizeof(err));
	json_object_put(req);
	if (!reply) {
		s->bad_requests++;
		return error_reply(err[0] ? err : "request failed");
	}
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	return reply;
}

static void serve_client(struct ctl_server *s, struct ctl_client *c)
{
	struct json_object *reply;
	char *nl;
	ssize_t n;
	int err;

	for (;;) {
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len,
			 MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			client_close(c);
			return;
		}
		if (n < 0)
			return;
		c->len += n;
		c->buf[c->len] = '\0';
		while ((nl = memchr(c->buf, '\n', c->len))) {
			*nl = '\0';
			reply = ctl_handle_line(s, c, c->buf);
			err = send_reply(c, reply);
			json_object_put(reply);
			c->len -= nl + 1 - c->buf;
			memmove(c->buf, nl + 1, c->len);
			if (err) {
				client_close(c);
				return;
			}
		}
		if (c->len == sizeof(c->buf) - 1) {
			s->bad_requests++;
			reply = error_reply("request line too long");
			send_reply(c, reply);
			json_object_put(reply);
			client_close(c);
			return;
		}
	}
}

void ctl_server_broadcast(struct ctl_server *s, struct json_object *ev)
{
	int i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &s->clients[i];

		if (c->fd < 0 || !c->subscribed)
			continue;
		/* Never block the data path: a reader that lags loses events. */
		if (send_reply(c, ev)) {
			s->events_dropped++;
			client_close(c);
		}
	}
}

bool ctl_server_has_subscribers(const struct ctl_server *s)
{
	int i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0 && s->clients[i].subscribed)
			return true;
	return false;
}

void ctl_server_process(struct ctl_server *s)
{
	int i;

	if (s->listen_fd < 0)
		return;
	accept_clients(s);
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0)
			serve_client(s, &s->clients[i]);
}

int ctl_connect(const char *name, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
			      .tv_usec = (timeout_ms % 1000) * 1000 };
	int fd, err;

	ctl_socket_path(name, sa.sun_path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (timeout_ms) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		fprintf(stderr, "colo-xdp: no instance '%s' (%s): %s\n", name,
			sa.sun_path, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

int ctl_send(int fd, struct json_object *req)
{
	const char *txt = json_object_to_json_string_ext(req,
							 JSON_C_TO_STRING_PLAIN);

	if (send(fd, txt, strlen(txt), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

void ctl_reader_init(struct ctl_reader *r, int fd)
{
	r->fd = fd;
	r->len = 0;
	r->start = 0;
}

int ctl_read_line(struct ctl_reader *r, struct json_object **obj)
{
	char *nl;
	ssize_t n;

	*obj = NULL;
	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->len - r->start);
		if (nl) {
			*nl = '\0';
			*obj = json_tokener_parse(r->buf + r->start);
			r->start = nl + 1 - r->buf;
			return *obj ? 0 : -EPROTO;
		}
		/* Keep the partial line at the front of the buffer. */
		memmove(r->buf, r->buf + r->start, r->len - r->start);
		r->len -= r->start;
		r->start = 0;
		if (r->len == sizeof(r->buf) - 1)
			return -EMSGSIZE;
		n = recv(r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return -errno;
		r->len += n;
	}
}

int ctl_request(const char *name, struct json_object *req,
		struct json_object **reply, int timeout_ms)
{
	static struct ctl_reader r;
	int fd, err;

	*reply = NULL;
	fd = ctl_connect(name, timeout_ms);
	if (fd < 0)
		return fd;
	err = ctl_send(fd, req);
	if (!err) {
		ctl_reader_init(&r, fd);
		err = ctl_read_line(&r, reply);
	}
	close(fd);
	if (err)
		fprintf(stderr, "colo-xdp: talking to instance '%s' failed: %s\n",
			name, strerror(-err));
	return err;
}
