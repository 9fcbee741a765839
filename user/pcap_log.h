/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcap_log.h - miscompared primary/secondary frame pairs written to a
 * classic pcap file (--pcap FILE), bounded in size and rotated.
 *
 * Which side a frame is: classic pcap has no per-packet comment (and
 * libpcap 1.10 cannot write pcapng), so the side is encoded by position,
 * and the frame bytes are never altered:
 *
 *   - every pair is exactly two records with the same timestamp, the
 *     primary's frame first, then the secondary's;
 *   - a side with no frame is written as a zero-length record (caplen =
 *     len = 0), so the two-record rhythm never breaks;
 *   - a pair is never split across files, and each file starts with a
 *     pair: in every file, record 1, 3, 5, ... (counted from 1, as
 *     tcpdump -# and Wireshark do) is a primary frame and record 2, 4, 6,
 *     ... is the secondary frame it was compared with.
 *
 * Frames longer than 65535 bytes keep their first 65535 bytes (the record
 * says the real length). Timestamps are microseconds of wall-clock time.
 *
 * Bounded: no file grows beyond max_bytes_per_file (file header included);
 * a pair that would cross it goes to a new file after a rotation
 * path -> path.1 -> ... -> path.(max_files - 1), the oldest deleted, so at
 * most max_files files of at most max_bytes_per_file bytes exist (older
 * files beyond path.(max_files - 1), from a run with a larger count, are
 * left alone). A pair bigger than an empty file can hold is dropped and
 * counted. With max_files = 1 a rotation starts path afresh.
 *
 * Opening never destroys a capture: if path already holds records (a
 * previous run, or the file a SIGHUP finds still in place) it is rotated
 * first. If path is gone (logrotate moved it away) or empty (logrotate
 * "create"), a new file is simply started there, and the names logrotate
 * manages are not touched.
 *
 * Every pair is written unbuffered and flushed before pcap_log_pair()
 * returns, so a crash keeps everything written. A write error is counted,
 * logged once per run of errors and never fatal: the file is cut back to
 * its last complete pair, so it stays readable. If no file could be opened,
 * pairs are counted as write errors and an open is retried at most once a
 * second (or at once by pcap_log_reopen()).
 *
 * Files are created with mode 0600: they hold guest traffic.
 * Single-threaded, like the comparator that feeds it.
 */
#ifndef COLO_PCAP_LOG_H
#define COLO_PCAP_LOG_H

#include <time.h>
#include <linux/types.h>

#define PCAP_LOG_SNAPLEN        65535
#define PCAP_LOG_FILE_HDR       24U   /* struct pcap_file_header on disk */
#define PCAP_LOG_REC_HDR        16U   /* per-record header on disk */
/* Smallest per-file limit accepted: room for a pair of small frames. */
#define PCAP_LOG_MIN_FILE_BYTES 1024ULL
#define PCAP_LOG_MAX_FILES      1000U /* path.999 at most */

struct pcap_log_stats {
	__u64 pairs;              /* pairs written */
	__u64 frames;             /* frames written (not the absent sides) */
	__u64 bytes;              /* bytes written, pcap headers included */
	__u64 rotations;          /* times path was shifted to path.1 */
	__u64 write_errors;       /* pairs lost to an I/O error or no file */
	__u64 dropped_over_limit; /* pairs bigger than a whole file */
	__u64 file_bytes;         /* size of the current file (0: none open) */
};

struct pcap_log;

/*
 * Starts a capture at path (rotating a previous one that holds records).
 * max_bytes_per_file >= PCAP_LOG_MIN_FILE_BYTES, 1 <= max_files <=
 * PCAP_LOG_MAX_FILES. Returns NULL with errno set, after one log line.
 */
struct pcap_log *pcap_log_open(const char *path, __u64 max_bytes_per_file,
			       unsigned int max_files);

/*
 * Writes one pair: the primary's frame then the secondary's, either of
 * which may be absent (NULL or length 0). ts is wall-clock time
 * (CLOCK_REALTIME), NULL for now. Returns 0, -EFBIG if the pair cannot fit
 * in a file, or another -errno on an I/O error; all are counted, none is
 * fatal.
 */
int pcap_log_pair(struct pcap_log *pl, const void *pri, __u32 pri_len,
		  const void *sec, __u32 sec_len, const struct timespec *ts);

/*
 * For SIGHUP (logrotate): closes the file and starts a new one at path, by
 * the rules above. Returns 0 or -errno (then retried on later pairs).
 */
int pcap_log_reopen(struct pcap_log *pl);

/* Closes the file and frees pl (NULL is fine). */
void pcap_log_close(struct pcap_log *pl);

void pcap_log_get_stats(const struct pcap_log *pl, struct pcap_log_stats *st);

#endif /* COLO_PCAP_LOG_H */
