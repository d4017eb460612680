#!/bin/bash
# Runs every test program of a build and prints one summary line,
# "N passed, N failed", over all suites. Called by `make check`:
#
#   tests/run.sh BUILD_DIR
#
# 1. the unit tests (BUILD/tests/test_*);
# 2. the end-to-end suite on SQLite (e2e, then e2e-sqlite);
# 3. the same end-to-end suite on a throwaway PostgreSQL server that
#    tests/pg-server.sh starts and, whatever happens, stops and removes
#    (e2e, then e2e-postgres). It fails when the server cannot start;
#    only SESSCTL_SKIP_POSTGRES=1 skips this half;
# 4. the same again through a PgBouncer in transaction mode in front of
#    that server (tests/pgbouncer.sh): sessctl connects to the pooler, the
#    harness's fixtures and checks go to the server (e2e/pgbouncer, then
#    e2e/pgbouncer-only). A PgBouncer that cannot start is a failure too
#    (again, only SESSCTL_SKIP_POSTGRES=1 skips it), and so is a pass
#    after which the pooler has seen no transaction;
# 5. the check scripts tests/check-*.sh (man page, shell completions),
#    which end with their own "N passed, N failed" line.
#
# Criterion exits 0 when it ran nothing, and LeakSanitizer reports do not
# fail a Criterion run, so each program's "Synthesis" line is checked
# (Tested > 0, nothing failing or crashing), and every sanitizer log that
# the sessctl runs (and the test programs) wrote is searched for reports.
set -u

