/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log.h - leveled logging to stderr. libbpf's and libxdp's messages are
 * routed here one level lower than they say (their warnings are often
 * expected probes), and each -v raises the level shown.
 */
#ifndef COLO_LOG_H
#define COLO_LOG_H

enum log_level {
	LOG_LEVEL_WARN = 0,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_LIBBPF_DEBUG, /* -vvv: libbpf's own debug output */
};

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Installs the libbpf and libxdp print callbacks. */
void log_hook_libs(void);

void log_print(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(fmt, ...) log_print(LOG_LEVEL_WARN, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) log_print(LOG_LEVEL_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) log_print(LOG_LEVEL_DEBUG, fmt, ##__VA_ARGS__)

#endif /* COLO_LOG_H */
