#!/usr/bin/env bash
# make bench: sessctl beside the sqlite3 and psql clients running the same SQL
# (issue 10, SPEC §6), on generated data, both backends, in one run.
#
#   bench/run.sh [tiny|50k|1m]     (make bench-smoke | make bench BENCH_SIZE=...)
#
# Needs ./sessctl, build/bench/gen and build/bench/writer (bench/bench.mk
# builds them), hyperfine, sqlite3, GNU time (/usr/bin/time) and the
# PostgreSQL 15 server binaries (a throwaway server from tests/pg-server.sh,
# made durable for the bench: fsync on, no statement log). Prints one table
# row per operation and backend, peak RSS of the streaming reads, and the
# worst wait of an application writer during enforce. bench/README.md says
# how to read it. Exits 1 if an end state differs from the client's or from
# the generator's expectation; a MISS (target not reached) is not an error.
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
	echo "bench: $*" >&2
	exit 1
}
say() { echo "bench: $*" >&2; }

SIZE=${1:-1m}
case $SIZE in
# RUNS: per-user rows; SRUNS: enforce steady state and find; ERUNS: catch-up
# and purge.
# STEP: how much later the cron job's next run is (its row; at 2 k
# sessions, nothing falls due in ten minutes).
tiny) N=2000 RUNS=2 WARMUP=0 SRUNS=2 ERUNS=2 STEP='1 day' ;;
50k) N=50000 RUNS=20 WARMUP=3 SRUNS=10 ERUNS=3 STEP='10 minutes' ;;
1m) N=1000000 RUNS=20 WARMUP=3 SRUNS=5 ERUNS=3 STEP='10 minutes' ;;
*) die "unknown size '$SIZE' (tiny, 50k or 1m)" ;;
esac

# Every time rule is evaluated as of NOW, on both sides.
NOW='2025-06-01 00:00:00'
CUTOFF=$(date -u -d "$NOW UTC - 720 hours" '+%Y-%m-%d %H:%M:%S')
# The cron job's next run, STEP later (the "next run" row).
NEXT=$(date -u -d "$NOW UTC + $STEP" '+%Y-%m-%d %H:%M:%S')
NEXT_CUTOFF=$(date -u -d "$NEXT UTC - 720 hours" '+%Y-%m-%d %H:%M:%S')
PGBIN=/usr/lib/postgresql/15/bin
SESSCTL=$PWD/sessctl
GEN=$PWD/build/bench/gen
WRITER=$PWD/build/bench/writer
COLS='id, user_id, device_fingerprint, device_name, device_type, browser, ip_address, created_at, last_activity, is_active'

for tool in hyperfine sqlite3; do
	command -v "$tool" >/dev/null || die "$tool not found (apt-get install $tool)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"
[ -x "$PGBIN/psql" ] || die "$PGBIN/psql not found (apt-get install postgresql-15)"
for f in "$SESSCTL" "$GEN" "$WRITER"; do
	[ -x "$f" ] || die "$f not built: run 'make bench' rather than this script"
done

