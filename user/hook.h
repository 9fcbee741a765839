/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hook.h - `--on-checkpoint CMD`: runs a command on checkpoint requests,
 * for management layers that talk QMP or libvirt.
 *
 * No shell is involved. CMD is split into words once, at hook_new(), with
 * a small quoting subset of sh: whitespace separates words, '...' is
 * literal, "..." is literal except \" \\ \$ \` and \<newline>, a backslash
 * outside quotes makes the next character literal. Nothing is expanded:
 * whatever a shell would expand or interpret ($ ` ; & | < > ( ) * ? [,
 * and ~ or # starting a word) is refused unless quoted, so a CMD that
 * looks like a shell command line cannot silently mean something else.
 * Whoever wants a shell says so: CMD = sh -c '...'.
 *
 * The command is posix_spawnp()ed with stdin on /dev/null, every other fd
 * of the daemon closed, default signal dispositions and an empty signal
 * mask, and the daemon's environment plus:
 *   COLO_REASON  miscompare | timeout | queue-full | table-full | umem-low
 *   COLO_NAME    the instance name
 *   COLO_CONN    the connection as text, possibly empty
 * Values from traffic only ever reach the command as those environment
 * values (control characters replaced by '?'), never as arguments.
 *
 * Rate limit: at most one start per interval and never two runs at once.
 * A request that cannot start now waits; later requests replace its
 * reason and connection (coalesced) and it starts as soon as allowed.
 * Children are reaped without blocking in hook_process().
 */
#ifndef COLO_HOOK_H
#define COLO_HOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define HOOK_DEFAULT_INTERVAL_MS 1000
/* Longest CMD and most words accepted by hook_new(). */
#define HOOK_CMD_MAX 4096
#define HOOK_ARGS_MAX 64
/* Longest COLO_REASON / COLO_CONN values (longer ones are truncated). */
#define HOOK_REASON_MAX 32
#define HOOK_CONN_MAX 256
/* How often hook_next_deadline() asks to look for a finished run. */
#define HOOK_REAP_POLL_MS 20

struct hook;

struct hook_stats {
	bool running;
	bool pending;         /* a request waits for its turn */
	__u64 requests;       /* hook_request() calls */
	__u64 coalesced;      /* requests merged into one already waiting */
	__u64 runs;           /* commands started */
	__u64 failures;       /* runs that exited non-zero or were killed */
	__u64 spawn_errors;   /* starts that failed (no such file, ...) */
	int last_status;      /* last finished run: exit code, or -signal */
};

/*
 * cmd: the command line (see above); name: the instance (COLO_NAME);
 * interval_ms: least time between two starts (0: only "never two at
 * once"). Returns NULL with errno EINVAL (one line logged) for a CMD that
 * is empty, badly quoted or uses shell syntax; ENOMEM.
 */
struct hook *hook_new(const char *cmd, const char *name, __u32 interval_ms);
/* Does not wait for a running command: it is left to finish on its own. */
void hook_free(struct hook *h);

/*
 * Asks for a run with this reason and connection text (conn may be NULL).
 * The run starts in the next hook_process() that allows it.
 */
void hook_request(struct hook *h, const char *reason, const char *conn);

/* Reaps a finished run and starts a waiting one if allowed at now_ns. */
void hook_process(struct hook *h, __u64 now_ns);

/* When hook_process() must run next at the latest; ~0ULL if no timer. */
__u64 hook_next_deadline(const struct hook *h);

void hook_get_stats(const struct hook *h, struct hook_stats *st);

/*
 * The word splitting hook_new() uses, for tests: returns the number of
 * words and a NULL-terminated array in *argv (free with hook_argv_free()),
 * or -EINVAL with a reason in err.
 */
int hook_split(const char *cmd, char ***argv, char *err, size_t errlen);
void hook_argv_free(char **argv);

#endif /* COLO_HOOK_H */
