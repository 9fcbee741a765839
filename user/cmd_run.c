// SPDX-License-Identifier: GPL-2.0
/* cmd_run.c - `colo-xdp run`: options, checks, then the daemon. */
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "log.h"

static const struct run_opts defaults_run = {
	.name = COLO_DEFAULT_NAME,
	.primary_fail_open = true,
	.conn_stats = true,
	.compare_timeout_ms = 3000, /* as QEMU's colo-compare */
	.scan_interval_ms = 100,
	.max_queue = 1024,          /* as QEMU's colo-compare */
	.max_conns = 65536,
	.umem_frames = 16384,
	.idle_timeout_s = 120,
	.on_checkpoint_interval_ms = 1000,
	.pcap_max_mb = 16,
	.pcap_files = 4,
};

static void usage_run(FILE *f)
{
	fprintf(f,
		"Usage: colo-xdp run --primary IF --secondary IF --out IF [options]\n"
		"\n"
		"Captures the primary's and the secondary's output with XDP, compares it\n"
		"per connection and releases matching primary frames on --out.\n"
		"Runs until SIGINT/SIGTERM, then detaches everything it attached.\n"
		"\n"
		"  --primary IF            the primary VM's interface (tap or veth)\n"
		"  --secondary IF          the secondary VM's interface\n"
		"  --out IF                where released frames go (toward the clients)\n"
		"  --mirror                deliver frames arriving on --out to both VMs (tc)\n"
		"  --name NAME             instance name, control socket /run/colo-xdp/NAME.sock (%s)\n"
		"  --xdp-mode native|skb   XDP attach mode (native; skb works on any netdev)\n"
		"  --compare-timeout MS    a frame unmatched this long asks for a checkpoint (%u)\n"
		"  --scan-interval MS      how often timeouts are checked (%u)\n"
		"  --max-queue N           frames held per side per connection (%u)\n"
		"  --max-conns N           connections tracked (%u)\n"
		"  --umem-frames N         4 KiB frames in the shared UMEM (%u)\n"
		"  --idle-timeout S        an idle connection is forgotten after S seconds (%u)\n"
		"  --busy-poll US          keep polling the rings for US microseconds after\n"
		"                          the last frame before sleeping: lower latency for\n"
		"                          a CPU kept busy (0: sleep at once; see README)\n"
		"  --non-ip pass|compare   non-IP frames (ARP...): release the primary's at once\n"
		"                          and drop the secondary's, or compare them (pass)\n"
		"  --primary-fail open|closed  primary frames while no daemon socket is there:\n"
		"                          forwarded to --out unchecked, or dropped (open)\n"
		"  --conn-stats on|off     count every frame per connection in the colo_conns\n"
		"                          BPF map, for bpftool (on); off spares the CPU that\n"
		"                          sends the guests' frames, most with many connections\n"
		"  --attach auto|none      attach the programs, or only pin them under\n"
		"                          /sys/fs/bpf/colo-xdp/NAME for bpftool/xdp-loader (auto)\n"
		"  --notify tcp:HOST:PORT|unix:PATH  ask for checkpoints with the protocol of\n"
		"                          QEMU colo-compare's notify_dev (DO_CHECKPOINT; flush\n"
		"                          on COLO_CHECKPOINT); reconnects, keeps requests\n"
		"  --on-checkpoint CMD     run CMD (no shell) on each checkpoint request, with\n"
		"                          COLO_REASON, COLO_NAME, COLO_CONN in its environment\n"
		"  --on-checkpoint-interval MS  at most one run per MS (%u)\n"
		"  --pcap FILE             write each miscompared pair (primary frame first)\n"
		"  --pcap-max-mb N         rotate FILE at N MiB (%u)\n"
		"  --pcap-files N          keep N files: FILE, FILE.1, ... (%u); SIGHUP reopens\n"
		"  -v, --verbose           more logging (repeat for more)\n",
		defaults_run.name, defaults_run.compare_timeout_ms,
		defaults_run.scan_interval_ms, defaults_run.max_queue,
		defaults_run.max_conns, defaults_run.umem_frames,
		defaults_run.idle_timeout_s,
		defaults_run.on_checkpoint_interval_ms, defaults_run.pcap_max_mb,
		defaults_run.pcap_files);
}

