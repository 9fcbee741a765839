// SPDX-License-Identifier: GPL-2.0
/*
 * udp_echo - a small UDP request/response service and its client, for the
 * end-to-end tests and the demo.
 *
 *   udp_echo server --port P [--tag STR] [--drop]
 *   udp_echo client --addr A --port P [--count N] [--burst B]
 *                   [--interval MS] [--timeout MS] [--linger MS]
 *                   [--size BYTES] [--print]
 *
 * The server answers each datagram with its payload, followed by --tag if
 * given: a secondary started with a tag answers differently from its
 * primary, which is how a divergence is planted. With --drop it reads and
 * never answers (a silent secondary). It serves IPv4 and IPv6 on one
 * dual-stack socket.
 *
 * The client sends numbered requests, in bursts of --burst sent back to
 * back, waits up to --timeout ms for a burst's answers, and checks each
 * answer: it must start with the exact request it answers; what follows is
 * the server's tag. It counts answers, duplicates, answers that came out of
 * order, tagged answers and garbage, and prints one summary line:
 *
 *   udp_echo: sent=N received=N unique=N duplicates=N reordered=N
 *             tagged=N bad=N lost=N
 *
 * It exits 0 when every request got exactly one untagged answer, in order,
 * and 1 otherwise; 2 on bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ECHO_MAX_PAYLOAD 65507 /* largest UDP payload over IPv4 */
#define ECHO_MAX_COUNT 10000000U
#define ECHO_HDR_FMT "colo-echo seq=%010u " /* fixed width: 25 bytes */
#define ECHO_HDR_LEN 25

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* No SA_RESTART: a signal must wake a blocking poll() or recvfrom(). */
static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_uint(const char *s, unsigned int max, unsigned int *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

struct echo_opts {
	const char *addr;
	const char *tag;
	unsigned int port;
	unsigned int count;
	unsigned int burst;
	unsigned int interval_ms;
	unsigned int timeout_ms;
	unsigned int linger_ms;
	unsigned int size;
	bool drop;
	bool print;
};

static const struct echo_opts defaults_echo = {
	.count = 10,
	.burst = 1,
	.timeout_ms = 1000,
	.linger_ms = 100,
	.size = ECHO_HDR_LEN,
};

static int do_server(const struct echo_opts *o)
{
	static char buf[ECHO_MAX_PAYLOAD + 1];
	unsigned long long received = 0, answered = 0;
	size_t tag_len = o->tag ? strlen(o->tag) : 0;
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	int fd, off = 0;

	/* One dual-stack socket; IPv4 only where the namespace has no IPv6. */
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd >= 0) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		a6.sin6_port = htons(o->port);
		a6.sin6_addr = in6addr_any;
		if (bind(fd, (struct sockaddr *)&a6, sizeof(a6)) < 0)
			goto err_bind;
	} else {
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0) {
			perror("udp_echo: socket");
			return 1;
		}
		a4.sin_port = htons(o->port);
		if (bind(fd, (struct sockaddr *)&a4, sizeof(a4)) < 0)
			goto err_bind;
	}
	fprintf(stderr, "udp_echo: serving port %u%s%s%s\n", o->port,
		o->drop ? ", dropping everything" : "",
		o->tag ? ", tag " : "", o->tag ? o->tag : "");

	while (!stop) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		ssize_t n;
		size_t len;

		n = recvfrom(fd, buf, ECHO_MAX_PAYLOAD, 0,
			     (struct sockaddr *)&peer, &plen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("udp_echo: recvfrom");
			break;
		}
		received++;
		if (o->drop)
			continue;
		len = n;
		if (tag_len) {
			/* Keep the answer within one datagram. */
			size_t room = ECHO_MAX_PAYLOAD - len;
			size_t t = tag_len < room ? tag_len : room;

			memcpy(buf + len, o->tag, t);
			len += t;
		}
		if (sendto(fd, buf, len, 0, (struct sockaddr *)&peer, plen) < 0) {
			if (errno != EINTR)
				perror("udp_echo: sendto");
			continue;
		}
		answered++;
	}
	fprintf(stderr, "udp_echo: server received=%llu answered=%llu\n",
		received, answered);
	close(fd);
	return 0;

