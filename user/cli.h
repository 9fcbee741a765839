/* SPDX-License-Identifier: GPL-2.0 */
/* cli.h - the subcommands of the colo-xdp binary and their shared helpers. */
#ifndef COLO_CLI_H
#define COLO_CLI_H

#include <stdbool.h>
#include <linux/types.h>

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_FAIL_OPTION 2

#define COLO_DEFAULT_NAME "colo0"

int do_run(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_checkpoint_done(int argc, char **argv);
int do_conns(int argc, char **argv);
int do_events(int argc, char **argv);

/* Parses an unsigned number in [min, max]; prints a one-line error if not. */
bool parse_u32(const char *opt, const char *s, __u32 min, __u32 max, __u32 *out);
/* Checks --name; prints a one-line error if it is not usable. */
bool check_name(const char *name);

#endif /* COLO_CLI_H */