enum {
	OPT_PRIMARY = 256, OPT_SECONDARY, OPT_OUT, OPT_MIRROR, OPT_NAME,
	OPT_XDP_MODE, OPT_TIMEOUT, OPT_SCAN, OPT_MAX_QUEUE, OPT_MAX_CONNS,
	OPT_UMEM, OPT_IDLE, OPT_NON_IP, OPT_PFAIL, OPT_ATTACH, OPT_NOTIFY,
	OPT_HOOK, OPT_HOOK_INTERVAL, OPT_PCAP, OPT_PCAP_MB, OPT_PCAP_FILES,
	OPT_BUSY_POLL, OPT_CONN_STATS,
};

static const struct option run_options[] = {
	{ "primary", required_argument, NULL, OPT_PRIMARY },
	{ "secondary", required_argument, NULL, OPT_SECONDARY },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "mirror", no_argument, NULL, OPT_MIRROR },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "xdp-mode", required_argument, NULL, OPT_XDP_MODE },
	{ "compare-timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "scan-interval", required_argument, NULL, OPT_SCAN },
	{ "max-queue", required_argument, NULL, OPT_MAX_QUEUE },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "umem-frames", required_argument, NULL, OPT_UMEM },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "busy-poll", required_argument, NULL, OPT_BUSY_POLL },
	{ "non-ip", required_argument, NULL, OPT_NON_IP },
	{ "primary-fail", required_argument, NULL, OPT_PFAIL },
	{ "conn-stats", required_argument, NULL, OPT_CONN_STATS },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "notify", required_argument, NULL, OPT_NOTIFY },
	{ "on-checkpoint", required_argument, NULL, OPT_HOOK },
	{ "on-checkpoint-interval", required_argument, NULL, OPT_HOOK_INTERVAL },
	{ "pcap", required_argument, NULL, OPT_PCAP },
	{ "pcap-max-mb", required_argument, NULL, OPT_PCAP_MB },
	{ "pcap-files", required_argument, NULL, OPT_PCAP_FILES },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{}
};

/* Picks one of two words; prints a one-line error otherwise. */
static bool parse_choice(const char *opt, const char *s, const char *yes,
			 const char *no, bool *out)
{
	if (!strcmp(s, yes) || !strcmp(s, no)) {
		*out = !strcmp(s, yes);
		return true;
	}
	fprintf(stderr, "colo-xdp: %s takes '%s' or '%s', not '%s'\n", opt, yes,
		no, s);
	return false;
}

static bool check_ifname(const char *opt, const char *ifname)
{
	if (!ifname) {
		fprintf(stderr, "colo-xdp run: %s IF is required (see --help)\n", opt);
		return false;
	}
	if (strlen(ifname) >= IF_NAMESIZE || !if_nametoindex(ifname)) {
		fprintf(stderr, "colo-xdp run: %s: no interface '%s'\n", opt, ifname);
		return false;
	}
	return true;
}

