// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_conns.c - `colo-xdp conns` (connections holding the most frames)
 * and `colo-xdp events` (a live stream of divergences, checkpoint
 * requests and flushes), both over the control socket.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ctl.h"

#define CTL_TIMEOUT_MS 5000

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static long long jint(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static bool reply_ok(const char *name, struct json_object *reply)
{
	struct json_object *ok;

	if (json_object_object_get_ex(reply, "ok", &ok) &&
	    json_object_get_boolean(ok))
		return true;
	fprintf(stderr, "colo-xdp: instance '%s' refused: %s\n", name,
		jstr(reply, "error"));
	return false;
}

/* Parses --name/--json/--top/--help; returns false (and *ret) to stop. */
static bool parse_client_opts(int argc, char **argv, const char *usage,
			      const char **name, bool *json, __u32 *top,
			      int *ret)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "top", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	*ret = EXIT_FAIL_OPTION;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:jt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': *name = optarg; break;
		case 'j': *json = true; break;
		case 't':
			if (!top || !parse_u32("--top", optarg, 1, 10000, top))
				return false;
			break;
		case 'h': printf("%s", usage); *ret = EXIT_OK; return false;
		default:
			fprintf(stderr, "colo-xdp: bad option '%s'\n%s",
				argv[optind - 1], usage);
			return false;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "colo-xdp: unexpected argument '%s'\n", argv[optind]);
		return false;
	}
	return check_name(*name);
}

int do_conns(int argc, char **argv)
{
	const char *usage =
		"Usage: colo-xdp conns [--name NAME] [--json] [--top N]\n\n"
		"Lists the N connections (100) holding the most frames: tuple, queue\n"
		"depth on each side, age, idle time, divergence and TCP offset.\n";
	const char *name = COLO_DEFAULT_NAME;
	struct json_object *req, *reply, *arr, *c;
	bool json = false;
	__u32 top = 100;
	size_t i, n;
	int ret;

	if (!parse_client_opts(argc, argv, usage, &name, &json, &top, &ret))
		return ret;
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("conns"));
	json_object_object_add(req, "top", json_object_new_int(top));
	ret = ctl_request(name, req, &reply, CTL_TIMEOUT_MS);
	json_object_put(req);
	if (ret)
		return EXIT_FAIL;
	if (!reply_ok(name, reply)) {
		json_object_put(reply);
		return EXIT_FAIL;
	}
	json_object_object_del(reply, "ok");
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(reply,
				JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
		json_object_put(reply);
		return EXIT_OK;
	}
	printf("%-58s %7s %7s %9s %9s %4s %10s\n", "connection", "pri q", "sec q",
	       "age ms", "idle ms", "div", "seq offset");
	json_object_object_get_ex(reply, "conns", &arr);
	n = arr ? json_object_array_length(arr) : 0;
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(arr, i);
		printf("%-58s %7lld %7lld %9lld %9lld %4s %10lld\n", jstr(c, "conn"),
		       jint(c, "primary_queued"), jint(c, "secondary_queued"),
		       jint(c, "age_ms"), jint(c, "idle_ms"),
		       jint(c, "diverged") ? "yes" : "-", jint(c, "seq_offset"));
	}
	printf("%zu of %lld connections shown\n", n, jint(reply, "connections"));
	json_object_put(reply);
	return EXIT_OK;
}

static void print_event(struct json_object *ev)
{
	const char *type = jstr(ev, "event");

	if (!strcmp(type, "miscompare"))
		printf("%.3f miscompare %s: %s differs at byte %lld (primary %s, secondary %s)\n",
		       json_object_get_double(json_object_object_get(ev, "time")),
		       jstr(ev, "conn"), jstr(ev, "what"), jint(ev, "offset"),
		       jstr(ev, "primary"), jstr(ev, "secondary"));
	else if (!strcmp(type, "checkpoint_request"))
		printf("%.3f checkpoint request: %s%s%s%s\n",
		       json_object_get_double(json_object_object_get(ev, "time")),
		       jstr(ev, "reason"), *jstr(ev, "conn") ? " on " : "",
		       jstr(ev, "conn"), jint(ev, "coalesced") ? " (coalesced)" : "");
	else if (!strcmp(type, "flush"))
		printf("%.3f flush: %lld primary frames released, %lld secondary dropped\n",
		       json_object_get_double(json_object_object_get(ev, "time")),
		       jint(ev, "released"), jint(ev, "dropped"));
	else
		printf("%.3f %s on %s (%s side, waiting for %s)\n",
		       json_object_get_double(json_object_object_get(ev, "time")),
		       type, jstr(ev, "conn"), jstr(ev, "side"), jstr(ev, "what"));
	fflush(stdout);
}

int do_events(int argc, char **argv)
{
	const char *usage =
		"Usage: colo-xdp events [--name NAME] [--json]\n\n"
		"Streams events until interrupted: miscompares (connection, field or byte\n"
		"offset, excerpt of both sides), timeouts and other divergences,\n"
		"checkpoint requests with their reason, and flushes.\n";
	static struct ctl_reader r;
	const char *name = COLO_DEFAULT_NAME;
	struct json_object *req, *ev;
	bool json = false;
	int fd, ret;

	if (!parse_client_opts(argc, argv, usage, &name, &json, NULL, &ret))
		return ret;
	signal(SIGPIPE, SIG_IGN);
	fd = ctl_connect(name, 0);
	if (fd < 0)
		return EXIT_FAIL;
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("events"));
	ret = ctl_send(fd, req);
	json_object_put(req);
	ctl_reader_init(&r, fd);
	if (ret || ctl_read_line(&r, &ev) || !reply_ok(name, ev)) {
		close(fd);
		return EXIT_FAIL;
	}
	json_object_put(ev);
	while (!ctl_read_line(&r, &ev)) {
		if (json) {
			printf("%s\n", json_object_to_json_string_ext(ev,
					JSON_C_TO_STRING_PLAIN));
			fflush(stdout);
		} else {
			print_event(ev);
		}
		json_object_put(ev);
	}
	close(fd);
	return EXIT_OK;
}
