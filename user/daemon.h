/* SPDX-License-Identifier: GPL-2.0 */
/*
 * daemon.h - `colo-xdp run`: one instance serving one primary/secondary/out
 * triple. Its state is shared with the files that report on it.
 */
#ifndef COLO_DAEMON_H
#define COLO_DAEMON_H

#include <stdbool.h>
#include <linux/types.h>

#include "attach.h"
#include "compare.h"
#include "ctl.h"
#include "release_lat.h"
#include "xsk.h"

struct run_opts {
	const char *primary;
	const char *secondary;
	const char *out;
	const char *name;
	bool mirror;
	bool skb_mode;
	bool non_ip_compare;
	bool primary_fail_open;
	bool conn_stats;      /* count each frame per connection in colo_conns */
	bool attach_none;     /* --attach none: the operator attaches the pinned programs */
	__u32 compare_timeout_ms;
	__u32 scan_interval_ms;
	__u32 max_queue;
	__u32 max_conns;
	__u32 umem_frames;
	__u32 idle_timeout_s;
	__u32 busy_poll_us;          /* spin this long after the last frame (0: sleep at once) */
	const char *notify;          /* --notify tcp:HOST:PORT|unix:PATH */
	const char *on_checkpoint;   /* --on-checkpoint CMD */
	__u32 on_checkpoint_interval_ms;
	const char *pcap;            /* --pcap FILE */
	__u32 pcap_max_mb;           /* per file */
	__u32 pcap_files;            /* files kept by rotation */
};

/* Why the daemon itself asks for a checkpoint, beyond the comparator's reasons. */
#define CKPT_REASON_UMEM_LOW CMP_REASON__MAX /* held frames ate the UMEM */
#define CKPT_REASON__MAX (CMP_REASON__MAX + 1)

struct ckpt_state {
	bool pending;           /* requested, checkpoint-done not seen yet */
	__u64 requested_ns;
	__u64 requests;         /* requests issued */
	__u64 coalesced;        /* reasons that found a request pending */
	__u64 done;             /* checkpoint-done received */
	__u64 by_reason[CKPT_REASON__MAX];
};

/* Released frames wait here while the out TX ring is full. */
struct tx_backlog {
	__u64 *addr;
	__u32 *len;
	__u32 head;
	__u32 count;
	__u32 cap;
	__u32 max_seen;
};

struct daemon_counters {
	__u64 meta_missing;   /* frames parsed in userspace (no metadata) */
	__u64 malformed;      /* refused by the userspace parser */
	__u64 seq_offsets;    /* TCP offsets handed to the mirror path */
	__u64 seq_map_errors; /* ...that the map refused */
};

struct daemon {
	const struct run_opts *o;
	struct colo *skel;
	struct umem_area umem;
	struct xsk_port *rx_ports; /* primary queues, then secondary queues */
	int nr_rx_ports;
	struct xsk_port out;
	struct comparator *cmp;
	struct tx_backlog backlog;
	struct release_lat rel_lat; /* arrival to transmission of released frames */
	__u64 tx_done_ns;           /* when the completions being drained were seen */
	struct ckpt_state ckpt;
	struct daemon_counters cnt;
	struct ctl_server ctl;
	struct xdp_attachment xdp_pri, xdp_sec;
	struct tc_attachment tc_mirror, tc_failopen;
	char pin_dir[128];         /* where programs and maps are pinned */
	int seq_map_fd;            /* colo_seq: TCP offsets for the mirror path */
	struct notify *notify;     /* --notify, or NULL */
	struct hook *hook;         /* --on-checkpoint, or NULL */
	struct pcap_log *pcap;     /* --pcap, or NULL */
	__u32 max_frame_len;       /* longer captured frames are oversize */
	__u64 oversize_seen;       /* oversize frames already warned about */
	__u64 oversize_warn_ns;    /* no new warning before this */
	int sig_fd;
	bool quit;
	__u64 start_ns;
};

int daemon_run(const struct run_opts *o);

/* One BPF counter summed over CPUs (daemon_stats.c); 0/-errno. */
int daemon_bpf_counter(struct daemon *d, __u32 key, struct colo_datarec *sum);

/* The JSON answer to the "stats" control request (daemon_stats.c). */
struct json_object *daemon_stats_json(struct daemon *d);
/* The answer to "conns" (daemon_conns.c); NULL with a message in err. */
struct json_object *daemon_conns_json(struct daemon *d, struct json_object *req,
				      char *err, size_t errlen);

/* Events for subscribers (daemon_events.c). */
void daemon_event_divergence(struct daemon *d, const struct cmp_event *e);
void daemon_event_checkpoint(struct daemon *d, const char *reason,
			     const char *conn, bool coalesced);
void daemon_event_flush(struct daemon *d, __u64 released, __u64 dropped);

__u64 now_ns(void);

#endif /* COLO_DAEMON_H */
