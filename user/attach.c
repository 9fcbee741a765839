// SPDX-License-Identifier: GPL-2.0
/* attach.c - XDP and tc attachment with takeover of a crashed instance's programs. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>

#include "attach.h"
#include "log.h"

#define COLO_TC_HANDLE 0xc01
#define COLO_TC_PRIORITY 1

/* Name of the program with this id, or "" if it cannot be read. */
static void prog_name_by_id(__u32 id, char *name, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	int fd;

	name[0] = '\0';
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &info_len))
		snprintf(name, len, "%s", info.name);
	close(fd);
}

int xdp_attach_prog(struct xdp_attachment *a, const char *ifname, int prog_fd,
		    bool skb_mode)
{
	__u32 mode = skb_mode ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	__u32 other = skb_mode ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	__u32 old_id = 0, other_id = 0;
	char old_name[BPF_OBJ_NAME_LEN];
	int old_fd = -1, err;

	memset(a, 0, sizeof(*a));
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
	a->ifindex = if_nametoindex(ifname);
	if (!a->ifindex)
		return -ENODEV;
	a->mode_flags = mode;
	a->prog_fd = prog_fd;

	bpf_xdp_query_id(a->ifindex, other, &other_id);
	if (other_id) {
		prog_name_by_id(other_id, old_name, sizeof(old_name));
		pr_warn("Failed to attach XDP on %s: program %s (id %u) is attached in %s mode; detach it first\n",
			ifname, old_name, other_id, skb_mode ? "native" : "skb");
		return -EEXIST;
	}
	bpf_xdp_query_id(a->ifindex, mode, &old_id);
	if (old_id) {
		prog_name_by_id(old_id, old_name, sizeof(old_name));
		if (strncmp(old_name, COLO_PROG_PREFIX,
			    strlen(COLO_PROG_PREFIX))) {
			pr_warn("Failed to attach XDP on %s: it already runs program %s (id %u)\n",
				ifname, old_name, old_id);
			return -EEXIST;
		}
		/* Left by an earlier colo-xdp: swap atomically, no gap. */
		old_fd = bpf_prog_get_fd_by_id(old_id);
		if (old_fd < 0)
			return -errno;
		opts.old_prog_fd = old_fd;
		pr_info("Replacing %s (id %u) left on %s\n", old_name, old_id,
			ifname);
		err = bpf_xdp_attach(a->ifindex, prog_fd,
				     mode | XDP_FLAGS_REPLACE, &opts);
		close(old_fd);
	} else {
		err = bpf_xdp_attach(a->ifindex, prog_fd,
				     mode | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	}
	if (err) {
		if (!skb_mode && (err == -EOPNOTSUPP || err == -EINVAL))
			pr_warn("Failed to attach XDP in native mode on %s: %s (the driver may lack native XDP: try --xdp-mode skb)\n",
				ifname, strerror(-err));
		else
			pr_warn("Failed to attach XDP on %s: %s\n", ifname,
				strerror(-err));
		return err;
	}
	a->attached = true;
	return 0;
}

void xdp_detach_prog(struct xdp_attachment *a)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = a->prog_fd);
	int err;

	if (!a->attached)
		return;
	/* REPLACE with our fd: never remove a program someone else put there. */
	err = bpf_xdp_detach(a->ifindex, a->mode_flags | XDP_FLAGS_REPLACE,
			     &opts);
	if (err && err != -ENODEV)
		pr_warn("Failed to detach XDP from %s: %s\n", a->ifname,
			strerror(-err));
	a->attached = false;
}

int tc_attach_ingress(struct tc_attachment *t, const char *ifname, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = COLO_TC_HANDLE,
		    .priority = COLO_TC_PRIORITY, .prog_fd = prog_fd,
		    .flags = BPF_TC_F_REPLACE);
	int ifindex, err;

	memset(t, 0, sizeof(*t));
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname);
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return -ENODEV;
	t->hook.sz = sizeof(t->hook);
	t->hook.ifindex = ifindex;
	t->hook.attach_point = BPF_TC_INGRESS;
	t->handle = COLO_TC_HANDLE;
	t->priority = COLO_TC_PRIORITY;

	err = bpf_tc_hook_create(&t->hook);
	if (!err)
		t->hook_created = true;
	else if (err != -EEXIST) {
		pr_warn("Failed to create the clsact qdisc on %s: %s\n", ifname,
			strerror(-err));
		return err;
	}
	/* REPLACE takes over a filter a crashed colo-xdp left at our handle. */
	err = bpf_tc_attach(&t->hook, &opts);
	if (err) {
		pr_warn("Failed to attach the tc ingress program on %s: %s\n",
			ifname, strerror(-err));
		if (t->hook_created)
			bpf_tc_hook_destroy(&t->hook);
		t->hook_created = false;
		return err;
	}
	t->attached = true;
	return 0;
}

void tc_detach_prog(struct tc_attachment *t)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = t->handle,
		    .priority = t->priority);
	int err;

	if (t->attached) {
		err = bpf_tc_detach(&t->hook, &opts);
		if (err && err != -ENOENT && err != -ENODEV)
			pr_warn("Failed to detach the tc program from %s: %s\n",
				t->ifname, strerror(-err));
		t->attached = false;
	}
	if (t->hook_created) {
		/*
		 * We made the clsact qdisc; removing it also removes any
		 * filter another tool added to it since.
		 */
		t->hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&t->hook);
		t->hook_created = false;
	}
}