err_bind:
	fprintf(stderr, "udp_echo: bind port %u: %s\n", o->port,
		strerror(errno));
	close(fd);
	return 1;
}

/* The request for seq: a fixed header, then a filler that depends on seq. */
static size_t make_request(char *buf, size_t size, unsigned int seq)
{
	char hdr[ECHO_HDR_LEN + 1];
	size_t i;

	snprintf(hdr, sizeof(hdr), ECHO_HDR_FMT, seq);
	memcpy(buf, hdr, ECHO_HDR_LEN);
	for (i = ECHO_HDR_LEN; i < size; i++)
		buf[i] = 'a' + (seq + i) % 26;
	return size;
}

struct client_state {
	unsigned char *seen;   /* answers per seq, saturating */
	unsigned int count;
	unsigned int highest;  /* highest seq answered + 1, 0 = none yet */
	unsigned long long received, unique, dups, reordered, tagged, bad;
};

/* Classifies one answer; returns the seq it answers or -1 if garbage. */
static long check_answer(struct client_state *st, const struct echo_opts *o,
			 const char *buf, size_t n)
{
	static char expect[ECHO_MAX_PAYLOAD];
	unsigned int seq;
	char hdr[ECHO_HDR_LEN + 1];

	st->received++;
	if (n < o->size || n < ECHO_HDR_LEN)
		goto bad;
	memcpy(hdr, buf, ECHO_HDR_LEN);
	hdr[ECHO_HDR_LEN] = '\0';
	if (sscanf(hdr, "colo-echo seq=%10u ", &seq) != 1 || seq >= st->count)
		goto bad;
	make_request(expect, o->size, seq);
	if (memcmp(expect, buf, o->size))
		goto bad;

	if (n > o->size)
		st->tagged++;
	if (st->seen[seq]) {
		st->dups++;
	} else {
		st->unique++;
		if (seq + 1 < st->highest)
			st->reordered++;
	}
	if (st->seen[seq] < 255)
		st->seen[seq]++;
	if (seq + 1 > st->highest)
		st->highest = seq + 1;
	return seq;
bad:
	st->bad++;
	return -1;
}

/* Reads answers until `want` new ones arrived or deadline (ms) passed. */
static void read_answers(int fd, struct client_state *st,
			 const struct echo_opts *o, unsigned long long want,
			 uint64_t deadline)
{
	static char buf[ECHO_MAX_PAYLOAD + 1];
	unsigned long long start = st->unique;

	while (!stop) {
		uint64_t now = now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		long seq;

		if (want && st->unique - start >= want)
			return;
		if (now >= deadline)
			return;
		if (poll(&pfd, 1, deadline - now) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n < 0)
			continue; /* ECONNREFUSED from an ICMP error, EAGAIN */
		seq = check_answer(st, o, buf, n);
		if (o->print) {
			buf[n] = '\0';
			printf("answer seq=%ld len=%zd%s%s\n", seq, n,
			       n > (ssize_t)o->size ? " tag=" : "",
			       n > (ssize_t)o->size ? buf + o->size : "");
			fflush(stdout);
		}
	}
}

