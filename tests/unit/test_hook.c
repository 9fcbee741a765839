// SPDX-License-Identifier: GPL-2.0
/*
 * test_hook.c - the --on-checkpoint command runner: word splitting without
 * a shell, the environment the command gets, rate limiting and coalescing,
 * exit statuses, and that nothing in CMD or in the traffic-derived COLO_CONN
 * is ever executed.
 *
 * The commands configured here use sh -c where they need a redirection:
 * that is the operator's explicit choice in CMD, the runner itself never
 * goes through a shell. The rate limiter runs on a fake clock (passed to
 * hook_process()); the commands themselves run for real.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"
#include "hook.h"

TEST_STATE_DEFINE;

#define MS 1000000ULL

static char dir[64];

static void path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static bool exists(const char *name)
{
	char p[128];

	path(p, sizeof(p), name);
	return access(p, F_OK) == 0;
}

/* The file's content ("" if missing), in a static buffer. */
static const char *slurp(const char *name)
{
	static char buf[8192];
	char p[128];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	path(p, sizeof(p), name);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

static void rm_dir(void)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			unlinkat(dirfd(d), de->d_name, 0);
	if (d)
		closedir(d);
	rmdir(dir);
}

static struct hook_stats stats(const struct hook *h)
{
	struct hook_stats st;

	hook_get_stats(h, &st);
	return st;
}

/* Calls hook_process(h, now) until nothing runs (5 s at most, real time). */
static bool wait_idle(struct hook *h, __u64 now)
{
	int i;

	for (i = 0; i < 1000; i++) {
		hook_process(h, now);
		if (!stats(h).running)
			return true;
		usleep(5000);
	}
	return false;
}

/*
 * hook_process() with our stdout on file name, so a command run without
 * any shell (env, cp) leaves its output there: the command inherits it.
 */
static void process_to(struct hook *h, __u64 now, const char *name)
{
	char p[128];
	int fd, saved;

	path(p, sizeof(p), name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	hook_process(h, now);
	dup2(saved, 1);
	close(saved);
	close(fd);
}

static struct hook *new_hook(const char *fmt, __u32 interval_ms)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, dir, dir, dir);
	return hook_new(cmd, "inst-1", interval_ms);
}

/* --- splitting ------------------------------------------------------------- */

static void test_split(void)
{
	static const struct {
		const char *cmd;
		const char *words; /* joined by '|', NULL: refused */
	} cases[] = {
		{ "a", "a" },
		{ "  a  b\tc\n", "a|b|c" },
		{ "'a b' \"c d\" e\\ f", "a b|c d|e f" },
		{ "sh -c 'echo $X > f; `id`'", "sh|-c|echo $X > f; `id`" },
		{ "\"a\\\"b\\\\c\\$d\\`e\\x\"", "a\"b\\c$d`e\\x" },
		{ "a'b'\"c\"d", "abcd" },
		{ "'' x", "|x" },
		{ "a\\;b a\\$b", "a;b|a$b" },
		{ "--opt=1 x#y a~b", "--opt=1|x#y|a~b" },
		{ "", NULL },
		{ "   ", NULL },
		{ "'abc", NULL },
		{ "\"abc", NULL },
		{ "abc\\", NULL },
		{ "echo $(touch x)", NULL },
		{ "echo `id`", NULL },
		{ "echo \"$HOME\"", NULL },
		{ "echo \"`id`\"", NULL },
		{ "echo $HOME", NULL },
		{ "a;b", NULL },
		{ "a | b", NULL },
		{ "a && b", NULL },
		{ "a > f", NULL },
		{ "a < f", NULL },
		{ "(a)", NULL },
		{ "ls *", NULL },
		{ "ls ?", NULL },
		{ "ls [ab]", NULL },
		{ "~/bin/x", NULL },
		{ "a #comment", NULL },
	};
	char joined[256], err[160], **argv, **a, many[400];
	unsigned int i;
	int n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		n = hook_split(cases[i].cmd, &argv, err, sizeof(err));
		if (!cases[i].words) {
			if (!ASSERT_EQ(n, -EINVAL, cases[i].cmd))
				hook_argv_free(argv);
			ASSERT_TRUE(argv == NULL, cases[i].cmd);
			ASSERT_TRUE(err[0] != '\0', "a reason is given");
			continue;
		}
		if (!ASSERT_TRUE(n > 0, cases[i].cmd)) {
			fprintf(stderr, "    (%s)\n", err);
			continue;
		}
		joined[0] = '\0';
		for (a = argv; *a; a++)
			snprintf(joined + strlen(joined),
				 sizeof(joined) - strlen(joined), "%s%s",
				 a == argv ? "" : "|", *a);
		if (!ASSERT_TRUE(!strcmp(joined, cases[i].words), cases[i].cmd))
			fprintf(stderr, "    got [%s]\n", joined);
		ASSERT_EQ(n, a - argv, "count");
		hook_argv_free(argv);
	}

	/* 64 words pass, 65 do not. */
	many[0] = '\0';
	for (i = 0; i < HOOK_ARGS_MAX; i++)
		strcat(many, "w ");
	n = hook_split(many, &argv, err, sizeof(err));
	ASSERT_EQ(n, HOOK_ARGS_MAX, "HOOK_ARGS_MAX words");
	hook_argv_free(argv);
	strcat(many, "w");
	ASSERT_EQ(hook_split(many, &argv, err, sizeof(err)), -EINVAL,
		  "one word too many");
}

