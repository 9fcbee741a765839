// SPDX-License-Identifier: GPL-2.0
/*
 * daemon_events.c - events for `colo-xdp events` subscribers: miscompares
 * (with the first differing byte and an excerpt of both sides), other
 * divergences, checkpoint requests and flushes. Built only when someone
 * listens.
 */
#include <stdio.h>
#include <time.h>

#include "connfmt.h"
#include "daemon.h"

static struct json_object *event_new(const char *type)
{
	struct json_object *o = json_object_new_object();
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_object_add(o, "event", json_object_new_string(type));
	json_object_object_add(o, "time",
			       json_object_new_double(ts.tv_sec + ts.tv_nsec / 1e9));
	return o;
}

static struct json_object *hex(const __u8 *b, unsigned int n)
{
	char buf[2 * 16 + 1];
	unsigned int i;

	if (n > 16)
		n = 16;
	for (i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", b[i]);
	buf[2 * n] = '\0';
	return json_object_new_string(buf);
}

static void emit(struct daemon *d, struct json_object *ev)
{
	ctl_server_broadcast(&d->ctl, ev);
	json_object_put(ev);
}

void daemon_event_divergence(struct daemon *d, const struct cmp_event *e)
{
	const char *pn = ip_proto_name(e->key.proto);
	char conn[CONN_STR_MAX];
	struct json_object *ev;

	if (!ctl_server_has_subscribers(&d->ctl))
		return;
	conn_key_str(&e->key, conn, sizeof(conn));
	ev = event_new(e->reason == CMP_REASON_MISCOMPARE ? "miscompare" :
							    cmp_reason_str(e->reason));
	json_object_object_add(ev, "conn", json_object_new_string(conn));
	json_object_object_add(ev, "proto", json_object_new_string(pn ? pn : "other"));
	json_object_object_add(ev, "side", json_object_new_string(
		e->role == COLO_ROLE_PRIMARY ? "primary" : "secondary"));
	json_object_object_add(ev, "what", json_object_new_string(e->what));
	if (e->reason == CMP_REASON_MISCOMPARE) {
		json_object_object_add(ev, "offset", json_object_new_uint64(e->offset));
		json_object_object_add(ev, "primary", hex(e->pri_excerpt, e->pri_excerpt_len));
		json_object_object_add(ev, "secondary", hex(e->sec_excerpt, e->sec_excerpt_len));
	}
	emit(d, ev);
}

void daemon_event_checkpoint(struct daemon *d, const char *reason,
			     const char *conn, bool coalesced)
{
	struct json_object *ev;

	if (!ctl_server_has_subscribers(&d->ctl))
		return;
	ev = event_new("checkpoint_request");
	json_object_object_add(ev, "reason", json_object_new_string(reason));
	json_object_object_add(ev, "conn", json_object_new_string(conn ? conn : ""));
	json_object_object_add(ev, "coalesced", json_object_new_boolean(coalesced));
	emit(d, ev);
}

void daemon_event_flush(struct daemon *d, __u64 released, __u64 dropped)
{
	struct json_object *ev;

	if (!ctl_server_has_subscribers(&d->ctl))
		return;
	ev = event_new("flush");
	json_object_object_add(ev, "released", json_object_new_uint64(released));
	json_object_object_add(ev, "dropped", json_object_new_uint64(dropped));
	emit(d, ev);
}
