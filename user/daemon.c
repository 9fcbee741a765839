// SPDX-License-Identifier: GPL-2.0
/*
 * daemon.c - `colo-xdp run`: set up, run the data path, tear down.
 *
 * Set-up order matters for safety: sockets exist and are registered in the
 * XSKMAPs before the XDP programs go live (so captured frames find a
 * socket), the fail-open path is in place before the primary's program,
 * and the mirror goes last, once everything that answers it is ready.
 * Tear-down runs the other way round.
 *
 * The data path is one thread: RX batches from every port go through the
 * comparator, released frames go to the out port's TX ring by address.
 */
#include <errno.h>
#include <dirent.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "colo_shared.h"
#include "colo.skel.h"
#include "colo_parse.h"
#include "connfmt.h"
#include "daemon.h"
#include "hook.h"
#include "log.h"
#include "notify.h"
#include "pcap_log.h"
#include "pin.h"

#define EXIT_FAIL 1
#define EXIT_FAIL_OPTION 2
#define EXIT_FAIL_XDP 3
#define EXIT_FAIL_BPF 4
#define EXIT_FAIL_MEM 5

/* How long the loop sleeps when idle, at most. */
#define IDLE_POLL_MS 50
/* Busy iterations between two looks at the control socket and signals. */
#define CTL_CHECK_EVERY 64
/* Longest sleep while transmitted frames are not completed yet. */
#define TX_REAP_MS 1

/* A spinning loop's hint to the CPU (and to a hyperthread sibling). */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

__u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Number of RX queues of ifname: ethtool's channel count, else sysfs, else
 * 1. ethtool first: sysfs shows the mounting namespace's devices, which
 * under `nsenter --net` are not ours.
 */
static int nr_rx_queues(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = { .ifr_data = (void *)&ch };
	char path[64];
	struct dirent *de;
	int n = 0, fd;
	DIR *dir;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		if (!ioctl(fd, SIOCETHTOOL, &ifr))
			n = ch.rx_count > ch.combined_count ? ch.rx_count :
							      ch.combined_count;
		close(fd);
		if (n > 0)
			return n > COLO_MAX_QUEUES ? COLO_MAX_QUEUES : n;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	dir = opendir(path);
	if (!dir)
		return 1;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "rx-", 3))
			n++;
	closedir(dir);
	if (n < 1)
		n = 1;
	return n > COLO_MAX_QUEUES ? COLO_MAX_QUEUES : n;
}

/* --- checkpoint requests ------------------------------------------------ */

static const char *ckpt_reason_str(int r)
{
	return r == CKPT_REASON_UMEM_LOW ? "umem-low" :
					   cmp_reason_str((enum cmp_reason)r);
}

/*
 * One request is outstanding at a time: a hypervisor runs one checkpoint
 * at a time, and the flush that follows it settles every connection. A
 * request left unanswered for a compare timeout is repeated.
 */
static void checkpoint_request(struct daemon *d, int reason, const char *conn)
{
	__u64 now = now_ns();

	d->ckpt.by_reason[reason]++;
	if (d->ckpt.pending &&
	    now - d->ckpt.requested_ns <
		    (__u64)d->o->compare_timeout_ms * 1000000ULL) {
		d->ckpt.coalesced++;
		daemon_event_checkpoint(d, ckpt_reason_str(reason), conn, true);
		return;
	}
	d->ckpt.pending = true;
	d->ckpt.requested_ns = now;
	d->ckpt.requests++;
	pr_warn("Checkpoint requested: %s%s%s\n", ckpt_reason_str(reason),
		conn ? " on " : "", conn ? conn : "");
	daemon_event_checkpoint(d, ckpt_reason_str(reason), conn, false);
	if (d->notify)
		notify_request(d->notify);
	if (d->hook)
		hook_request(d->hook, ckpt_reason_str(reason), conn ? conn : "");
}

/* After a checkpoint the secondary is a copy of the primary: offsets are 0. */
static void seq_offsets_clear(struct daemon *d)
{
	struct colo_conn_key key, next;
	bool more;

	if (d->seq_map_fd < 0)
		return;
	/* Find the next key before deleting this one, so the walk goes on. */
	more = !bpf_map_get_next_key(d->seq_map_fd, NULL, &key);
	while (more) {
		more = !bpf_map_get_next_key(d->seq_map_fd, &key, &next);
		bpf_map_delete_elem(d->seq_map_fd, &key);
		key = next;
	}
}