static void test_new_refuses(void)
{
	static const char *bad[] = { "", " ", "/bin/echo $(touch %s/x)",
				     "/bin/echo `touch %s/x`",
				     "/bin/touch %s/x; /bin/true",
				     "/bin/true && touch %s/x" };
	struct hook *h;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		h = new_hook(bad[i], 0);
		if (!ASSERT_TRUE(h == NULL, bad[i]))
			hook_free(h);
		ASSERT_EQ(errno, EINVAL, bad[i]);
	}
	errno = 0;
	ASSERT_TRUE(hook_new(NULL, "x", 0) == NULL && errno == EINVAL, "NULL");
	ASSERT_FALSE(exists("x"), "nothing was executed");
}

/* --- running --------------------------------------------------------------- */

static void test_environment(void)
{
	const char *env, *p;
	struct hook *h;

	setenv("TEST_HOOK_INHERITED", "yes", 1);
	setenv("COLO_REASON", "stale", 1); /* replaced, not duplicated */
	/* env itself, no shell in between that would tidy the environment. */
	h = hook_new("/usr/bin/env", "inst-1", 0);
	if (!ASSERT_OK_PTR(h, "hook_new"))
		goto out;
	ASSERT_EQ(hook_next_deadline(h), ~0ULL, "no timer when idle");
	hook_request(h, "miscompare", "udp 10.0.0.1:53 <-> 10.0.0.2:40000");
	process_to(h, 1 * MS, "env.out");
	ASSERT_EQ(stats(h).runs, 1, "started");
	ASSERT_TRUE(wait_idle(h, 2 * MS), "finished");
	env = slurp("env.out");
	ASSERT_TRUE(strstr(env, "COLO_REASON=miscompare\n") != NULL,
		    "COLO_REASON");
	p = strstr(env, "COLO_REASON=");
	ASSERT_TRUE(p && !strstr(p + 1, "COLO_REASON="), "COLO_REASON once");
	ASSERT_TRUE(strstr(env, "COLO_NAME=inst-1\n") != NULL, "COLO_NAME");
	ASSERT_TRUE(strstr(env, "COLO_CONN=udp 10.0.0.1:53 <-> 10.0.0.2:40000\n") != NULL,
		    "COLO_CONN");
	ASSERT_TRUE(strstr(env, "TEST_HOOK_INHERITED=yes\n") != NULL,
		    "the daemon's environment is inherited");
	ASSERT_TRUE(strstr(env, "stale") == NULL, "old COLO_REASON replaced");
	ASSERT_EQ(stats(h).failures, 0, "exit 0 is no failure");
	ASSERT_EQ(stats(h).last_status, 0, "last_status");

	/* No connection: COLO_CONN is there, empty; control characters go. */
	hook_request(h, "umem-low\n", NULL);
	process_to(h, 3 * MS, "env.out");
	ASSERT_TRUE(wait_idle(h, 4 * MS), "finished");
	env = slurp("env.out");
	ASSERT_TRUE(strstr(env, "COLO_CONN=\n") != NULL, "empty COLO_CONN");
	ASSERT_TRUE(strstr(env, "COLO_REASON=umem-low?\n") != NULL,
		    "newline in a value replaced");
out:
	hook_free(h);
	unsetenv("TEST_HOOK_INHERITED");
	unsetenv("COLO_REASON");
}

