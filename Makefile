# sessctl: see README.md. `make` builds ./sessctl, `make check` runs every test.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
LIBDIR ?= $(PREFIX)/lib
MODULEDIR ?= $(LIBDIR)/sessctl
DESTDIR ?=
VERSION := 0.1.0

CC ?= cc
PKG_CONFIG ?= pkg-config

# Backends: each folder src/backends/NAME has a backend.mk that adds NAME
# to BACKENDS and says which of its files are linked into sessctl
# (NAME_CORE), which make up its module sessctl-NAME.so (NAME_MODULE,
# empty for a backend linked in whole) and which pkg-config packages it
# needs (NAME_PKGS). See HACKING.md.
BACKENDS :=
include $(sort $(wildcard src/backends/*/backend.mk))
PKGS := $(sort $(foreach b,$(BACKENDS),$($(b)_PKGS)))
CORE_PKGS := $(foreach b,$(BACKENDS),$(if $($(b)_MODULE),,$($(b)_PKGS)))
MODULE_BACKENDS := $(foreach b,$(BACKENDS),$(if $($(b)_MODULE),$(b)))

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
LDLIBS += $(shell $(PKG_CONFIG) --libs $(CORE_PKGS) 2>/dev/null) -lcsv -ldl
# Modules call back into the core: sessctl exports its symbols to them.
EXE_LDFLAGS := -rdynamic

ifdef SANITIZE
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

BUILD := build$(if $(SANITIZE),-san)
SRC := $(wildcard src/*.c) $(foreach b,$(BACKENDS),$($(b)_CORE))
CLI := $(wildcard cli/*.c)
SRC_OBJ := $(SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI:%.c=$(BUILD)/%.o)
MODULE_NAMES := $(MODULE_BACKENDS:%=sessctl-%.so)
MODULES := $(MODULE_NAMES:%=$(BUILD)/%)
MODULE_OBJ := $(foreach b,$(MODULE_BACKENDS),$($(b)_MODULE:%.c=$(BUILD)/pic/%.o))

all: $(if $(SANITIZE),$(BUILD)/sessctl $(MODULES),sessctl)

# ./sessctl (with its modules beside it) is always the plain build; a
# SANITIZE build stays in build-san/.
sessctl: build/sessctl $(MODULE_NAMES:%=build/%)
	cp build/sessctl $(MODULE_NAMES:%=build/%) .

ifdef SANITIZE
build/sessctl $(MODULE_NAMES:%=build/%):
	$(MAKE) SANITIZE= $@
endif

$(BUILD)/sessctl: $(SRC_OBJ) $(CLI_OBJ) | $(MODULES)
	$(CC) $(LDFLAGS) $(EXE_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libsessctl.a: $(SRC_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

# A module: position-independent, only its entry point visible, linked
# with its own libraries.
define module_rule
$(BUILD)/sessctl-$(1).so: $($(1)_MODULE:%.c=$(BUILD)/pic/%.o)
	$$(CC) $$(LDFLAGS) -shared -o $$@ $$^ $$(shell $$(PKG_CONFIG) --libs $($(1)_PKGS))
endef
$(foreach b,$(MODULE_BACKENDS),$(eval $(call module_rule,$(b))))

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden $(CPPFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) -MMD -MP -c -o $@ $<

# Where an installed sessctl looks for its modules: a generated header,
# rewritten only when MODULEDIR changes, so `make install PREFIX=/usr`
# rebuilds what depends on it.
$(BUILD)/moduledir.h: FORCE
	@mkdir -p $(BUILD)
	@echo '#define SESSCTL_MODULEDIR "$(MODULEDIR)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(BUILD)/src/registry.o: $(BUILD)/moduledir.h
$(BUILD)/src/registry.o: CPPFLAGS += -include $(BUILD)/moduledir.h

-include $(SRC_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(MODULE_OBJ:.o=.d)

include tests/tests.mk
# make bench (bench/bench.mk) and make fuzz (fuzz/fuzz.mk): their own targets,
# never part of make check's default work.
-include bench/bench.mk
-include fuzz/fuzz.mk

deps:
	./scripts/install-deps

INSTALLED := $(BINDIR)/sessctl $(MODULE_NAMES:%=$(MODULEDIR)/%) $(MANDIR)/man1/sessctl.1 \
	$(BASHCOMPDIR)/sessctl $(ZSHCOMPDIR)/_sessctl $(FISHCOMPDIR)/sessctl.fish

install: $(BUILD)/sessctl $(MODULES)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MODULEDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 755 $(BUILD)/sessctl $(DESTDIR)$(BINDIR)/sessctl
	install -m 644 $(MODULES) $(DESTDIR)$(MODULEDIR)/
	# The page names the default module directory; installed, its own.
	sed 's|/usr/local/lib/sessctl|$(MODULEDIR)|g' man/sessctl.1 >$(DESTDIR)$(MANDIR)/man1/sessctl.1
	chmod 644 $(DESTDIR)$(MANDIR)/man1/sessctl.1
	install -m 644 completions/sessctl.bash $(DESTDIR)$(BASHCOMPDIR)/sessctl
	install -m 644 completions/_sessctl $(DESTDIR)$(ZSHCOMPDIR)/_sessctl
	install -m 644 completions/sessctl.fish $(DESTDIR)$(FISHCOMPDIR)/sessctl.fish

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(MODULEDIR) 2>/dev/null

# One command on a fresh Debian machine: packages, build, demo database,
# and the main job: one user's sessions.
demo:
	./scripts/install-deps
	$(MAKE) sessctl
	rm -f demo.db
	./demo/make-demo demo.db
	./sessctl --db demo.db list-user alice@example.com --all

clean:
	rm -rf build build-san build-fuzz sessctl $(MODULE_NAMES) demo.db

.PHONY: all deps install uninstall demo clean check FORCE
