// SPDX-License-Identifier: GPL-2.0
/*
 * test_pcap_log.c - the --pcap writer (user/pcap_log.c), read back with
 * libpcap itself (pcap_open_offline, pcap_next_ex).
 *
 * Frames are UDP datagrams built by tests/frames.h whose payload starts
 * with the pair's index and its side ('P' or 'S'), so every record read
 * back says which pair and side it must be. Checked: lengths, bytes, the
 * primary-then-secondary order, equal timestamps within a pair, absent
 * sides as zero-length records, the snap length, rotation (never more than
 * max_files files, none over its limit, no pair lost from the files kept,
 * no premature rotation), reopen (rotates a file with records, leaves
 * logrotate's names alone), pairs too big for a file, a write error (cut
 * back to the last pair) and paths that cannot work.
 */
#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "frames.h"
#include "pcap_log.h"

TEST_STATE_DEFINE;

#define MAX_RECS    256
#define PAYLOAD_OFF 42 /* Ethernet 14 + IPv4 20 + UDP 8 */

static char dir[64];

struct rec {
	long sec, usec;
	uint32_t caplen, len;
	uint8_t *data;
};

struct capture {
	int n;
	int linktype;
	int snaplen;
	bool clean_end; /* pcap_next_ex ended with EOF, not an error */
	struct rec r[MAX_RECS];
};

static void capture_free(struct capture *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		free(c->r[i].data);
	c->n = 0;
}

/* Returns the number of records, or -1 if libpcap cannot open the file. */
static int capture_read(const char *path, struct capture *c)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int ret;

	memset(c, 0, sizeof(*c));
	p = pcap_open_offline(path, errbuf);
	if (!p) {
		fprintf(stderr, "  pcap_open_offline(%s): %s\n", path, errbuf);
		return -1;
	}
	c->linktype = pcap_datalink(p);
	c->snaplen = pcap_snapshot(p);
	while ((ret = pcap_next_ex(p, &h, &data)) == 1 && c->n < MAX_RECS) {
		struct rec *r = &c->r[c->n++];

		r->sec = h->ts.tv_sec;
		r->usec = h->ts.tv_usec;
		r->caplen = h->caplen;
		r->len = h->len;
		r->data = malloc(h->caplen ? h->caplen : 1);
		memcpy(r->data, data, h->caplen);
	}
	c->clean_end = ret == PCAP_ERROR_BREAK;
	pcap_close(p);
	return c->n;
}

static void path_of(char *buf, size_t cap, const char *name, int rot)
{
	if (rot)
		snprintf(buf, cap, "%s/%s.%d", dir, name, rot);
	else
		snprintf(buf, cap, "%s/%s", dir, name);
}

static long file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? -1 : (long)sb.st_size;
}

/* Removes every file in dir (tests leave their own names behind). */
static void dir_clean(void)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	closedir(d);
}

/*
 * Frame of pair idx for a side ('P' or 'S'): payload = idx (4 bytes), the
 * side, then pattern bytes, plen bytes in all; the secondary's differs.
 */
static size_t build(uint8_t *buf, size_t cap, uint32_t idx, char side,
		    size_t plen)
{
	uint8_t payload[FRAME_BUF];
	struct frame_spec s;

	if (plen < 5)
		plen = 5;
	frame_put32(payload, 0, idx);
	payload[4] = (uint8_t)side;
	frame_pattern(payload + 5, plen - 5, idx * 2 + (side == 'S'));
	s = frame_udp(4, 7778, 40000, payload, plen);
	if (side == 'S')
		s.ttl = 63;
	return frame_build(&s, buf, cap);
}

/* Is record r the frame of pair idx, side, as build() made it? */
static bool rec_is(const struct rec *r, uint32_t idx, char side, size_t plen)
{
	uint8_t buf[FRAME_BUF];
	size_t len = build(buf, sizeof(buf), idx, side, plen);

	return r->caplen == len && r->len == len && !memcmp(r->data, buf, len);
}