static void checkpoint_done(struct daemon *d)
{
	struct cmp_stats before, after;

	cmp_get_stats(d->cmp, &before);
	seq_offsets_clear(d);
	cmp_flush(d->cmp, now_ns());
	cmp_get_stats(d->cmp, &after);
	d->ckpt.pending = false;
	d->ckpt.done++;
	pr_info("Checkpoint done: %llu held primary frames released, %llu secondary dropped\n",
		(unsigned long long)(after.released_packets - before.released_packets),
		(unsigned long long)(after.dropped[CMP_DROP_FLUSH] - before.dropped[CMP_DROP_FLUSH]));
	daemon_event_flush(d, after.released_packets - before.released_packets,
			   after.dropped[CMP_DROP_FLUSH] - before.dropped[CMP_DROP_FLUSH]);
}

/* --- comparator callbacks ----------------------------------------------- */

static void backlog_push(struct tx_backlog *b, __u64 addr, __u32 len)
{
	__u32 tail = (b->head + b->count) % b->cap;

	/* Cannot overflow: it has a slot for every frame of the UMEM. */
	b->addr[tail] = addr;
	b->len[tail] = len;
	b->count++;
	if (b->count > b->max_seen)
		b->max_seen = b->count;
}

static void on_release(void *ctx, __u64 addr, __u32 len)
{
	struct daemon *d = ctx;

	/* Keep the primary's order: nothing overtakes the backlog. */
	if (!d->backlog.count && !port_tx(&d->out, addr, len))
		return;
	backlog_push(&d->backlog, addr, len);
}

static void on_drop(void *ctx, __u64 addr, enum cmp_drop_reason why)
{
	struct daemon *d = ctx;

	(void)why; /* counted by the comparator */
	umem_free_frame(&d->umem, addr);
}

static void hex_excerpt(const __u8 *b, int n, char *out, size_t len)
{
	size_t o = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < n && o + 3 < len; i++)
		o += snprintf(out + o, len - o, "%02x", b[i]);
}

static void on_divergence(void *ctx, const struct cmp_event *ev)
{
	struct daemon *d = ctx;
	char conn[CONN_STR_MAX], ph[40], sh[40];

	conn_key_str(&ev->key, conn, sizeof(conn));
	if (ev->reason == CMP_REASON_MISCOMPARE) {
		hex_excerpt(ev->pri_excerpt, ev->pri_excerpt_len, ph, sizeof(ph));
		hex_excerpt(ev->sec_excerpt, ev->sec_excerpt_len, sh, sizeof(sh));
		pr_warn("Miscompare on %s: %s differs at byte %u (primary %s, secondary %s)\n",
			conn, ev->what, ev->offset, ph, sh);
	} else {
		pr_info("Divergence on %s: %s (%s side)\n", conn,
			cmp_reason_str(ev->reason),
			ev->role == COLO_ROLE_PRIMARY ? "primary" : "secondary");
	}
	daemon_event_divergence(d, ev);
	if (d->pcap && ev->reason == CMP_REASON_MISCOMPARE) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		pcap_log_pair(d->pcap,
			      ev->pri_addr != ~0ULL ? umem_data(&d->umem, ev->pri_addr) : NULL,
			      ev->pri_len,
			      ev->sec_addr != ~0ULL ? umem_data(&d->umem, ev->sec_addr) : NULL,
			      ev->sec_len, &ts);
	}
	checkpoint_request(d, ev->reason, conn);
}

static void on_seq_offset(void *ctx, const struct colo_conn_key *key,
			  __u32 offset, __u32 ts_offset)
{
	struct colo_seq_state st = { .offset = offset, .ts_offset = ts_offset };
	struct daemon *d = ctx;

	if (d->seq_map_fd < 0)
		return;
	d->cnt.seq_offsets++;
	if (offset || ts_offset ?
		    bpf_map_update_elem(d->seq_map_fd, key, &st, BPF_ANY) :
		     bpf_map_delete_elem(d->seq_map_fd, key) && errno != ENOENT)
		d->cnt.seq_map_errors++;
}

static const struct cmp_ops cmp_callbacks = {
	.release = on_release,
	.drop = on_drop,
	.divergence = on_divergence,
	.seq_offset = on_seq_offset,
};

