# make check-valgrind: the end-to-end suite on SQLite and on a throwaway
# PostgreSQL server, every sessctl run under valgrind memcheck (definite
# leaks and every memory error fail; tests/valgrind.sh). Not part of make
# check: every run is 20-50 times slower under valgrind. Uses the plain
# build (valgrind and ASan exclude each other: SANITIZE must be empty).
check-valgrind:
ifdef SANITIZE
	$(error check-valgrind runs the plain build: leave SANITIZE empty)
endif
	$(MAKE) build/sessctl $(MODULES) $(TEST_E2E_BIN)
	tests/valgrind.sh build

.PHONY: check-valgrind