static uint32_t rec_idx(const struct rec *r)
{
	return r->caplen > PAYLOAD_OFF + 4 ? frame_get32(r->data, PAYLOAD_OFF) :
					     ~0u;
}

static char rec_side(const struct rec *r)
{
	return r->caplen > PAYLOAD_OFF + 4 ? (char)r->data[PAYLOAD_OFF + 4] : 0;
}

static size_t plen_of(uint32_t idx, char side)
{
	return 60 + (idx * 37 + (side == 'S') * 11) % 300;
}

/* Writes pair idx with plen_of() payloads; returns pcap_log_pair()'s. */
static int write_idx(struct pcap_log *pl, uint32_t idx,
		     const struct timespec *ts)
{
	uint8_t p[FRAME_BUF], s[FRAME_BUF];
	size_t pl_len = build(p, sizeof(p), idx, 'P', plen_of(idx, 'P'));
	size_t sl_len = build(s, sizeof(s), idx, 'S', plen_of(idx, 'S'));

	return pcap_log_pair(pl, p, (__u32)pl_len, s, (__u32)sl_len, ts);
}

/* On-disk size of pair idx as write_idx() writes it. */
static long pair_bytes(uint32_t idx)
{
	uint8_t buf[FRAME_BUF];

	return 2 * PCAP_LOG_REC_HDR +
	       (long)build(buf, sizeof(buf), idx, 'P', plen_of(idx, 'P')) +
	       (long)build(buf, sizeof(buf), idx, 'S', plen_of(idx, 'S'));
}

/*
 * Checks that a capture is whole pairs of write_idx() frames, primary
 * first, with a shared timestamp; returns the first pair index (or -1 when
 * empty) and leaves the last in *last.
 */
static long check_pairs(const struct capture *c, const char *name,
			long *last)
{
	long first = -1;
	int i;

	*last = -1;
	ASSERT_EQ(c->n % 2, 0, name);
	for (i = 0; i + 1 < c->n; i += 2) {
		uint32_t idx = rec_idx(&c->r[i]);

		ASSERT_EQ(rec_side(&c->r[i]), 'P', name);
		ASSERT_EQ(rec_side(&c->r[i + 1]), 'S', name);
		ASSERT_TRUE(rec_is(&c->r[i], idx, 'P', plen_of(idx, 'P')),
			    name);
		ASSERT_TRUE(rec_is(&c->r[i + 1], idx, 'S', plen_of(idx, 'S')),
			    name);
		ASSERT_TRUE(c->r[i].sec == c->r[i + 1].sec &&
			    c->r[i].usec == c->r[i + 1].usec, name);
		if (first < 0)
			first = idx;
		else
			ASSERT_EQ(idx, *last + 1, name);
		*last = idx;
	}
	return first;
}

/* ---- subtests ---- */

/*
 * Pairs of every shape, read back while the log is still open (each pair
 * must be on disk when pcap_log_pair() returns) and again after close.
 */
