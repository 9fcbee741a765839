// SPDX-License-Identifier: GPL-2.0
/*
 * daemon_conns.c - the answer to the "conns" control request: the
 * connections holding the most frames, with their tuple, queue depths,
 * age and TCP sequence offset.
 */
#include <stdlib.h>
#include <string.h>

#include "connfmt.h"
#include "daemon.h"

#define CONNS_TOP_DEFAULT 100
#define CONNS_TOP_MAX 10000

struct top_conns {
	struct cmp_conn_info *v;
	__u32 n;
	__u32 cap;
	__u64 total;
};

static __u32 queued(const struct cmp_conn_info *ci)
{
	return ci->queued[COLO_ROLE_PRIMARY] + ci->queued[COLO_ROLE_SECONDARY];
}

/* Keeps the cap connections with the most frames queued, most first. */
static int keep_top(const struct cmp_conn_info *ci, void *arg)
{
	struct top_conns *t = arg;
	__u32 i;

	t->total++;
	if (t->n == t->cap && queued(ci) <= queued(&t->v[t->n - 1]))
		return 0;
	i = t->n < t->cap ? t->n++ : t->n - 1;
	while (i > 0 && queued(&t->v[i - 1]) < queued(ci)) {
		t->v[i] = t->v[i - 1];
		i--;
	}
	t->v[i] = *ci;
	return 0;
}

static struct json_object *conn_json(const struct cmp_conn_info *ci, __u64 now)
{
	struct json_object *o = json_object_new_object();
	char a[48], b[48], txt[CONN_STR_MAX];
	const char *pn = ip_proto_name(ci->key.proto);

	conn_key_addrs(&ci->key, a, b, sizeof(a));
	conn_key_str(&ci->key, txt, sizeof(txt));
	json_object_object_add(o, "conn", json_object_new_string(txt));
	json_object_object_add(o, "proto", ci->key.family ?
			       (pn ? json_object_new_string(pn) :
				     json_object_new_int(ci->key.proto)) :
			       json_object_new_string("non-ip"));
	json_object_object_add(o, "a", json_object_new_string(a));
	json_object_object_add(o, "a_port", json_object_new_int(ci->key.port_a));
	json_object_object_add(o, "b", json_object_new_string(b));
	json_object_object_add(o, "b_port", json_object_new_int(ci->key.port_b));
	json_object_object_add(o, "primary_queued",
			       json_object_new_int(ci->queued[COLO_ROLE_PRIMARY]));
	json_object_object_add(o, "secondary_queued",
			       json_object_new_int(ci->queued[COLO_ROLE_SECONDARY]));
	json_object_object_add(o, "age_ms",
			       json_object_new_uint64((now - ci->created_ns) / 1000000));
	json_object_object_add(o, "idle_ms",
			       json_object_new_uint64((now - ci->last_ns) / 1000000));
	json_object_object_add(o, "diverged", json_object_new_boolean(ci->diverged));
	json_object_object_add(o, "seq_offset", json_object_new_uint64(ci->seq_offset));
	return o;
}

struct json_object *daemon_conns_json(struct daemon *d, struct json_object *req,
				      char *err, size_t errlen)
{
	struct top_conns t = { .cap = CONNS_TOP_DEFAULT };
	struct json_object *o, *arr, *jtop;
	__u64 now = now_ns();
	__u32 i;

	if (json_object_object_get_ex(req, "top", &jtop)) {
		if (!json_object_is_type(jtop, json_type_int) ||
		    json_object_get_int64(jtop) < 1 ||
		    json_object_get_int64(jtop) > CONNS_TOP_MAX) {
			snprintf(err, errlen, "\"top\" must be a number from 1 to %d",
				 CONNS_TOP_MAX);
			return NULL;
		}
		t.cap = json_object_get_int64(jtop);
	}
	t.v = calloc(t.cap, sizeof(*t.v));
	if (!t.v) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cmp_for_each_conn(d->cmp, keep_top, &t);

	o = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; i < t.n; i++)
		json_object_array_add(arr, conn_json(&t.v[i], now));
	json_object_object_add(o, "connections", json_object_new_uint64(t.total));
	json_object_object_add(o, "conns", arr);
	free(t.v);
	return o;
}
