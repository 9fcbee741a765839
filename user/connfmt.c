// SPDX-License-Identifier: GPL-2.0
/* connfmt.c - human-readable connection keys. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "connfmt.h"

const char *ip_proto_name(__u8 proto)
{
	switch (proto) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 33: return "dccp";
	case 47: return "gre";
	case 58: return "icmpv6";
	case 132: return "sctp";
	case 136: return "udplite";
	default: return NULL;
	}
}

static void addr_str(const struct colo_conn_key *k, const __be32 *addr,
		     char *buf, size_t len)
{
	if (k->family == 4)
		inet_ntop(AF_INET, &addr[3], buf, len);
	else
		inet_ntop(AF_INET6, addr, buf, len);
}

void conn_key_addrs(const struct colo_conn_key *k, char *a, char *b, size_t len)
{
	if (!k->family) {
		snprintf(a, len, "-");
		snprintf(b, len, "-");
		return;
	}
	addr_str(k, k->addr_a, a, len);
	addr_str(k, k->addr_b, b, len);
}

void conn_key_str(const struct colo_conn_key *k, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], pbuf[16];
	const char *pn = ip_proto_name(k->proto);
	const char *fmt6 = k->family == 6 ? "[%s]:%u" : "%s:%u";
	char ea[INET6_ADDRSTRLEN + 10], eb[INET6_ADDRSTRLEN + 10];

	if (!k->family) {
		snprintf(buf, len, "ethertype 0x%04x", k->port_a);
		return;
	}
	if (!pn) {
		snprintf(pbuf, sizeof(pbuf), "proto-%u", k->proto);
		pn = pbuf;
	}
	conn_key_addrs(k, a, b, sizeof(a));
	if (k->proto == 1 || k->proto == 58) {
		snprintf(buf, len, "%s %s <-> %s id %u", pn, a, b, k->port_a);
		return;
	}
	if (!k->port_a && !k->port_b) {
		snprintf(buf, len, "%s %s <-> %s", pn, a, b);
		return;
	}
	snprintf(ea, sizeof(ea), fmt6, a, k->port_a);
	snprintf(eb, sizeof(eb), fmt6, b, k->port_b);
	snprintf(buf, len, "%s %s <-> %s", pn, ea, eb);
}