/* --- data path ----------------------------------------------------------- */

/*
 * When the frame reached the XDP program, from its checked metadata; the
 * time it was read (now) without any, or with a time that cannot be right.
 */
static __u64 arrival_ns(const struct colo_meta *m, __u64 now)
{
	__u64 t;

	if (!m)
		return now;
	memcpy(&t, &m->rx_ns, sizeof(t));
	return t <= now && now - t < 60000000000ULL ? t : now;
}

static void handle_frame(struct daemon *d, enum colo_role role, __u64 addr,
			 __u32 len, __u64 now)
{
	__u64 off = addr & (d->umem.frame_size - 1);
	__u8 *data = umem_data(&d->umem, addr);
	struct colo_meta *m = (struct colo_meta *)(data - sizeof(*m));
	bool have_meta = off >= sizeof(*m), meta_ok;
	struct colo_pkt pkt;

	if (len > d->umem.frame_size - off) {
		/* The kernel never does this; refuse rather than overrun. */
		d->cnt.malformed++;
		umem_free_frame(&d->umem, addr);
		return;
	}
	meta_ok = have_meta && m->magic == COLO_META_MAGIC && m->role == role &&
		  !colo_pkt_from_meta(data, data + len, m, &pkt);
	if (!meta_ok) {
		d->cnt.meta_missing++;
		if (colo_parse(data, data + len, &pkt) != COLO_PARSE_OK) {
			d->cnt.malformed++;
			umem_free_frame(&d->umem, addr);
			return;
		}
	}
	if (role == COLO_ROLE_PRIMARY)
		release_lat_arrived(&d->rel_lat, addr,
				    arrival_ns(meta_ok ? m : NULL, now));
	/* A recycled frame must never show this metadata again. */
	if (have_meta)
		m->magic = 0;
	cmp_input(d->cmp, role, addr, len, &pkt, now);
}

static int rx_port(struct daemon *d, struct xsk_port *p, __u64 now)
{
	__u32 idx = 0, n, i;

	n = xsk_ring_cons__peek(&p->rx, COLO_RX_BATCH, &idx);
	if (!n) {
		port_wakeup_rx(p);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const struct xdp_desc *desc =
			xsk_ring_cons__rx_desc(&p->rx, idx + i);

		p->st.rx_bytes += desc->len;
		handle_frame(d, (enum colo_role)p->kind, desc->addr, desc->len,
			     now);
	}
	xsk_ring_cons__release(&p->rx, n);
	p->st.rx_packets += n;
	return n;
}

static void on_sent(void *ctx, __u64 addr)
{
	struct daemon *d = ctx;

	/* One clock read per batch of completions. */
	if (!d->tx_done_ns)
		d->tx_done_ns = now_ns();
	release_lat_sent(&d->rel_lat, addr, d->tx_done_ns);
}

/* Frees what the kernel sent, noting when it was sent (about now). */
static void tx_completions(struct daemon *d)
{
	d->tx_done_ns = 0;
	port_drain_completions(&d->umem, &d->out, on_sent, d);
}

static void tx_flush(struct daemon *d)
{
	struct tx_backlog *b = &d->backlog;

	tx_completions(d);
	while (b->count && !port_tx(&d->out, b->addr[b->head], b->len[b->head])) {
		b->head = (b->head + 1) % b->cap;
		b->count--;
	}
	port_kick_tx(&d->out);
	/* Copy mode sends within the kick: account for it right away. */
	tx_completions(d);
}

/*
 * Held frames leave too few for the fill rings: ask for a checkpoint.
 * (Frames on the fill rings are at most half the UMEM, see open_ports().)
 */
static void check_umem(struct daemon *d)
{
	if (d->umem.nr_free < d->umem.nr_frames / 8) {
		struct cmp_stats st;

		cmp_get_stats(d->cmp, &st);
		if (st.held[0] + st.held[1] >= d->umem.nr_frames / 4)
			checkpoint_request(d, CKPT_REASON_UMEM_LOW, NULL);
	}
}

/* Packets of one BPF counter (0 if unreadable). */
static __u64 bpf_counter(struct daemon *d, __u32 key)
{
	struct colo_datarec sum;

	daemon_bpf_counter(d, key, &sum);
	return sum.packets;
}

/*
 * Guests with GSO/TSO send frames no UMEM frame can hold. XDP drops and
 * counts them; say once in a while what to change, exactly.
 */