/*
 * Nothing is executed that CMD quotes or that the connection text holds:
 * the words reach the program as they are, COLO_CONN is only a value.
 */
static void test_no_substitution(void)
{
	static const char conn[] = "tcp $(touch %s/c1) `touch %s/c2`; touch %s/c3";
	char connv[256];
	struct hook *h;
	const char *out;

	h = new_hook("/bin/sh -c 'printf \"[%%s]\\n\" \"$@\" > %s/args.out' sh "
		     "'$(touch x1)' '`touch x2`' '; touch x3' \\$HOME", 0);
	if (!ASSERT_OK_PTR(h, "hook_new"))
		return;
	snprintf(connv, sizeof(connv), conn, dir, dir, dir);
	hook_request(h, "miscompare", connv);
	hook_process(h, 1 * MS);
	ASSERT_TRUE(wait_idle(h, 1 * MS), "finished");
	out = slurp("args.out");
	ASSERT_TRUE(!strcmp(out, "[$(touch x1)]\n[`touch x2`]\n[; touch x3]\n[$HOME]\n"),
		    "arguments passed literally");
	if (strcmp(out, "[$(touch x1)]\n[`touch x2`]\n[; touch x3]\n[$HOME]\n"))
		fprintf(stderr, "    got [%s]\n", out);
	ASSERT_FALSE(exists("x1") || exists("x2") || exists("x3"),
		     "nothing in CMD executed");
	hook_free(h);

	/* A command that uses the value the way a careful script does. */
	h = new_hook("/bin/sh -c 'printf \"%%s\" \"$COLO_CONN\" > %s/conn.out'", 0);
	if (!ASSERT_OK_PTR(h, "hook_new"))
		return;
	hook_request(h, "miscompare", connv);
	hook_process(h, 1 * MS);
	ASSERT_TRUE(wait_idle(h, 1 * MS), "finished");
	ASSERT_TRUE(!strcmp(slurp("conn.out"), connv), "COLO_CONN verbatim");
	ASSERT_FALSE(exists("c1") || exists("c2") || exists("c3"),
		     "nothing in COLO_CONN executed");
	hook_free(h);
}

static void test_rate_limit(void)
{
	struct hook *h;
	__u64 t0 = 1000 * MS;

	h = new_hook("/bin/sh -c 'echo \"$COLO_REASON $COLO_CONN\" >> %s/runs.out'", 300);
	if (!ASSERT_OK_PTR(h, "hook_new"))
		return;
	hook_request(h, "miscompare", "c1");
	ASSERT_EQ(stats(h).runs, 0, "a request alone starts nothing");
	ASSERT_TRUE(stats(h).pending, "pending");
	hook_process(h, t0);
	ASSERT_EQ(stats(h).runs, 1, "first run at once");
	ASSERT_TRUE(wait_idle(h, t0), "first run finished");

	hook_request(h, "timeout", "c2");
	hook_request(h, "queue-full", "c3");
	hook_process(h, t0 + 1 * MS);
	ASSERT_EQ(stats(h).runs, 1, "not within the interval");
	ASSERT_EQ(stats(h).coalesced, 1, "coalesced");
	ASSERT_EQ(hook_next_deadline(h), t0 + 300 * MS, "due after the interval");
	hook_process(h, t0 + 299 * MS);
	ASSERT_EQ(stats(h).runs, 1, "still not");
	hook_process(h, t0 + 300 * MS);
	ASSERT_EQ(stats(h).runs, 2, "second run after the interval");
	ASSERT_FALSE(stats(h).pending, "nothing pending");
	ASSERT_TRUE(wait_idle(h, t0 + 300 * MS), "second run finished");
	ASSERT_EQ(hook_next_deadline(h), ~0ULL, "no timer");
	ASSERT_TRUE(!strcmp(slurp("runs.out"), "miscompare c1\nqueue-full c3\n"),
		    "the latest reason ran");
	ASSERT_EQ(stats(h).requests, 3, "requests");
	ASSERT_EQ(stats(h).runs, 2, "runs");
	hook_free(h);
}

