/* SPDX-License-Identifier: GPL-2.0 */
/*
 * attach.h - attach and detach colo-xdp's XDP and tc programs.
 *
 * Attachments are made through netlink, not bpf_links: they outlive the
 * daemon on purpose. If the daemon dies, the secondary's XDP program stays
 * and keeps dropping the secondary's output (its socket is gone), so a
 * crash never lets a secondary frame reach the network. A restarted daemon
 * atomically replaces programs left by an earlier colo-xdp, so there is no
 * moment without a program either.
 */
#ifndef COLO_ATTACH_H
#define COLO_ATTACH_H

#include <stdbool.h>
#include <linux/types.h>
#include <bpf/libbpf.h>

struct xdp_attachment {
	int ifindex;
	char ifname[16];
	__u32 mode_flags; /* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE */
	int prog_fd;
	bool attached;
};

struct tc_attachment {
	struct bpf_tc_hook hook;
	char ifname[16];
	__u32 handle;
	__u32 priority;
	bool hook_created; /* we made the clsact qdisc, so we remove it */
	bool attached;
};

/* Programs of ours carry this name prefix; only those are replaced. */
#define COLO_PROG_PREFIX "colo_"

int xdp_attach_prog(struct xdp_attachment *a, const char *ifname, int prog_fd,
		    bool skb_mode);
void xdp_detach_prog(struct xdp_attachment *a);

int tc_attach_ingress(struct tc_attachment *t, const char *ifname, int prog_fd);
void tc_detach_prog(struct tc_attachment *t);

#endif /* COLO_ATTACH_H */
