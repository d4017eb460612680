# libFuzzer targets for the parsers and encoders (issue 11), included by the
# top Makefile. They need clang and its runtime (Debian: clang,
# libclang-rt-14-dev); they compile the sources they test directly, with
# -fsanitize=fuzzer,address,undefined, into build-fuzz/.
#
#   make fuzz                       run each target FUZZ_SECONDS (60) seconds
#   make fuzz FUZZ_SECONDS=3600     a long run
#   make fuzz-smoke                 each for FUZZ_SMOKE_SECONDS (20): for CI
#   make fuzz FUZZ_TARGETS=fuzz_csv just one
#   make fuzz-build                 only build them
#
# Each run starts from the committed seeds in fuzz/corpus/TARGET and keeps
# what it finds in build-fuzz/corpus/TARGET (reused by the next run, never
# committed by itself). A failure leaves the input in
# build-fuzz/artifacts/; replay it with build-fuzz/TARGET FILE. Each run
# prints its number of executions.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_BUILD := build-fuzz
FUZZ_CFLAGS := -std=c11 -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -DSESSCTL_VERSION='"$(VERSION)"' \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)

FUZZ_TARGETS ?= fuzz_duration fuzz_time fuzz_userref fuzz_ipnet fuzz_utf8 fuzz_json fuzz_csv \
	fuzz_dburl

# The sources and libraries each target is built from.
FUZZ_OUTPUT_SRC := src/output.c src/output-json.c src/output-csv.c src/output-table.c \
	src/timeutil.c src/utf8.c src/error.c
fuzz_duration_SRC := src/timeutil.c
fuzz_time_SRC := src/timeutil.c
fuzz_userref_SRC := src/domain.c src/error.c
fuzz_ipnet_SRC := src/domain.c src/error.c
fuzz_utf8_SRC := src/utf8.c
fuzz_json_SRC := $(FUZZ_OUTPUT_SRC)
fuzz_json_LIBS := -lcsv
fuzz_csv_SRC := $(FUZZ_OUTPUT_SRC)
fuzz_csv_LIBS := -lcsv

# Database URLs and their redaction: the core's URL parsing and the
# PostgreSQL backend's check of its display against libpq's parser, with
# what they need of the rest (the module's files and the core).
fuzz_dburl_SRC := $(wildcard src/*.c) \
	$(wildcard src/backends/postgres/*.c) src/backends/sqlite/info.c
fuzz_dburl_LIBS := $(shell $(PKG_CONFIG) --libs libpq 2>/dev/null) -lcsv -ldl

.SECONDEXPANSION:
$(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%): $(FUZZ_BUILD)/%: fuzz/%.c fuzz/fuzz.h fuzz/rows.h $$($$*_SRC) \
		$(wildcard src/*.h src/backends/*/*.h)
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ fuzz/$*.c $($*_SRC) $($*_LIBS)

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)

fuzz: fuzz-build
	@fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	@fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

.PHONY: fuzz fuzz-build fuzz-smoke fuzz-clean