static void check_oversize(struct daemon *d, __u64 now)
{
	__u64 n = bpf_counter(d, COLO_CNT_PRI_OVERSIZE) +
		  bpf_counter(d, COLO_CNT_SEC_OVERSIZE);

	if (n == d->oversize_seen || now < d->oversize_warn_ns)
		return;
	pr_warn("Dropped %llu frames longer than %u bytes from the guests (GSO/TSO output): they cannot be compared. "
		"Make the guests segment themselves: QEMU -device virtio-net-pci,...,host_tso4=off,host_tso6=off,host_ecn=off,host_ufo=off "
		"(libvirt: <driver><host tso4='off' tso6='off' ecn='off' ufo='off'/></driver>), or in the guest: ethtool -K eth0 tso off gso off\n",
		(unsigned long long)(n - d->oversize_seen), d->max_frame_len);
	d->oversize_seen = n;
	d->oversize_warn_ns = now + 10000000000ULL;
}

/* MTU of ifname, or 0 if it cannot be read. */
static int if_mtu(const char *ifname)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), mtu = 0;

	if (fd < 0)
		return 0;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ioctl(fd, SIOCGIFMTU, &ifr))
		mtu = ifr.ifr_mtu;
	close(fd);
	return mtu;
}

/*
 * The longest frame worth capturing: what a UMEM frame holds, and what
 * --out can send (its MTU plus Ethernet and two VLAN tags). A longer one
 * is a guest's GSO output: compared and released, --out would drop it.
 */
static __u32 max_frame_len(const char *out)
{
	int mtu = if_mtu(out);

	if (mtu > 0 && (__u32)mtu + 22 < COLO_MAX_FRAME_LEN)
		return mtu + 22;
	return COLO_MAX_FRAME_LEN;
}

/* An MTU above what a UMEM frame holds is a configuration to fix first. */
static void check_mtu(const char *ifname)
{
	int mtu = if_mtu(ifname);

	if (mtu + 22 > COLO_MAX_FRAME_LEN)
		pr_warn("%s has MTU %d: frames over %u bytes cannot be compared and will be dropped\n",
			ifname, mtu, COLO_MAX_FRAME_LEN);
}

static void handle_signals(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGINT:
		case SIGTERM:
			pr_info("Got signal %u, stopping\n", si.ssi_signo);
			d->quit = true;
			break;
		case SIGHUP:
			if (d->pcap && !pcap_log_reopen(d->pcap))
				pr_info("Reopened %s\n", d->o->pcap);
			break;
		default:
			break;
		}
	}
}

/* Polls the control socket, signals and (when idle) the RX sockets. */
static void wait_events(struct daemon *d, int timeout_ms)
{
	struct pollfd pfds[1 + 1 + CTL_MAX_CLIENTS + 1 + 2 * COLO_MAX_QUEUES];
	int n = 0, nctl, i;

	pfds[n++] = (struct pollfd){ .fd = d->sig_fd, .events = POLLIN };
	nctl = ctl_server_pollfds(&d->ctl, pfds + n, 1 + CTL_MAX_CLIENTS);
	n += nctl;
	if (d->notify)
		n += notify_pollfd(d->notify, &pfds[n]);
	if (timeout_ms)
		for (i = 0; i < d->nr_rx_ports; i++)
			pfds[n++] = (struct pollfd){
				.fd = port_fd(&d->rx_ports[i]), .events = POLLIN
			};
	if (poll(pfds, n, timeout_ms) > 0) {
		if (pfds[0].revents)
			handle_signals(d);
		/* Most wake-ups are frames: no accept() for those. */
		for (i = 1; i <= nctl; i++)
			if (pfds[i].revents) {
				ctl_server_process(&d->ctl);
				break;
			}
	}
	/* Cheap without work to do; reconnects and reaping are timer-driven. */
	if (d->notify)
		notify_process(d->notify, now_ns());
	if (d->hook)
		hook_process(d->hook, now_ns());
}