static void test_roundtrip(void)
{
	uint8_t p4[FRAME_BUF], s4[FRAME_BUF], p6[FRAME_BUF], s6[FRAME_BUF];
	static const char tag[] = "colo-echo seq=0000000000 ";
	uint8_t tagged[64];
	struct timespec ts[4] = {
		{ 1700000000, 123456789 }, { 1700000001, 999999999 },
		{ 1700000002, 0 },         { 1700000003, 500000 },
	};
	struct pcap_log_stats st;
	struct capture c;
	struct frame_spec s;
	struct pcap_log *pl;
	size_t lp4, ls4, lp6, ls6;
	char path[256];
	struct stat sb;
	int i, pass;

	s = frame_udp(4, 7778, 40000, tag, sizeof(tag) - 1);
	lp4 = frame_build(&s, p4, sizeof(p4));
	memcpy(tagged, tag, sizeof(tag) - 1);
	memcpy(tagged + sizeof(tag) - 1, "SECONDARY", 9);
	s = frame_udp(4, 7778, 40000, tagged, sizeof(tag) - 1 + 9);
	ls4 = frame_build(&s, s4, sizeof(s4));
	s = frame_tcp(6, 1000, 2000, FRAME_TCP_ACK | FRAME_TCP_PSH, tag, 20);
	lp6 = frame_build(&s, p6, sizeof(p6));
	s = frame_tcp(6, 1000, 2000, FRAME_TCP_ACK | FRAME_TCP_FIN, tag, 7);
	ls6 = frame_build(&s, s6, sizeof(s6));

	path_of(path, sizeof(path), "rt.pcap", 0);
	pl = pcap_log_open(path, 1 << 20, 2);
	if (!ASSERT_OK_PTR(pl, "open"))
		return;
	ASSERT_OK(pcap_log_pair(pl, p4, lp4, s4, ls4, &ts[0]), "udp pair");
	ASSERT_OK(pcap_log_pair(pl, p6, lp6, s6, ls6, &ts[1]), "tcp6 pair");
	ASSERT_OK(pcap_log_pair(pl, p4, lp4, NULL, 0, &ts[2]),
		  "primary only");
	/* NULL with a length is absent too; a length of 0 likewise */
	ASSERT_OK(pcap_log_pair(pl, NULL, 100, s6, ls6, &ts[3]),
		  "secondary only");

	pcap_log_get_stats(pl, &st);
	ASSERT_EQ(st.pairs, 4, "pairs");
	ASSERT_EQ(st.frames, 6, "frames");
	ASSERT_EQ(st.write_errors, 0, "write_errors");
	ASSERT_EQ(st.rotations, 0, "rotations");
	ASSERT_EQ(st.bytes, PCAP_LOG_FILE_HDR + 8 * PCAP_LOG_REC_HDR + 2 * lp4 +
			    ls4 + lp6 + 2 * ls6, "bytes");
	ASSERT_EQ(st.file_bytes, st.bytes, "file_bytes");
	ASSERT_EQ(file_size(path), st.bytes, "size on disk");
	ASSERT_OK(stat(path, &sb), "stat");
	ASSERT_EQ(sb.st_mode & 0777, 0600, "mode 0600");

	for (pass = 0; pass < 2; pass++) {
		const char *name = pass ? "after close" : "while open";

		if (pass)
			pcap_log_close(pl);
		if (!ASSERT_EQ(capture_read(path, &c), 8, name))
			goto next;
		ASSERT_TRUE(c.clean_end, name);
		ASSERT_EQ(c.linktype, DLT_EN10MB, name);
		ASSERT_EQ(c.snaplen, PCAP_LOG_SNAPLEN, name);
		ASSERT_TRUE(c.r[0].caplen == lp4 && c.r[0].len == lp4 &&
			    !memcmp(c.r[0].data, p4, lp4), name);
		ASSERT_TRUE(c.r[1].caplen == ls4 && c.r[1].len == ls4 &&
			    !memcmp(c.r[1].data, s4, ls4), name);
		ASSERT_TRUE(c.r[2].caplen == lp6 &&
			    !memcmp(c.r[2].data, p6, lp6), name);
		ASSERT_TRUE(c.r[3].caplen == ls6 &&
			    !memcmp(c.r[3].data, s6, ls6), name);
		ASSERT_TRUE(c.r[4].caplen == lp4 &&
			    !memcmp(c.r[4].data, p4, lp4), name);
		ASSERT_TRUE(c.r[5].caplen == 0 && c.r[5].len == 0, name);
		ASSERT_TRUE(c.r[6].caplen == 0 && c.r[6].len == 0, name);
		ASSERT_TRUE(c.r[7].caplen == ls6 &&
			    !memcmp(c.r[7].data, s6, ls6), name);
		for (i = 0; i < 8; i++) {
			ASSERT_EQ(c.r[i].sec, ts[i / 2].tv_sec, name);
			ASSERT_EQ(c.r[i].usec, ts[i / 2].tv_nsec / 1000, name);
		}
next:
		capture_free(&c);
	}
	dir_clean();
}

