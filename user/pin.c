// SPDX-License-Identifier: GPL-2.0
/* pin.c - pinning an instance's BPF programs and maps for operators' tools. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "log.h"
#include "pin.h"

/* bpffs must be mounted at the root's parent; mount it if it is not. */
static int ensure_bpffs(void)
{
	struct statfs st;

	if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		pr_warn("Failed to mount bpffs on /sys/fs/bpf: %s\n",
			strerror(errno));
		return -errno;
	}
	return 0;
}

/* Empties dir of the files a crashed instance left. */
static void remove_files(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

int pin_all(struct bpf_object *obj, const char *name, char *dir, size_t len)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	char path[PATH_MAX];
	int err;

	dir[0] = '\0';
	err = ensure_bpffs();
	if (err)
		return err;
	if (mkdir(COLO_PIN_ROOT, 0700) && errno != EEXIST)
		goto err_mkdir;
	snprintf(path, sizeof(path), "%s/%s", COLO_PIN_ROOT, name);
	if (mkdir(path, 0700) && errno != EEXIST)
		goto err_mkdir;
	snprintf(dir, len, "%s", path);
	remove_files(dir);

	bpf_object__for_each_program(prog, obj) {
		snprintf(path, sizeof(path), "%s/%s", dir, bpf_program__name(prog));
		err = bpf_program__pin(prog, path);
		if (err)
			goto err_pin;
	}
	bpf_object__for_each_map(map, obj) {
		/* .rodata and friends are internal: nothing to manage there */
		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map));
		err = bpf_map__pin(map, path);
		if (err)
			goto err_pin;
	}
	return 0;

err_mkdir:
	err = -errno;
	pr_warn("Failed to create %s/%s: %s\n", COLO_PIN_ROOT, name,
		strerror(-err));
	return err;
err_pin:
	pr_warn("Failed to pin %s: %s\n", path, strerror(-err));
	unpin_all(dir);
	dir[0] = '\0';
	return err;
}

void unpin_all(const char *dir)
{
	if (!dir[0])
		return;
	remove_files(dir);
	if (rmdir(dir) && errno != ENOENT)
		pr_warn("Failed to remove %s: %s\n", dir, strerror(errno));
	rmdir(COLO_PIN_ROOT); /* only if no other instance uses it */
}
