/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf_counters.h - the BPF tests' view of colo_stats: a snapshot summed
 * over CPUs, and a check that between two snapshots exactly the listed
 * counters moved, by exactly the listed amounts.
 */
#ifndef COLO_TESTS_BPF_COUNTERS_H
#define COLO_TESTS_BPF_COUNTERS_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "colo_shared.h"
#include "test_util.h"

struct counters {
	struct colo_datarec c[COLO_CNT__MAX];
};

/* Sums every counter of the per-CPU array map_fd over the CPUs. */
static inline int counters_read(int map_fd, struct counters *out)
{
	int ncpus = libbpf_num_possible_cpus(), cpu, err = 0;
	struct colo_datarec *vals;
	__u32 i;

	if (ncpus <= 0)
		return -EINVAL;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < COLO_CNT__MAX; i++) {
		if (bpf_map_lookup_elem(map_fd, &i, vals)) {
			err = -errno;
			break;
		}
		for (cpu = 0; cpu < ncpus; cpu++) {
			out->c[i].packets += vals[cpu].packets;
			out->c[i].bytes += vals[cpu].bytes;
		}
	}
	free(vals);
	return err;
}

/* expected counter deltas; every counter not listed must not move */
struct delta {
	int idx;
	__u64 packets;
	__u64 bytes;
};

static inline void check_deltas(const struct counters *before,
				const struct counters *after,
				const struct delta *exp, int nexp,
				const char *name)
{
	int i, j;

	for (i = 0; i < COLO_CNT__MAX; i++) {
		__u64 dp = after->c[i].packets - before->c[i].packets;
		__u64 db = after->c[i].bytes - before->c[i].bytes;
		__u64 ep = 0, eb = 0;

		for (j = 0; j < nexp; j++) {
			if (exp[j].idx == i) {
				ep = exp[j].packets;
				eb = exp[j].bytes;
			}
		}
		if (dp != ep || db != eb)
			__FAIL("%s: counter %d moved by %llu/%llu, expected "
			       "%llu/%llu",
			       name, i, (unsigned long long)dp,
			       (unsigned long long)db, (unsigned long long)ep,
			       (unsigned long long)eb);
	}
}

#endif /* COLO_TESTS_BPF_COUNTERS_H */
