/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_util.h - the assertions of colo-xdp's C tests.
 *
 * ASSERT_* print the test name and file:line on failure and keep going, so
 * one run shows every failure. A test binary runs its subtests by name
 * (argv filters by substring), then prints "N passed, N failed" and exits
 * non-zero if anything failed.
 */
#ifndef COLO_TEST_UTIL_H
#define COLO_TEST_UTIL_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct test_state {
	const char *subtest;
	int checks_failed; /* in the current subtest */
	int passed;
	int failed;
	int argc;
	char **argv;
};

extern struct test_state test_env;

/* Define once per test binary, above main(). */
#define TEST_STATE_DEFINE struct test_state test_env

#define __FAIL(fmt, ...)                                                   \
	do {                                                               \
		test_env.checks_failed++;                                  \
		fprintf(stderr, "  FAIL %s (%s:%d): " fmt "\n",            \
			test_env.subtest ? test_env.subtest : "?", __FILE__, \
			__LINE__, ##__VA_ARGS__);                          \
	} while (0)

#define ASSERT_TRUE(cond, name)                                            \
	({                                                                 \
		bool ___ok = (cond);                                       \
		if (!___ok)                                                \
			__FAIL("%s: expected true: %s", name, #cond);      \
		___ok;                                                     \
	})

#define ASSERT_FALSE(cond, name) ASSERT_TRUE(!(cond), name)

#define ASSERT_EQ(actual, expected, name)                                  \
	({                                                                 \
		long long ___a = (long long)(actual);                      \
		long long ___e = (long long)(expected);                    \
		bool ___ok = ___a == ___e;                                 \
		if (!___ok)                                                \
			__FAIL("%s: %s = %lld, expected %lld", name,       \
			       #actual, ___a, ___e);                       \
		___ok;                                                     \
	})

#define ASSERT_NEQ(actual, expected, name)                                 \
	({                                                                 \
		long long ___a = (long long)(actual);                      \
		long long ___e = (long long)(expected);                    \
		bool ___ok = ___a != ___e;                                 \
		if (!___ok)                                                \
			__FAIL("%s: %s = %lld, expected something else",   \
			       name, #actual, ___a);                       \
		___ok;                                                     \
	})

#define ASSERT_OK(err, name) ASSERT_EQ(err, 0, name)

#define ASSERT_OK_PTR(ptr, name)                                           \
	({                                                                 \
		bool ___ok = (ptr) != NULL;                                \
		if (!___ok)                                                \
			__FAIL("%s: %s is NULL", name, #ptr);              \
		___ok;                                                     \
	})

#define ASSERT_MEMEQ(a, b, len, name)                                      \
	({                                                                 \
		bool ___ok = memcmp((a), (b), (len)) == 0;                 \
		if (!___ok)                                                \
			__FAIL("%s: %s and %s differ", name, #a, #b);      \
		___ok;                                                     \
	})

/* True if the subtest was selected on the command line (or no filter). */
static inline bool test__start_subtest(const char *name)
{
	int i;

	if (test_env.argc > 1) {
		for (i = 1; i < test_env.argc; i++)
			if (strstr(name, test_env.argv[i]))
				break;
		if (i == test_env.argc)
			return false;
	}
	test_env.subtest = name;
	test_env.checks_failed = 0;
	return true;
}

static inline void test__end_subtest(void)
{
	if (!test_env.subtest)
		return;
	if (test_env.checks_failed) {
		test_env.failed++;
		fprintf(stderr, "FAIL %s\n", test_env.subtest);
	} else {
		test_env.passed++;
		printf("ok   %s\n", test_env.subtest);
	}
	test_env.subtest = NULL;
}

/* Runs fn(arg) as a subtest named name if selected. */
#define RUN_SUBTEST(name, fn, ...)                                         \
	do {                                                               \
		if (test__start_subtest(name)) {                           \
			fn(__VA_ARGS__);                                   \
			test__end_subtest();                               \
		}                                                          \
	} while (0)

static inline void test__init(int argc, char **argv)
{
	test_env.argc = argc;
	test_env.argv = argv;
}

/* Prints the closing line CI reads and returns the exit code. */
static inline int test__summary(const char *suite)
{
	printf("%s: %d passed, %d failed\n", suite, test_env.passed,
	       test_env.failed);
	return test_env.failed ? 1 : 0;
}

/* CLOCK_MONOTONIC in ns: what bpf_ktime_get_ns() reads too. */
static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#endif /* COLO_TEST_UTIL_H */