static int do_client(const struct echo_opts *o)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_DGRAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	};
	struct client_state st = { .count = o->count };
	static char req[ECHO_MAX_PAYLOAD];
	struct addrinfo *ai;
	unsigned int seq = 0, sent = 0;
	char port[16];
	int fd, err;

	snprintf(port, sizeof(port), "%u", o->port);
	err = getaddrinfo(o->addr, port, &hints, &ai);
	if (err) {
		fprintf(stderr, "udp_echo: bad address %s: %s\n", o->addr,
			gai_strerror(err));
		return 2;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		perror("udp_echo: socket");
		freeaddrinfo(ai);
		return 1;
	}
	freeaddrinfo(ai);
	st.seen = calloc(o->count ? o->count : 1, 1);
	if (!st.seen) {
		close(fd);
		return 1;
	}

	while (seq < o->count && !stop) {
		unsigned int b;

		for (b = 0; b < o->burst && seq < o->count; b++, seq++) {
			make_request(req, o->size, seq);
			if (send(fd, req, o->size, 0) < 0) {
				if (errno == EINTR)
					break;
				/* An ICMP error of an earlier send; resend. */
				if (send(fd, req, o->size, 0) < 0) {
					perror("udp_echo: send");
					continue;
				}
			}
			sent++;
		}
		read_answers(fd, &st, o, b, now_ms() + o->timeout_ms);
		if (o->interval_ms && seq < o->count && !stop)
			usleep(o->interval_ms * 1000);
	}
	/* Late answers and duplicates. */
	read_answers(fd, &st, o, 0, now_ms() + o->linger_ms);

	printf("udp_echo: sent=%u received=%llu unique=%llu duplicates=%llu "
	       "reordered=%llu tagged=%llu bad=%llu lost=%llu\n",
	       sent, st.received, st.unique, st.dups, st.reordered, st.tagged,
	       st.bad, sent - st.unique);
	free(st.seen);
	close(fd);
	if (sent == o->count && st.unique == sent && !st.dups &&
	    !st.reordered && !st.tagged && !st.bad)
		return 0;
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: udp_echo server --port P [--tag STR] [--drop]\n"
		"       udp_echo client --addr A --port P [--count N] [--burst B]\n"
		"                       [--interval MS] [--timeout MS] [--linger MS]\n"
		"                       [--size BYTES] [--print]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "tag", required_argument, NULL, 't' },
		{ "drop", no_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "burst", required_argument, NULL, 'b' },
		{ "interval", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "linger", required_argument, NULL, 'l' },
		{ "size", required_argument, NULL, 's' },
		{ "print", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct echo_opts o = defaults_echo;
	bool server;
	int c, err = 0;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "server")) {
		server = true;
	} else if (!strcmp(argv[1], "client")) {
		server = false;
	} else if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	} else {
		usage(stderr);
		return 2;
	}
	argv++;
	argc--;

	while ((c = getopt_long(argc, argv, "a:p:t:dc:b:i:T:l:s:Ph", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'a':
			o.addr = optarg;
			break;
		case 'p':
			err = parse_uint(optarg, 65535, &o.port);
			break;
		case 't':
			o.tag = optarg;
			break;
		case 'd':
			o.drop = true;
			break;
		case 'c':
			err = parse_uint(optarg, ECHO_MAX_COUNT, &o.count);
			break;
		case 'b':
			err = parse_uint(optarg, 4096, &o.burst);
			if (!err && !o.burst)
				err = -EINVAL;
			break;
		case 'i':
			err = parse_uint(optarg, 3600000, &o.interval_ms);
			break;
		case 'T':
			err = parse_uint(optarg, 3600000, &o.timeout_ms);
			break;
		case 'l':
			err = parse_uint(optarg, 3600000, &o.linger_ms);
			break;
		case 's':
			err = parse_uint(optarg, ECHO_MAX_PAYLOAD, &o.size);
			if (!err && o.size < ECHO_HDR_LEN)
				err = -EINVAL;
			break;
		case 'P':
			o.print = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (err) {
			fprintf(stderr, "udp_echo: bad value '%s'\n", optarg);
			return 2;
		}
	}
	if (optind != argc || !o.port || (!server && !o.addr)) {
		usage(stderr);
		return 2;
	}

	catch_signals();
	return server ? do_server(&o) : do_client(&o);
}
