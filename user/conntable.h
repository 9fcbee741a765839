/* SPDX-License-Identifier: GPL-2.0 */
/*
 * conntable.h - a fixed-size hash index of connection keys.
 *
 * Maps a struct colo_conn_key to a slot number in [0, max). All memory is
 * allocated by ct_init(): inserting never allocates, and when every slot is
 * taken ct_insert() fails instead of growing or forgetting anything. The
 * caller keeps its per-connection state in its own array indexed by slot.
 * Chained buckets (chains of slot numbers), at least two buckets per slot.
 */
#ifndef COLO_CONNTABLE_H
#define COLO_CONNTABLE_H

#include <stdbool.h>
#include <linux/types.h>

#include "colo_shared.h"

#define CT_NONE 0xffffffffu

struct conntable {
	__u32 *bucket;               /* first slot of each chain, or CT_NONE */
	__u32 *chain;                /* per slot: next in chain or free list */
	__u32 *hash;                 /* per slot: the key's hash */
	__u8 *used;                  /* per slot */
	struct colo_conn_key *key;   /* per slot */
	__u32 bits;                  /* log2 of the bucket count */
	__u32 max;                   /* slots */
	__u32 count;                 /* slots in use */
	__u32 free_head;
};

/* Returns 0 or -ENOMEM / -EINVAL (max 0 or too big). */
int ct_init(struct conntable *t, __u32 max);
void ct_destroy(struct conntable *t);

/* hash must be colo_key_hash(key): callers already have it from parsing. */
__u32 ct_lookup(const struct conntable *t, const struct colo_conn_key *key,
		__u32 hash);
/* The new slot, or CT_NONE when full. The key must not be present. */
__u32 ct_insert(struct conntable *t, const struct colo_conn_key *key,
		__u32 hash);
void ct_remove(struct conntable *t, __u32 slot);

static inline const struct colo_conn_key *ct_key(const struct conntable *t,
						 __u32 slot)
{
	return &t->key[slot];
}

static inline bool ct_used(const struct conntable *t, __u32 slot)
{
	return slot < t->max && t->used[slot];
}

#endif /* COLO_CONNTABLE_H */
