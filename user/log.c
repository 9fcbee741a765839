// SPDX-License-Identifier: GPL-2.0
/* log.c - leveled logging to stderr, and the libbpf/libxdp print hooks. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"

static enum log_level cur_level = LOG_LEVEL_WARN;

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

static void vlog(enum log_level lvl, const char *fmt, va_list ap)
{
	struct timespec ts;
	char stamp[16];
	struct tm tm;

	if (lvl > cur_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld ", stamp, ts.tv_nsec / 1000000);
	vfprintf(stderr, fmt, ap);
}

void log_print(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

/* libbpf's WARN becomes our INFO, its INFO our DEBUG, its DEBUG ours -vvv. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/*
	 * bpf_tc_hook_create() on an existing clsact qdisc fails with EEXIST,
	 * which we expect and handle; libbpf still prints the kernel's words.
	 */
	if (level == LIBBPF_WARN && strstr(fmt, "Kernel error message"))
		level = LIBBPF_DEBUG;
	vlog((enum log_level)level + 1, fmt, ap);
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	vlog((enum log_level)level + 1, fmt, ap);
	return 0;
}

void log_hook_libs(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}
