// SPDX-License-Identifier: GPL-2.0
/*
 * hook.c - the --on-checkpoint command: split once without a shell,
 * spawned with the request's reason in its environment, rate-limited,
 * reaped without blocking. See hook.h for the rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hook.h"
#include "log.h"

#define NS_PER_MS 1000000ULL
#define NAME_MAX_LEN 64

extern char **environ;

struct hook {
	char **argv;
	char name[NAME_MAX_LEN];
	__u64 interval_ns;
	__u64 now;           /* of the last hook_process() */
	__u64 last_start_ns;
	bool started_once;   /* last_start_ns is meaningful */
	pid_t pid;           /* the running command, or 0 */
	bool pending;
	char reason[HOOK_REASON_MAX];
	char conn[HOOK_CONN_MAX];
	struct hook_stats st;
};

/* --- splitting ------------------------------------------------------------ */

/* What a shell would expand or interpret outside quotes. */
static bool shell_special(char c)
{
	return c && strchr("$`;&|<>()*?[", c);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

void hook_argv_free(char **argv)
{
	char **a;

	if (!argv)
		return;
	for (a = argv; *a; a++)
		free(*a);
	free(argv);
}

/*
 * Reads one word at *pp into word (NUL-terminated), moving *pp past it.
 * Returns 0, or -EINVAL with the reason in err.
 */
static int split_word(const char **pp, const char *cmd, char *word, char *err,
		      size_t errlen)
{
	const char *p = *pp;
	size_t wl = 0;

	if (*p == '#' || *p == '~') {
		snprintf(err, errlen, "'%c' at offset %zu starts a word: quote it (there is no shell)",
			 *p, (size_t)(p - cmd));
		return -EINVAL;
	}
	while (*p && !is_blank(*p)) {
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++)
				word[wl++] = *p;
			if (!*p)
				goto unterminated;
			p++;
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1] && strchr("\"\\$`\n", p[1])) {
					if (*++p != '\n')
						word[wl++] = *p;
				} else if (*p == '$' || *p == '`') {
					goto special;
				} else {
					word[wl++] = *p;
				}
			}
			if (!*p)
				goto unterminated;
			p++;
		} else if (*p == '\\') {
			if (!p[1]) {
				snprintf(err, errlen, "trailing backslash");
				return -EINVAL;
			}
			if (p[1] != '\n')
				word[wl++] = p[1];
			p += 2;
		} else if (shell_special(*p)) {
			goto special;
		} else {
			word[wl++] = *p++;
		}
	}
	word[wl] = '\0';
	*pp = p;
	return 0;

unterminated:
	snprintf(err, errlen, "unterminated quote");
	return -EINVAL;
special:
	snprintf(err, errlen, "'%c' at offset %zu is shell syntax, and there is no shell: quote it or use sh -c '...'",
		 *p, (size_t)(p - cmd));
	return -EINVAL;
}

int hook_split(const char *cmd, char ***argvp, char *err, size_t errlen)
{
	size_t len = strlen(cmd);
	const char *p = cmd;
	char **argv, *word;
	int argc = 0, ret = -EINVAL;

	*argvp = NULL;
	if (len >= HOOK_CMD_MAX) {
		snprintf(err, errlen, "longer than %d bytes", HOOK_CMD_MAX - 1);
		return -EINVAL;
	}
	argv = calloc(HOOK_ARGS_MAX + 1, sizeof(*argv));
	word = malloc(len + 1);
	if (!argv || !word)
		goto out_nomem;
	for (;;) {
		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		if (argc == HOOK_ARGS_MAX) {
			snprintf(err, errlen, "more than %d words", HOOK_ARGS_MAX);
			goto out_err;
		}
		if (split_word(&p, cmd, word, err, errlen))
			goto out_err;
		argv[argc] = strdup(word);
		if (!argv[argc])
			goto out_nomem;
		argc++;
	}
	if (!argc) {
		snprintf(err, errlen, "empty command");
		goto out_err;
	}
	free(word);
	*argvp = argv;
	return argc;

out_nomem:
	snprintf(err, errlen, "out of memory");
	ret = -ENOMEM;
out_err:
	free(word);
	hook_argv_free(argv);
	return ret;
}

/* --- spawning ------------------------------------------------------------- */

/* Copies src into dst (size len) with control characters made '?'. */
static void copy_clean(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < len; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ?
				 '?' : src[i];
	dst[i] = '\0';
}

static bool ours(const char *e)
{
	return !strncmp(e, "COLO_REASON=", 12) ||
	       !strncmp(e, "COLO_NAME=", 10) || !strncmp(e, "COLO_CONN=", 10);
}