static void run_loop(struct daemon *d)
{
	__u64 scan_ns = (__u64)d->o->scan_interval_ms * 1000000ULL;
	__u64 busy_ns = (__u64)d->o->busy_poll_us * 1000ULL;
	__u64 now, next_tick = now_ns() + scan_ns, last_work = 0;
	unsigned int iter = 0;
	int i, work;

	while (!d->quit) {
		now = now_ns();
		work = 0;
		for (i = 0; i < d->nr_rx_ports; i++)
			work += rx_port(d, &d->rx_ports[i], now);
		if (work)
			last_work = now;
		tx_flush(d);
		for (i = 0; i < d->nr_rx_ports; i++)
			port_refill(&d->umem, &d->rx_ports[i]);
		if (now >= next_tick) {
			cmp_tick(d->cmp, now);
			release_lat_tick(&d->rel_lat, now);
			check_umem(d);
			check_oversize(d, now);
			next_tick = now + scan_ns;
		}
		/*
		 * Spin only while frames wait to be handed to the kernel.
		 * Frames it took but has not completed (copy mode: the
		 * receiver still holds the skb, maybe in a softirq deferred to
		 * ksoftirqd on this very CPU) need no more kicks: spinning for
		 * them would keep that softirq off the CPU. Their completions
		 * are reaped at the next wake-up, at the latest within
		 * TX_REAP_MS so that their frames return to the pool.
		 */
		/*
		 * --busy-poll: while frames came lately, look again instead of
		 * sleeping. A sleeping CPU (a halted vCPU, a deep C-state)
		 * takes long to wake when the next frame comes; the secondary's
		 * copy, which every release waits for, pays that twice.
		 */
		if (!work && now - last_work < busy_ns) {
			cpu_relax();
			if (++iter % CTL_CHECK_EVERY == 0)
				wait_events(d, 0);
		} else if (!work && !d->backlog.count && !port_tx_pending(&d->out)) {
			__u64 left = next_tick > now ? next_tick - now : 0;
			int ms = left / 1000000ULL + 1;
			int cap = d->out.outstanding_tx ? TX_REAP_MS : IDLE_POLL_MS;

			wait_events(d, ms < cap ? ms : cap);
		} else if (++iter % CTL_CHECK_EVERY == 0) {
			wait_events(d, 0);
		}
	}
}

/* --- control requests ---------------------------------------------------- */

static struct json_object *ctl_handler(void *ctx, const char *cmd,
				       struct json_object *req, char *err,
				       size_t errlen)
{
	struct daemon *d = ctx;
	struct json_object *r;

	if (!strcmp(cmd, "stats"))
		return daemon_stats_json(d);
	if (!strcmp(cmd, "conns"))
		return daemon_conns_json(d, req, err, errlen);
	if (!strcmp(cmd, "checkpoint-done")) {
		checkpoint_done(d);
		return json_object_new_object();
	}
	if (!strcmp(cmd, "ping")) {
		r = json_object_new_object();
		json_object_object_add(r, "name",
				       json_object_new_string(d->o->name));
		return r;
	}
	snprintf(err, errlen, "unknown command \"%.40s\"", cmd);
	return NULL;
}

/* --- set-up and tear-down ------------------------------------------------ */

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	/* A full disk or a file-size limit is a counted pcap write error. */
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return d->sig_fd < 0 ? -errno : 0;
}

static int load_bpf(struct daemon *d)
{
	const struct run_opts *o = d->o;
	struct bpf_map *seq_map;
	struct colo_config *cfg;
	int err;

	d->skel = colo__open();
	if (!d->skel) {
		err = -errno;
		pr_warn("Failed to open the BPF object: %s\n", strerror(-err));
		return err;
	}
	cfg = (struct colo_config *)&d->skel->rodata->colo_cfg;
	cfg->out_ifindex = if_nametoindex(o->out);
	cfg->primary_ifindex = if_nametoindex(o->primary);
	cfg->secondary_ifindex = if_nametoindex(o->secondary);
	cfg->flags = o->primary_fail_open ? COLO_CFG_PRIMARY_FAIL_OPEN : 0;
	if (!o->conn_stats)
		cfg->flags |= COLO_CFG_NO_CONN_STATS;
	cfg->max_frame_len = d->max_frame_len = max_frame_len(o->out);
	/* --conn-stats off: the map stays (pinned, for scripts), one slot */
	bpf_map__set_max_entries(d->skel->maps.colo_conns,
				 o->conn_stats ? o->max_conns : 1);
	seq_map = bpf_object__find_map_by_name(d->skel->obj, "colo_seq");
	if (seq_map)
		bpf_map__set_max_entries(seq_map, o->max_conns);

	err = colo__load(d->skel);
	if (err) {
		pr_warn("Failed to load the BPF programs: %s\n", strerror(-err));
		return err;
	}
	d->seq_map_fd = seq_map ? bpf_map__fd(seq_map) : -1;
	return 0;
}