/* ts NULL stamps the pair with the wall clock. */
static void test_now(void)
{
	struct timespec before, after;
	struct pcap_log *pl;
	struct capture c;
	char path[256];

	path_of(path, sizeof(path), "now.pcap", 0);
	pl = pcap_log_open(path, 1 << 20, 1);
	if (!ASSERT_OK_PTR(pl, "open"))
		return;
	clock_gettime(CLOCK_REALTIME, &before);
	ASSERT_OK(write_idx(pl, 0, NULL), "pair");
	clock_gettime(CLOCK_REALTIME, &after);
	pcap_log_close(pl);
	if (ASSERT_EQ(capture_read(path, &c), 2, "records")) {
		ASSERT_TRUE(c.r[0].sec >= before.tv_sec &&
			    c.r[0].sec <= after.tv_sec, "wall-clock seconds");
		ASSERT_TRUE(c.r[0].sec == c.r[1].sec &&
			    c.r[0].usec == c.r[1].usec, "one stamp per pair");
	}
	capture_free(&c);
	dir_clean();
}

/* Frames up to 65535 bytes whole; longer ones cut there, length kept. */
static void test_snaplen(void)
{
	const __u32 big = 70000, max = PCAP_LOG_SNAPLEN;
	uint8_t *a = malloc(big), *b = malloc(max);
	struct pcap_log *pl;
	struct capture c;
	char path[256];

	frame_pattern(a, big, 1);
	frame_pattern(b, max, 2);
	path_of(path, sizeof(path), "snap.pcap", 0);
	pl = pcap_log_open(path, 1 << 20, 1);
	if (!ASSERT_OK_PTR(pl, "open"))
		goto out;
	ASSERT_OK(pcap_log_pair(pl, a, big, b, max, NULL), "big pair");
	pcap_log_close(pl);
	if (ASSERT_EQ(capture_read(path, &c), 2, "records")) {
		ASSERT_EQ(c.r[0].caplen, max, "primary cut at the snap length");
		ASSERT_EQ(c.r[0].len, big, "primary keeps its real length");
		ASSERT_MEMEQ(c.r[0].data, a, max, "primary bytes");
		ASSERT_EQ(c.r[1].caplen, max, "65535 bytes kept whole");
		ASSERT_EQ(c.r[1].len, max, "secondary length");
		ASSERT_MEMEQ(c.r[1].data, b, max, "secondary bytes");
	}
	ASSERT_EQ(file_size(path),
		  PCAP_LOG_FILE_HDR + 2 * PCAP_LOG_REC_HDR + 2 * max, "size");
	capture_free(&c);
out:
	free(a);
	free(b);
	dir_clean();
}

/*
 * A tiny limit and many pairs: never more than max_files files, none over
 * the limit, whole pairs in each, consecutive from the oldest file to the
 * newest, the newest pair last, and a file rotated only when the next pair
 * would not have fitted.
 */