/* The daemon's environment minus any COLO_* of ours, plus ours. */
static char **build_env(const struct hook *h)
{
	size_t n = 0, i, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = calloc(n + 4, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		if (!ours(environ[i]))
			env[k++] = environ[i];
	if (asprintf(&env[k++], "COLO_REASON=%s", h->reason) < 0)
		env[--k] = NULL;
	if (asprintf(&env[k++], "COLO_NAME=%s", h->name) < 0)
		env[--k] = NULL;
	if (asprintf(&env[k++], "COLO_CONN=%s", h->conn) < 0)
		env[--k] = NULL;
	return env;
}

static void free_env(char **env)
{
	size_t i;

	if (!env)
		return;
	/* Only the last three entries (at most) were allocated here. */
	for (i = 0; env[i]; i++)
		if (ours(env[i]))
			free(env[i]);
	free(env);
}

static int spawn(struct hook *h)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	char **env;
	pid_t pid;
	int err;

	env = build_env(h);
	if (!env)
		return ENOMEM;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	/* The daemon blocks signals for its signalfd; the command must not. */
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	/* AF_XDP, BPF and control sockets are none of its business. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);

	err = posix_spawnp(&pid, h->argv[0], &fa, &attr, h->argv, env);

	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free_env(env);
	if (!err)
		h->pid = pid;
	return err;
}

static void start(struct hook *h)
{
	int err;

	h->pending = false;
	h->last_start_ns = h->now;
	h->started_once = true;
	err = spawn(h);
	if (err) {
		h->st.spawn_errors++;
		pr_warn("Failed to run the checkpoint hook %s: %s\n", h->argv[0],
			strerror(err));
		return;
	}
	h->st.runs++;
	pr_debug("Checkpoint hook started (pid %d, reason %s)\n", (int)h->pid,
		 h->reason);
}

static void reap(struct hook *h)
{
	int status;
	pid_t r;

	if (!h->pid)
		return;
	r = waitpid(h->pid, &status, WNOHANG);
	if (r == 0 || (r < 0 && errno == EINTR))
		return;
	h->pid = 0;
	if (r < 0) {
		/* Someone set SIGCHLD to SIG_IGN: the status is gone. */
		pr_debug("Checkpoint hook: no exit status: %s\n",
			 strerror(errno));
		return;
	}
	if (WIFEXITED(status)) {
		h->st.last_status = WEXITSTATUS(status);
		if (!WEXITSTATUS(status))
			return;
		pr_warn("Checkpoint hook %s exited with %d\n", h->argv[0],
			WEXITSTATUS(status));
	} else {
		h->st.last_status = -WTERMSIG(status);
		pr_warn("Checkpoint hook %s killed by signal %d\n", h->argv[0],
			WTERMSIG(status));
	}
	h->st.failures++;
}

/* --- API ------------------------------------------------------------------ */

struct hook *hook_new(const char *cmd, const char *name, __u32 interval_ms)
{
	char err[160];
	struct hook *h;
	int ret;

	if (!cmd) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		errno = ENOMEM;
		return NULL;
	}
	ret = hook_split(cmd, &h->argv, err, sizeof(err));
	if (ret < 0) {
		pr_warn("Bad checkpoint hook command '%.80s': %s\n", cmd, err);
		free(h);
		errno = -ret;
		return NULL;
	}
	copy_clean(h->name, sizeof(h->name), name ? name : "");
	h->interval_ns = interval_ms * NS_PER_MS;
	return h;
}

void hook_free(struct hook *h)
{
	if (!h)
		return;
	reap(h);
	if (h->pid)
		pr_info("Checkpoint hook (pid %d) still running, not waited for\n",
			(int)h->pid);
	hook_argv_free(h->argv);
	free(h);
}

void hook_request(struct hook *h, const char *reason, const char *conn)
{
	h->st.requests++;
	if (h->pending)
		h->st.coalesced++;
	h->pending = true;
	copy_clean(h->reason, sizeof(h->reason), reason ? reason : "");
	copy_clean(h->conn, sizeof(h->conn), conn ? conn : "");
}

void hook_process(struct hook *h, __u64 now_ns)
{
	h->now = now_ns;
	reap(h);
	if (!h->pending || h->pid)
		return;
	if (h->started_once && now_ns - h->last_start_ns < h->interval_ns)
		return;
	start(h);
}

__u64 hook_next_deadline(const struct hook *h)
{
	if (h->pid)
		return h->now + HOOK_REAP_POLL_MS * NS_PER_MS;
	if (!h->pending)
		return ~0ULL;
	if (!h->started_once)
		return h->now;
	return h->last_start_ns + h->interval_ns;
}

void hook_get_stats(const struct hook *h, struct hook_stats *st)
{
	*st = h->st;
	st->running = h->pid != 0;
	st->pending = h->pending;
}