static int open_ports(struct daemon *d)
{
	const struct run_opts *o = d->o;
	int npri = nr_rx_queues(o->primary), nsec = nr_rx_queues(o->secondary);
	/*
	 * The fill rings together get at most half the UMEM: the rest is for
	 * frames held while they wait for their peer, so a flood from one
	 * side runs the pool low (and asks for a checkpoint) instead of
	 * starving the other side's ring from the start.
	 */
	__u32 fill_cap = d->umem.nr_frames / (2 * (npri + nsec));
	int i, err;

	d->rx_ports = calloc(npri + nsec, sizeof(*d->rx_ports));
	if (!d->rx_ports)
		return -ENOMEM;
	for (i = 0; i < npri + nsec; i++) {
		struct xsk_port *p = &d->rx_ports[i];
		bool pri = i < npri;

		p->kind = pri ? PORT_PRIMARY : PORT_SECONDARY;
		snprintf(p->ifname, sizeof(p->ifname), "%s",
			 pri ? o->primary : o->secondary);
		p->queue = pri ? i : i - npri;
		p->fill_cap = fill_cap < COLO_RING_SIZE ? fill_cap : COLO_RING_SIZE;
		err = port_open(&d->umem, p, true,
				bpf_map__fd(pri ? d->skel->maps.colo_xsks_pri :
						  d->skel->maps.colo_xsks_sec));
		if (err)
			return err;
		d->nr_rx_ports++;
	}
	d->out.kind = PORT_OUT;
	snprintf(d->out.ifname, sizeof(d->out.ifname), "%s", o->out);
	d->out.queue = 0;
	return port_open(&d->umem, &d->out, true, -1);
}

static int attach_all(struct daemon *d)
{
	const struct run_opts *o = d->o;
	int err;

	if (o->primary_fail_open) {
		err = tc_attach_ingress(&d->tc_failopen, o->primary,
					bpf_program__fd(d->skel->progs.colo_tc_failopen));
		if (err)
			return err;
	}
	err = xdp_attach_prog(&d->xdp_sec, o->secondary,
			      bpf_program__fd(d->skel->progs.colo_xdp_secondary),
			      o->skb_mode);
	if (err)
		return err;
	err = xdp_attach_prog(&d->xdp_pri, o->primary,
			      bpf_program__fd(d->skel->progs.colo_xdp_primary),
			      o->skb_mode);
	if (err)
		return err;
	if (o->mirror)
		return tc_attach_ingress(&d->tc_mirror, o->out,
					 bpf_program__fd(d->skel->progs.colo_tc_mirror));
	return 0;
}

static void detach_all(struct daemon *d)
{
	tc_detach_prog(&d->tc_mirror);
	xdp_detach_prog(&d->xdp_pri);
	xdp_detach_prog(&d->xdp_sec);
	tc_detach_prog(&d->tc_failopen);
}

static void close_ports(struct daemon *d)
{
	int i;

	for (i = 0; i < d->nr_rx_ports; i++)
		port_close(&d->umem, &d->rx_ports[i]);
	port_close(&d->umem, &d->out);
	free(d->rx_ports);
	d->rx_ports = NULL;
	d->nr_rx_ports = 0;
}

static void on_notify_checkpoint(void *ctx)
{
	checkpoint_done(ctx);
}

static const struct notify_ops notify_callbacks = {
	.checkpoint_done = on_notify_checkpoint,
};

/* --notify, --on-checkpoint and --pcap: where requests and evidence go. */
static int open_outputs(struct daemon *d)
{
	const struct run_opts *o = d->o;

	if (o->notify) {
		d->notify = notify_new(o->notify, &notify_callbacks, d);
		if (!d->notify)
			return -errno;
	}
	if (o->on_checkpoint) {
		d->hook = hook_new(o->on_checkpoint, o->name,
				   o->on_checkpoint_interval_ms);
		if (!d->hook)
			return -errno;
	}
	if (o->pcap) {
		d->pcap = pcap_log_open(o->pcap, (__u64)o->pcap_max_mb << 20,
					o->pcap_files);
		if (!d->pcap)
			return -errno;
	}
	return 0;
}