static void check_rotation(unsigned int files, __u64 limit, uint32_t n)
{
	char path[256], name[64];
	struct pcap_log_stats st;
	struct pcap_log *pl;
	struct capture c;
	long first, last, next, prev_last = -1, total = 0, prev_size = 0;
	uint32_t i;
	int rot;

	snprintf(name, sizeof(name), "rot%u.pcap", files);
	path_of(path, sizeof(path), name, 0);
	pl = pcap_log_open(path, limit, files);
	if (!ASSERT_OK_PTR(pl, "open"))
		return;
	for (i = 0; i < n; i++)
		if (!ASSERT_OK(write_idx(pl, i, NULL), "pair"))
			break;
	pcap_log_get_stats(pl, &st);
	ASSERT_EQ(st.pairs, n, "pairs");
	ASSERT_EQ(st.write_errors, 0, "write_errors");
	ASSERT_EQ(st.dropped_over_limit, 0, "dropped_over_limit");
	ASSERT_TRUE(st.rotations >= files, "rotated at least once per file");
	ASSERT_TRUE(st.file_bytes <= limit, "current file within the limit");
	ASSERT_EQ(file_size(path), st.file_bytes, "current file size");

	path_of(path, sizeof(path), name, (int)files);
	ASSERT_EQ(file_size(path), -1, "no file beyond path.(max_files-1)");
	for (rot = (int)files - 1; rot >= 0; rot--) {
		path_of(path, sizeof(path), name, rot);
		if (!ASSERT_TRUE(file_size(path) >= 0, path))
			continue;
		ASSERT_TRUE(file_size(path) <= (long)limit, path);
		total += file_size(path);
		if (ASSERT_TRUE(capture_read(path, &c) > 0, path)) {
			ASSERT_TRUE(c.clean_end, path);
			first = check_pairs(&c, path, &last);
			if (prev_last >= 0) {
				ASSERT_EQ(first, prev_last + 1,
					  "no pair lost between files");
				/* rotated only because this pair did not fit */
				next = pair_bytes((uint32_t)first);
				ASSERT_TRUE(prev_size + next > (long)limit,
					    "rotation not premature");
			} else if (files > 1) {
				ASSERT_TRUE(first > 0, "oldest pairs deleted");
			}
			prev_last = last;
			prev_size = file_size(path);
		}
		capture_free(&c);
	}
	ASSERT_EQ(prev_last, n - 1, "newest pair in path");
	ASSERT_TRUE(total <= (long)(limit * files), "total within the bound");
	pcap_log_close(pl);
	dir_clean();
}

static void test_rotation(void)
{
	check_rotation(3, 2048, 60);
	check_rotation(1, 1024, 20);
	check_rotation(5, 4096, 200);
}

/* A pair bigger than an empty file is dropped whole, nothing written. */
static void test_over_limit(void)
{
	uint8_t a[FRAME_BUF], b[FRAME_BUF];
	struct pcap_log_stats st;
	struct pcap_log *pl;
	struct capture c;
	char path[256];

	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	path_of(path, sizeof(path), "over.pcap", 0);
	pl = pcap_log_open(path, 1024, 2);
	if (!ASSERT_OK_PTR(pl, "open"))
		return;
	ASSERT_EQ(pcap_log_pair(pl, a, 600, b, 600, NULL), -EFBIG, "too big");
	ASSERT_EQ(pcap_log_pair(pl, a, 1000, NULL, 0, NULL), -EFBIG,
		  "one side too big");
	/* exactly a whole file: 24 + 2 * 16 + 968 = 1024 */
	ASSERT_OK(pcap_log_pair(pl, a, 500, b, 468, NULL), "fills a file");
	pcap_log_get_stats(pl, &st);
	ASSERT_EQ(st.dropped_over_limit, 2, "dropped_over_limit");
	ASSERT_EQ(st.pairs, 1, "pairs");
	ASSERT_EQ(st.rotations, 0, "no rotation for a dropped pair");
	ASSERT_EQ(file_size(path), 1024, "file exactly at the limit");
	ASSERT_OK(pcap_log_pair(pl, a, 100, b, 100, NULL), "next pair");
	pcap_log_get_stats(pl, &st);
	ASSERT_EQ(st.rotations, 1, "rotated");
	/* 24 + 232 bytes so far: a pair of 768 bytes fills the file exactly */
	ASSERT_OK(pcap_log_pair(pl, a, 368, b, 368, NULL), "fills the rest");
	pcap_log_get_stats(pl, &st);
	ASSERT_EQ(st.rotations, 1, "not rotated when it fits exactly");
	ASSERT_EQ(file_size(path), 1024, "file exactly at the limit again");
	pcap_log_close(pl);
	if (ASSERT_EQ(capture_read(path, &c), 4, "records")) {
		ASSERT_EQ(c.r[0].caplen, 100, "the small pair");
		ASSERT_EQ(c.r[3].caplen, 368, "the pair that fills the file");
	}
	capture_free(&c);
	dir_clean();
}

