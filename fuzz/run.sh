#!/bin/bash
# fuzz/run.sh BUILD SECONDS TARGET...: runs each libFuzzer target for
# SECONDS from its committed seeds (fuzz/corpus/TARGET) and the corpus of
# earlier runs (BUILD/corpus/TARGET), prints its executions, and fails on
# the first target that finds a defect (its input is in BUILD/artifacts/).
set -euo pipefail

build=$1 seconds=$2
shift 2
mkdir -p "$build/artifacts"
status=0
for t in "$@"; do
	seeds=fuzz/corpus/$t work=$build/corpus/$t log=$build/$t.log
	[[ -d $seeds ]] || { echo "fuzz: no seed corpus $seeds" >&2; exit 1; }
	mkdir -p "$work"
	if "$build/$t" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$build/artifacts/$t-" "$work" "$seeds" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
		printf 'fuzz %-14s %12s execs in %s s, %s\n' "$t" "${execs:-?}" "$seconds" "${cov:-cov: ?}"
	else
		echo "fuzz $t: FAILED, see $log; input in $build/artifacts/" >&2
		grep -m5 -E 'check failed|ERROR: |runtime error' "$log" >&2 || tail -20 "$log" >&2
		status=1
	fi
done
exit $status