static void close_outputs(struct daemon *d)
{
	if (d->notify)
		notify_free(d->notify);
	if (d->hook)
		hook_free(d->hook);
	if (d->pcap)
		pcap_log_close(d->pcap);
	d->notify = NULL;
	d->hook = NULL;
	d->pcap = NULL;
}

static int create_comparator(struct daemon *d)
{
	const struct run_opts *o = d->o;
	struct cmp_config cfg = {
		.umem = d->umem.area,
		.frame_size = d->umem.frame_size,
		.nr_frames = d->umem.nr_frames,
		.max_conns = o->max_conns,
		.max_queue = o->max_queue,
		.compare_timeout_ns = (__u64)o->compare_timeout_ms * 1000000ULL,
		.idle_timeout_ns = (__u64)o->idle_timeout_s * 1000000000ULL,
		.linger_ns = 2000000000ULL,
		.non_ip_compare = o->non_ip_compare,
	};

	d->backlog.cap = d->umem.nr_frames;
	d->backlog.addr = calloc(d->backlog.cap, sizeof(*d->backlog.addr));
	d->backlog.len = calloc(d->backlog.cap, sizeof(*d->backlog.len));
	if (!d->backlog.addr || !d->backlog.len)
		return -ENOMEM;
	if (release_lat_init(&d->rel_lat, d->umem.nr_frames,
			     d->umem.frame_size, now_ns()))
		return -ENOMEM;
	d->cmp = cmp_new(&cfg, &cmp_callbacks, d);
	if (!d->cmp) {
		pr_warn("Failed to create the comparator: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

static void destroy_comparator(struct daemon *d)
{
	if (d->cmp)
		cmp_free(d->cmp); /* drops what is held: nothing unchecked leaves */
	d->cmp = NULL;
	release_lat_free(&d->rel_lat);
	free(d->backlog.addr);
	free(d->backlog.len);
	d->backlog.addr = NULL;
	d->backlog.len = NULL;
}

int daemon_run(const struct run_opts *o)
{
	struct daemon d = { .o = o, .sig_fd = -1, .seq_map_fd = -1,
			   .start_ns = now_ns() };
	int ret = EXIT_FAIL;

	if (setup_signals(&d)) {
		pr_warn("Failed to set up signal handling: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	if (ctl_server_open(&d.ctl, o->name, ctl_handler, &d))
		goto out_signals;
	if (open_outputs(&d)) {
		ret = EXIT_FAIL_OPTION;
		goto out_outputs;
	}
	if (load_bpf(&d)) {
		ret = EXIT_FAIL_BPF;
		goto out_ctl;
	}
	if (umem_create(&d.umem, o->umem_frames)) {
		ret = EXIT_FAIL_MEM;
		goto out_skel;
	}
	if (pin_all(d.skel->obj, o->name, d.pin_dir, sizeof(d.pin_dir))) {
		ret = EXIT_FAIL_BPF;
		goto out_umem;
	}
	if (create_comparator(&d)) {
		ret = EXIT_FAIL_MEM;
		goto out_cmp;
	}
	if (open_ports(&d)) {
		ret = EXIT_FAIL_XDP;
		goto out_ports;
	}
	if (o->attach_none)
		pr_info("Not attaching: attach the programs pinned in %s (README: bpftool)\n",
			d.pin_dir);
	else if (attach_all(&d)) {
		ret = EXIT_FAIL_XDP;
		goto out_detach;
	}
	check_mtu(o->primary);
	check_mtu(o->secondary);
	pr_info("Running '%s': primary %s, secondary %s, out %s%s (%s mode)\n",
		o->name, o->primary, o->secondary, o->out,
		o->mirror ? ", mirroring input" : "",
		o->skb_mode ? "skb" : "native");
	if (getenv("COLO_IMMEDIATE_EXIT"))
		d.quit = true;
	run_loop(&d);
	ret = 0;

out_detach:
	detach_all(&d);
out_ports:
	close_ports(&d);
out_cmp:
	destroy_comparator(&d);
	unpin_all(d.pin_dir);
out_umem:
	umem_destroy(&d.umem);
out_skel:
	colo__destroy(d.skel);
out_ctl:
out_outputs:
	close_outputs(&d);
	ctl_server_close(&d.ctl);
out_signals:
	if (d.sig_fd >= 0)
		close(d.sig_fd);
	return ret;
}