W=$(mktemp -d /tmp/scbench.XXXXXX)
PGDIR=
WRITER_PID=
cleanup() {
	[ -z "$WRITER_PID" ] || kill "$WRITER_PID" 2>/dev/null || true
	[ -z "$PGDIR" ] || tests/pg-server.sh stop "$PGDIR"
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# q STRING: STRING single-quoted for hyperfine's command-line splitting.
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# ---- data ----------------------------------------------------------------

say "generating $N sessions into $W"
"$GEN" --sessions "$N" --now "$NOW" --out "$W"
# expect.txt: users, sessions, active, users_over, expire, over_limit,
# active_after, purged, ... (see bench/gen.c)
declare -A X
while IFS='=' read -r k v; do X[$k]=$v; done <"$W/expect.txt"

say "loading SQLite"
SQ=$W/base.db
"$SESSCTL" --db "$SQ" -q migrate
sqlite3 -bail "$SQ" 'PRAGMA synchronous = OFF' 'BEGIN' \
	".import --csv $W/users.csv users" ".import --csv $W/sessions.csv sessions" 'COMMIT'

say "starting PostgreSQL and loading it"
PGDIR=$(tests/pg-server.sh start)
pg_owner() { # runs a server program as the data directory's owner
	if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
PSQL=("$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$PGDIR" -U postgres)
pgurl() { echo "host=$PGDIR user=postgres dbname=$1"; }
"${PSQL[@]}" -d postgres -c 'CREATE DATABASE base'
"$SESSCTL" --db "$(pgurl base)" -q migrate
"${PSQL[@]}" -d base -c 'SET timezone = UTC' \
	-c "\\copy users FROM '$W/users.csv' csv" -c "\\copy sessions FROM '$W/sessions.csv' csv" \
	-c "SELECT setval(pg_get_serial_sequence('users', 'id'), max(id)) FROM users" \
	-c "SELECT setval(pg_get_serial_sequence('sessions', 'id'), max(id)) FROM sessions" >/dev/null
"${PSQL[@]}" -d base -c 'VACUUM ANALYZE'
# The test server trades durability for speed and logs every statement;
# a benchmark of commits needs the real thing.
"${PSQL[@]}" -d postgres -c 'ALTER SYSTEM SET fsync = on' -c 'ALTER SYSTEM SET synchronous_commit = on' \
	-c 'ALTER SYSTEM SET full_page_writes = on' -c "ALTER SYSTEM SET log_statement = 'none'" \
	-c "ALTER SYSTEM SET shared_buffers = '256MB'" -c "ALTER SYSTEM SET max_wal_size = '2GB'"
# pg_pages on|off: restarts the server with its shared memory in huge
# pages or in the kernel's 4 kB pages.
pg_pages() {
	"${PSQL[@]}" -d postgres -c "ALTER SYSTEM SET huge_pages = $1"
	pg_owner "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/postgres.log" -w -t 60 restart >/dev/null ||
		die "PostgreSQL did not restart with huge_pages = $1 (see $PGDIR/postgres.log)"
}
# Huge pages when the kernel has enough reserved for the server (its 256
# MB of buffers and the rest: 320 MB), as a production server of this
# size would: each sessctl run is a new server process, and with 4 kB
# pages its first touch of each shared buffer is a page fault (bench/README.md).
HUGE=off
hp_free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
hp_kib=$(awk '/^Hugepagesize:/ { print $2 }' /proc/meminfo)
[ $((${hp_free:-0} * ${hp_kib:-0})) -ge $((320 * 1024)) ] && HUGE=on
pg_pages "$HUGE"

# ---- the shape, checked through sessctl against the generator ------------

check_shape() { # BACKEND DBURL
	local totals over
	totals=$("$SESSCTL" --db "$2" count -o csv --no-header | tr -d '\r')
	over=$("$SESSCTL" --db "$2" count --by user --over 3 -o csv --no-header | wc -l)
	[[ $totals == "${X[users]}",*,"${X[sessions]},${X[active]},${X[inactive]}" ]] ||
		die "$1: sessctl count says '$totals', the generator made users=${X[users]} sessions=${X[sessions]} active=${X[active]}"
	[ "$over" -eq "${X[users_over]}" ] ||
		die "$1: sessctl count --over 3 finds $over users, the generator made ${X[users_over]}"
}
check_shape SQLite "$SQ"
check_shape PostgreSQL "$(pgurl base)"
subnet=$(sqlite3 "$SQ" "SELECT count(*) FROM sessions WHERE ip_address LIKE '203.0.113.%'")
say "shape: ${X[users]} users, ${X[sessions]} sessions, ${X[active]} active, ${X[users_over]} users over 3," \
	"${X[idle]} idle past 720 h, $subnet in 203.0.113.0/24; enforce must close" \
	"$((X[expire] + X[over_limit]))"

# The users and sessions the per-user rows work on (the same on both
# backends): a typical user with 3 active sessions, the most recent of
# them, and the user whose active sessions are nearest 150.
USER1=$(sqlite3 "$SQ" "SELECT user_id FROM sessions WHERE is_active AND user_id >= ${X[users]} / 2
	GROUP BY user_id HAVING count(*) = 3 ORDER BY user_id LIMIT 1")
SID=$(sqlite3 "$SQ" "SELECT max(id) FROM sessions WHERE user_id = $USER1 AND is_active")
read -r BIG BIGN < <(sqlite3 -separator ' ' "$SQ" "SELECT user_id, count(*) FROM sessions WHERE is_active
	GROUP BY user_id ORDER BY abs(count(*) - 150), user_id LIMIT 1")
BIGIDS=$(sqlite3 "$SQ" "SELECT group_concat(id) FROM sessions WHERE user_id = $BIG AND is_active")
if [ -z "$USER1" ] || [ -z "$SID" ] || [ -z "$BIG" ]; then
	die "no user of the needed shape in the data"
fi
say "per-user rows: USER $USER1 (3 active), ID $SID, logout-all user $BIG ($BIGN active)"

# ---- timing ----------------------------------------------------------------

RESULTS=$W/results.txt
printf '%-40s %-10s %10s %10s %7s %7s  %s\n' operation backend sessctl client ratio target result >"$RESULTS"

# [WARMUP=N] row OPERATION BACKEND TARGET RUNS SESSCTL-CMD CLIENT-CMD [--prepare CMD]...
# Times both commands (whole processes, no shell) with hyperfine and adds
# a table row of their medians and ratio. The runs are made in blocks of
# BLOCK (5; 1 for the catch-up rows), each block timing both commands,
# the first one alternating: a machine that slows down or speeds up
# during the row (the VM's I/O, a neighbour) then weighs on both sides
# alike instead of on whichever ran second. The times shown are the
# medians of the blocks' medians; the ratio is the median of the blocks'
# own ratios (each block's two medians taken close together). One
# --prepare applies to both commands; two are sessctl's and the client's.
row() {
	local op=$1 backend=$2 target=$3 runs=$4 s=$5 c=$6 csv=$W/hf.csv blocks=$W/blocks.txt
	shift 6
	local -a prep=()
	while [ $# -gt 0 ]; do
		[ "$1" = --prepare ] && [ $# -ge 2 ] || die "row: unexpected argument '$1'"
		prep+=("$2")
		shift 2
	done
	say "timing: $op ($backend)"
	local block=${BLOCK:-5} ran=0 k i=0 warm=$WARMUP
	: >"$blocks"
	while [ "$ran" -lt "$runs" ]; do
		k=$((runs - ran < block ? runs - ran : block))
		local -a args=(-n sessctl "$s" -n client "$c") pargs=()
		if [ ${#prep[@]} -eq 1 ]; then
			pargs=(--prepare "${prep[0]}")
		elif [ ${#prep[@]} -eq 2 ]; then
			pargs=(--prepare "${prep[0]}" --prepare "${prep[1]}")
		fi
		if [ $((i % 2)) -eq 1 ]; then # the client first
			args=(-n client "$c" -n sessctl "$s")
			[ ${#prep[@]} -eq 2 ] && pargs=(--prepare "${prep[1]}" --prepare "${prep[0]}")
		fi
		hyperfine -N --style none --runs "$k" --warmup "$warm" --export-csv "$csv" \
			"${pargs[@]}" "${args[@]}" >/dev/null ||
			die "hyperfine failed on '$op' ($backend): run its commands by hand to see why"
		awk -F, '$1 == "sessctl" { s = $4 } $1 == "client" { c = $4 }
			END { if (s == "" || c == "") exit 1; print s, c }' "$csv" >>"$blocks" ||
			die "hyperfine's CSV for '$op' ($backend) lacks a command: see $csv"
		ran=$((ran + k))
		i=$((i + 1))
		warm=0
	done
	awk -v op="$op" -v b="$backend" -v t="$target" '
		function f(x) { return x < 1 ? sprintf("%.1f ms", x * 1000) : sprintf("%.2f s", x) }
		function median(a, n,   i, j, x) { # sorts a[1..n] (insertion) and returns its median
			for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
		{ n++; s[n] = $1; c[n] = $2; r[n] = $1 / $2 }
		END { ms = median(s, n); mc = median(c, n); mr = median(r, n)
			# target "-": a reference row, no target
			printf "%-40s %-10s %10s %10s %6.2fx %7s  %s\n", op, b, f(ms), f(mc), mr,
				(t == "-" ? "-" : "<=" t "x"), (t == "-" ? "ref" : mr <= t ? "OK" : "MISS") }' \
		"$blocks" >>"$RESULTS"
	tail -n 1 "$RESULTS" >&2
}

not_built() { # OPERATION BACKEND TARGET
	printf '%-40s %-10s %10s %10s %7s %6sx  %s\n' "$1" "$2" - - - "<=$3" 'not built' >>"$RESULTS"
}

FAILED=0
same() { # WHAT A B: end states A and B (files of rows) must be equal
	if ! cmp -s "$2" "$3"; then
		echo "MISMATCH: $1: sessctl and the client left different end states" >>"$RESULTS"
		say "MISMATCH: $1 (diff $2 $3)"
		FAILED=1
	fi
}
expect_count() { # WHAT FILE N: FILE has N lines
	local n
	n=$(wc -l <"$2")
	if [ "$n" -ne "$3" ]; then
		echo "MISMATCH: $1: $n rows, the generator expects $3" >>"$RESULTS"
		FAILED=1
	fi
}

# The obvious statements of issue 10, in one transaction. The same cutoff
# as sessctl's --now minus 720 h; ties broken as enforce does (it keeps
# the most recent, then the highest id).
RANK="SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY user_id
  ORDER BY last_activity DESC, id DESC) AS rn FROM sessions WHERE is_active) AS r WHERE rn > 3"
SQ_ENFORCE="BEGIN IMMEDIATE;
UPDATE sessions SET is_active = 0 WHERE is_active AND last_activity < '$CUTOFF';
UPDATE sessions SET is_active = 0 WHERE id IN ($RANK);
COMMIT;"
SQ_PURGE="${SQ_ENFORCE%COMMIT;}DELETE FROM sessions WHERE NOT is_active AND last_activity < '$CUTOFF';
COMMIT;"
PG_ENFORCE="BEGIN;
UPDATE sessions SET is_active = false WHERE is_active AND last_activity < '$CUTOFF+00';
UPDATE sessions SET is_active = false WHERE id IN ($RANK);
COMMIT;"
PG_PURGE="${PG_ENFORCE%COMMIT;}DELETE FROM sessions WHERE NOT is_active AND last_activity < '$CUTOFF+00';
COMMIT;"

# The same statements writing the audit rows sessctl writes (one per
# closed session, with the user's email and the device as they were):
# what the obvious statements cost once they keep the trail sessctl
# keeps. A reference row, not a target of the issue (whose "SQL" writes
# no audit row); the over-limit ids are ranked once, into a temporary
# table on SQLite (its UPDATE has no RETURNING into an INSERT).
AUDIT_COLS='session_id, user_id, action, actor, reason, created_at, evaluated_at, email, device_name, ip_address, device_type'
SQ_AUDIT_OF() { # ACTION WHERE: the audit rows of the sessions WHERE selects
	echo "INSERT INTO sessctl_audit ($AUDIT_COLS)
SELECT s.id, s.user_id, '$1', 'bench', NULL, datetime('now'), '$NOW', u.email, s.device_name, s.ip_address, s.device_type
FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE $2 ORDER BY s.id;"
}
SQ_ENFORCE_AUDIT="BEGIN IMMEDIATE;
$(SQ_AUDIT_OF expire "s.is_active AND s.last_activity < '$CUTOFF'")
UPDATE sessions SET is_active = 0 WHERE is_active AND last_activity < '$CUTOFF';
CREATE TEMP TABLE over AS $RANK;
$(SQ_AUDIT_OF over-limit "s.id IN (SELECT id FROM over)")
UPDATE sessions SET is_active = 0 WHERE id IN (SELECT id FROM over);
COMMIT;"
PG_CLOSE_AUDIT() { # ACTION WHERE: closes the sessions WHERE selects, with their audit rows
	echo "WITH c AS (UPDATE sessions AS s SET is_active = false WHERE $2
  RETURNING id, user_id, device_name, ip_address, device_type)
INSERT INTO sessctl_audit ($AUDIT_COLS)
SELECT c.id, c.user_id, '$1', 'bench', NULL, now(), '$NOW+00', u.email, c.device_name, c.ip_address, c.device_type
FROM c LEFT JOIN users u ON u.id = c.user_id ORDER BY c.id;"
}
# The per-user writes the same way: WHERE names the sessions as s.
sq_close_audit() { # ACTION WHERE
	echo "BEGIN IMMEDIATE;
$(SQ_AUDIT_OF "$1" "$2")
UPDATE sessions AS s SET is_active = 0 WHERE $2;
COMMIT;"
}
pg_close_audit() { PG_CLOSE_AUDIT "$@"; }
PG_ENFORCE_AUDIT="BEGIN;
$(PG_CLOSE_AUDIT expire "is_active AND last_activity < '$CUTOFF+00'")
$(PG_CLOSE_AUDIT over-limit "id IN ($RANK)")
COMMIT;"

# ---- the rows of one backend ---------------------------------------------
# Each backend defines: DB (the loaded data, read and per-user writes),
# sess_on DB (sessctl's command prefix), client_q DB SQL (the client running
# SQL), client_csv DB SQL, client_script DB SQL (several statements),
# fresh SRC-COPY (a prepare command making a fresh copy), rows DB SQL (a
# query's rows, for end states), and the names of the two enforce copies.

sq_sess() { echo "$SESSCTL --db $1"; }
sq_q() { echo "sqlite3 $1 $(q "$2")"; }
sq_line() { echo "sqlite3 -line $1 $(q "$2")"; }
sq_csv() { echo "sqlite3 -csv -header $1 $(q "$2")"; }
sq_script() { echo "sqlite3 -bail $1 $(q "$2")"; }
# fresh_from SRC DST: a prepare command making DST a copy of SRC; fresh
# DST: of the loaded data; snap SRC DST: the copy, now.
sq_fresh_from() { echo "bash -c $(q "cp $1 $2 && sync $2")"; }
sq_fresh() { sq_fresh_from "$SQ" "$1"; }
sq_snap() { cp "$1" "$2" && sync "$2"; }
sq_rows() { sqlite3 "$1" "$2"; }
sq_run() { sqlite3 "$1" "$2" >/dev/null; }

pg_sess() { echo "$SESSCTL --db $(q "$(pgurl "$1")")"; }
pg_q() { echo "$PGBIN/psql -X -q -At -h $PGDIR -U postgres -d $1 -c $(q "$2")"; }
pg_line() { echo "$PGBIN/psql -X -q -x -h $PGDIR -U postgres -d $1 -c $(q "$2")"; }
pg_csv() { echo "$PGBIN/psql -X -q --csv -h $PGDIR -U postgres -d $1 -c $(q "$2")"; }
pg_script() { echo "$PGBIN/psql -X -q -At -v ON_ERROR_STOP=1 -h $PGDIR -U postgres -d $1 -c $(q "$2")"; }
pg_fresh_from() {
	echo "$PGBIN/psql -X -q -h $PGDIR -U postgres -d postgres -c $(q 'SET client_min_messages = warning') -c $(q "DROP DATABASE IF EXISTS $2") -c $(q "CREATE DATABASE $2 TEMPLATE $1")"
}
pg_fresh() { pg_fresh_from base "$1"; }
pg_snap() {
	"${PSQL[@]}" -d postgres -c 'SET client_min_messages = warning' -c "DROP DATABASE IF EXISTS $2" \
		-c "CREATE DATABASE $2 TEMPLATE $1"
}
pg_rows() { "${PSQL[@]}" -d "$1" -c "$2"; }
pg_run() { "${PSQL[@]}" -d "$1" -c "$2" >/dev/null; }

# bench_backend NAME PREFIX(sq|pg) DB COPY-S COPY-C ENFORCE-SQL PURGE-SQL TRUE FALSE ENFORCE-AUDIT-SQL
bench_backend() {
	local b=$1 p=$2 db=$3 es=$4 ec=$5 enf=$6 purge=$7 t=$8 f=$9 enfa=${10} s
	s=$("${p}_sess" "$db")

	row 'count USER' "$b" 1.15 "$RUNS" "$s count $USER1" \
		"$("${p}_q" "$db" "SELECT count(*) FROM sessions WHERE user_id = $USER1 AND is_active")"
	row 'list-user USER -o csv' "$b" 1.15 "$RUNS" "$s -o csv list-user $USER1" \
		"$("${p}_csv" "$db" "SELECT $COLS FROM sessions WHERE user_id = $USER1 AND is_active
		ORDER BY last_activity DESC, id DESC")"
	row 'show ID' "$b" 1.15 "$RUNS" "$s show $SID" \
		"$("${p}_line" "$db" "SELECT * FROM sessions WHERE id = $SID")"
	# Writes: every run starts from the same state: the session (or the
	# user's sessions) is made active again before it, outside the timing.
	row 'logout ID' "$b" 1.3 "$RUNS" "$s logout $SID --actor bench" \
		"$("${p}_q" "$db" "UPDATE sessions SET is_active = $f WHERE id = $SID AND is_active")" \
		--prepare "$("${p}_q" "$db" "UPDATE sessions SET is_active = $t WHERE id = $SID")"
	row "logout-all USER ($BIGN active)" "$b" 1.3 "$RUNS" "$s logout-all $BIG --yes --actor bench" \
		"$("${p}_q" "$db" "UPDATE sessions SET is_active = $f WHERE user_id = $BIG AND is_active")" \
		--prepare "$("${p}_q" "$db" "UPDATE sessions SET is_active = $t WHERE id IN ($BIGIDS)")"
	# The same writes against the client writing the audit rows too.
	row 'logout ID (client audits too)' "$b" - "$RUNS" "$s logout $SID --actor bench" \
		"$("${p}_script" "$db" "$("${p}_close_audit" logout "s.id = $SID AND s.is_active")")" \
		--prepare "$("${p}_q" "$db" "UPDATE sessions SET is_active = $t WHERE id = $SID")"
	row "logout-all USER (client audits too)" "$b" - "$RUNS" "$s logout-all $BIG --yes --actor bench" \
		"$("${p}_script" "$db" "$("${p}_close_audit" logout-all "s.user_id = $BIG AND s.is_active")")" \
		--prepare "$("${p}_q" "$db" "UPDATE sessions SET is_active = $t WHERE id IN ($BIGIDS)")"

	# Catch-up: each side on its own fresh copy of the loaded data before
	# every run (hyperfine's --prepare, one per command, in order); the
	# copies the last runs leave are the end states compared, with each
	# other and with what the generator computed.
	local se sc act all
	se="$("${p}_sess" "$es") --now $(q "$NOW") enforce -q --actor bench"
	act='SELECT id FROM sessions WHERE is_active ORDER BY id'
	all="SELECT id, CASE WHEN is_active THEN 1 ELSE 0 END FROM sessions ORDER BY id"
	sc=$("${p}_script" "$ec" "$enf")
	WARMUP=0 BLOCK=1 row 'enforce catch-up' "$b" 1.0 "$ERUNS" "$se" "$sc" \
		--prepare "$("${p}_fresh" "$es")" --prepare "$("${p}_fresh" "$ec")"
	"${p}_rows" "$es" "$act" >"$W/$p-es.txt"
	"${p}_rows" "$ec" "$act" >"$W/$p-ec.txt"
	same "$b enforce catch-up" "$W/$p-es.txt" "$W/$p-ec.txt"
	same "$b enforce catch-up, against SQLite's client" "$W/$p-es.txt" "$W/sq-ec.txt"
	expect_count "$b enforce catch-up, active sessions" "$W/$p-es.txt" "${X[active_after]}"
	AUDIT[$b]=$("${p}_rows" "$es" 'SELECT count(*) FROM sessctl_audit')

	# Steady state: a second run right after the first, on the enforced
	# copies the catch-up left; the client runs its statements again.
	WARMUP=1 BLOCK=2 row 'enforce steady state' "$b" 0.1 "$SRUNS" "$se" "$sc"
	"${p}_rows" "$es" "$act" >"$W/$p-es2.txt"
	"${p}_rows" "$ec" "$act" >"$W/$p-ec2.txt"
	same "$b enforce steady state" "$W/$p-es2.txt" "$W/$p-ec2.txt"
	same "$b enforce steady state changed nothing" "$W/$p-es.txt" "$W/$p-es2.txt"
	# With huge pages, the same row with the server on 4 kB pages.
	if [ "$p" = pg ] && [ "$HUGE" = on ]; then
		pg_pages off
		WARMUP=1 BLOCK=2 row 'enforce steady state, 4 kB pages' "$b" - "$SRUNS" "$se" "$sc"
		pg_pages on
	fi
	# A cron job's next run comes minutes after a catch-up, when autovacuum
	# has been (the catch-up changed far more rows than its threshold): the
	# same row on both copies as a VACUUM ANALYZE leaves them. And the
	# floor of any client that makes a new connection: sessctl's steady
	# state against psql running SELECT 1 on the same database.
	if [ "$p" = pg ]; then
		"${p}_run" "$es" 'VACUUM ANALYZE sessions'
		"${p}_run" "$ec" 'VACUUM ANALYZE sessions'
		WARMUP=1 BLOCK=2 row 'enforce steady state, vacuumed' "$b" - "$SRUNS" "$se" "$sc"
		WARMUP=1 BLOCK=2 row 'enforce steady state vs psql SELECT 1' "$b" - "$SRUNS" "$se" \
			"$("${p}_q" "$es" 'SELECT 1')"
	fi

	# The reference: the client writing the audit rows too (above).
	WARMUP=0 BLOCK=1 row 'enforce catch-up (client audits too)' "$b" - "$ERUNS" "$se" \
		"$("${p}_script" "$ec" "$enfa")" \
		--prepare "$("${p}_fresh" "$es")" --prepare "$("${p}_fresh" "$ec")"
	"${p}_rows" "$es" "$act" >"$W/$p-es.txt"
	"${p}_rows" "$ec" "$act" >"$W/$p-ec.txt"
	same "$b enforce catch-up (client with audit rows)" "$W/$p-es.txt" "$W/$p-ec.txt"
	local aud_s aud_c
	aud_s=$("${p}_rows" "$es" 'SELECT count(*) FROM sessctl_audit')
	aud_c=$("${p}_rows" "$ec" 'SELECT count(*) FROM sessctl_audit')
	if [ "$aud_s" != "$aud_c" ]; then
		echo "MISMATCH: $b enforce catch-up: sessctl wrote $aud_s audit rows, the client $aud_c" >>"$RESULTS"
		FAILED=1
	fi

	WARMUP=0 BLOCK=1 row 'enforce --purge-after 720h catch-up' "$b" 1.0 "$ERUNS" "$se --purge-after 720h" \
		"$("${p}_script" "$ec" "$purge")" \
		--prepare "$("${p}_fresh" "$es")" --prepare "$("${p}_fresh" "$ec")"
	"${p}_rows" "$es" "$all" >"$W/$p-ps.txt"
	"${p}_rows" "$ec" "$all" >"$W/$p-pc.txt"
	same "$b enforce --purge-after" "$W/$p-ps.txt" "$W/$p-pc.txt"
	expect_count "$b enforce --purge-after, rows left" "$W/$p-ps.txt" "$((X[sessions] - X[purged]))"
	# The cron job README shows (enforce -q --purge-after) in steady
	# state: a second run on the copies the purge catch-up left, the
	# client running its three statements again.
	WARMUP=1 BLOCK=2 row 'enforce --purge-after 720h steady state' "$b" 0.1 "$SRUNS" \
		"$se --purge-after 720h" "$("${p}_script" "$ec" "$purge")"
	"${p}_rows" "$es" "$all" >"$W/$p-ps2.txt"
	"${p}_rows" "$ec" "$all" >"$W/$p-pc2.txt"
	same "$b enforce --purge-after steady state" "$W/$p-ps2.txt" "$W/$p-pc2.txt"
	same "$b enforce --purge-after steady state changed nothing" "$W/$p-ps.txt" "$W/$p-ps2.txt"
	# The same cron job's next run, ten minutes later (STEP), as it runs
	# in production: since the run before, a few sessions went idle and a
	# few closed ones crossed the purge age (the steady-state rows rerun
	# at the same --now and find nothing). Each run on a fresh copy of
	# the state the rows above left, each side its own.
	local sn="${p}_sn" cn="${p}_cn"
	[ "$p" = sq ] && sn=$W/sn.db cn=$W/cn.db
	"${p}_snap" "$es" "$sn"
	"${p}_snap" "$ec" "$cn"
	WARMUP=0 BLOCK=1 row 'enforce --purge-after 720h next run' "$b" 0.1 "$SRUNS" \
		"$("${p}_sess" "$es") --now $(q "$NEXT") enforce -q --actor bench --purge-after 720h" \
		"$("${p}_script" "$ec" "${purge//$CUTOFF/$NEXT_CUTOFF}")" \
		--prepare "$("${p}_fresh_from" "$sn" "$es")" --prepare "$("${p}_fresh_from" "$cn" "$ec")"
	"${p}_rows" "$es" "$all" >"$W/$p-pn.txt"
	"${p}_rows" "$ec" "$all" >"$W/$p-pn2.txt"
	same "$b enforce --purge-after next run" "$W/$p-pn.txt" "$W/$p-pn2.txt"
	if cmp -s "$W/$p-ps2.txt" "$W/$p-pn.txt"; then
		echo "MISMATCH: $b enforce --purge-after next run: it changed nothing (the row measures no work)" >>"$RESULTS"
		FAILED=1
	fi
	[ "$p" = sq ] && rm -f "$sn" "$cn"

	# find: every active session as CSV, against the client's CSV export.
	local fc
	if [ "$p" = sq ]; then
		fc=$(sq_csv "$db" "SELECT $COLS FROM sessions WHERE is_active ORDER BY id")
	else
		fc="$PGBIN/psql -X -q -h $PGDIR -U postgres -d $db -c $(q "\\copy (SELECT $COLS FROM sessions WHERE is_active ORDER BY id) TO stdout csv header")"
	fi
	if find_built; then
		BLOCK=1 row "find -o csv (${X[active]} active)" "$b" 1.15 "$SRUNS" "$s -o csv find" "$fc"
	else
		not_built "find -o csv (${X[active]} active)" "$b" 1.15
	fi

	# Peak RSS of the streaming reads (SPEC §6: at most 8 MiB).
	rss "$b" "list-user USER -o csv" "$s" -o csv list-user "$USER1"
	rss "$b" "list-user USER --all -o ndjson ($BIGN+)" "$s" -o ndjson list-user "$BIG" --all
	find_built && rss "$b" "find -o csv (${X[active]} rows)" "$s" -o csv find
	return 0
}

RSS=$W/rss.txt
: >"$RSS"
rss() { # BACKEND WHAT SESSCTL-PREFIX ARGS...: peak RSS of sessctl, in KiB
	local b=$1 what=$2 prefix=$3 kib
	shift 3
	# shellcheck disable=SC2086 # the prefix is words: sessctl --db URL
	kib=$(eval "/usr/bin/time -f %M $prefix $(printf '%q ' "$@")" 2>&1 >/dev/null | tail -n 1)
	awk -v b="$b" -v w="$what" -v k="$kib" 'BEGIN {
		printf "%-40s %-10s %8.1f MiB  %s\n", w, b, k / 1024, (k <= 8192 ? "OK" : "MISS") }' >>"$RSS"
}

declare -A AUDIT
find_built() { "$SESSCTL" help find >/dev/null 2>&1; }

say "SQLite (rollback journal, as the application's database)"
row '--version' SQLite 1.0 "$RUNS" "$SESSCTL --version" "sqlite3 :memory: $(q 'select 1')"
cp "$SQ" "$W/sq.db"
sync "$W/sq.db"
bench_backend SQLite sq "$W/sq.db" "$W/es.db" "$W/ec.db" "$SQ_ENFORCE" "$SQ_PURGE" 1 0 "$SQ_ENFORCE_AUDIT"
say "PostgreSQL"
"${PSQL[@]}" -d postgres -c 'CREATE DATABASE per TEMPLATE base'
bench_backend PostgreSQL pg per es ec "$PG_ENFORCE" "$PG_PURGE" true false "$PG_ENFORCE_AUDIT"

# The rows above leave the server vacuuming and checkpointing the
# databases they changed, on the disk the SQLite writer below commits to
# (its worst waits were 431-434 ms in two runs after them, 115 ms by hand
# with the server idle): drop them and write a checkpoint first.
say "PostgreSQL: dropping the databases of the rows above, CHECKPOINT"
for d in per es ec pg_sn pg_cn; do
	"${PSQL[@]}" -d postgres -c 'SET client_min_messages = warning' -c "DROP DATABASE IF EXISTS $d"
done
"${PSQL[@]}" -d postgres -c 'CHECKPOINT'

# ---- the application's writes during enforce --------------------------------

LOCKS=$W/locks.txt
: >"$LOCKS"
# lockwait MODE WHO DBURL COMMAND...: runs the writer beside COMMAND and
# adds a line with COMMAND's wall time and the writer's worst and p99 waits.
lockwait() {
	local mode=$1 who=$2 url=$3 out=$W/writer.out t0 t1
	shift 3
	say "writer beside $who ($mode)"
	"$WRITER" --db "$url" --max-id "$N" --stamp "$NOW" >"$out" &
	WRITER_PID=$!
	sleep 0.5
	t0=$(date +%s.%N)
	"$@" >/dev/null
	t1=$(date +%s.%N)
	sleep 0.3
	kill -TERM "$WRITER_PID"
	wait "$WRITER_PID" || die "the writer failed beside $who ($mode)"
	WRITER_PID=
	awk -v m="$mode" -v w="$who" -v t0="$t0" -v t1="$t1" '{
		split($0, f, /[ =]/)   # writes N worst_ms X p99_ms Y median_ms Z
		printf "%-22s %-22s %8.2f s %6d %9.1f ms %9.1f ms %9.1f ms  %s\n", m, w, t1 - t0, f[2],
			f[4], f[6], f[8], (f[4] <= 200 ? "OK" : "MISS") }' "$out" >>"$LOCKS"
}

# The writer alone first: the floor of its waits on this machine.
# The writer alone without the index on last_activity enforce's steady
# state reads (SQLite: a plain one since migration 6; PostgreSQL: the
# partial one of migration 4): what that index costs the application's
# refreshes (its median against the writer alone with it).
NOINDEX='DROP INDEX idx_sessions_activity'
PG_NOINDEX='DROP INDEX idx_sessions_active_activity'
for mode in rollback WAL; do
	for who in alone noindex sessctl client; do
		cp "$SQ" "$W/lw.db"
		[ "$mode" = WAL ] && sqlite3 "$W/lw.db" 'PRAGMA journal_mode = WAL' >/dev/null
		[ "$who" = noindex ] && sqlite3 "$W/lw.db" "$NOINDEX"
		sync "$W/lw.db"
		if [ "$who" = alone ]; then
			lockwait "SQLite $mode" "nothing (3 s)" "$W/lw.db" sleep 3
		elif [ "$who" = noindex ]; then
			lockwait "SQLite $mode" "nothing, no act. index" "$W/lw.db" sleep 3
		elif [ "$who" = sessctl ]; then
			lockwait "SQLite $mode" "sessctl enforce" "$W/lw.db" \
				"$SESSCTL" --db "$W/lw.db" --now "$NOW" enforce -q --actor bench
		else
			lockwait "SQLite $mode" "obvious statements" "$W/lw.db" \
				sqlite3 -bail -cmd '.timeout 60000' "$W/lw.db" "$SQ_ENFORCE"
		fi
	done
done
rm -f "$W/lw.db" "$W/lw.db-wal" "$W/lw.db-shm"
for who in alone noindex sessctl client; do
	"${PSQL[@]}" -d postgres -c 'SET client_min_messages = warning' -c 'DROP DATABASE IF EXISTS lw' -c 'CREATE DATABASE lw TEMPLATE base'
	[ "$who" = noindex ] && "${PSQL[@]}" -d lw -c "$PG_NOINDEX"
	if [ "$who" = alone ]; then
		lockwait PostgreSQL "nothing (3 s)" "$(pgurl lw)" sleep 3
	elif [ "$who" = noindex ]; then
		lockwait PostgreSQL "nothing, no act. index" "$(pgurl lw)" sleep 3
	elif [ "$who" = sessctl ]; then
		lockwait PostgreSQL "sessctl enforce" "$(pgurl lw)" \
			"$SESSCTL" --db "$(pgurl lw)" --now "$NOW" enforce -q --actor bench
	else
		lockwait PostgreSQL "obvious statements" "$(pgurl lw)" "${PSQL[@]}" -d lw -c "$PG_ENFORCE"
	fi
done

# ---- report ------------------------------------------------------------------

echo
echo "$("$SESSCTL" --version | head -n 1) beside sqlite3 $(sqlite3 --version | cut -d' ' -f1)" \
	"and psql 15: $SIZE data set (${X[sessions]} sessions, ${X[users]} users), medians of whole processes"
echo "now '$NOW'; USER $USER1 (3 active), ID $SID, logout-all user $BIG ($BIGN active);" \
	"enforce closes $((X[expire] + X[over_limit])) (${X[expire]} idle, ${X[over_limit]} over the limit)"
if [ "$HUGE" = on ]; then
	echo "PostgreSQL's shared memory in huge pages (the 4 kB pages row: the server restarted without)"
else
	echo "PostgreSQL's shared memory in 4 kB pages: no huge pages reserved (bench/README.md)"
fi
echo
cat "$RESULTS"
echo
echo "audit rows after one enforce catch-up: SQLite ${AUDIT[SQLite]}, PostgreSQL ${AUDIT[PostgreSQL]}" \
	"(changes: $((X[expire] + X[over_limit])))"
echo
printf '%-40s %-10s %12s  %s\n' "peak RSS of sessctl" backend "" "(<= 8 MiB)"
cat "$RSS"
echo
printf '%-22s %-22s %10s %6s %12s %12s %12s  %s\n' "writer beside enforce" "" "run time" writes worst p99 \
	median "(worst <= 200 ms)"
cat "$LOCKS"
[ "$FAILED" -eq 0 ] || die "an end state differs (MISMATCH above)"
