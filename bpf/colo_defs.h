/* SPDX-License-Identifier: GPL-2.0 */
/*
 * colo_defs.h - constants the BPF programs need that vmlinux.h lacks.
 *
 * vmlinux.h carries the kernel's types and enums but none of its #defines,
 * and the uapi headers cannot be included next to it (redefinitions), so
 * the few macros the programs use are defined here, guarded in case a
 * future vmlinux.h or libbpf header provides them. Ethertypes and protocol
 * numbers live in colo_parse.h, which userspace shares. XDP actions and BPF map update
 * flags are enums in vmlinux.h and need nothing here.
 */
#ifndef COLO_DEFS_H
#define COLO_DEFS_H

/* tc actions, <linux/pkt_cls.h> */
#ifndef TC_ACT_UNSPEC
#define TC_ACT_UNSPEC   (-1)
#endif
#ifndef TC_ACT_OK
#define TC_ACT_OK       0
#endif
#ifndef TC_ACT_SHOT
#define TC_ACT_SHOT     2
#endif
#ifndef TC_ACT_REDIRECT
#define TC_ACT_REDIRECT 7
#endif

#endif /* COLO_DEFS_H */