build=${1:?usage: tests/run.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$build" && pwd)/sessctl
tests=$(cd "$build/tests" && pwd)
jobs=${SESSCTL_TEST_JOBS:-2}

passed=0
failed=0
problems=()
pgdir=
bouncer=
work=$(mktemp -d /tmp/sccheck.XXXXXX) || exit 1
# Others may pass through (not list or write): a test that runs sessctl
# as another user (struct call.user) opens its own directory to them.
chmod 711 "$work" || exit 1

cleanup() {
	if [ -n "$bouncer" ]; then
		"$here/pgbouncer.sh" stop "$bouncer" || true
		bouncer=
	fi
	if [ -n "$pgdir" ]; then
		"$here/pg-server.sh" stop "$pgdir" || true
		pgdir=
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT TERM HUP

export SESSCTL_BIN=$bin
export SESSCTL_TEST_TMPDIR=$work
unset SESSCTL_DB SESSCTL_NOW
if [ -n "${SANITIZE:-}" ]; then
	sanitizing=1
else
	sanitizing=
fi

problem() {
	problems+=("$*")
	echo "run.sh: FAILED: $*" >&2
}

# The first N lines of standard input, indented under a problem's line
# (CI keeps only the end of the output, where the problems are listed).
quoted() { # n
	head -n "$1" | sed 's/^/    | /'
}

# Searches the sanitizer logs of dir for reports; each report file counts
# as one failure.
check_sanitizer_logs() {
	local suite=$1 dir=$2 f
	[ -d "$dir" ] || return 0
	local shown=0
	for f in "$dir"/*; do
		[ -f "$f" ] || continue
		if grep -qE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$f"; then
			if [ "$shown" -lt 3 ]; then
				echo "---- sanitizer report ($suite): $f" >&2
				head -n 60 "$f" >&2
			fi
			shown=$((shown + 1))
			failed=$((failed + 1))
			problem "$suite: sanitizer report in $(basename "$f"): $(grep -m 1 '^SUMMARY:' "$f")"
		fi
	done
}

# run_suite NAME PROGRAM [ENV=VALUE...]: runs one Criterion program and
# adds its counts to the totals.
run_suite() {
	local name=$1 prog=$2 log san line tested passing failing crashing rc start=$SECONDS
	shift 2
	log=$work/${name//\//-}.log
	san=$work/san-${name//\//-}
	mkdir -p "$san"
	echo "== $name"
	# Criterion reports on stderr: show it and keep a copy to read the
	# summary from.
	if [ -n "$sanitizing" ]; then
		env "$@" SESSCTL_TEST_SANLOG="$san" \
			ASAN_OPTIONS="log_path=$san/test:detect_leaks=1" \
			LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0" \
			UBSAN_OPTIONS="log_path=$san/test:print_stacktrace=1" \
			"$prog" -j"$jobs" --color=never 2>&1 >&3 3>&- | tee "$log" >&2
	else
		env "$@" "$prog" -j"$jobs" --color=never 2>&1 >&3 3>&- | tee "$log" >&2
	fi 3>&1
	rc=${PIPESTATUS[0]}
	echo "== $name took $((SECONDS - start)) s"
	line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep 'Synthesis: Tested:' | tail -n 1)
	if [ -z "$line" ]; then
		failed=$((failed + 1))
		problem "$name: no Criterion summary (exit status $rc): did it run at all?"
		check_sanitizer_logs "$name" "$san"
		return
	fi
	tested=$(sed -n 's/.*Tested: *\([0-9]*\).*/\1/p' <<<"$line")
	passing=$(sed -n 's/.*Passing: *\([0-9]*\).*/\1/p' <<<"$line")
	failing=$(sed -n 's/.*Failing: *\([0-9]*\).*/\1/p' <<<"$line")
	crashing=$(sed -n 's/.*Crashing: *\([0-9]*\).*/\1/p' <<<"$line")
	passed=$((passed + passing))
	failed=$((failed + failing + crashing))
	if [ "${tested:-0}" -eq 0 ]; then
		failed=$((failed + 1))
		problem "$name: ran no tests"
	elif [ "$((failing + crashing))" -gt 0 ]; then
		# Which tests, and where.
		problem "$name: $failing failing, $crashing crashing of $tested:
$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^\[FAIL\]|^\[----\] .*:[0-9]+: |^\[----\]   [^ ]' | quoted 16)"
	elif [ "$rc" -ne 0 ]; then
		failed=$((failed + 1))
		problem "$name: exit status $rc although every test passed"
	fi
	check_sanitizer_logs "$name" "$san"
}

# run_script NAME SCRIPT ARGS...: runs a check script that ends with a
# line "N passed, N failed" and adds its counts to the totals.
run_script() {
	local name=$1 script=$2 log san line p f rc
	shift 2
	log=$work/${name//\//-}.log
	san=$work/san-${name//\//-}
	mkdir -p "$san"
	echo "== $name"
	if [ -n "$sanitizing" ]; then
		ASAN_OPTIONS="log_path=$san/sessctl:detect_leaks=1" \
			UBSAN_OPTIONS="log_path=$san/sessctl:print_stacktrace=1" \
			"$script" "$@" 2>&1 | tee "$log"
	else
		"$script" "$@" 2>&1 | tee "$log"
	fi
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		failed=$((failed + 1))
		# Its last lines say why it stopped.
		problem "$name: no 'N passed, N failed' line (exit status $rc); it ended with:
$(tail -n 12 "$log" | quoted 12)"
	else
		p=${line%% passed*}
		f=${line#*passed, }
		f=${f%% failed*}
		passed=$((passed + p))
		failed=$((failed + f))
		if [ "$p" -eq 0 ]; then
			failed=$((failed + 1))
			problem "$name: ran no checks"
		elif [ "$f" -gt 0 ]; then
			problem "$name: $f failed:
$(grep -E '^FAIL |^     (expected|got): ' "$log" | quoted 12)"
		elif [ "$rc" -ne 0 ]; then
			failed=$((failed + 1))
			problem "$name: exit status $rc although every check passed"
		fi
	fi
	check_sanitizer_logs "$name" "$san"
}

# The PostgreSQL suites a third time, through PgBouncer in transaction
# mode in front of the server at $pgdir.
run_pgbouncer() {
	local before after
	if ! bouncer=$("$here/pgbouncer.sh" start "$pgdir"); then
		bouncer=
		failed=$((failed + 1))
		problem "e2e/pgbouncer: cannot start PgBouncer (see above); install pgbouncer" \
			"('make deps'), or set SESSCTL_SKIP_POSTGRES=1 to skip the PostgreSQL half on purpose"
		return
	fi
	echo "== pgbouncer at $bouncer (transaction mode, pool size 2)"
	before=$("$here/pgbouncer.sh" transactions "$bouncer") || before=
	run_suite e2e/pgbouncer "$tests/e2e" SESSCTL_TEST_BACKEND=postgres \
		SESSCTL_TEST_PGHOST="$pgdir" SESSCTL_TEST_PGBOUNCER="$bouncer" \
		SESSCTL_TEST_PGLOG="$pgdir/postgres.log"
	run_suite e2e/pgbouncer-only "$tests/e2e-postgres" SESSCTL_TEST_BACKEND=postgres \
		SESSCTL_TEST_PGHOST="$pgdir" SESSCTL_TEST_PGBOUNCER="$bouncer" \
		SESSCTL_TEST_PGLOG="$pgdir/postgres.log"
	after=$("$here/pgbouncer.sh" transactions "$bouncer") || after=
	if [ -z "$before" ] || [ -z "$after" ]; then
		failed=$((failed + 1))
		problem "e2e/pgbouncer: cannot read PgBouncer's statistics (see above)"
	elif [ "$after" -le "$before" ]; then
		failed=$((failed + 1))
		problem "e2e/pgbouncer: PgBouncer pooled no transaction: the suites bypassed it"
	else
		echo "== pgbouncer pooled $((after - before)) transactions"
	fi
	"$here/pgbouncer.sh" stop "$bouncer"
	bouncer=
}

for prog in "$tests"/test_*; do
	[ -x "$prog" ] || continue
	run_suite "unit/${prog##*/test_}" "$prog"
done

run_suite e2e/sqlite "$tests/e2e" SESSCTL_TEST_BACKEND=sqlite
run_suite e2e/sqlite-only "$tests/e2e-sqlite" SESSCTL_TEST_BACKEND=sqlite

if [ "${SESSCTL_SKIP_POSTGRES:-}" = 1 ]; then
	echo "== e2e/postgres: SKIPPED (SESSCTL_SKIP_POSTGRES=1): the PostgreSQL half did not run"
elif ! pgdir=$("$here/pg-server.sh" start); then
	pgdir=
	failed=$((failed + 1))
	problem "e2e/postgres: cannot start the throwaway PostgreSQL server (see above);" \
		"install postgresql-15 ('make deps'), or set SESSCTL_SKIP_POSTGRES=1 to skip this half on purpose"
else
	echo "== postgresql server at $pgdir"
	run_suite e2e/postgres "$tests/e2e" SESSCTL_TEST_BACKEND=postgres \
		SESSCTL_TEST_PGHOST="$pgdir" SESSCTL_TEST_PGLOG="$pgdir/postgres.log"
	run_suite e2e/postgres-only "$tests/e2e-postgres" SESSCTL_TEST_BACKEND=postgres \
		SESSCTL_TEST_PGHOST="$pgdir" SESSCTL_TEST_PGLOG="$pgdir/postgres.log"
	# The backend contract table again, now with its PostgreSQL entry.
	run_suite unit/backends-postgres "$tests/test_backends" SESSCTL_TEST_PGHOST="$pgdir" \
		SESSCTL_TEST_CONTRACT_BACKEND=postgresql
	run_pgbouncer
	"$here/pg-server.sh" stop "$pgdir"
	pgdir=
fi

# The checks of the man page and the shell completions against the binary.
for script in "$here"/check-*.sh; do
	[ -x "$script" ] || continue
	name=${script##*/check-}
	run_script "${name%.sh}" "$script" "$bin"
done

echo
for p in "${problems[@]}"; do
	echo "failed: $p"
done
echo "(all suites: $SECONDS s)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "${#problems[@]}" -eq 0 ]
