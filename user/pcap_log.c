// SPDX-License-Identifier: GPL-2.0
/*
 * pcap_log.c - miscompared frame pairs to a bounded, rotated pcap file.
 *
 * libpcap writes the records (pcap_open_dead() + pcap_dump_fopen() on a
 * stream we open ourselves, so we choose the mode, 0600, and the
 * buffering). The stream is unbuffered: each record reaches the kernel as
 * pcap_dump() returns, a write error shows at once in ferror(), and the
 * file can be cut back to the end of the last complete pair with
 * ftruncate() + fseeko() without stale bytes left in a stdio buffer. The
 * size of the file is counted here (24 bytes of file header, 16 per record
 * plus its data), which is what pcap_dump() writes.
 *
 * See pcap_log.h for the record layout (primary first, then secondary) and
 * the rotation rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "pcap_log.h"

#define PCAP_LOG_RETRY_NS 1000000000ULL /* between failed opens */

struct pcap_log {
	char *path;
	char *from, *to;         /* path.N scratch names, name_cap bytes each */
	size_t name_cap;
	pcap_t *dead;            /* DLT_EN10MB, PCAP_LOG_SNAPLEN */
	pcap_dumper_t *dump;     /* NULL: no file open */
	__u64 max_bytes;
	unsigned int max_files;
	__u64 file_bytes;        /* size of the open file: whole pairs only */
	__u64 retry_ns;          /* no open is tried before this (monotonic) */
	int last_err;            /* why the last open failed */
	bool failing;            /* an error was logged, not yet recovered */
	struct pcap_log_stats st;
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static void name_of(const struct pcap_log *pl, char *buf, unsigned int i)
{
	snprintf(buf, pl->name_cap, "%s.%u", pl->path, i);
}

/*
 * path -> path.1 -> ... -> path.(max_files - 1), the oldest deleted. A
 * missing name on the way is not an error (a first rotation, or files
 * deleted by hand). Only the last step empties path: if it fails, nothing
 * will overwrite the capture there.
 */
static int shift_files(struct pcap_log *pl)
{
	unsigned int i;

	if (pl->max_files == 1)
		return unlink(pl->path) && errno != ENOENT ? -errno : 0;
	name_of(pl, pl->to, pl->max_files - 1);
	if (unlink(pl->to) && errno != ENOENT)
		return -errno;
	for (i = pl->max_files - 1; i > 1; i--) {
		name_of(pl, pl->from, i - 1);
		name_of(pl, pl->to, i);
		if (rename(pl->from, pl->to) && errno != ENOENT)
			return -errno;
	}
	name_of(pl, pl->to, 1);
	if (rename(pl->path, pl->to))
		return -errno;
	return 0;
}

static void close_file(struct pcap_log *pl)
{
	if (pl->dump)
		pcap_dump_close(pl->dump);
	pl->dump = NULL;
	pl->file_bytes = 0;
}

/*
 * Starts a new file at path, rotating first if path holds more than an
 * empty pcap header. On failure *step and *why (NULL: strerror) say what
 * went wrong, for the caller's log line.
 */
static int start_file(struct pcap_log *pl, const char **step,
		      const char **why)
{
	struct stat sb;
	FILE *f;
	int fd, err;

	*why = NULL;
	*step = "open";
	if (stat(pl->path, &sb) == 0) {
		if (!S_ISREG(sb.st_mode)) {
			*why = "not a regular file";
			return -EINVAL;
		}
		if ((__u64)sb.st_size > PCAP_LOG_FILE_HDR) {
			*step = "rotate";
			err = shift_files(pl);
			if (err)
				return err;
			pl->st.rotations++;
		}
	} else if (errno != ENOENT) {
		return -errno;
	}

	*step = "create";
	/* O_NONBLOCK: a FIFO put there since stat() must not block us. */
	fd = open(pl->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
			    O_NOCTTY | O_NONBLOCK, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		*why = "not a regular file";
		return -EINVAL;
	}
	f = fdopen(fd, "wb");
	if (!f) {
		err = -errno;
		close(fd);
		return err;
	}
	/* Must precede the first write: see the top of this file. */
	setvbuf(f, NULL, _IONBF, 0);

	*step = "write the header of";
	errno = 0;
	pl->dump = pcap_dump_fopen(pl->dead, f);
	if (!pl->dump) {
		/* libpcap closed f when it failed to write the header. */
		err = errno ? -errno : -EIO;
		*why = errno ? NULL : pcap_geterr(pl->dead);
		unlink(pl->path);
		return err;
	}
	pl->file_bytes = PCAP_LOG_FILE_HDR;
	pl->st.bytes += PCAP_LOG_FILE_HDR;
	return 0;
}

/* Opens a file unless a recent attempt failed; logs a failure once. */
static int try_start(struct pcap_log *pl)
{
	const char *step, *why;
	__u64 now = mono_ns();
	int err;

	if (now < pl->retry_ns)
		return pl->last_err;
	err = start_file(pl, &step, &why);
	if (!err) {
		if (pl->failing)
			pr_info("Writing pcap file %s again\n", pl->path);
		pl->failing = false;
		return 0;
	}
	pl->last_err = err;
	pl->retry_ns = now + PCAP_LOG_RETRY_NS;
	if (!pl->failing)
		pr_warn("Failed to %s pcap file %s: %s\n", step, pl->path,
			why ? why : strerror(-err));
	pl->failing = true;
	return err;
}

struct pcap_log *pcap_log_open(const char *path, __u64 max_bytes_per_file,
			       unsigned int max_files)
{
	const char *step, *why;
	struct pcap_log *pl;
	int err;

	if (!path || !*path || max_files < 1 ||
	    max_files > PCAP_LOG_MAX_FILES ||
	    max_bytes_per_file < PCAP_LOG_MIN_FILE_BYTES) {
		pr_warn("Invalid pcap file options: a path, 1 to %u files of at least %llu bytes\n",
			PCAP_LOG_MAX_FILES, PCAP_LOG_MIN_FILE_BYTES);
		errno = EINVAL;
		return NULL;
	}
	pl = calloc(1, sizeof(*pl));
	if (!pl)
		goto err_mem;
	pl->max_bytes = max_bytes_per_file;
	pl->max_files = max_files;
	pl->name_cap = strlen(path) + sizeof(".4294967295");
	pl->path = strdup(path);
	pl->from = malloc(2 * pl->name_cap);
	if (!pl->path || !pl->from)
		goto err_mem;
	pl->to = pl->from + pl->name_cap;
	pl->dead = pcap_open_dead(DLT_EN10MB, PCAP_LOG_SNAPLEN);
	if (!pl->dead)
		goto err_mem;

	err = start_file(pl, &step, &why);
	if (err) {
		pr_warn("Failed to %s pcap file %s: %s\n", step, path,
			why ? why : strerror(-err));
		pcap_log_close(pl);
		errno = -err;
		return NULL;
	}
	return pl;

err_mem:
	pr_warn("Failed to open pcap file %s: %s\n", path, strerror(ENOMEM));
	pcap_log_close(pl);
	errno = ENOMEM;
	return NULL;
}

static __u32 snap(__u32 len)
{
	return len < PCAP_LOG_SNAPLEN ? len : PCAP_LOG_SNAPLEN;
}

/*
 * Both records, or neither: on an error the file is cut back to where the
 * pair began. If even that fails the file is closed; the next pair rotates
 * it away (its tail may be torn) and starts a clean one.
 */
static int write_pair(struct pcap_log *pl, const void *pri, __u32 pri_len,
		      const void *sec, __u32 sec_len, const struct timeval *tv)
{
	static const unsigned char none[1];
	FILE *f = pcap_dump_file(pl->dump);
	struct pcap_pkthdr h = { .ts = *tv };
	__u64 need;
	int err;

	h.caplen = snap(pri_len);
	h.len = pri_len;
	errno = 0;
	pcap_dump((u_char *)pl->dump, &h, pri_len ? pri : none);
	h.caplen = snap(sec_len);
	h.len = sec_len;
	pcap_dump((u_char *)pl->dump, &h, sec_len ? sec : none);
	if (!pcap_dump_flush(pl->dump) && !ferror(f)) {
		need = 2 * PCAP_LOG_REC_HDR + snap(pri_len) + snap(sec_len);
		pl->file_bytes += need;
		pl->st.bytes += need;
		return 0;
	}
	err = errno ? -errno : -EIO;
	clearerr(f);
	if (ftruncate(fileno(f), (off_t)pl->file_bytes) ||
	    fseeko(f, (off_t)pl->file_bytes, SEEK_SET))
		close_file(pl);
	return err;
}

int pcap_log_pair(struct pcap_log *pl, const void *pri, __u32 pri_len,
		  const void *sec, __u32 sec_len, const struct timespec *ts)
{
	struct timespec now;
	struct timeval tv;
	__u64 need;
	int err;

	if (!pl)
		return -EINVAL;
	if (!pri)
		pri_len = 0;
	if (!sec)
		sec_len = 0;
	need = 2 * PCAP_LOG_REC_HDR + snap(pri_len) + snap(sec_len);
	if (PCAP_LOG_FILE_HDR + need > pl->max_bytes) {
		pl->st.dropped_over_limit++;
		return -EFBIG;
	}
	if (pl->dump && pl->file_bytes + need > pl->max_bytes) {
		close_file(pl);
		pl->retry_ns = 0; /* a rotation, not a retry */
	}
	if (!pl->dump) {
		err = try_start(pl);
		if (err) {
			pl->st.write_errors++;
			return err;
		}
	}

	if (!ts) {
		clock_gettime(CLOCK_REALTIME, &now);
		ts = &now;
	}
	tv.tv_sec = ts->tv_sec;
	tv.tv_usec = ts->tv_nsec / 1000;
	if (tv.tv_usec < 0 || tv.tv_usec > 999999)
		tv.tv_usec = 0;

	err = write_pair(pl, pri, pri_len, sec, sec_len, &tv);
	if (err) {
		pl->st.write_errors++;
		if (!pl->failing)
			pr_warn("Failed to write pcap file %s: %s\n", pl->path,
				strerror(-err));
		pl->failing = true;
		return err;
	}
	if (pl->failing)
		pr_info("Writing pcap file %s again\n", pl->path);
	pl->failing = false;
	pl->st.pairs++;
	pl->st.frames += (pri_len != 0) + (sec_len != 0);
	return 0;
}

int pcap_log_reopen(struct pcap_log *pl)
{
	if (!pl)
		return -EINVAL;
	close_file(pl);
	pl->retry_ns = 0;
	/* A new failure deserves its own log line. */
	pl->failing = false;
	return try_start(pl);
}

void pcap_log_close(struct pcap_log *pl)
{
	if (!pl)
		return;
	close_file(pl);
	if (pl->dead)
		pcap_close(pl->dead);
	free(pl->from);
	free(pl->path);
	free(pl);
}

void pcap_log_get_stats(const struct pcap_log *pl, struct pcap_log_stats *st)
{
	*st = pl->st;
	st->file_bytes = pl->file_bytes;
}
