#!/bin/bash
# A short run of every libFuzzer target (fuzz/, issue 11): each target for
# FUZZ_SMOKE_SECONDS (10 here unless set) from its committed seeds. One
# check per target; a target that finds a defect fails its check and
# leaves the input in build-fuzz/artifacts/. `make fuzz` runs them long
# (fuzz/README.md).
#
#   tests/check-fuzz.sh SESSCTL   (the binary is not used: the targets
#                                  link the parsers and writers directly)
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SMOKE_SECONDS:-10}
passed=0
failed=0

check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok   $what"
		passed=$((passed + 1))
	else
		echo "FAIL $what"
		failed=$((failed + 1))
	fi
}

cd "$here" || exit 1
if ! make --no-print-directory -s fuzz-build >build-fuzz.log 2>&1; then
	cat build-fuzz.log >&2
	check "the fuzz targets build (clang with libFuzzer: 'make deps')" false
else
	for t in $(make --no-print-directory -s -f Makefile -f - fuzz-targets-list <<<'fuzz-targets-list: ; @echo $(FUZZ_TARGETS)' 2>/dev/null); do
		check "$t runs ${seconds} s without a finding" fuzz/run.sh build-fuzz "$seconds" "$t"
	done
fi
rm -f build-fuzz.log
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
