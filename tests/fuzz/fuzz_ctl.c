// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_ctl.c - libFuzzer target for the control socket's request layer:
 * ctl_handle_line() (user/ctl.c) on arbitrary lines.
 *
 * The input is cut into lines at '\n' the way the server's reader cuts
 * what a client sends (a line as long as the reader's buffer never gets
 * this far: the connection is closed), and each line is answered by one
 * server and client, as in one connection. A stub stands in for the
 * daemon's handler, built like it (commands by name, "conns" checking its
 * "top", an error text for the rest), so that what is under test is the
 * JSON and transport layer.
 *
 * Checked, besides ASan (leaks included) and UBSan: every line gets a
 * reply object with a boolean "ok", an "error" string when it is false,
 * and bad_requests counts exactly those; the reply serialises to one line
 * (a newline in it would break the protocol's framing) that a client
 * parses back; only "events" subscribes.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "ctl.h"
#include "fuzz_util.h"
#include "log.h"

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

static int handler_calls;

static struct json_object *stub_handler(void *ctx, const char *cmd,
					struct json_object *req, char *err,
					size_t errlen)
{
	struct json_object *r, *jtop;

	(void)ctx;
	handler_calls++;
	FZ_CHECK(cmd && req, "handler without a command");
	FZ_CHECK(json_object_is_type(req, json_type_object),
		 "handler given a non-object");
	FZ_CHECK(strcmp(cmd, "events"), "\"events\" reached the handler");
	if (!strcmp(cmd, "stats")) {
		r = json_object_new_object();
		json_object_object_add(r, "rx_packets",
				       json_object_new_uint64(12345));
		json_object_object_add(r, "name",
				       json_object_new_string("fuzz"));
		return r;
	}
	if (!strcmp(cmd, "conns")) {
		if (json_object_object_get_ex(req, "top", &jtop) &&
		    (!json_object_is_type(jtop, json_type_int) ||
		     json_object_get_int64(jtop) < 1 ||
		     json_object_get_int64(jtop) > 1000)) {
			snprintf(err, errlen,
				 "\"top\" must be a number from 1 to %d", 1000);
			return NULL;
		}
		r = json_object_new_object();
		json_object_object_add(r, "conns", json_object_new_array());
		return r;
	}
	if (!strcmp(cmd, "checkpoint-done") || !strcmp(cmd, "ping"))
		return json_object_new_object();
	/* the request echoed back, as a handler with an odd reply might */
	if (!strcmp(cmd, "echo")) {
		r = json_object_new_object();
		json_object_object_add(r, "req", json_object_get(req));
		return r;
	}
	if (!strcmp(cmd, "fail"))
		return NULL; /* no message: the server has its own */
	snprintf(err, errlen, "unknown command \"%.40s\"", cmd);
	return NULL;
}

static void check_reply(struct json_object *reply, bool *ok)
{
	struct json_object *jok, *jerr, *back;
	const char *txt;

	FZ_CHECK(reply, "no reply");
	FZ_CHECK(json_object_is_type(reply, json_type_object),
		 "reply is not an object");
	FZ_CHECK(json_object_object_get_ex(reply, "ok", &jok) &&
			 json_object_is_type(jok, json_type_boolean),
		 "reply without a boolean \"ok\"");
	*ok = json_object_get_boolean(jok);
	if (!*ok)
		FZ_CHECK(json_object_object_get_ex(reply, "error", &jerr) &&
				 json_object_is_type(jerr, json_type_string) &&
				 json_object_get_string_len(jerr) > 0,
			 "error reply without an \"error\" text");

	/* what send_reply() writes: one line the client can read back */
	txt = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	FZ_CHECK(txt && !strchr(txt, '\n'), "reply spans lines: %s", txt);
	back = json_tokener_parse(txt);
	FZ_CHECK(back && json_object_is_type(back, json_type_object),
		 "the client cannot parse the reply: %s", txt);
	json_object_put(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_server s;
	struct ctl_client c;
	struct json_object *reply;
	unsigned long bad_before;
	size_t start = 0, end;
	char *line;
	struct json_object *jsub;
	bool ok, was_sub;
	int calls;

	memset(&s, 0, sizeof(s));
	s.listen_fd = -1;
	s.handler = stub_handler;
	memset(&c, 0, sizeof(c));
	c.fd = -1;

	line = malloc(CTL_LINE_MAX);
	FZ_CHECK(line, "malloc");
	while (start < size) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);

		end = nl ? (size_t)(nl - data) : size;
		/* the server never hands on a line that fills its buffer */
		if (end - start >= CTL_LINE_MAX - 1)
			break;
		memcpy(line, data + start, end - start);
		line[end - start] = '\0';
		start = end + 1;

		bad_before = s.bad_requests;
		calls = handler_calls;
		was_sub = c.subscribed;
		reply = ctl_handle_line(&s, &c, line);
		check_reply(reply, &ok);
		if (c.subscribed != was_sub)
			FZ_CHECK(!was_sub && ok &&
					 json_object_object_get_ex(reply,
								   "subscribed",
								   &jsub),
				 "subscription changed by a reply ok=%d", ok);
		FZ_CHECK(s.bad_requests == bad_before + !ok,
			 "bad_requests %lu -> %lu on a reply ok=%d", bad_before,
			 s.bad_requests, ok);
		FZ_CHECK(handler_calls <= calls + 1, "handler called twice");
		json_object_put(reply);
	}
	free(line);
	return 0;
}
