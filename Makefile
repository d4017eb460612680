# sessctl: see README.md. `make` builds ./sessctl, `make check` runs every test.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
DESTDIR ?=
VERSION := 0.1.0

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := sqlite3 libpq

# deps, demo and check install missing Debian packages themselves first.
ifeq ($(filter-out deps demo check clean uninstall,$(MAKECMDGOALS)),$(MAKECMDGOALS))
ifneq ($(shell $(PKG_CONFIG) --exists $(PKGS) && echo ok),ok)
$(error missing libraries ($(PKGS)): run 'make deps' (Debian) or install their -dev packages)
endif
ifeq ($(wildcard /usr/include/csv.h /usr/local/include/csv.h),)
$(error libcsv is missing: run 'make deps' (Debian package libcsv-dev))
endif
endif

WARNINGS := -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wold-style-definition -Wvla -Wnull-dereference \
	-Wcast-qual -Wwrite-strings -Wundef
CFLAGS ?= -O2 -g
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -DSESSCTL_VERSION='"$(VERSION)"'
ALL_CFLAGS := -std=c11 $(WARNINGS) $(CFLAGS) $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LDLIBS += $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lcsv

ifdef SANITIZE
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

BUILD := build$(if $(SANITIZE),-san)
SRC := $(wildcard src/*.c)
CLI := $(wildcard cli/*.c)
SRC_OBJ := $(SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI:%.c=$(BUILD)/%.o)

all: $(if $(SANITIZE),$(BUILD)/sessctl,sessctl)

# ./sessctl is always the plain build; a SANITIZE build stays in build-san/.
sessctl: build/sessctl
	cp $< $@

ifdef SANITIZE
build/sessctl:
	$(MAKE) SANITIZE= build/sessctl
endif

$(BUILD)/sessctl: $(SRC_OBJ) $(CLI_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libsessctl.a: $(SRC_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) -MMD -MP -c -o $@ $<

-include $(SRC_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

include tests/tests.mk
# make bench (bench/bench.mk) and make fuzz (fuzz/fuzz.mk): their own targets,
# never part of make check's default work.
-include bench/bench.mk
-include fuzz/fuzz.mk

deps:
	./scripts/install-deps

INSTALLED := $(BINDIR)/sessctl $(MANDIR)/man1/sessctl.1 $(BASHCOMPDIR)/sessctl \
	$(ZSHCOMPDIR)/_sessctl $(FISHCOMPDIR)/sessctl.fish

install: $(BUILD)/sessctl
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 755 $(BUILD)/sessctl $(DESTDIR)$(BINDIR)/sessctl
	install -m 644 man/sessctl.1 $(DESTDIR)$(MANDIR)/man1/sessctl.1
	install -m 644 completions/sessctl.bash $(DESTDIR)$(BASHCOMPDIR)/sessctl
	install -m 644 completions/_sessctl $(DESTDIR)$(ZSHCOMPDIR)/_sessctl
	install -m 644 completions/sessctl.fish $(DESTDIR)$(FISHCOMPDIR)/sessctl.fish

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

# One command on a fresh Debian machine: packages, build, demo database,
# and the main job: one user's sessions.
demo:
	./scripts/install-deps
	$(MAKE) sessctl
	rm -f demo.db
	./demo/make-demo demo.db
	./sessctl --db demo.db list-user alice@example.com --all

clean:
	rm -rf build build-san sessctl demo.db

.PHONY: all deps install uninstall demo clean check
