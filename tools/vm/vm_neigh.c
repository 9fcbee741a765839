// SPDX-License-Identifier: GPL-2.0
/*
 * vm_neigh - adds a permanent neighbour entry, IPv4 or IPv6, in the test
 * guests of tools/vm/ (busybox's ip has no "neigh add", and its arp -s
 * covers IPv4 only).
 *
 *   vm_neigh DEV ADDR MAC
 *
 * Why permanent: a guest that resolves its client with ARP or neighbour
 * discovery sends probes on timers of its own, at moments that differ
 * between the primary and the secondary. colo-xdp would see output from
 * one twin that the other does not send (yet), and count timeouts. With
 * permanent entries a guest speaks only when a program in it answers.
 *
 * Built statically by tools/vm/vm.sh and put in the guests' initramfs.
 * Exits 0 on success, 1 on a netlink error, 2 on bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct neigh_req {
	struct nlmsghdr nh;
	struct ndmsg nd;
	char attrs[64];
};

static void add_attr(struct neigh_req *r, unsigned short type,
		     const void *data, unsigned short len)
{
	struct rtattr *rta = (struct rtattr *)((char *)r +
					       NLMSG_ALIGN(r->nh.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static int parse_mac(const char *s, unsigned char mac[6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

/* Sends the request and reads the kernel's ack: 0 or a negative errno. */
static int nl_talk(struct neigh_req *r)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[512];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	ssize_t n;
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		err = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	err = -EPROTO;
	if (NLMSG_OK(nh, (size_t)n) && nh->nlmsg_type == NLMSG_ERROR)
		err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
out:
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	struct neigh_req r = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg)),
		.nh.nlmsg_type = RTM_NEWNEIGH,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
				  NLM_F_REPLACE,
		.nd.ndm_state = NUD_PERMANENT,
	};
	unsigned char addr[16], mac[6];
	unsigned int ifindex;
	int err;

	if (argc != 4) {
		fprintf(stderr, "usage: vm_neigh DEV ADDR MAC\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex || parse_mac(argv[3], mac)) {
		fprintf(stderr, "vm_neigh: bad device or MAC\n");
		return 2;
	}
	if (inet_pton(AF_INET, argv[2], addr) == 1) {
		r.nd.ndm_family = AF_INET;
		add_attr(&r, NDA_DST, addr, 4);
	} else if (inet_pton(AF_INET6, argv[2], addr) == 1) {
		r.nd.ndm_family = AF_INET6;
		add_attr(&r, NDA_DST, addr, 16);
	} else {
		fprintf(stderr, "vm_neigh: bad address %s\n", argv[2]);
		return 2;
	}
	r.nd.ndm_ifindex = ifindex;
	add_attr(&r, NDA_LLADDR, mac, sizeof(mac));

	err = nl_talk(&r);
	if (err) {
		fprintf(stderr, "vm_neigh: %s %s: %s\n", argv[1], argv[2],
			strerror(-err));
		return 1;
	}
	return 0;
}
