/* SPDX-License-Identifier: GPL-2.0 */
/* connfmt.h - human-readable connection keys for logs, events and listings. */
#ifndef COLO_CONNFMT_H
#define COLO_CONNFMT_H

#include <stddef.h>
#include "colo_shared.h"

#define CONN_STR_MAX 128

/* "udp 10.0.0.1:53 <-> 10.0.0.2:40000", "icmp fd00::1 <-> fd00::2 id 7", "ethertype 0x0806". */
void conn_key_str(const struct colo_conn_key *k, char *buf, size_t len);
const char *ip_proto_name(__u8 proto);
/* Writes the two endpoints as address strings (for JSON). */
void conn_key_addrs(const struct colo_conn_key *k, char *a, char *b, size_t len);

#endif /* COLO_CONNFMT_H */
