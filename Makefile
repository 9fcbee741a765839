# SPDX-License-Identifier: GPL-2.0
#
# colo-xdp: BPF objects and their skeletons, the colo-xdp binary, the tests
# and the tools. Everything built goes to .output/.
#
#   make            build everything
#   make deps       install the Debian packages that are missing
#   make check      deps, build, then unit, BPF and integration tests
#   make demo       namespaces with a client, a primary and a secondary VM
#   make demo-vm    the same with two QEMU guests on taps (TCG; fetches a
#                   Debian cloud kernel once)
#   make bench      benchmark: vs a plain AF_XDP forwarder and a Linux bridge,
#                   UDP throughput/latency, TCP, memory, profile
#   make fuzz       libFuzzer targets, FUZZ_SECONDS (60) each
#   make check SANITIZE=1 OUT=.output-asan   everything with ASan and UBSan
#   make vmlinux    regenerate vmlinux.h from the running kernel's BTF
#   make install    colo-xdp to $(PREFIX)/sbin, BPF objects to $(BPFDIR) (the
#                   daemon embeds its own; these are for xdp-loader), systemd unit

OUT        := .output
CLANG      ?= clang
BPFTOOL    ?= bpftool
CC         ?= gcc
PREFIX     ?= /usr/local
BPFDIR     ?= $(PREFIX)/lib/colo-xdp
ARCH       := $(shell uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')

PKGS       := libbpf libxdp json-c libpcap
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS     ?= -g -O2
CFLAGS     += -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -Iinclude -I$(OUT) \
	      $(PKG_CFLAGS)
LDLIBS     += $(PKG_LIBS) -lelf -lz

# make check SANITIZE=1 builds everything with ASan and UBSan.
ifeq ($(SANITIZE),1)
CFLAGS     += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=address,undefined
endif

# clang's default system includes, so BPF code finds asm/ headers
# (libbpf-bootstrap's trick).
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Wno-compare-distinct-pointer-types -I. -Iinclude -Ibpf

BPF_SRCS    := $(wildcard bpf/*.bpf.c)
BPF_OBJS    := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS       := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
BPF_HDRS    := $(wildcard bpf/*.h)
SHARED_HDRS := $(wildcard include/*.h)

USER_SRCS   := $(wildcard user/*.c)
USER_OBJS   := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
# Everything but main() links into the test binaries too.
LIB_OBJS    := $(filter-out $(OUT)/user/main.o,$(USER_OBJS))
USER_HDRS   := $(wildcard user/*.h)

TEST_SRCS   := $(wildcard tests/unit/test_*.c tests/bpf/test_*.c)
TEST_BINS   := $(patsubst tests/%.c,$(OUT)/tests/%,$(TEST_SRCS))
TOOL_SRCS   := $(wildcard tools/*.c)
TOOL_BINS   := $(patsubst tools/%.c,$(OUT)/tools/%,$(TOOL_SRCS))

ifeq ($(V),1)
Q   :=
msg :=
else
Q   := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps check test test-unit test-bpf test-integ demo demo-vm bench clean \
	install format vmlinux

all: $(OUT)/colo-xdp $(BPF_OBJS) $(TEST_BINS) $(TOOL_BINS)

$(OUT) $(OUT)/user $(OUT)/tests/unit $(OUT)/tests/bpf $(OUT)/tools:
	$(Q)mkdir -p $@

$(OUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(SHARED_HDRS) vmlinux.h | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(CLANG_BPF_SYS_INCLUDES) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(OUT)/user/%.o: user/%.c $(USER_HDRS) $(SHARED_HDRS) $(SKELS) | $(OUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/colo-xdp: $(USER_OBJS) $(BPF_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $(USER_OBJS) $(LDLIBS) -o $@

$(OUT)/tests/%: tests/%.c tests/test_util.h tests/frames.h tests/bpf_counters.h $(LIB_OBJS) $(SKELS) \
		$(USER_HDRS) $(SHARED_HDRS) | $(OUT)/tests/unit $(OUT)/tests/bpf
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser -Itests $(LDFLAGS) $< $(LIB_OBJS) $(LDLIBS) -o $@

# Test helpers are built without sanitizers even with SANITIZE=1: what is
# checked is colo-xdp, and a sanitized udp_echo would outlive its test.
TOOL_CFLAGS  := $(filter-out -fsanitize=% -fno-omit-frame-pointer,$(CFLAGS))
TOOL_LDFLAGS := $(filter-out -fsanitize=%,$(LDFLAGS))

# colo_gen sends both VMs' copies of a burst in one io_uring submission.
$(OUT)/tools/colo_gen: LDLIBS += -luring

$(OUT)/tools/%: tools/%.c $(SHARED_HDRS) $(SKELS) | $(OUT)/tools
	$(call msg,TOOL,$@)
	$(Q)$(CC) $(TOOL_CFLAGS) $(TOOL_LDFLAGS) $< $(LDLIBS) -lm -o $@

# The comparator benchmark links the daemon's code, like the tests.
$(OUT)/tools/cmp_bench: tools/cmp_bench.c tests/frames.h $(LIB_OBJS) $(SHARED_HDRS) \
		$(USER_HDRS) | $(OUT)/tools
	$(call msg,TOOL,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser $(LDFLAGS) $< $(LIB_OBJS) $(LDLIBS) -o $@

deps:
	$(Q)./tools/install-deps.sh

test: check
check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory test-unit test-bpf test-integ

test-unit: $(filter $(OUT)/tests/unit/%,$(TEST_BINS))
	$(Q)set -e; for t in $^; do echo "== $$t"; $$t; done

test-bpf: $(filter $(OUT)/tests/bpf/%,$(TEST_BINS))
	$(Q)set -e; for t in $^; do echo "== $$t"; $$t; done

# The binaries of this build (OUT may point at a sanitizer build).
test-integ: all
	$(Q)COLO_BIN=$(abspath $(OUT))/colo-xdp \
		ECHO_BIN=$(abspath $(OUT))/tools/udp_echo \
		GEN_BIN=$(abspath $(OUT))/tools/colo_gen ./tests/integ/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./tools/demo.sh

demo-vm: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./tools/demo-vm.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./tools/bench.sh

vmlinux:
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h

install: all
	install -D -m 0755 $(OUT)/colo-xdp $(DESTDIR)$(PREFIX)/sbin/colo-xdp
	install -D -m 0644 $(BPF_OBJS) -t $(DESTDIR)$(BPFDIR)
	install -D -m 0644 tools/colo-xdp@.service \
		$(DESTDIR)/etc/systemd/system/colo-xdp@.service
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/colo-xdp/README.md

format:
	clang-format -i $(wildcard bpf/*.c bpf/*.h include/*.h user/*.c user/*.h \
		tests/*.h tests/*/*.c tools/*.c)

clean:
	$(Q)rm -rf $(OUT) .output-asan

# libFuzzer targets: make fuzz [FUZZ_SECONDS=60]
include tests/fuzz/fuzz.mk
