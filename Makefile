# vmcore-unzram top-level Makefile (GNU make).
#
#   make            build release binaries into build/release/
#   make check      set up (installs Debian packages), build under ASan+UBSan, run all tests
#   make demo       set up, build, generate a real-kernel dump, show before/after
#   make bench      speed/memory ratios on the largest fixture
#   make fuzz       run every fuzz target for FUZZ_SECONDS each (libFuzzer, clang)
#   make mutate     scripted mutations of the core paths; the suite must kill each (tests/mutate/run)
#   make install    PREFIX=/usr/local DESTDIR=
#   make deb        a Debian package in build/deb/ (tools/mkdeb.sh; tested by
#                   tests/integration/deb.sh in a fresh Debian root)
#   make clean
#
# VARIANT=release|asan|tsan selects the build directory and flags (tsan:
# ThreadSanitizer, for the -j decoding threads: tests/integration/tsan-jobs.sh).

VARIANT ?= release
BUILD   := build/$(VARIANT)
PREFIX  ?= /usr/local
# dracut looks for modules in its own directory, whatever PREFIX is.
DRACUTDIR ?= /usr/lib/dracut
DESTDIR ?=
VERSION := 0.1.0
FUZZ_SECONDS ?= 60

PKGS := libdw libelf liblz4 lzo2 libzstd zlib libbpf snappy
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CC ?= cc
WARN   := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
COMMON := -Itests/unit -Itests/lib -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DUZ_VERSION='"$(VERSION)"' -g $(WARN) -Ilib $(PKG_CFLAGS)
ifeq ($(VARIANT),asan)
  OPT := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else ifeq ($(VARIANT),tsan)
  OPT := -O1 -fno-omit-frame-pointer -fsanitize=thread
else
  # Debian's hardening defaults (dpkg-buildflags): the package ships this build.
  OPT := -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -Wl,-z,relro -Wl,-z,now
endif
CFLAGS ?=
ALL_CFLAGS  := $(COMMON) $(OPT) $(CFLAGS)
LDLIBS := $(PKG_LIBS) -lpthread -lm

LIB_SRC  := $(sort $(shell find lib -name '*.c'))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBUZ    := $(BUILD)/libuz.a
# Test-only code (synthetic dump writer): linked into tests, tools and fuzz
# targets, never into the programs.
TESTLIB_SRC := $(sort $(wildcard tests/lib/*.c))
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(BUILD)/%.o)
LIBUZTEST   := $(BUILD)/libuztest.a

POSTPROC_SRC := $(sort $(wildcard postproc/*.c))
FILTER_SRC   := $(sort $(wildcard filter/*.c))
UNIT_SRC     := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN     := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
# Every fuzz target also as a plain program for make check (tests/fuzz/replay.c).
REPLAY_BIN   := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(BUILD)/tests/replay_%)
HELPER_SRC   := $(sort $(wildcard tests/tools/*.c))
HELPER_BIN   := $(HELPER_SRC:tests/tools/%.c=$(BUILD)/tests/%)

FRONTEND_SRC := $(sort $(wildcard filter/frontend/*.c))

PROGRAMS := $(if $(POSTPROC_SRC),$(BUILD)/vmcore-unzram) $(if $(FILTER_SRC),$(BUILD)/zram-keep) \
	$(if $(FRONTEND_SRC),$(BUILD)/makedumpfile-zram)

.SECONDARY:
.PHONY: all check unit demo bench fuzz install clean setup deb mutate
all: $(LIBUZ) $(PROGRAMS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIBUZ): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBUZTEST): $(TESTLIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/vmcore-unzram: $(POSTPROC_SRC:%.c=$(BUILD)/%.o) $(LIBUZ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/zram-keep: $(FILTER_SRC:%.c=$(BUILD)/%.o) $(LIBUZ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# The makedumpfile front-end runs in kdump environments: only lib/error from
# libuz, and none of the dump libraries' shared objects.
$(BUILD)/makedumpfile-zram: $(FRONTEND_SRC:%.c=$(BUILD)/%.o) $(LIBUZ)
	$(CC) $(ALL_CFLAGS) -o $@ $^

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBUZTEST) $(LIBUZ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/tools/%.o $(LIBUZTEST) $(LIBUZ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o $(LIBUZTEST) $(LIBUZ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

unit: $(LIBUZ) $(PROGRAMS) $(UNIT_BIN) $(HELPER_BIN) $(REPLAY_BIN)

setup:
	bash tools/setup.sh all

# The README's test command.  Builds under ASan+UBSan and runs everything.
check: setup
	$(MAKE) VARIANT=release all
	$(MAKE) VARIANT=asan unit
	$(MAKE) VARIANT=tsan all
	bash tests/run --build build/asan

demo: setup
	$(MAKE) VARIANT=release all $(HELPER_BIN)
	bash tests/demo --build build/release

bench: setup
	$(MAKE) VARIANT=release all $(HELPER_BIN)
	bash tests/bench/run --build build/release

# libFuzzer targets: clang, ASan+UBSan, the library rebuilt with coverage.
FUZZ_BUILD := build/fuzz
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -g -O1 $(WARN) -Ilib $(PKG_CFLAGS) \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(TESTLIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	clang -Itests/lib $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	clang -Itests/lib $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
fuzz-build: $(FUZZ_BIN)
fuzz: setup
	$(MAKE) fuzz-build
	$(MAKE) VARIANT=release all
	bash tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_BUILD)

# Can the suite fail?  Each mutation is applied to a scratch copy of the tree.
mutate:
	$(MAKE) VARIANT=release all
	bash tests/mutate/run

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 filter/kdump/kdump-tools-hook $(DESTDIR)$(PREFIX)/sbin/
	install -d $(DESTDIR)$(DRACUTDIR)/modules.d/99zram-keep
	install -m 0755 filter/kdump/dracut/99zram-keep/module-setup.sh $(DESTDIR)$(DRACUTDIR)/modules.d/99zram-keep/
	for m in docs/*.8; do [ -e "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(PREFIX)/share/man/man8/; done; true

clean:
	rm -rf build

# Every object's header dependencies (library, programs, tests, tools, fuzz),
# so a header change rebuilds everything that includes it.
-include $(shell find $(BUILD) $(FUZZ_BUILD) -name '*.d' 2>/dev/null)

# A Debian package of the release build (binaries, man pages, the
# kdump-tools hook, maintainer scripts that undo the hook on removal).
deb: setup
	$(MAKE) VARIANT=release all
	bash tools/mkdeb.sh build/release build/deb $(VERSION)
