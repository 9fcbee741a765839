// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_stats.c - the control-socket clients: `colo-xdp stats` (one JSON
 * snapshot, or a live table of per-second rates) and
 * `colo-xdp checkpoint-done`.
 */
#include <getopt.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ctl.h"

#define CTL_TIMEOUT_MS 5000

struct stats_opts {
	const char *name;
	bool json;
	__u32 interval_s;
	__u32 count; /* 0: until interrupted */
};

static const struct stats_opts defaults_stats = {
	.name = COLO_DEFAULT_NAME,
	.interval_s = 1,
};

static const struct option stats_options[] = {
	{ "name", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "interval", required_argument, NULL, 'i' },
	{ "count", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{}
};

static void usage_stats(FILE *f)
{
	fprintf(f,
		"Usage: colo-xdp stats [--name NAME] [--json] [--interval S] [--count N]\n"
		"\n"
		"Without --json: a live table of per-second rates and totals, one line per\n"
		"interval, until interrupted (or N lines). With --json: one snapshot of\n"
		"every counter as a JSON object.\n");
}

/* Sends {"cmd": cmd} and checks "ok". Returns the reply or NULL. */
static struct json_object *simple_request(const char *name, const char *cmd)
{
	struct json_object *req = json_object_new_object(), *reply, *ok, *err;
	int e;

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	e = ctl_request(name, req, &reply, CTL_TIMEOUT_MS);
	json_object_put(req);
	if (e)
		return NULL;
	if (!json_object_object_get_ex(reply, "ok", &ok) ||
	    !json_object_get_boolean(ok)) {
		json_object_object_get_ex(reply, "error", &err);
		fprintf(stderr, "colo-xdp: instance '%s' refused '%s': %s\n", name,
			cmd, err ? json_object_get_string(err) : "no reason given");
		json_object_put(reply);
		return NULL;
	}
	return reply;
}

/* Reads a.b.c from a JSON object as a number (0 if absent). */
static double jnum(struct json_object *o, const char *path)
{
	char buf[96], *tok, *save = NULL;
	struct json_object *cur = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(cur, tok, &cur))
			return 0;
	return json_object_get_double(cur);
}

static volatile sig_atomic_t stop_live;

static void on_sigint(int sig)
{
	(void)sig;
	stop_live = 1;
}

static void print_header(void)
{
	printf("%10s %10s %11s %8s %7s %8s %8s %6s %9s %8s %10s\n", "pri rx/s",
	       "sec rx/s", "released/s", "held", "conns", "miscmp", "timeouts",
	       "ckpt", "dropped", "drop/s", "p99 us");
}

/* One line of rates over the daemon-measured period between two snapshots. */
static void print_rates(struct json_object *prev, struct json_object *cur)
{
	double dt = (jnum(cur, "uptime_ms") - jnum(prev, "uptime_ms")) / 1000.0;

#define RATE(path) (dt > 0 ? (jnum(cur, path) - jnum(prev, path)) / dt : 0)
	/* p99 us: latency added to released frames over the last full second */
	printf("%'10.0f %'10.0f %'11.0f %'8.0f %'7.0f %'8.0f %'8.0f %'6.0f %'9.0f %'8.0f %'10.1f\n",
	       RATE("primary.rx_packets"), RATE("secondary.rx_packets"),
	       RATE("released_packets"),
	       jnum(cur, "primary.held") + jnum(cur, "secondary.held"),
	       jnum(cur, "connections"), jnum(cur, "miscompares"),
	       jnum(cur, "timeouts"), jnum(cur, "checkpoint_requests"),
	       jnum(cur, "dropped_packets"), RATE("dropped_packets"),
	       jnum(cur, "release_latency_ns.last_second.p99") / 1000.0);
#undef RATE
	fflush(stdout);
}

static int stats_live(const struct stats_opts *o)
{
	struct json_object *prev, *cur;
	__u32 lines = 0;

	setlocale(LC_NUMERIC, "en_US.UTF-8");
	signal(SIGINT, on_sigint);
	signal(SIGTERM, on_sigint);
	prev = simple_request(o->name, "stats");
	if (!prev)
		return EXIT_FAIL;
	while (!stop_live && (!o->count || lines < o->count)) {
		poll(NULL, 0, o->interval_s * 1000);
		if (stop_live)
			break;
		cur = simple_request(o->name, "stats");
		if (!cur) {
			json_object_put(prev);
			return EXIT_FAIL;
		}
		if (lines % 20 == 0)
			print_header();
		print_rates(prev, cur);
		json_object_put(prev);
		prev = cur;
		lines++;
	}
	json_object_put(prev);
	return EXIT_OK;
}

int do_stats(int argc, char **argv)
{
	struct stats_opts o = defaults_stats;
	struct json_object *reply;
	int c;

	while ((c = getopt_long(argc, argv, "n:ji:c:h", stats_options, NULL)) != -1) {
		switch (c) {
		case 'n': o.name = optarg; break;
		case 'j': o.json = true; break;
		case 'i':
			if (!parse_u32("--interval", optarg, 1, 3600, &o.interval_s))
				return EXIT_FAIL_OPTION;
			break;
		case 'c':
			if (!parse_u32("--count", optarg, 1, 1000000, &o.count))
				return EXIT_FAIL_OPTION;
			break;
		case 'h': usage_stats(stdout); return EXIT_OK;
		default: usage_stats(stderr); return EXIT_FAIL_OPTION;
		}
	}
	if (optind < argc || !check_name(o.name)) {
		if (optind < argc)
			fprintf(stderr, "colo-xdp stats: unexpected argument '%s'\n",
				argv[optind]);
		return EXIT_FAIL_OPTION;
	}
	if (!o.json)
		return stats_live(&o);

	reply = simple_request(o.name, "stats");
	if (!reply)
		return EXIT_FAIL;
	json_object_object_del(reply, "ok");
	printf("%s\n", json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_SPACED));
	json_object_put(reply);
	return EXIT_OK;
}

int do_checkpoint_done(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *name = COLO_DEFAULT_NAME;
	struct json_object *reply;
	int c;

	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'h':
			printf("Usage: colo-xdp checkpoint-done [--name NAME]\n\n"
			       "Tells the instance a checkpoint completed: it releases every\n"
			       "held primary frame in order and drops held secondary frames.\n");
			return EXIT_OK;
		default:
			fprintf(stderr, "colo-xdp checkpoint-done: bad option\n");
			return EXIT_FAIL_OPTION;
		}
	}
	if (optind < argc || !check_name(name))
		return EXIT_FAIL_OPTION;
	reply = simple_request(name, "checkpoint-done");
	if (!reply)
		return EXIT_FAIL;
	json_object_put(reply);
	return EXIT_OK;
}