/* SIGHUP: a file with records is rotated, an empty one or a moved one not. */
static void test_reopen(void)
{
	char path[256], p1[256], p2[256], moved[256];
	struct pcap_log_stats st;
	struct pcap_log *pl;
	struct capture c;
	long first, last;

	path_of(path, sizeof(path), "ro.pcap", 0);
	path_of(p1, sizeof(p1), "ro.pcap", 1);
	path_of(p2, sizeof(p2), "ro.pcap", 2);
	path_of(moved, sizeof(moved), "ro.pcap-logrotated", 0);
	pl = pcap_log_open(path, 1 << 20, 4);
	if (!ASSERT_OK_PTR(pl, "open"))
		return;
	ASSERT_OK(write_idx(pl, 0, NULL), "pair 0");
	ASSERT_OK(pcap_log_reopen(pl), "reopen");
	pcap_log_get_stats(pl, &st);
	ASSERT_EQ(st.rotations, 1, "a file with records is rotated");
	ASSERT_EQ(file_size(path), PCAP_LOG_FILE_HDR, "new file, header only");
	ASSERT_EQ(capture_read(path, &c), 0, "new file readable, empty");
	if (ASSERT_EQ(capture_read(p1, &c), 2, "path.1: pair 0"))
		ASSERT_EQ(check_pairs(&c, "path.1", &last), 0, "pair 0");
	capture_free(&c);

	ASSERT_OK(pcap_log_reopen(pl), "reopen with an empty file");
	pcap_log_get_stats(pl, &st);
	ASSERT_EQ(st.rotations, 1, "an empty file is not rotated");
	ASSERT_EQ(file_size(p2), -1, "no path.2");

	ASSERT_OK(write_idx(pl, 1, NULL), "pair 1");
	/* logrotate moved it away: start a new path, leave the names alone */
	ASSERT_OK(rename(path, moved), "logrotate's rename");
	ASSERT_OK(pcap_log_reopen(pl), "reopen after logrotate");
	ASSERT_OK(write_idx(pl, 2, NULL), "pair 2");
	pcap_log_get_stats(pl, &st);
	ASSERT_EQ(st.rotations, 1, "nothing to rotate");
	ASSERT_EQ(file_size(p2), -1, "still no path.2");
	if (ASSERT_EQ(capture_read(moved, &c), 2, "moved file: pair 1"))
		ASSERT_EQ(check_pairs(&c, "moved", &last), 1, "pair 1");
	capture_free(&c);
	if (ASSERT_EQ(capture_read(p1, &c), 2, "path.1 untouched"))
		ASSERT_EQ(check_pairs(&c, "path.1", &last), 0, "pair 0");
	capture_free(&c);
	if (ASSERT_EQ(capture_read(path, &c), 2, "path: pair 2")) {
		first = check_pairs(&c, "path", &last);
		ASSERT_EQ(first, 2, "pair 2");
	}
	capture_free(&c);
	pcap_log_close(pl);
	dir_clean();
}

/* Opening never destroys a previous capture; an empty file is reused. */
static void test_existing(void)
{
	char path[256], p1[256];
	struct pcap_log_stats st;
	struct pcap_log *pl;
	struct capture c;
	long last;
	FILE *f;

	path_of(path, sizeof(path), "ex.pcap", 0);
	path_of(p1, sizeof(p1), "ex.pcap", 1);
	f = fopen(path, "w");
	if (!ASSERT_OK_PTR(f, "empty file"))
		return;
	fclose(f);
	pl = pcap_log_open(path, 1 << 20, 3);
	if (!ASSERT_OK_PTR(pl, "open over an empty file"))
		return;
	pcap_log_get_stats(pl, &st);
	ASSERT_EQ(st.rotations, 0, "empty file not rotated");
	ASSERT_EQ(file_size(p1), -1, "no path.1");
	ASSERT_OK(write_idx(pl, 7, NULL), "pair 7");
	pcap_log_close(pl);

	pl = pcap_log_open(path, 1 << 20, 3);
	if (!ASSERT_OK_PTR(pl, "open over a capture"))
		return;
	pcap_log_get_stats(pl, &st);
	ASSERT_EQ(st.rotations, 1, "previous run rotated");
	ASSERT_EQ(file_size(path), PCAP_LOG_FILE_HDR, "fresh file");
	if (ASSERT_EQ(capture_read(p1, &c), 2, "previous run in path.1"))
		ASSERT_EQ(check_pairs(&c, "path.1", &last), 7, "pair 7");
	capture_free(&c);
	pcap_log_close(pl);
	dir_clean();
}

