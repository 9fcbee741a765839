// SPDX-License-Identifier: GPL-2.0
/* cli_util.c - argument checks shared by the subcommands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "ctl.h"

bool parse_u32(const char *opt, const char *s, __u32 min, __u32 max, __u32 *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "colo-xdp: %s needs a number from %u to %u, not '%s'\n",
			opt, min, max, s);
		return false;
	}
	*out = (__u32)v;
	return true;
}

bool check_name(const char *name)
{
	if (ctl_name_valid(name))
		return true;
	fprintf(stderr, "colo-xdp: --name '%s' must be 1-%d letters, digits, '-', '_' or '.'\n",
		name, CTL_NAME_MAX - 1);
	return false;
}
