// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - colo-xdp's entry point: picks a subcommand by name (a unique
 * prefix is enough) and hands it the remaining arguments.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	int (*func)(int argc, char **argv);
	const char *doc;
};

static const struct command commands[] = {
	{ "run", do_run, "capture, compare and release (runs in the foreground)" },
	{ "stats", do_stats, "show an instance's counters, live or as JSON" },
	{ "conns", do_conns, "list the connections holding the most frames" },
	{ "events", do_events, "stream miscompares, checkpoint requests and flushes" },
	{ "checkpoint-done", do_checkpoint_done,
	  "tell an instance a checkpoint completed: flush held frames" },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: colo-xdp COMMAND [options]\n\nCommands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].doc);
	fprintf(f, "  %-16s %s\n", "help", "this text");
	fprintf(f, "\n'colo-xdp COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
	const struct command *found = NULL;
	size_t i, len;

	if (argc < 2) {
		usage(stderr);
		return EXIT_FAIL_OPTION;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage(stdout);
		return EXIT_OK;
	}
	len = strlen(argv[1]);
	for (i = 0; i < NR_COMMANDS; i++) {
		if (strncmp(commands[i].name, argv[1], len))
			continue;
		if (strlen(commands[i].name) == len) {
			found = &commands[i];
			break;
		}
		if (found) {
			fprintf(stderr, "colo-xdp: '%s' is ambiguous\n", argv[1]);
			return EXIT_FAIL_OPTION;
		}
		found = &commands[i];
	}
	if (!found) {
		fprintf(stderr, "colo-xdp: unknown command '%s' (try 'colo-xdp help')\n",
			argv[1]);
		return EXIT_FAIL_OPTION;
	}
	return found->func(argc - 1, argv + 1);
}
