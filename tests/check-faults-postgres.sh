#!/bin/bash
# Fault injection on PostgreSQL (issue 11, item 13), on a throwaway server
# (tests/pg-server.sh). Each fault must leave the database consistent:
# every closed session has exactly one audit row of a closing action (and
# no active one has any), the batches sessctl committed are there, a rerun
# finishes the work and a further run changes nothing.
#
# 1. The server stopped with `pg_ctl stop -m immediate` mid-`enforce` and
#    left down: sessctl retries the lost connection for its 30 s window,
#    then exits 69 with one error line.
# 2. The same, but the server starts again 2 s later: sessctl reconnects,
#    redoes the lost batch and finishes with 0.
# 3. A connection killed by pg_terminate_backend mid-`enforce`: sessctl
#    reconnects (the server is up) and finishes with 0. SIGTERM while it
#    waits to reconnect to a server that is down: 143 at once. A bulk
#    logout whose connection is killed again and again (its reads are
#    pipelined): it reconnects each time and finishes with 0.
# 4. statement_timeout=1 (ms) through the URL's options: exit 75 saying
#    the statement timed out, nothing changed.
# 5. lock_timeout through the URL, with a conflicting row lock held from
#    another session: exit 75, nothing changed; once the lock is gone, a
#    rerun works.
# 6. PgBouncer in statement pooling mode: 78 at once, saying to use
#    transaction mode; nothing changed.
# 7-10. A PgBouncer pool that stays full; a bulk logout's COMMIT answer
#    lost; a dry run read slowly; a table lock held (each explained at
#    its section).
# 11. PgBouncer with the server down: a run whose server comes back
#    within the reconnect window finishes; one whose server stays down
#    gives up after it; a command that starts then is told at once.
# 12. The TCP keepalive defaults (and the URL's own values) reach the
#    socket.
# 13. The connection's own idle timeouts, for real: the server ends
#    sessctl's connection with idle_in_transaction_session_timeout
#    (25P03) and idle_session_timeout (57P05) while sessctl is stopped;
#    it reconnects, redoes the batch and finishes with 0.
#
#   tests/check-faults-postgres.sh SESSCTL
set -u
bin=$(cd "$(dirname "${1:?usage: check-faults-postgres.sh SESSCTL}")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
unset SESSCTL_DB SESSCTL_NOW SESSION_TIMEOUT_HOURS MAX_SESSIONS_PER_USER PGHOST PGPORT \
	PGDATABASE PGUSER PGSERVICE PGOPTIONS PGAPPNAME PGCONNECT_TIMEOUT
passed=0
failed=0
pg=
bg=
holder=
work=$(mktemp -d /tmp/scfaultpg.XXXXXX) || exit 1

cleanup() {
	# bg may lead a process group (timeout(1) and sessctl, stopped)
	if [ -n "$bg" ]; then
		kill -CONT -- -"$bg" 2>/dev/null && kill -9 -- -"$bg" 2>/dev/null
		kill -9 "$bg" 2>/dev/null && wait "$bg" 2>/dev/null
	fi
	[ -n "$holder" ] && kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null
	[ -n "${bouncer:-}" ] && "$here/pgbouncer.sh" stop "$bouncer"
	[ -n "$pg" ] && "$here/pg-server.sh" stop "$pg"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

die() {
	echo "check-faults-postgres: $*" >&2
	exit 1
}

ok() {
	echo "ok   $1"
	passed=$((passed + 1))
}

bad() {
	echo "FAIL $1"
	failed=$((failed + 1))
}

check_eq() { # what, expected, actual
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		bad "$1: expected '$2', got '$3'"
	fi
}

check_grep() { # what, extended regex, file
	if grep -qiE "$2" "$3"; then
		ok "$1"
	else
		bad "$1: no /$2/ in: $(head -c 400 "$3")"
	fi
}

bindir=/usr/lib/postgresql/15/bin
[ -x "$bindir/pg_ctl" ] || bindir=$(pg_config --bindir 2>/dev/null) || die "pg_ctl not found"
psql=$bindir/psql
pg=$("$here/pg-server.sh" start) || { pg=; die "cannot start a PostgreSQL server (install postgresql-15)"; }

as_pg() {
	(cd / && runuser -u postgres -- "$@")
}

server_stop() { # immediate, like a crash of the server
	as_pg "$bindir/pg_ctl" -D "$pg/data" -m immediate -w stop >/dev/null 2>&1 ||
		die "cannot stop the server"
}

server_start() { # (LANGUAGE: as pg-server.sh starts it)
	LANGUAGE=it as_pg "$bindir/pg_ctl" -D "$pg/data" -l "$pg/postgres.log" -w -t 60 start >/dev/null 2>&1 ||
		die "cannot start the server again"
}

# Whether the server speaks Italian to a session that asks (lc_messages;
# pg-server.sh's LANGUAGE=it, a PostgreSQL built with its translations,
# glibc's C.UTF-8); the Italian checks fail, saying so, when it does not.
speaks_italian() {
	PGOPTIONS="-c lc_messages=C.UTF-8" "$psql" -X -q -At -h "$pg" -U postgres -d postgres \
		-c "SELECT 1 / 0" 2>&1 | grep -q 'divisione per zero' && return 0
	bad "$1: the test server does not speak Italian (PostgreSQL without its translations, or no C.UTF-8 locale)"
	return 1
}

q() { # db sql
	PGAPPNAME=check-faults "$psql" -X -q -At -v ON_ERROR_STOP=1 -h "$pg" -U postgres -d "$1" -c "$2" 2>&1
}

# A commit that sessctl saw must survive an immediate stop (pg-server.sh
# turns synchronous_commit off for speed); no statement log either.
q postgres "ALTER SYSTEM SET synchronous_commit = on" >/dev/null
q postgres "ALTER SYSTEM SET log_statement = 'none'" >/dev/null
q postgres "SELECT pg_reload_conf()" >/dev/null

NOW='2025-02-08 12:00:00'
USERS=8000
enforce_args=(--now "$NOW" -o csv enforce --idle-timeout 720h --max-sessions 2
	--actor fault-test --reason faults)
CLOSING="'logout', 'logout-all', 'expire', 'over-limit'"

url() { # db [extra keywords]; through the PgBouncer in $via when set
	echo "host=${via:-$pg} dbname=$1 user=postgres${2:+ $2}"
}

# The template: users 1..USERS with devices d1..d5: d1, d2 idle since
# December (expire), d3 the oldest of the recent three (over the limit of
# 2), d4, d5 kept; and user 9000 with 20 000 recent sessions.
q postgres "CREATE DATABASE tmpl" >/dev/null || die "cannot create the template database"
"$bin" --db "$(url tmpl)" -q migrate || die "sessctl migrate failed"
q tmpl "
INSERT INTO users (id, email, username)
  SELECT u, 'u' || u || '@example.com', 'u' || u FROM generate_series(1, $USERS) u;
INSERT INTO sessions (user_id, device_fingerprint, device_name, created_at, last_activity)
  SELECT u, 'd' || k, 'device ' || k, '2024-01-01 00:00:00+00',
    CASE WHEN k <= 2 THEN timestamptz '2024-12-01 00:00:00+00' + k * interval '1 second'
         ELSE timestamptz '2025-02-08 11:00:00+00' + k * interval '1 minute' END
  FROM generate_series(1, $USERS) u, generate_series(1, 5) k;
INSERT INTO users (id, email) VALUES (9000, 'many@example.com');
INSERT INTO sessions (user_id, device_fingerprint, last_activity)
  SELECT 9000, 'bulk' || k, '2025-02-08 11:30:00+00' FROM generate_series(1, 20000) k;
ANALYZE" >/dev/null || die "cannot load the sessions"
TOTAL_CLOSE=$((3 * USERS + 20000 - 2))

newdb() { # name: a fresh copy of the template
	local out
	out=$(q postgres "CREATE DATABASE $1 TEMPLATE tmpl") || die "cannot create database $1: $out"
}

closed() { # db
	q "$1" "SELECT count(*) FROM sessions WHERE NOT is_active"
}

consistent() { # db label
	check_eq "$2: every closed session has exactly one closing audit row, no active one has any" \
		"0|0|0" "$(q "$1" "SELECT
  (SELECT count(*) FROM sessions s WHERE NOT is_active AND (SELECT count(*)
     FROM sessctl_audit a WHERE a.session_id = s.id AND a.action IN ($CLOSING)) <> 1),
  (SELECT count(*) FROM sessctl_audit a JOIN sessions s ON s.id = a.session_id
     WHERE s.is_active AND a.action IN ($CLOSING)),
  (SELECT count(*) FROM sessctl_audit WHERE action IN ($CLOSING))
    - (SELECT count(*) FROM sessions WHERE NOT is_active)")"
}

enforced() { # db label
	check_eq "$2: audit rows by action" "expire|$((2 * USERS))
over-limit|$((USERS + 19998))" \
		"$(q "$1" "SELECT action, count(*) FROM sessctl_audit GROUP BY 1 ORDER BY 1")"
	check_eq "$2: two sessions left active per user, the newest" "$((2 * USERS + 2))|0" \
		"$(q "$1" "SELECT count(*), count(*) FILTER (WHERE user_id <> 9000
		  AND device_fingerprint NOT IN ('d4', 'd5')) FROM sessions WHERE is_active")"
}

state() { # db: what a failed command must leave as it was
	q "$1" "SELECT (SELECT count(*) FROM sessions WHERE is_active), (SELECT count(*) FROM sessctl_audit),
	  (SELECT coalesce(sum(hashtext(id || ':' || is_active::text)), 0) FROM sessions)"
}

# A rerun completes, a further run changes nothing.
finish() { # db label
	local before
	"$bin" --db "$(url "$1")" "${enforce_args[@]}" >"$work/out" 2>"$work/err"
	check_eq "$2: a rerun exits 0" 0 $?
	consistent "$1" "$2, rerun"
	enforced "$1" "$2, rerun"
	before=$(state "$1")
	"$bin" --db "$(url "$1")" "${enforce_args[@]}" >"$work/out" 2>"$work/err"
	check_eq "$2: a further run exits 0 and closes nothing" "0 0,0,0" \
		"$? $(sed -n 2p "$work/out" | tr -d '\r' | cut -d, -f1-3)"
	check_eq "$2: a further run changes nothing" "$before" "$(state "$1")"
}

# Starts enforce on db in the background (batches of 50, or of
# $batch_size) and waits until N sessions are closed; false if it ended
# first or 60 s passed.
start_enforce() { # db n [sessctl options]
	local _ db=$1 n=$2
	shift 2
	timeout 120 "$bin" --db "$(url "$db" "${enforce_extra:-}")" "$@" "${enforce_args[@]}" \
		--batch-size "${batch_size:-50}" >"$work/run.out" 2>"$work/run.err" &
	bg=$!
	for _ in $(seq 1200); do
		kill -0 "$bg" 2>/dev/null || return 1
		[ "$(closed "$db")" -ge "$n" ] 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# Another session ("holder") runs SQL in an open transaction on db and
# sleeps there for 60 s: hold returns once it sleeps, release ends it.
hold() { # db sql
	PGAPPNAME=holder "$psql" -X -q -h "$pg" -U postgres -d "$1" -c "BEGIN; $2;
	SELECT pg_sleep(60)" >/dev/null 2>&1 &
	holder=$!
	for _ in $(seq 100); do
		[ "$(q postgres "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'holder'
		  AND wait_event = 'PgSleep'")" = 1 ] && break
		sleep 0.05
	done
}

release() {
	q postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'" >/dev/null
	wait "$holder" 2>/dev/null
	holder=
}

# Milliseconds since t0 (date +%s%N), and whether a time is in a range.
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
within() { # what, ms, low, high
	if [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then
		ok "$1 (in $2 ms)"
	else
		bad "$1: it took $2 ms, not $3-$4"
	fi
}

# Stops the run started by start_enforce (its process group: timeout(1)
# and sessctl) at a moment when the command given holds; 1 if it never
# did in 100 tries, the run left running; 2 if the run ended first.
stop_when() {
	for _ in $(seq 100); do
		kill -STOP -- -"$bg" 2>/dev/null || return 2
		"$@" && return 0
		kill -CONT -- -"$bg" 2>/dev/null || return 2
		sleep "0.0$((RANDOM % 5 + 1))"
	done
	return 1
}

# SIGTERM to that run (to timeout(1), which sends it on): it must end with
# 143 within 3 s, saying so.
term_check() { # label
	local t0 rc took
	t0=$(date +%s%N)
	kill -TERM "$bg"
	wait "$bg"
	rc=$?
	took=$(ms_since "$t0")
	check_eq "$1: 143" 143 "$rc"
	within "$1: within a second or so, not at the queue's timeout" "$took" 0 3000
	check_grep "$1: it says so" 'interrupted by SIGTERM: every committed batch stays' "$work/run.err"
}

# ---- 1. the server stops and stays down ---------------------------------

newdb fa
# A list of three hosts (the same server thrice) and a long URL: the
# last try's message has a line for each host, and the line that gives
# up must still say it whole within a message's 1023 bytes, the URL it
# quotes for the loss cut short ("…") to make room.
if ! enforce_extra="host=$pg,$pg,$pg passfile=/nonexistent/$(printf '%0400d' 0)" start_enforce fa 2000; then
	bad "server down: enforce ended (or never got going) before the server could be stopped"
	wait "$bg"
	bg=
else
	seen=$(closed fa)
	server_stop
	t0=$SECONDS
	wait "$bg"
	rc=$?
	bg=
	took=$((SECONDS - t0))
	check_eq "server down: enforce exits 69" 69 "$rc"
	if [ "$took" -ge 25 ] && [ "$took" -le 45 ]; then
		ok "server down: it gave up after its reconnect window ($took s)"
	else
		bad "server down: it gave up after $took s, expected about 30 s"
	fi
	check_grep "server down: the error says no server came back within 30 s, and why" \
		"^sessctl: .*within 30 s; the last try: cannot connect: .*\\)\$" "$work/run.err"
	check_eq "server down: the last try said whole, a line for each host" 3 \
		"$(head -n 1 "$work/run.err" | sed 's/.*the last try: //' |
		   grep -o 'failed: No such file or directory (is the server running there?)' | wc -l)"
	check_grep "server down: the loss said too, its URL cut short" \
		"^sessctl: enforce stopped after .*: cannot [a-z ]+ on 'host=.*000…': .+ \\(no server took" \
		"$work/run.err"
	echo "     (server down: '$(head -n 1 "$work/run.err")')"
	check_eq "server down: one line on stderr" 1 "$(wc -l <"$work/run.err")"
	summary=$(sed -n 2p "$work/run.out" | tr -d '\r')
	server_start
	after=$(closed fa)
	echo "     (server down: stopped with $seen closed; the summary said '$summary'; the database holds $after closed)"
	consistent fa "server down"
	committed=$(($(echo "$summary" | cut -d, -f1) + $(echo "$summary" | cut -d, -f2)))
	if [ "$after" -ge "$seen" ] && [ "$after" -ge "$committed" ] && [ "$after" -lt "$TOTAL_CLOSE" ]; then
		ok "server down: the committed batches are there ($after >= $seen seen, >= $committed reported)"
	else
		bad "server down: $after closed after the restart, $seen seen before the stop, $committed reported"
	fi
	finish fa "server down"
fi

# ---- 2. the server stops and comes back within the window ----------------

newdb fb
if ! start_enforce fb 2000 -v; then
	bad "server restarted: enforce ended before the server could be stopped"
	wait "$bg"
	bg=
else
	seen=$(closed fb)
	server_stop
	sleep 2
	server_start
	wait "$bg"
	rc=$?
	bg=
	check_eq "server restarted: enforce reconnects and exits 0" 0 "$rc"
	check_grep "server restarted: -v said it lost the connection" 'connection lost.*reconnecting' "$work/run.err"
	check_grep "server restarted: -v said it reconnected" 'reconnected to' "$work/run.err"
	echo "     (server restarted: stopped with $seen closed; summary '$(sed -n 2p "$work/run.out" | tr -d '\r')')"
	consistent fb "server restarted"
	enforced fb "server restarted"
	finish fb "server restarted"
fi

# ---- 3. pg_terminate_backend --------------------------------------------

newdb fc
if ! start_enforce fc 2000; then
	bad "terminated: enforce ended before its connection could be killed"
	wait "$bg"
	bg=
else
	seen=$(closed fc)
	check_eq "terminated: one sessctl connection killed" t \
		"$(q postgres "SELECT bool_and(pg_terminate_backend(pid)) AND count(*) = 1 FROM pg_stat_activity
		  WHERE datname = 'fc' AND application_name = 'sessctl'")"
	wait "$bg"
	rc=$?
	bg=
	check_eq "terminated: enforce reconnects and exits 0" 0 "$rc"
	check_eq "terminated: without -v, nothing on stderr" "" "$(cat "$work/run.err")"
	echo "     (terminated: killed with $seen closed; summary '$(sed -n 2p "$work/run.out" | tr -d '\r')')"
	consistent fc "terminated"
	enforced fc "terminated"
	finish fc "terminated"
fi

# ---- 3a. a bulk logout's connection killed again and again ---------------
# The server's "terminating connection" reached a batch's read, pipelined,
# before libpq saw the socket close, so sessctl took the connection for
# good, did not reconnect, and stopped with 69 part-way (every run).

newdb fbulk
q fbulk "UPDATE sessions SET ip_address = '10.' || (user_id % 250) || '.1.' || substr(device_fingerprint, 2)
  WHERE device_fingerprint IN ('d1', 'd2')" >/dev/null
timeout 120 "$bin" --db "$(url fbulk)" --now "$NOW" -o csv logout --where --ip 10.0.0.0/8 \
	--yes --batch-size 100 --actor fault-test >"$work/run.out" 2>"$work/run.err" &
bg=$!
kills=0
while kill -0 "$bg" 2>/dev/null; do
	[ "$(q postgres "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	  WHERE datname = 'fbulk' AND application_name = 'sessctl'")" = 1 ] && kills=$((kills + 1))
	sleep "0.0$((RANDOM % 5 + 5))"
done
wait "$bg"
rc=$?
bg=
check_eq "bulk logout killed $kills times: it reconnects each time and exits 0" 0 "$rc"
[ "$rc" = 0 ] || echo "     (bulk logout killed: its stderr: $(tr '\n' ' ' <"$work/run.err"))"
check_eq "bulk logout killed: every idle session closed, nothing else" "$((2 * USERS))|0" \
	"$(q fbulk "SELECT count(*) FILTER (WHERE NOT is_active), count(*) FILTER (WHERE NOT is_active
	  AND device_fingerprint NOT IN ('d1', 'd2')) FROM sessions")"
consistent fbulk "bulk logout killed"
if [ "$kills" -lt 5 ]; then
	bad "bulk logout killed: only $kills kills landed (the run was too short to test)"
fi

# ---- 3b. SIGTERM while reconnecting ---------------------------------------
# The signal stops enforce as between two batches (143, the committed
# batches stay), where it went on trying for the rest of its 30 s window
# and ended in 69.

newdb fg
if ! start_enforce fg 2000 -v; then
	bad "signal while reconnecting: enforce ended before the server could be stopped"
	wait "$bg"
	bg=
else
	server_stop
	for _ in $(seq 100); do
		grep -q 'reconnecting in' "$work/run.err" && break
		sleep 0.05
	done
	sleep 0.5
	t0=$(date +%s%N)
	# sessctl itself (sent to timeout(1), it comes twice, which
	# tests/check-signals.sh covers)
	kill -TERM "$(pgrep -P "$bg")"
	wait "$bg"
	rc=$?
	bg=
	took=$(ms_since "$t0")
	check_eq "signal while reconnecting: enforce exits 143" 143 "$rc"
	if [ "$took" -lt 3000 ]; then
		ok "signal while reconnecting: it stopped in $took ms"
	else
		bad "signal while reconnecting: it took $took ms to stop"
	fi
	check_grep "signal while reconnecting: it says the committed batches stay" \
		'interrupted by SIGTERM: every committed batch stays' "$work/run.err"
	check_grep "signal while reconnecting: the summary says it was interrupted" ',true,0$' \
		<(tr -d '\r' <"$work/run.out")
	server_start
	consistent fg "signal while reconnecting"
	finish fg "signal while reconnecting"
fi

# ---- 3c. the COMMIT's answer lost ----------------------------------------
# The server commits, then the connection drops before sessctl reads the
# answer (tests/commit-lose.c). A change that reports its rows is not run
# again (create audited its session twice, logout-all said "nothing to
# do" after closing everything): 69 saying the change may have been made.
# enforce's batches are run again: they select what is left.

shim=$work/commit-lose.so
if ! cc -shared -fPIC -I/usr/include/postgresql -o "$shim" "$here/commit-lose.c" -ldl -lpq \
	2>"$work/cc.err"; then
	bad "commit lost: cannot build the shim: $(head -c 300 "$work/cc.err")"
else
	newdb fh
	lose() { # db, n, sessctl arguments... (SESSCTL_TEST_BEGIN_LOSE may be set)
		local db=$1 n=$2
		shift 2
		# In a SANITIZE build the shim comes before ASan's runtime,
		# which ASan refuses by default; it only wraps PQexec.
		SESSCTL_TEST_COMMIT_LOSE=$n LD_PRELOAD=$shim \
			ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
			"$bin" --db "$(url "$db")" "$@" >"$work/out" 2>"$work/err"
	}
	lose fh 1 create --user 1 --fingerprint fp-new --actor fault-test
	check_eq "commit lost: create exits 69" 69 $?
	check_grep "commit lost: create says the change may have been made" \
		'lost as the change committed, so it may or may not have been made' "$work/err"
	check_eq "commit lost: create made the session, audited once" "1|1" \
		"$(q fh "SELECT count(*), (SELECT count(*) FROM sessctl_audit WHERE action = 'create')
		  FROM sessions WHERE device_fingerprint = 'fp-new'")"
	lose fh 1 logout-all 2 --yes --actor fault-test
	check_eq "commit lost: logout-all exits 69" 69 $?
	check_eq "commit lost: logout-all closed user 2's sessions, audited once each" "0|5" \
		"$(q fh "SELECT count(*) FILTER (WHERE is_active), (SELECT count(*) FROM sessctl_audit
		  WHERE user_id = 2 AND action = 'logout-all') FROM sessions WHERE user_id = 2")"
	newdb fi
	lose fi 3 "${enforce_args[@]}" --batch-size 500
	check_eq "commit lost: enforce runs the batch again and exits 0" 0 $?
	consistent fi "commit lost"
	enforced fi "commit lost"
	finish fi "commit lost"

	# The connection lost between the statements of a BEGIN (a server
	# stopped at that moment): PQexec handed back an earlier statement's
	# result, and enforce stopped with 70 ("unexpected result", an
	# internal error) instead of reconnecting.
	newdb fk
	SESSCTL_TEST_BEGIN_LOSE=4 lose fk 0 "${enforce_args[@]}" --batch-size 500
	check_eq "begin lost: enforce reconnects and exits 0" 0 $?
	check_eq "begin lost: without -v, nothing on stderr" "" "$(cat "$work/err")"
	consistent fk "begin lost"
	enforced fk "begin lost"
	finish fk "begin lost"
	# The same for a per-user change, whose BEGIN goes through PQexec.
	newdb fk2
	SESSCTL_TEST_BEGIN_LOSE=1 lose fk2 0 -v logout-all 3 --yes --actor fault-test
	check_eq "begin lost: logout-all reconnects and exits 0" 0 $?
	check_grep "begin lost: logout-all said it reconnected" 'reconnected to' "$work/err"
	check_eq "begin lost: logout-all closed user 3's sessions, audited once each" "0|5" \
		"$(q fk2 "SELECT count(*) FILTER (WHERE is_active), (SELECT count(*) FROM sessctl_audit
		  WHERE user_id = 3 AND action = 'logout-all') FROM sessions WHERE user_id = 3")"

	# sessctl under the shim, its SESSCTL_TEST_* variables set by the
	# caller; and after a run that lost its connection (rc), whether it
	# reconnected, exited as the run that lost nothing and left its state.
	shimmed() {
		LD_PRELOAD=$shim ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
			"$bin" "$@" >"$work/out" 2>"$work/err"
	}

	# The server ends the connection as its answer to a COMMIT (an
	# administrator's pg_terminate_backend at that moment; the shim sends
	# it in the COMMIT's place): libpq has the server's FATAL only in the
	# connection's message, before its own "server closed the connection
	# unexpectedly". -v names the server's reason in its own words, also
	# when those are Italian (lc_messages, pg-server.sh), "FATALE:  ".
	for lang in en it; do
		[ "$lang" = it ] && ! speaks_italian "COMMIT answered by a FATAL (it)" && continue
		if [ "$lang" = it ]; then
			options="-c lc_messages=C.UTF-8"
			reason="interruzione della connessione su comando dell'amministratore"
		else
			options=
			reason="terminating connection due to administrator command"
		fi
		newdb "ft_$lang"
		PGOPTIONS=$options SESSCTL_TEST_COMMIT_TERMINATE=3 \
			shimmed -v --db "$(url "ft_$lang")" "${enforce_args[@]}" --batch-size 500
		check_eq "COMMIT answered by a FATAL ($lang): enforce reconnects and exits 0" 0 $?
		check_grep "COMMIT answered by a FATAL ($lang): -v names the server's reason, in its words" \
			"connection lost \(cannot commit on '[^']*': $reason\): reconnected to" "$work/err"
		consistent "ft_$lang" "COMMIT answered by a FATAL ($lang)"
		enforced "ft_$lang" "COMMIT answered by a FATAL ($lang)"
	done
	lost_check() { # label rc want-rc db ref-state
		if [ "$2" = "$3" ] && grep -q 'reconnected to' "$work/err" && [ "$(state "$4")" = "$5" ]; then
			ok "$1: reconnected, exit $3, the same end state"
		else
			bad "$1: exit $2, $(grep -c 'reconnected to' "$work/err") reconnect(s), end state '$(state "$4")' against '$5': $(grep -v '^sessctl: [0-9:.]* ' "$work/err" | head -c 300)"
		fi
	}

	# The connection lost at the BEGIN of each transaction of a cron
	# job's next run in turn (the steady state, with --purge-after): each
	# run reconnects and ends as a run that lost nothing. The purge's
	# look through its index, a read of its own between the device limit
	# and the purge, ended the run with 69 instead. User 1 logs in on a
	# third device after the catch-up: the plan's look-ahead stops at the
	# device limit, which leaves the purge its own look.
	newdb fn
	"$bin" --db "$(url fn)" "${enforce_args[@]}" >"$work/out" 2>"$work/err" ||
		bad "next run lost: the catch-up failed: $(head -c 300 "$work/err")"
	q fn "INSERT INTO sessions (user_id, device_fingerprint, last_activity)
	  VALUES (1, 'd6', '$NOW+00')" >/dev/null || die "next run lost: cannot add user 1's third device"
	q postgres "CREATE DATABASE fn_ref TEMPLATE fn" >/dev/null
	next_args=("${enforce_args[@]}" --purge-after 1h --batch-size 5000)
	rm -f "$work/begins"
	SESSCTL_TEST_BEGIN_LOG=$work/begins shimmed -v --db "$(url fn_ref)" "${next_args[@]}"
	check_eq "next run lost: the run that loses nothing exits 0" 0 $?
	check_grep "next run lost: it is a steady-state run that purges through the index" \
		'purging through the index' "$work/err"
	ref=$(state fn_ref)
	begins=$(grep -c . "$work/begins")
	reads=$(grep -c 'READ ONLY\|REPEATABLE READ' "$work/begins")
	# -v's read of the ids' range and the purge's look
	[ "$begins" -ge 6 ] && [ "$reads" -eq 2 ] && ok "next run lost: $begins transactions, $reads of them reads" ||
		bad "next run lost: $begins transactions, $reads reads: the run is not the one meant"
	for n in $(seq 1 "$begins"); do
		q postgres "CREATE DATABASE fn_$n TEMPLATE fn" >/dev/null
		SESSCTL_TEST_BEGIN_LOSE=$n shimmed -v --db "$(url "fn_$n")" "${next_args[@]}"
		lost_check "next run lost at BEGIN $n of $begins" $? 0 "fn_$n" "$ref"
		q postgres "DROP DATABASE fn_$n" >/dev/null
	done
	q postgres "DROP DATABASE fn_ref" >/dev/null

	# The connection lost while the run waits at its end for rows another
	# transaction holds (a try of the wait, after the first): it
	# reconnects and waits on, then exits 75 for the rows still held,
	# where it exited 69 after the last batch.
	newdb fo
	hold fo "SELECT id FROM sessions WHERE user_id = 5 FOR UPDATE"
	SESSCTL_TEST_BEGIN_LOSE=2 SESSCTL_TEST_BEGIN_LOSE_AFTER="SELECT set_config('lock_timeout'" \
		shimmed -v --db "$(url fo)" "${enforce_args[@]}"
	check_eq "end wait lost: enforce exits 75 for the rows still held" 75 $?
	check_grep "end wait lost: it reconnected" 'reconnected to' "$work/err"
	check_grep "end wait lost: it says what it left" 'enforce left 3 sessions as they were' "$work/err"
	release
	consistent fo "end wait lost"
	finish fo "end wait lost"

	# A ROLLBACK that fails (a statement_timeout short enough cancels
	# it): the connection stayed in the failed transaction, and the next
	# BEGIN met "current transaction is aborted" (70). The ROLLBACK is
	# tried again; after three failures the connection is dropped and
	# opened again. Here the first ROLLBACK is that of the batch that
	# waited in vain for the rows another session holds.
	for k in 1 3; do
		newdb "fq$k"
		hold "fq$k" "SELECT id FROM sessions WHERE user_id = 5 FOR UPDATE"
		rm -f "$work/rollbacks"
		SESSCTL_TEST_ROLLBACK_FAIL=1,$k SESSCTL_TEST_ROLLBACK_LOG=$work/rollbacks \
			shimmed -v --db "$(url "fq$k")" "${enforce_args[@]}"
		rc=$?
		release
		check_eq "ROLLBACK failed $k time(s): the shim failed that many" "$k" \
			"$(grep -c failed "$work/rollbacks" 2>/dev/null)"
		check_eq "ROLLBACK failed $k time(s): enforce exits 75 for the rows still held" 75 "$rc"
		check_grep "ROLLBACK failed $k time(s): it says what it left" \
			'enforce left 3 sessions as they were' "$work/err"
		check_eq "ROLLBACK failed $k time(s): the connection opened again only after three, saying why" \
			"$([ "$k" = 3 ] && echo 1 || echo 0)" \
			"$(grep -c 'ROLLBACK failed three times (.*), so sessctl closed the connection): reconnected to' "$work/err")"
		consistent "fq$k" "ROLLBACK failed $k time(s)"
		finish "fq$k" "ROLLBACK failed $k time(s)"
	done

	# A bulk logout's reads at its end (the count of what it left, and of
	# that what its filters still select) lose their connection in turn,
	# while another session holds user 5's sessions: each run reconnects
	# and ends as the run that lost nothing, 75 for the five held, user
	# 6's closed.
	bulk_args=(--now "$NOW" -o csv logout --where --user 5 --user 6 --yes --actor fault-test)
	newdb fr_ref
	hold fr_ref "SELECT id FROM sessions WHERE user_id = 5 FOR UPDATE"
	rm -f "$work/begins"
	SESSCTL_TEST_BEGIN_LOG=$work/begins shimmed --db "$(url fr_ref)" "${bulk_args[@]}"
	check_eq "bulk reads lost: the run that loses nothing exits 75" 75 $?
	release
	ref=$(state fr_ref)
	reads=$(grep -c 'REPEATABLE READ' "$work/begins")
	[ "$reads" -ge 2 ] && ok "bulk reads lost: $reads reads" ||
		bad "bulk reads lost: $reads reads, not the two at the end"
	for n in $(seq 1 "$reads"); do
		newdb "fr_$n"
		hold "fr_$n" "SELECT id FROM sessions WHERE user_id = 5 FOR UPDATE"
		SESSCTL_TEST_BEGIN_LOSE=$n SESSCTL_TEST_BEGIN_ONLY="BEGIN ISOLATION LEVEL REPEATABLE READ" \
			shimmed -v --db "$(url "fr_$n")" "${bulk_args[@]}"
		rc=$?
		release
		lost_check "bulk reads lost at read $n of $reads" "$rc" 75 "fr_$n" "$ref"
		q postgres "DROP DATABASE fr_$n" >/dev/null
	done
fi

# ---- 4. statement_timeout -----------------------------------------------

newdb fd
before=$(state fd)
"$bin" --db "$(url fd "options='-c statement_timeout=1'")" logout-all 9000 --yes \
	>"$work/out" 2>"$work/err"
check_eq "statement_timeout: logout-all of 20 000 sessions exits 75" 75 $?
check_grep "statement_timeout: it says the statement timed out" 'statement timeout.*try again later' "$work/err"
check_grep "statement_timeout: it names the setting and how to give a longer one" \
	'the statement_timeout in force is shorter than this statement takes: give sessctl a longer one \(options=-cstatement_timeout=60s in --db; through PgBouncer, ALTER ROLE \.\.\. SET statement_timeout = .60s.\)' "$work/err"
check_eq "statement_timeout: one error line" 1 "$(grep -c . "$work/err")"
check_eq "statement_timeout: nothing changed" "$before" "$(state fd)"
"$bin" --db "$(url fd "options='-c statement_timeout=1'")" "${enforce_args[@]}" \
	>"$work/out" 2>"$work/err"
check_eq "statement_timeout: enforce exits 75" 75 $?
check_grep "statement_timeout: enforce says the statement timed out" 'statement timeout.*try again later' "$work/err"
consistent fd "statement_timeout"
echo "     (statement_timeout: enforce committed '$(sed -n 2p "$work/out" | tr -d '\r')'; the database holds $(closed fd) closed)"
finish fd "statement_timeout"

# ---- 5. lock_timeout against a held row lock ----------------------------

newdb fe
# Another session locks user 5's sessions and user 9000's row.
hold fe "SELECT id FROM sessions WHERE user_id = 5 FOR UPDATE;
SELECT id FROM users WHERE id = 9000 FOR UPDATE"
check_eq "lock_timeout: the other session holds the row locks" 1 \
	"$(q postgres "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'holder' AND wait_event = 'PgSleep'")"
before=$(state fe)
lt="options='-c lock_timeout=200'"
"$bin" --db "$(url fe "$lt")" logout-all 5 --yes >"$work/out" 2>"$work/err"
check_eq "lock_timeout: logout-all of a locked user exits 75" 75 $?
check_grep "lock_timeout: it says the lock timed out" 'lock timeout.*try again later' "$work/err"
check_eq "lock_timeout: one error line" 1 "$(grep -c . "$work/err")"
id5=$(q fe "SELECT min(id) FROM sessions WHERE user_id = 5")
"$bin" --db "$(url fe "$lt")" logout "$id5" >"$work/out" 2>"$work/err"
check_eq "lock_timeout: logout of a locked session exits 75" 75 $?
"$bin" --db "$(url fe "$lt")" create --user 9000 --fingerprint new-device >"$work/out" 2>"$work/err"
check_eq "lock_timeout: create for a locked user exits 75" 75 $?
check_eq "lock_timeout: logout, logout-all and create changed nothing" "$before" "$(state fe)"
# enforce leaves the held rows (and the users whose rows are held), does
# the rest, and says so: it used to stop at the first batch that needed
# them, on every run while the holder stayed.
held=$(q fe "SELECT count(*) FILTER (WHERE is_active) FROM sessions WHERE user_id IN (5, 9000)")
"$bin" --db "$(url fe "$lt")" "${enforce_args[@]}" >"$work/out" 2>"$work/err"
check_eq "lock_timeout: enforce, which must close some of user 5's sessions, exits 75" 75 $?
check_grep "lock_timeout: enforce says what it left and why" \
	'enforce left [0-9]+ sessions? as (it was|they were): another transaction held .*everything else is done' "$work/err"
check_eq "lock_timeout: enforce, one error line" 1 "$(grep -c . "$work/err")"
check_eq "lock_timeout: user 5's and user 9000's sessions left as they were" "$held" \
	"$(q fe "SELECT count(*) FILTER (WHERE is_active) FROM sessions WHERE user_id IN (5, 9000)")"
n=$(closed fe)
if [ "$n" -gt 0 ]; then ok "lock_timeout: enforce did the rest ($n closed)"; else
	bad "lock_timeout: enforce closed nothing"; fi
consistent fe "lock_timeout: enforce"
release
"$bin" --db "$(url fe "$lt")" logout-all 5 --yes -q >"$work/out" 2>"$work/err"
check_eq "lock_timeout: with the lock gone, logout-all exits 0" 0 $?
consistent fe "lock_timeout"
check_eq "lock_timeout: user 5 closed, with one logout-all row each" "0|5" \
	"$(q fe "SELECT count(*) FILTER (WHERE is_active), (SELECT count(*) FROM sessctl_audit
	  WHERE user_id = 5 AND action = 'logout-all') FROM sessions WHERE user_id = 5")"

# ---- 6. PgBouncer in statement pooling mode -------------------------------
# No transaction holds there, and PgBouncer closes the connection: that
# was retried as a lost connection six times, then "the connection was
# lost 6 times". It is a setting to change: 78, once, saying which.

bouncer=$(PGBOUNCER_POOL_MODE=statement "$here/pgbouncer.sh" start "$pg") || die "cannot start PgBouncer"
before=$(state fe)
for cmd in count "logout-all 5 --yes" "enforce --actor fault-test"; do
	# shellcheck disable=SC2086
	"$bin" --db "host=$bouncer dbname=fe user=postgres" $cmd >"$work/out" 2>"$work/err"
	check_eq "statement pooling: $cmd exits 78" 78 $?
	check_grep "statement pooling: $cmd says to use pool_mode=transaction" \
		"statement pooling mode: sessctl runs each command in a transaction: use PgBouncer's pool_mode=transaction" \
		"$work/err"
	check_eq "statement pooling: $cmd, one line, no retry" "1 0" \
		"$(grep -c . "$work/err") $(grep -c 'lost' "$work/err")"
done
check_eq "statement pooling: nothing changed" "$before" "$(state fe)"
"$here/pgbouncer.sh" stop "$bouncer"
bouncer=

# ---- 7. a PgBouncer pool that stays full -----------------------------------
# One server connection, held by another client's open transaction: the
# pool's query_wait_timeout (2 s here) ended each try, which was taken for
# a lost connection and tried six times (12 minutes with PgBouncer's
# default), then 69 saying only "query_wait_timeout". Once now, saying
# what to do.

bouncer=$(PGBOUNCER_POOL_SIZE=1 PGBOUNCER_QUERY_WAIT_TIMEOUT=2 "$here/pgbouncer.sh" start "$pg") ||
	die "cannot start PgBouncer"
PGAPPNAME=holder "$psql" -X -q -h "$bouncer" -U postgres -d fe -c "BEGIN; SELECT pg_sleep(30)" \
	>/dev/null 2>&1 &
holder=$!
for _ in $(seq 100); do
	[ "$(q postgres "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'")" = 1 ] && break
	sleep 0.05
done
before=$(state fe)
for cmd in "count 5" "logout-all 5 --yes"; do
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$bin" --db "host=$bouncer dbname=fe user=postgres" $cmd >"$work/out" 2>"$work/err"
	check_eq "full pool: $cmd exits 69" 69 $?
	took=$(($(date +%s) - start))
	check_eq "full pool: $cmd gives up after one wait, not six" "at most 5 s" \
		"$([ "$took" -le 5 ] && echo "at most 5 s" || echo "$took s")"
	check_grep "full pool: $cmd says the pool stayed full and what to do" \
		"query_wait_timeout: PgBouncer found no server connection for it in that time: its pool for this database stayed full \\(raise default_pool_size, or try again later\\)" \
		"$work/err"
	check_eq "full pool: $cmd, one line" 1 "$(grep -c . "$work/err")"
done
check_eq "full pool: nothing changed" "$before" "$(state fe)"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
holder=
"$here/pgbouncer.sh" stop "$bouncer"
bouncer=

# ---- 8. a bulk logout's COMMIT answer lost ---------------------------------
# synchronous_standby_names naming no standby holds every COMMIT after it
# is written locally; the backend is then terminated: committed, answer
# lost. The batch is run again (it selects what is left): every session
# closed once with one audit row, exit 0, and the count (which cannot
# know whether that batch committed) one batch lower, as README says;
# never a session closed or counted twice.

newdb fl
q fl "UPDATE sessions SET ip_address = '10.9.9.9' WHERE device_fingerprint IN ('d1', 'd2')" >/dev/null
q postgres "ALTER SYSTEM SET synchronous_standby_names = 'nobody'" >/dev/null
q postgres "SELECT pg_reload_conf()" >/dev/null
"$bin" --db "$(url fl)" --now "$NOW" -o csv logout --where --ip 10.9.9.9 --yes --batch-size 100 \
	--actor fault-test --columns closed >"$work/run.out" 2>"$work/run.err" &
bg=$!
for _ in $(seq 200); do
	[ "$(q postgres "SELECT count(*) FROM pg_stat_activity WHERE datname = 'fl'
	  AND application_name = 'sessctl' AND wait_event = 'SyncRep'")" = 1 ] && break
	sleep 0.05
done
q postgres "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
  WHERE datname = 'fl' AND application_name = 'sessctl'" >/dev/null
q postgres "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null
q postgres "SELECT pg_reload_conf()" >/dev/null
wait "$bg"
rc=$?
bg=
check_eq "lost COMMIT answer: the bulk logout exits 0" 0 "$rc"
counted=$(sed -n 2p "$work/run.out" | tr -d '\r')
audited=$(q fl "SELECT count(*) FROM sessctl_audit WHERE action = 'logout'")
check_eq "lost COMMIT answer: all $((2 * USERS)) closed and audited; counted one batch less" \
	"$((2 * USERS)) $((2 * USERS - 100))" "$audited $counted"
consistent fl "lost COMMIT answer"

# ---- 9. a dry run read slowly ----------------------------------------------
# A dry run's batches close rows in a transaction it rolls back; it wrote
# each row as it went, so a pager or a slow reader (| less) kept that
# transaction, and the row locks, for as long as the reader waited: the
# application's own updates of those sessions waited with it. The report
# is written once the transaction is rolled back now.

newdb fm
q fm "UPDATE sessions SET ip_address = '10.8.' || (user_id % 250) || '.' || substr(device_fingerprint, 2)
  WHERE device_fingerprint IN ('d1', 'd2')" >/dev/null
for cmd in "logout --where --ip 10.8.0.0/16" "enforce"; do
	rm -f "$work/reading"
	# shellcheck disable=SC2086
	(("$bin" --db "$(url fm)" --now "$NOW" -o csv $cmd --dry-run --actor fault-test \
		--reason slow-reader-check 2>"$work/err"; echo $? >"$work/rc") |
		(head -c 1000 >/dev/null; touch "$work/reading"; sleep 8; cat >/dev/null)) &
	bg=$!
	# once its reader has the report's start (a fixed 3 s raced a
	# sanitized run still in its transaction)
	for ((i = 0; i < 300; i++)); do
		[ -e "$work/reading" ] && break
		sleep 0.1
	done
	# (a transaction that has written holds its row locks whether it
	# waits or still runs its batches)
	check_eq "a dry run read slowly ($cmd): no transaction left open" 0 \
		"$(q postgres "SELECT count(*) FROM pg_stat_activity WHERE datname = 'fm'
		  AND application_name = 'sessctl'
		  AND (state LIKE 'idle in transaction%' OR backend_xid IS NOT NULL)")"
	check_eq "a dry run read slowly ($cmd): the application updates a session it lists" updated \
		"$(q fm "SET lock_timeout = '1s'; UPDATE sessions SET device_name = 'app'
		  WHERE id = (SELECT min(id) FROM sessions WHERE device_fingerprint = 'd1')
		  RETURNING 'updated'" | tail -n 1)"
	# SIGTERM while the report is copied out to the slow reader: the
	# report goes out whole, then 143 and a line (it was ignored: exit 0).
	pkill -TERM -f 'slow-reader-check'
	wait "$bg"
	bg=
	check_eq "a dry run read slowly ($cmd): SIGTERM during the report exits 143" 143 "$(cat "$work/rc")"
	check_grep "a dry run read slowly ($cmd): it says so, the report whole" \
		"interrupted by SIGTERM as the dry run's report was written out: it is whole; nothing was changed" \
		"$work/err"
done

# ---- 10. a table lock held: reads wait 5 s at most --------------------------
# The application's ALTER TABLE (or LOCK TABLE, VACUUM FULL), or one
# queued behind a long transaction, which every new reader of the table
# then queues behind: reads waited for it without end (a cron job's
# metrics, an admin's count), and enforce --user did not stop on SIGTERM
# until the lock went. A read waits as long as an SQLite reader does
# (5 s), or half the statement_timeout when that is shorter, unless the
# URL or the server sets a lock_timeout; then 75.

newdb fq
hold fq "LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE"
for cmd in "count 5" "list-user 5" "metrics"; do
	t0=$(date +%s%N)
	# shellcheck disable=SC2086
	timeout 30 "$bin" --db "$(url fq)" $cmd >"$work/out" 2>"$work/err"
	rc=$?
	took=$(ms_since "$t0")
	check_eq "table lock held: $cmd exits 75" 75 "$rc"
	within "table lock held: $cmd gives up after its 5 s wait" "$took" 4500 9000
	check_grep "table lock held: $cmd says a lock was held" \
		'lock timeout: another transaction held a lock this one needs: try again later' "$work/err"
	check_eq "table lock held: $cmd, one error line" 1 "$(grep -c . "$work/err")"
done
t0=$(date +%s%N)
timeout 30 "$bin" --db "$(url fq "options='-c lock_timeout=300'")" count 5 >"$work/out" 2>"$work/err"
check_eq "table lock held: with the URL's lock_timeout, count exits 75" 75 $?
within "table lock held: the URL's lock_timeout stands" "$(ms_since "$t0")" 250 2500
t0=$(date +%s%N)
timeout 30 "$bin" --db "$(url fq "options='-c statement_timeout=3000'")" count 5 >"$work/out" 2>"$work/err"
check_eq "table lock held: with a statement_timeout of 3 s, count exits 75" 75 $?
within "table lock held: the wait is half the statement_timeout" "$(ms_since "$t0")" 1400 2900
check_grep "table lock held: it says the lock, not the statement, timed out" 'lock timeout' "$work/err"
# sessctl itself, not timeout(1), which would signal it again
"$bin" --db "$(url fq)" "${enforce_args[@]}" --user 5 >"$work/out" 2>"$work/err" &
bg=$!
sleep 1
t0=$(date +%s%N)
kill -TERM "$bg"
wait "$bg"
rc=$?
bg=
check_eq "table lock held: SIGTERM stops enforce --user waiting for it: 143" 143 "$rc"
within "table lock held: enforce --user stopped by the end of its wait" "$(ms_since "$t0")" 0 6000
check_grep "table lock held: it says nothing was changed" 'interrupted by SIGTERM.*nothing was changed' "$work/err"
release
"$bin" --db "$(url fq)" -o csv --no-header count 5 >"$work/out" 2>"$work/err"
check_eq "table lock held: once it is gone, count reads" "0 5,5" "$? $(tr -d '\r' <"$work/out")"

# ---- 11. PgBouncer with the server down ------------------------------------
# PgBouncer opens a client's connection whatever the server's state; a
# server that is down shows at the first statement, which waits in
# PgBouncer's queue for query_wait_timeout (2 s here), or is refused at
# once ("server login has been failing") once PgBouncer's own login to the
# server has failed. A run that lost its server took the first for a pool
# that stayed full and gave up at once, and each refusal for a new lost
# connection (six within a second, then 69): an outage of a few seconds
# behind PgBouncer ended the run, where a direct connection waits 30 s.
# Now the window is the same: a reconnect counts once a server answers.
# A command whose first transaction finds no server is told at once, as a
# direct connection to a server that is down is, with a line saying why.

newdb fr
bouncer=$(PGBOUNCER_QUERY_WAIT_TIMEOUT=2 "$here/pgbouncer.sh" start "$pg") || die "cannot start PgBouncer"
via=$bouncer
if ! start_enforce fr 2000 -v; then
	bad "PgBouncer, server restarted: enforce ended before the server could be stopped"
	wait "$bg"
	bg=
else
	server_stop
	sleep 6
	server_start
	wait "$bg"
	rc=$?
	bg=
	check_eq "PgBouncer, server down 6 s: enforce waits for it and exits 0" 0 "$rc"
	check_grep "PgBouncer, server down 6 s: -v said it reconnected" 'reconnected to' "$work/run.err"
	check_grep "PgBouncer, server down 6 s: -v told PgBouncer's refusals as waits" \
		"server login has been failing.*PgBouncer cannot log in to the server behind it.*reconnecting in" \
		"$work/run.err"
	echo "     (PgBouncer, server down 6 s: summary '$(sed -n 2p "$work/run.out" | tr -d '\r')')"
	consistent fr "PgBouncer, server down 6 s"
	enforced fr "PgBouncer, server down 6 s"
fi

newdb fs
if ! start_enforce fs 2000; then
	bad "PgBouncer, server down: enforce ended before the server could be stopped"
	wait "$bg"
	bg=
else
	seen=$(closed fs)
	t0=$(date +%s%N)
	server_stop
	wait "$bg"
	rc=$?
	bg=
	took=$(ms_since "$t0")
	check_eq "PgBouncer, server down: enforce exits 69" 69 "$rc"
	within "PgBouncer, server down: it gave up after its reconnect window" "$took" 20000 45000
	check_grep "PgBouncer, server down: the error says no server came back within 30 s, and why" \
		"^sessctl: .*within 30 s; the last try: cannot reach the server: .*\\)\$" "$work/run.err"
	check_eq "PgBouncer, server down: one line on stderr" 1 "$(grep -c . "$work/run.err")"
	# The server is down, and PgBouncer's login to it has failed.
	for cmd in "count 5" "logout-all 5 --yes" "enforce --actor fault-test"; do
		t0=$(date +%s%N)
		# shellcheck disable=SC2086
		"$bin" --db "$(url fs)" $cmd >"$work/out" 2>"$work/err"
		rc=$?
		check_eq "PgBouncer, server down at the start: $cmd exits 69" 69 "$rc"
		within "PgBouncer, server down at the start: $cmd is told at once" "$(ms_since "$t0")" 0 3000
		check_grep "PgBouncer, server down at the start: $cmd says PgBouncer cannot reach it" \
			"server login has been failing.*PgBouncer cannot log in to the server behind it \(the server is down, or refuses PgBouncer's login\): try again once it is back$" \
			"$work/err"
		check_eq "PgBouncer, server down at the start: $cmd, one line" 1 "$(grep -c . "$work/err")"
	done
	via=
	server_start
	after=$(closed fs)
	committed=$(($(sed -n 2p "$work/run.out" | tr -d '\r' | cut -d, -f1) + $(sed -n 2p "$work/run.out" | tr -d '\r' | cut -d, -f2)))
	if [ "$after" -ge "$seen" ] && [ "$after" -ge "$committed" ] && [ "$after" -lt "$TOTAL_CLOSE" ]; then
		ok "PgBouncer, server down: the committed batches are there, the commands after changed nothing ($after closed)"
	else
		bad "PgBouncer, server down: $after closed after the restart, $seen seen before the stop, $committed reported"
	fi
	check_eq "PgBouncer, server down: the refused logout-all wrote nothing" 0 \
		"$(q fs "SELECT count(*) FROM sessctl_audit WHERE action = 'logout-all'")"
	consistent fs "PgBouncer, server down"
	finish fs "PgBouncer, server down"
fi
"$here/pgbouncer.sh" stop "$bouncer"

# SIGTERM while the new connection waits in PgBouncer's queue for a
# server (query_wait_timeout 20 s here): the wait went on to its end.
# sessctl is stopped (SIGSTOP, with the timeout(1) that runs it: its
# process group) in the middle of a transaction, the server crashes, and
# once it runs on it loses the connection, connects to PgBouncer again
# (-v: a second "connected to" line) and waits in the queue for a server
# to answer; SIGTERM then ends the run at once.
bouncer=$(PGBOUNCER_QUERY_WAIT_TIMEOUT=20 "$here/pgbouncer.sh" start "$pg") || die "cannot start PgBouncer"
via=$bouncer
client() { # column: its value for PgBouncer's client named sessctl (SHOW CLIENTS)
	"$psql" -X -qA -F'|' -h "$bouncer" -U postgres -d pgbouncer -c "SHOW CLIENTS" |
		awk -F'|' -v want="$1" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
			$col["application_name"] == "sessctl" { print $col[want] }'
}
newdb ft
if ! start_enforce ft 2000 -v; then
	bad "PgBouncer, SIGTERM in the queue: enforce ended before the server could be stopped"
	wait "$bg"
	bg=
else
	linked() { [ -n "$(client link)" ]; }
	if ! stop_when linked; then
		bad "PgBouncer, SIGTERM in the queue: enforce was never caught in a transaction"
		kill -CONT -- -"$bg"
		wait "$bg"
	else
		server_stop
		kill -CONT -- -"$bg"
		for _ in $(seq 100); do
			[ "$(grep -c 'connected to database' "$work/run.err")" -ge 2 ] &&
				[ "$(client state)" = waiting ] && break
			sleep 0.1
		done
		check_eq "PgBouncer, SIGTERM in the queue: it connected again and waits for a server" \
			"2 waiting" "$(grep -c 'connected to database' "$work/run.err") $(client state)"
		term_check "PgBouncer, SIGTERM in the queue"
		server_start
		consistent ft "PgBouncer, SIGTERM in the queue"
	fi
	bg=
fi

# SIGTERM while a transaction's BEGIN waits in PgBouncer's queue: the
# server went away between two transactions, so the next one's first
# statement waits there for a server, on the connection the run had
# (PgBouncer kept it), and libpq's wait went on through the signal to the
# queue's timeout. sessctl is stopped between two transactions (no server
# linked), the server stops, and once it runs on its BEGIN waits in the
# queue (-v: still one "connected to" line); SIGTERM then ends the run
# within a second.
# (Batches of 10: more moments between two transactions to be caught
# in, as in section 13.)
newdb fu
if ! batch_size=10 start_enforce fu 2000 -v; then
	bad "PgBouncer, SIGTERM at BEGIN: enforce ended before the server could be stopped"
	wait "$bg"
	bg=
else
	# (still so a moment later: not a BEGIN sent but not yet linked)
	between() {
		[ -z "$(client link)" ] && [ "$(client state)" = active ] && sleep 0.1 &&
			[ -z "$(client link)" ] && [ "$(client state)" = active ]
	}
	if ! stop_when between; then
		bad "PgBouncer, SIGTERM at BEGIN: enforce was never caught between two transactions"
		kill -CONT -- -"$bg"
		wait "$bg"
	else
		server_stop
		kill -CONT -- -"$bg"
		for _ in $(seq 50); do
			[ "$(client state)" = waiting ] && break
			sleep 0.1
		done
		check_eq "PgBouncer, SIGTERM at BEGIN: its BEGIN waits for a server on the same connection" \
			"1 waiting" "$(grep -c 'connected to database' "$work/run.err") $(client state)"
		term_check "PgBouncer, SIGTERM at BEGIN"
		server_start
		consistent fu "PgBouncer, SIGTERM at BEGIN"
		via= finish fu "PgBouncer, SIGTERM at BEGIN"
	fi
	bg=
fi
via=
"$here/pgbouncer.sh" stop "$bouncer"
bouncer=

# ---- 12. TCP keepalives reach the socket -----------------------------------
# README: a server or network that goes silent is found lost in about
# 30 s, by sessctl's defaults keepalives_idle=15, keepalives_interval=5,
# keepalives_count=3 and tcp_user_timeout=30000, unless the URL sets
# them. libpq sets them on a TCP socket before it connects, so a refused
# connection (127.0.0.1, port 1) shows them (tests/sockopt-log.c).

sockshim=$work/sockopt-log.so
if ! cc -shared -fPIC -o "$sockshim" "$here/sockopt-log.c" -ldl 2>"$work/cc.err"; then
	bad "keepalives: cannot build the shim: $(head -c 300 "$work/cc.err")"
else
	sockopts() { # conninfo: the exit status and the keepalive options set
		rm -f "$work/sockopt.log"
		SESSCTL_TEST_SOCKOPT_LOG=$work/sockopt.log LD_PRELOAD=$sockshim \
			ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
			"$bin" --db "$1" count 5 >"$work/out" 2>"$work/err"
		# shellcheck disable=SC2046 # one option a word
		echo "$?" $(grep -sE '^(SO_KEEPALIVE|TCP_)' "$work/sockopt.log" | sort -u)
	}
	tcp="host=127.0.0.1 port=1 dbname=fa user=postgres"
	check_eq "keepalives: sessctl's defaults reach the socket" \
		"69 SO_KEEPALIVE 1 TCP_KEEPCNT 3 TCP_KEEPIDLE 15 TCP_KEEPINTVL 5 TCP_USER_TIMEOUT 30000" \
		"$(sockopts "$tcp")"
	check_eq "keepalives: the URL's own values stand" \
		"69 SO_KEEPALIVE 1 TCP_KEEPCNT 4 TCP_KEEPIDLE 60 TCP_KEEPINTVL 7 TCP_USER_TIMEOUT 9000" \
		"$(sockopts "$tcp keepalives_idle=60 keepalives_interval=7 keepalives_count=4 tcp_user_timeout=9000")"
	check_eq "keepalives: keepalives=0 in the URL turns them off" 69 "$(sockopts "$tcp keepalives=0")"
	check_grep "keepalives: the refused connection is told" "^sessctl: cannot connect to '.*127\.0\.0\.1" "$work/err"
fi

# ---- 13. the connection's own idle timeouts ---------------------------------
# The server ends a connection that sits in a transaction longer than
# idle_in_transaction_session_timeout (25P03), or between transactions
# longer than idle_session_timeout (57P05), with a FATAL error sent
# unasked, and closes it: sessctl reads that error as the answer to its
# next statement. A command that met one exited 70, an internal error
# (tests/e2e_only_postgres.c plays the codes with a RAISE; here the
# server sends them). sessctl is stopped (SIGSTOP, its process group) in
# the state the timeout watches, the server ends the connection, and once
# it runs on it must reconnect, redo the lost batch and finish.

idle_timeout() { # label, the setting, pg_stat_activity's state to be caught in, db, reason [options]
	local label=$1 setting=$2 want=$3 db=$4 reason=$5 options=${6:-} st= try caught
	in_state() {
		st=$(q postgres "SELECT state FROM pg_stat_activity WHERE datname = '$db'
		  AND application_name = 'sessctl'")
		[ "$st" = "$want" ]
	}
	# A run that ends before it is caught (the state is brief between
	# transactions, and a fast machine finishes sooner: CI's once did)
	# tests nothing: again on a new copy, up to three times. Batches of
	# 10 make more and longer moments between and in transactions.
	for ((try = 1; try <= 3; try++)); do
		[ "$try" = 1 ] || db=${4}_$try
		newdb "$db"
		if ! PGOPTIONS="-c $setting=300 $options" batch_size=10 start_enforce "$db" 2000 -v; then
			bad "$label: enforce ended before it could be stopped"
			wait "$bg"
			bg=
			return
		fi
		stop_when in_state
		caught=$?
		[ "$caught" = 2 ] || break
		wait "$bg"
		bg=
		echo "     ($label: the run ended before it was caught $want: again on a new copy)"
	done
	if [ "$caught" != 0 ]; then
		bad "$label: enforce was never caught $want (last: '$st')"
		if [ -n "$bg" ]; then
			kill -CONT -- -"$bg"
			wait "$bg"
			bg=
		fi
		return
	fi
	# the server ends it 300 ms later
	for _ in $(seq 100); do
		[ "$(q postgres "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db'
		  AND application_name = 'sessctl'")" = 0 ] && break
		sleep 0.05
	done
	check_eq "$label: the server ended sessctl's connection" 0 \
		"$(q postgres "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db'
		  AND application_name = 'sessctl'")"
	kill -CONT -- -"$bg"
	wait "$bg"
	rc=$?
	bg=
	check_eq "$label: enforce reconnects and exits 0" 0 "$rc"
	[ "$rc" = 0 ] || echo "     ($label: its stderr: $(tr '\n' ' ' <"$work/run.err" | head -c 600))"
	# -v: the server's reason, which libpq reads before the next
	# statement's own "server closed the connection unexpectedly"
	check_grep "$label: -v says it reconnected, and the server's reason" \
		"connection lost \(.*: $reason\): reconnected to '" "$work/run.err"
	echo "     ($label: $(grep -m1 -o 'connection lost (.*): reconnected' "$work/run.err"))"
	consistent "$db" "$label"
	enforced "$db" "$label"
}
idle_timeout "idle in a transaction (25P03)" idle_in_transaction_session_timeout \
	"idle in transaction" fi1 "terminating connection due to idle-in-transaction timeout"
idle_timeout "idle between transactions (57P05)" idle_session_timeout idle fi2 \
	"terminating connection due to idle-session timeout"
# The same from a server that speaks Italian (lc_messages; pg-server.sh):
# the reason in its words, whether libpq read it between two statements
# or while it waited for an answer (timing decides; 3c has the latter).
speaks_italian "section 13 in Italian" &&
idle_timeout "Italian, idle in a transaction" idle_in_transaction_session_timeout \
	"idle in transaction" fi3 \
	"la connessione è stata terminata a causa di timeout di inattività durante una transazione" \
	"-c lc_messages=C.UTF-8"
speaks_italian "section 13 in Italian" &&
idle_timeout "Italian, idle between transactions" idle_session_timeout idle fi4 \
	"terminazione della connessione a causa del timeout della sessione inattiva" \
	"-c lc_messages=C.UTF-8"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
