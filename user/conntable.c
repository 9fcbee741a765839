// SPDX-License-Identifier: GPL-2.0
/*
 * conntable.c - fixed-size chained hash of connection keys (see conntable.h).
 *
 * The bucket is picked by Fibonacci hashing of the key hash (multiply, keep
 * the top bits), so a hash that is weak in its low bits still spreads. Keys
 * are compared field by field up to the padding, so stale padding bytes in a
 * caller's key never split one connection in two.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conntable.h"

#define CT_MAX_SLOTS (1u << 28)

static inline __u32 ct_bucket(const struct conntable *t, __u32 hash)
{
	return (__u32)(hash * 0x9e3779b1u) >> (32 - t->bits);
}

static inline bool key_eq(const struct colo_conn_key *a,
			  const struct colo_conn_key *b)
{
	return !memcmp(a, b, offsetof(struct colo_conn_key, pad));
}

int ct_init(struct conntable *t, __u32 max)
{
	__u32 i, nb;

	memset(t, 0, sizeof(*t));
	if (!max || max > CT_MAX_SLOTS)
		return -EINVAL;
	t->bits = 1;
	while ((1u << t->bits) < 2 * max)
		t->bits++;
	nb = 1u << t->bits;

	t->bucket = malloc(nb * sizeof(*t->bucket));
	t->chain = malloc(max * sizeof(*t->chain));
	t->hash = malloc(max * sizeof(*t->hash));
	t->used = calloc(max, sizeof(*t->used));
	t->key = calloc(max, sizeof(*t->key));
	if (!t->bucket || !t->chain || !t->hash || !t->used || !t->key) {
		ct_destroy(t);
		return -ENOMEM;
	}
	for (i = 0; i < nb; i++)
		t->bucket[i] = CT_NONE;
	for (i = 0; i < max; i++)
		t->chain[i] = i + 1 < max ? i + 1 : CT_NONE;
	t->max = max;
	t->free_head = 0;
	return 0;
}

void ct_destroy(struct conntable *t)
{
	free(t->bucket);
	free(t->chain);
	free(t->hash);
	free(t->used);
	free(t->key);
	memset(t, 0, sizeof(*t));
}

__u32 ct_lookup(const struct conntable *t, const struct colo_conn_key *key,
		__u32 hash)
{
	__u32 s;

	for (s = t->bucket[ct_bucket(t, hash)]; s != CT_NONE; s = t->chain[s])
		if (t->hash[s] == hash && key_eq(&t->key[s], key))
			return s;
	return CT_NONE;
}

__u32 ct_insert(struct conntable *t, const struct colo_conn_key *key,
		__u32 hash)
{
	__u32 s = t->free_head, b;

	if (s == CT_NONE)
		return CT_NONE;
	t->free_head = t->chain[s];
	b = ct_bucket(t, hash);
	t->key[s] = *key;
	memset(t->key[s].pad, 0, sizeof(t->key[s].pad));
	t->hash[s] = hash;
	t->used[s] = 1;
	t->chain[s] = t->bucket[b];
	t->bucket[b] = s;
	t->count++;
	return s;
}

void ct_remove(struct conntable *t, __u32 slot)
{
	__u32 *link;

	if (!ct_used(t, slot))
		return;
	link = &t->bucket[ct_bucket(t, t->hash[slot])];
	while (*link != slot) {
		if (*link == CT_NONE)
			return; /* not reachable: the table is corrupt */
		link = &t->chain[*link];
	}
	*link = t->chain[slot];
	t->used[slot] = 0;
	t->chain[slot] = t->free_head;
	t->free_head = slot;
	t->count--;
}
