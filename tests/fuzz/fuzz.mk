# SPDX-License-Identifier: GPL-2.0
#
# fuzz.mk - the libFuzzer targets, included by the top Makefile after its
# own variables (OUT, USER_HDRS, SHARED_HDRS, PKG_CFLAGS, Q, msg).
#
#   make fuzz             build $(OUT)/fuzz/fuzz_* and run each one for
#                         FUZZ_SECONDS (60) on a scratch copy of its seed
#                         corpus (tests/fuzz/corpus/NAME); fails if any
#                         finds a crash, a leak or a broken invariant
#   make fuzz FUZZ_SECONDS=0    replay the seed corpora only (seconds)
#   make fuzz FUZZ_TARGETS="fuzz_parse fuzz_ctl"   some of them
#   make fuzz-build       build only
#
# Each target is one tests/fuzz/fuzz_NAME.c compiled with clang together
# with the user/*.c files it exercises (listed below), all instrumented:
# libFuzzer's coverage, ASan and UBSan (every UBSan report fatal).
#
# Also: with SANITIZE=1, sanitizer reports stop the program that has them
# (UBSan's would not by default) and leaks are checked at exit, for every
# test that `make check SANITIZE=1` runs. Values already in the
# environment win.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(OUT)/fuzz
FUZZ_NAMES   := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_BINS    := $(addprefix $(FUZZ_DIR)/,$(FUZZ_NAMES))

FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -fno-omit-frame-pointer \
		-Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
		-Iinclude -Iuser -Itests -Itests/fuzz $(PKG_CFLAGS)

# What each target links besides its own file (no libbpf: log_print is
# stubbed in the harnesses that need it).
FUZZ_SRCS_fuzz_parse   :=
FUZZ_SRCS_fuzz_compare := user/compare.c user/compare_dgram.c \
			  user/compare_tcp.c user/conntable.c user/csum.c
FUZZ_SRCS_fuzz_ctl     := user/ctl.c
FUZZ_SRCS_fuzz_notify  := user/notify.c
FUZZ_LIBS_fuzz_ctl     := $(shell pkg-config --libs json-c 2>/dev/null)

ifeq ($(SANITIZE),1)
export ASAN_OPTIONS ?= halt_on_error=1:abort_on_error=1:print_stacktrace=1:detect_leaks=1
export UBSAN_OPTIONS ?= halt_on_error=1:abort_on_error=1:print_stacktrace=1
endif

# Whatever includes this, `all` stays the default goal.
fuzz_saved_goal := $(.DEFAULT_GOAL)

.PHONY: fuzz fuzz-build

$(FUZZ_DIR):
	$(Q)mkdir -p $@

define fuzz_rule
$(FUZZ_DIR)/$(1): tests/fuzz/$(1).c tests/fuzz/fuzz_util.h tests/frames.h \
		$(FUZZ_SRCS_$(1)) $(USER_HDRS) $(SHARED_HDRS) | $(FUZZ_DIR)
	$$(call msg,FUZZ,$$@)
	$$(Q)$$(FUZZ_CC) $$(FUZZ_CFLAGS) $$< $$(FUZZ_SRCS_$(1)) \
		$$(FUZZ_LIBS_$(1)) -o $$@
endef
$(foreach t,$(FUZZ_NAMES),$(eval $(call fuzz_rule,$(t))))

fuzz-build: $(FUZZ_BINS)

fuzz: $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))
	$(Q)./tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

.DEFAULT_GOAL := $(fuzz_saved_goal)
