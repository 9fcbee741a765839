/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pin.h - an instance's programs and maps pinned in bpffs, for bpftool and
 * xdp-loader: /sys/fs/bpf/colo-xdp/NAME/<program or map name>.
 *
 *   colo_xdp_primary colo_xdp_secondary colo_tc_mirror colo_tc_failopen
 *   colo_xsks_pri colo_xsks_sec colo_stats colo_conns colo_seq
 *
 * Pins are made after load, replaced if an earlier instance crashed and
 * left them, and removed on a clean exit.
 */
#ifndef COLO_PIN_H
#define COLO_PIN_H

#include <stddef.h>
#include <bpf/libbpf.h>

#ifndef COLO_PIN_ROOT
#define COLO_PIN_ROOT "/sys/fs/bpf/colo-xdp"
#endif

/* Pins every program and map of obj under COLO_PIN_ROOT/name; fills dir. */
int pin_all(struct bpf_object *obj, const char *name, char *dir, size_t len);
/* Removes the pins and the directory (no-op if dir is empty). */
void unpin_all(const char *dir);

#endif /* COLO_PIN_H */