static bool parse_run_opts(int argc, char **argv, struct run_opts *o, int *verbose)
{
	int c;

	opterr = 0; /* one line of our own for a bad option, below */
	while ((c = getopt_long(argc, argv, ":vh", run_options, NULL)) != -1) {
		switch (c) {
		case OPT_PRIMARY: o->primary = optarg; break;
		case OPT_SECONDARY: o->secondary = optarg; break;
		case OPT_OUT: o->out = optarg; break;
		case OPT_MIRROR: o->mirror = true; break;
		case OPT_NAME: o->name = optarg; break;
		case OPT_XDP_MODE:
			if (!parse_choice("--xdp-mode", optarg, "skb", "native",
					  &o->skb_mode))
				return false;
			break;
		case OPT_TIMEOUT:
			if (!parse_u32("--compare-timeout", optarg, 1, 3600000,
				       &o->compare_timeout_ms))
				return false;
			break;
		case OPT_SCAN:
			if (!parse_u32("--scan-interval", optarg, 1, 60000,
				       &o->scan_interval_ms))
				return false;
			break;
		case OPT_MAX_QUEUE:
			if (!parse_u32("--max-queue", optarg, 1, 65536, &o->max_queue))
				return false;
			break;
		case OPT_MAX_CONNS:
			if (!parse_u32("--max-conns", optarg, 1, 4194304, &o->max_conns))
				return false;
			break;
		case OPT_UMEM:
			if (!parse_u32("--umem-frames", optarg, 4096, 1048576,
				       &o->umem_frames))
				return false;
			break;
		case OPT_IDLE:
			if (!parse_u32("--idle-timeout", optarg, 1, 86400,
				       &o->idle_timeout_s))
				return false;
			break;
		case OPT_BUSY_POLL:
			if (!parse_u32("--busy-poll", optarg, 0, 1000000,
				       &o->busy_poll_us))
				return false;
			break;
		case OPT_NON_IP:
			if (!parse_choice("--non-ip", optarg, "compare", "pass",
					  &o->non_ip_compare))
				return false;
			break;
		case OPT_PFAIL:
			if (!parse_choice("--primary-fail", optarg, "open",
					  "closed", &o->primary_fail_open))
				return false;
			break;
		case OPT_CONN_STATS:
			if (!parse_choice("--conn-stats", optarg, "on", "off",
					  &o->conn_stats))
				return false;
			break;
		case OPT_ATTACH:
			if (!parse_choice("--attach", optarg, "none", "auto",
					  &o->attach_none))
				return false;
			break;
		case OPT_NOTIFY: o->notify = optarg; break;
		case OPT_HOOK: o->on_checkpoint = optarg; break;
		case OPT_HOOK_INTERVAL:
			if (!parse_u32("--on-checkpoint-interval", optarg, 0,
				       3600000, &o->on_checkpoint_interval_ms))
				return false;
			break;
		case OPT_PCAP: o->pcap = optarg; break;
		case OPT_PCAP_MB:
			if (!parse_u32("--pcap-max-mb", optarg, 1, 65536,
				       &o->pcap_max_mb))
				return false;
			break;
		case OPT_PCAP_FILES:
			if (!parse_u32("--pcap-files", optarg, 1, 1000,
				       &o->pcap_files))
				return false;
			break;
		case 'v': (*verbose)++; break;
		case 'h': usage_run(stdout); exit(EXIT_OK);
		case ':':
			fprintf(stderr, "colo-xdp run: %s needs a value (see 'colo-xdp run --help')\n",
				argv[optind - 1]);
			return false;
		default:
			fprintf(stderr, "colo-xdp run: unknown option '%s' (see 'colo-xdp run --help')\n",
				argv[optind - 1]);
			return false;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "colo-xdp run: unexpected argument '%s'\n", argv[optind]);
		return false;
	}
	if (!check_ifname("--primary", o->primary) ||
	    !check_ifname("--secondary", o->secondary) ||
	    !check_ifname("--out", o->out) || !check_name(o->name))
		return false;
	if (!strcmp(o->primary, o->secondary) || !strcmp(o->primary, o->out) ||
	    !strcmp(o->secondary, o->out)) {
		fprintf(stderr, "colo-xdp run: --primary, --secondary and --out must be three different interfaces\n");
		return false;
	}
	return true;
}

int do_run(int argc, char **argv)
{
	struct run_opts o = defaults_run;
	int verbose = 0;

	if (!parse_run_opts(argc, argv, &o, &verbose))
		return EXIT_FAIL_OPTION;
	/* The daemon shows INFO by default: each -v adds a level. */
	verbose += LOG_LEVEL_INFO;
	log_set_level(verbose > LOG_LEVEL_LIBBPF_DEBUG ? LOG_LEVEL_LIBBPF_DEBUG :
							 (enum log_level)verbose);
	log_hook_libs();
	return daemon_run(&o);
}