/* Options and paths that cannot work fail at open, cleanly. */
static void test_bad_open(void)
{
	struct pcap_log *pl;
	char path[256];

	errno = 0;
	pl = pcap_log_open("/nonexistent-colo-dir/x.pcap", 1 << 20, 2);
	ASSERT_TRUE(pl == NULL, "missing directory");
	ASSERT_EQ(errno, ENOENT, "missing directory: ENOENT");
	pcap_log_close(pl);

	pl = pcap_log_open(dir, 1 << 20, 2);
	ASSERT_TRUE(pl == NULL, "a directory");
	ASSERT_EQ(errno, EINVAL, "a directory: EINVAL");

	path_of(path, sizeof(path), "fifo", 0);
	if (ASSERT_OK(mkfifo(path, 0600), "mkfifo")) {
		pl = pcap_log_open(path, 1 << 20, 2);
		ASSERT_TRUE(pl == NULL, "a FIFO (and no hang)");
		ASSERT_EQ(errno, EINVAL, "a FIFO: EINVAL");
	}

	path_of(path, sizeof(path), "opt.pcap", 0);
	pl = pcap_log_open(path, 1 << 20, 0);
	ASSERT_TRUE(pl == NULL && errno == EINVAL, "0 files");
	pl = pcap_log_open(path, 1 << 20, PCAP_LOG_MAX_FILES + 1);
	ASSERT_TRUE(pl == NULL && errno == EINVAL, "too many files");
	pl = pcap_log_open(path, PCAP_LOG_MIN_FILE_BYTES - 1, 2);
	ASSERT_TRUE(pl == NULL && errno == EINVAL, "limit too small");
	pl = pcap_log_open("", 1 << 20, 2);
	ASSERT_TRUE(pl == NULL && errno == EINVAL, "empty path");
	pl = pcap_log_open(NULL, 1 << 20, 2);
	ASSERT_TRUE(pl == NULL && errno == EINVAL, "NULL path");
	ASSERT_EQ(file_size(path), -1, "nothing created");
	ASSERT_EQ(pcap_log_pair(NULL, "x", 1, NULL, 0, NULL), -EINVAL,
		  "pair on NULL");
	ASSERT_EQ(pcap_log_reopen(NULL), -EINVAL, "reopen NULL");
	dir_clean();
}

/*
 * A write that fails half way (RLIMIT_FSIZE: EFBIG after a short write)
 * is counted, not fatal, and leaves the file cut back to its last whole
 * pair; the next pair after the cause is gone is written normally.
 */
