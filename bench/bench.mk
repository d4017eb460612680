# make bench: sessctl beside the sqlite3 and psql clients running the same
# SQL, on generated data (bench/README.md). Never part of make check.
#   make bench                   1 M sessions (slow: tens of minutes)
#   make bench BENCH_SIZE=50k    the quick size
#   make bench-smoke             2 k sessions, about a minute: checks the bench itself
BENCH_SIZE ?= 1m
BENCH_CFLAGS := -std=c11 -O2 -Wall -Wextra -Wpedantic

build/bench/gen: bench/gen.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $<

build/bench/writer: bench/writer.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(shell $(PKG_CONFIG) --cflags $(PKGS)) -o $@ $< \
		$(shell $(PKG_CONFIG) --libs $(PKGS))

bench-tools: build/bench/gen build/bench/writer

bench: sessctl bench-tools
	./scripts/install-deps bench
	bench/run.sh $(BENCH_SIZE)

bench-smoke: sessctl bench-tools
	./scripts/install-deps bench
	bench/run.sh tiny

.PHONY: bench bench-smoke bench-tools