/* Interval 0: back to back, but never two at once. */
static void test_never_two(void)
{
	struct hook *h;
	__u64 now = 1 * MS;
	int i;

	h = new_hook("/bin/sh -c 'echo start >> %s/seq.out; sleep 0.2; echo end >> %s/seq.out'",
		     0);
	if (!ASSERT_OK_PTR(h, "hook_new"))
		return;
	hook_request(h, "timeout", "");
	hook_process(h, now);
	ASSERT_TRUE(stats(h).running, "running");
	for (i = 0; i < 3; i++) {
		hook_request(h, "timeout", "");
		hook_process(h, now += MS);
	}
	ASSERT_EQ(stats(h).runs, 1, "one at a time");
	ASSERT_TRUE(stats(h).pending, "the others wait");
	ASSERT_EQ(stats(h).coalesced, 2, "and coalesce");
	ASSERT_EQ(hook_next_deadline(h), now + HOOK_REAP_POLL_MS * MS,
		  "looks again soon for the end");
	for (i = 0; i < 1000 && stats(h).runs < 2; i++) {
		usleep(5000);
		hook_process(h, now);
	}
	ASSERT_EQ(stats(h).runs, 2, "the waiting one ran after the first");
	ASSERT_TRUE(wait_idle(h, now), "finished");
	ASSERT_TRUE(!strcmp(slurp("seq.out"), "start\nend\nstart\nend\n"),
		    "no overlap");
	hook_free(h);
}

static void test_status(void)
{
	static const struct {
		const char *cmd;
		__u64 runs, failures, spawn_errors;
		int status;
	} cases[] = {
		{ "true", 1, 0, 0, 0 },                    /* found on PATH */
		{ "/bin/false", 1, 1, 0, 1 },
		{ "/bin/sh -c 'exit 7'", 1, 1, 0, 7 },
		{ "/bin/sh -c 'kill -9 $$'", 1, 1, 0, -9 },
		{ "/nonexistent/colo-hook", 0, 0, 1, 0 },
		{ "no-such-colo-hook-on-path", 0, 0, 1, 0 },
	};
	const char *pre = getenv("LD_PRELOAD");
	/*
	 * Valgrind runs posix_spawn() as fork() + exec(): a failed exec
	 * is then an exit with 127, not an error from posix_spawn().
	 */
	bool valgrind = pre && strstr(pre, "vgpreload");
	struct hook *h;
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (valgrind && cases[i].spawn_errors) {
			printf("     (valgrind: %s checked as exit 127)\n",
			       cases[i].cmd);
			h = hook_new(cases[i].cmd, "x", 0);
			hook_request(h, "miscompare", NULL);
			hook_process(h, MS);
			ASSERT_TRUE(wait_idle(h, MS), cases[i].cmd);
			ASSERT_EQ(stats(h).spawn_errors + stats(h).failures, 1,
				  cases[i].cmd);
			ASSERT_EQ(stats(h).last_status, 127, cases[i].cmd);
			hook_free(h);
			continue;
		}
		h = hook_new(cases[i].cmd, "x", 0);
		if (!ASSERT_OK_PTR(h, cases[i].cmd))
			continue;
		hook_request(h, "miscompare", NULL);
		hook_process(h, MS);
		ASSERT_TRUE(wait_idle(h, MS), cases[i].cmd);
		ASSERT_EQ(stats(h).runs, cases[i].runs, cases[i].cmd);
		ASSERT_EQ(stats(h).failures, cases[i].failures, cases[i].cmd);
		ASSERT_EQ(stats(h).spawn_errors, cases[i].spawn_errors,
			  cases[i].cmd);
		ASSERT_EQ(stats(h).last_status, cases[i].status, cases[i].cmd);
		ASSERT_FALSE(stats(h).pending, cases[i].cmd);
		hook_free(h);
	}
}

