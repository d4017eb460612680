# The test suite (Criterion), included by the top Makefile.
#
#   make check                         unit tests, then the end-to-end suite
#                                      on SQLite and on a throwaway
#                                      PostgreSQL server (tests/run.sh)
#   make SANITIZE=address,undefined check
#   SESSCTL_SKIP_POSTGRES=1 make check  skip the PostgreSQL half, explicitly
#   make tests                         only build the test programs
#
# tests/test_*.c       one unit-test program per module, linked with the
#                      core (libsessctl.a)
# tests/e2e_*.c        end-to-end tests of the built binary through the
#                      harness tests/e2e.c and its drivers, one per backend,
#                      tests/e2e-driver-*.c: e2e runs on any backend
#                      (SESSCTL_TEST_BACKEND), e2e-sqlite and e2e-postgres
#                      hold the cases that only make sense on one of them

TEST_CFLAGS := $(shell $(PKG_CONFIG) --cflags criterion 2>/dev/null)
TEST_LIBS := $(shell $(PKG_CONFIG) --libs criterion 2>/dev/null)
# The end-to-end harness talks to both databases itself.
TEST_E2E_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

TEST_UNIT_SRC := $(wildcard tests/test_*.c)
TEST_UNIT_BIN := $(TEST_UNIT_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_E2E_ONLY := tests/e2e_only_sqlite.c tests/e2e_only_postgres.c
TEST_E2E_SRC := $(filter-out tests/e2e.c $(TEST_E2E_ONLY),$(wildcard tests/e2e_*.c))
TEST_HARNESS_OBJ := $(BUILD)/tests/e2e.o \
	$(patsubst tests/%.c,$(BUILD)/tests/%.o,$(wildcard tests/e2e-driver-*.c))
TEST_E2E_BIN := $(BUILD)/tests/e2e $(BUILD)/tests/e2e-sqlite $(BUILD)/tests/e2e-postgres
TEST_FAKE_OBJ := $(BUILD)/tests/fake-backend.o
TEST_OBJ := $(TEST_UNIT_SRC:%.c=$(BUILD)/%.o) $(TEST_E2E_SRC:%.c=$(BUILD)/%.o) \
	$(TEST_E2E_ONLY:%.c=$(BUILD)/%.o) $(TEST_HARNESS_OBJ) $(TEST_FAKE_OBJ)
TEST_PROGRAMS := $(TEST_UNIT_BIN) $(TEST_E2E_BIN)

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) $(CPPFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(BUILD)/libsessctl.a
	$(CC) $(LDFLAGS) $(EXE_LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LDLIBS)

# test_core runs the core over the fake in-memory backend.
$(BUILD)/tests/test_core: $(BUILD)/tests/test_core.o $(TEST_FAKE_OBJ) $(BUILD)/libsessctl.a
	$(CC) $(LDFLAGS) $(EXE_LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LDLIBS)

# test_progress includes cli/cmd-enforce.c for its progress line: the
# rest of the command line code comes with it, main() excepted.
$(BUILD)/tests/test_progress: $(BUILD)/tests/test_progress.o \
		$(filter-out $(BUILD)/cli/main.o $(BUILD)/cli/cmd-enforce.o,$(CLI_OBJ)) $(BUILD)/libsessctl.a
	$(CC) $(LDFLAGS) $(EXE_LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LDLIBS)

# test_backends runs one case table against every backend of the table,
# modules included: the whole core is linked in (a module calls back
# into it), and libpq creates its PostgreSQL databases.
$(BUILD)/tests/test_backends: $(BUILD)/tests/test_backends.o $(BUILD)/libsessctl.a | $(MODULES)
	$(CC) $(LDFLAGS) $(EXE_LDFLAGS) -o $@ $< -Wl,--whole-archive $(BUILD)/libsessctl.a \
		-Wl,--no-whole-archive $(TEST_LIBS) $(TEST_E2E_LIBS) $(LDLIBS)

$(BUILD)/tests/e2e: $(TEST_E2E_SRC:%.c=$(BUILD)/%.o) $(TEST_HARNESS_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(TEST_E2E_LIBS) $(LDLIBS)

$(BUILD)/tests/e2e-sqlite: $(BUILD)/tests/e2e_only_sqlite.o $(TEST_HARNESS_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(TEST_E2E_LIBS) $(LDLIBS)

$(BUILD)/tests/e2e-postgres: $(BUILD)/tests/e2e_only_postgres.o $(TEST_HARNESS_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(TEST_E2E_LIBS) $(LDLIBS)

-include $(TEST_OBJ:.o=.d)

tests: $(BUILD)/sessctl $(MODULES) $(TEST_PROGRAMS)

# check installs any missing Debian package first (the top Makefile skips
# its library checks for this goal), then builds and runs in a new make
# that sees the libraries.
check:
	./scripts/install-deps
	$(MAKE) check-run

check-run: $(BUILD)/sessctl $(MODULES) $(TEST_PROGRAMS)
	@SANITIZE='$(SANITIZE)' tests/run.sh '$(BUILD)'

.PHONY: tests check-run

# Keep the test objects between runs (make would delete them as
# intermediate files and rebuild them next time).
.SECONDARY: $(TEST_OBJ)
-include tests/valgrind.mk