static void test_write_error(void)
{
	struct pcap_log_stats st;
	struct rlimit old, lim;
	struct pcap_log *pl;
	struct capture c;
	char path[256];
	long size0;

	path_of(path, sizeof(path), "err.pcap", 0);
	pl = pcap_log_open(path, 1 << 20, 2);
	if (!ASSERT_OK_PTR(pl, "open"))
		return;
	ASSERT_OK(write_idx(pl, 0, NULL), "pair 0");
	size0 = file_size(path);

	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	/* pair 1's primary record fits, its secondary only in part */
	lim.rlim_cur = (rlim_t)(size0 + pair_bytes(1) - 40);
	ASSERT_OK(setrlimit(RLIMIT_FSIZE, &lim), "setrlimit");
	ASSERT_EQ(write_idx(pl, 1, NULL), -EFBIG, "pair 1 fails");
	ASSERT_OK(setrlimit(RLIMIT_FSIZE, &old), "restore rlimit");
	signal(SIGXFSZ, SIG_DFL);

	pcap_log_get_stats(pl, &st);
	ASSERT_EQ(st.write_errors, 1, "write_errors");
	ASSERT_EQ(st.pairs, 1, "pairs");
	ASSERT_EQ(file_size(path), size0, "cut back to pair 0");
	ASSERT_EQ(st.file_bytes, size0, "file_bytes");

	ASSERT_OK(write_idx(pl, 2, NULL), "pair 2");
	pcap_log_close(pl);
	if (ASSERT_EQ(capture_read(path, &c), 4, "records")) {
		ASSERT_TRUE(c.clean_end, "clean end");
		ASSERT_TRUE(rec_is(&c.r[0], 0, 'P', plen_of(0, 'P')), "0 P");
		ASSERT_TRUE(rec_is(&c.r[1], 0, 'S', plen_of(0, 'S')), "0 S");
		ASSERT_TRUE(rec_is(&c.r[2], 2, 'P', plen_of(2, 'P')), "2 P");
		ASSERT_TRUE(rec_is(&c.r[3], 2, 'S', plen_of(2, 'S')), "2 S");
	}
	capture_free(&c);
	dir_clean();
}

/* The directory disappears: reopen fails, pairs are counted, recovery. */
static void test_dir_gone(void)
{
	char sub[128], path[256];
	struct pcap_log_stats st;
	struct pcap_log *pl;
	struct capture c;
	long last;

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(path, sizeof(path), "%s/sub/gone.pcap", dir);
	if (!ASSERT_OK(mkdir(sub, 0700), "mkdir"))
		return;
	pl = pcap_log_open(path, 1 << 20, 2);
	if (!ASSERT_OK_PTR(pl, "open"))
		goto out;
	ASSERT_OK(write_idx(pl, 0, NULL), "pair 0");
	unlink(path);
	ASSERT_OK(rmdir(sub), "rmdir");
	ASSERT_EQ(pcap_log_reopen(pl), -ENOENT, "reopen fails");
	ASSERT_EQ(write_idx(pl, 1, NULL), -ENOENT, "pair 1 fails");
	ASSERT_EQ(write_idx(pl, 2, NULL), -ENOENT, "pair 2 fails");
	pcap_log_get_stats(pl, &st);
	ASSERT_EQ(st.write_errors, 2, "write_errors");
	ASSERT_EQ(st.file_bytes, 0, "no file");

	ASSERT_OK(mkdir(sub, 0700), "mkdir again");
	ASSERT_OK(pcap_log_reopen(pl), "reopen works");
	ASSERT_OK(write_idx(pl, 3, NULL), "pair 3");
	pcap_log_close(pl);
	if (ASSERT_EQ(capture_read(path, &c), 2, "records"))
		ASSERT_EQ(check_pairs(&c, "recovered", &last), 3, "pair 3");
	capture_free(&c);
out:
	unlink(path);
	rmdir(sub);
}

int main(int argc, char **argv)
{
	test__init(argc, argv);
	snprintf(dir, sizeof(dir), "/tmp/test_pcap_log.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}

	RUN_SUBTEST("roundtrip", test_roundtrip);
	RUN_SUBTEST("now", test_now);
	RUN_SUBTEST("snaplen", test_snaplen);
	RUN_SUBTEST("rotation", test_rotation);
	RUN_SUBTEST("over_limit", test_over_limit);
	RUN_SUBTEST("reopen", test_reopen);
	RUN_SUBTEST("existing", test_existing);
	RUN_SUBTEST("bad_open", test_bad_open);
	RUN_SUBTEST("write_error", test_write_error);
	RUN_SUBTEST("dir_gone", test_dir_gone);

	dir_clean();
	rmdir(dir);
	return test__summary("test_pcap_log");
}