/*
 * The daemon's fds stay closed to the command, stdin is /dev/null, and
 * its blocked and ignored signals are back to normal.
 */
static void test_sandbox(void)
{
	sigset_t set, old;
	struct hook *h;
	const char *out;
	unsigned long long blk = ~0ULL, ign = ~0ULL;
	const char *p;
	int fd;

	fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC, like a leaky lib */
	ASSERT_EQ(dup2(fd, 47), 47, "fd 47 open");
	close(fd);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	signal(SIGUSR1, SIG_IGN);

	h = new_hook("/bin/sh -c 'ls -l /proc/$$/fd > %s/fds.out'", 0);
	if (ASSERT_OK_PTR(h, "hook_new")) {
		hook_request(h, "miscompare", NULL);
		hook_process(h, MS);
		ASSERT_TRUE(wait_idle(h, MS), "finished");
		out = slurp("fds.out");
		ASSERT_TRUE(strstr(out, " 0 -> /dev/null") != NULL,
			    "stdin is /dev/null");
		ASSERT_TRUE(strstr(out, " 47 -> ") == NULL,
			    "the daemon's fd 47 is not inherited");
		hook_free(h);
	}
	/* cp reads its own status: no shell that resets the mask itself. */
	h = new_hook("/bin/cp /proc/self/status %s/sig.out", 0);
	if (ASSERT_OK_PTR(h, "hook_new")) {
		hook_request(h, "miscompare", NULL);
		hook_process(h, MS);
		ASSERT_TRUE(wait_idle(h, MS), "finished");
		out = slurp("sig.out");
		p = strstr(out, "SigBlk:");
		if (p)
			blk = strtoull(p + 7, NULL, 16);
		p = strstr(out, "SigIgn:");
		if (p)
			ign = strtoull(p + 7, NULL, 16);
		ASSERT_EQ(blk, 0, "no signal blocked");
		ASSERT_EQ(ign & (1ULL << (SIGUSR1 - 1)), 0, "SIGUSR1 not ignored");
		hook_free(h);
	}
	signal(SIGUSR1, SIG_DFL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(47);
}

/* hook_free() does not wait for a command that is still running. */
static void test_free_running(void)
{
	struct timespec a, b;
	struct hook *h;
	int i;

	h = hook_new("/bin/sleep 0.3", "x", 0);
	if (!ASSERT_OK_PTR(h, "hook_new"))
		return;
	hook_request(h, "timeout", NULL);
	hook_process(h, MS);
	ASSERT_TRUE(stats(h).running, "running");
	clock_gettime(CLOCK_MONOTONIC, &a);
	hook_free(h);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ASSERT_TRUE((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 100,
		    "hook_free returns at once");
	/* Reap it here, so no zombie outlives the test. */
	for (i = 0; i < 200 && waitpid(-1, NULL, WNOHANG) == 0; i++)
		usleep(5000);
}

int main(int argc, char **argv)
{
	int ret;

	test__init(argc, argv);
	snprintf(dir, sizeof(dir), "/tmp/test_hook.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN_SUBTEST("split", test_split);
	RUN_SUBTEST("new_refuses", test_new_refuses);
	RUN_SUBTEST("environment", test_environment);
	RUN_SUBTEST("no_substitution", test_no_substitution);
	RUN_SUBTEST("rate_limit", test_rate_limit);
	RUN_SUBTEST("never_two", test_never_two);
	RUN_SUBTEST("status", test_status);
	RUN_SUBTEST("sandbox", test_sandbox);
	RUN_SUBTEST("free_running", test_free_running);
	ret = test__summary("test_hook");
	rm_dir();
	return ret;
}
