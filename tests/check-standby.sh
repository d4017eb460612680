#!/bin/bash
# Checks sessctl against a hot standby (issue 12, item 3): a primary (a)
# and a streaming standby (b, pg_basebackup -R).
#
# - Read commands give on the standby, directly and through a multi-host
#   URL with target_session_attrs=prefer-standby, exactly what they give
#   on the primary; through prefer-standby they reach the standby only
#   (seen in each server's statement log).
# - Write commands that land on the standby fail at once: exit 69 and one
#   stderr line saying the server is a read-only standby and how to fix
#   the URL (target_session_attrs=read-write); nothing changes. The same
#   commands succeed on the primary.
#
#   tests/check-standby.sh SESSCTL
set -u
bin=$(cd "$(dirname "${1:?usage: check-standby.sh SESSCTL}")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/ha/lib.sh
source "$here/ha/lib.sh"
unset SESSCTL_DB SESSCTL_NOW SESSION_TIMEOUT_HOURS MAX_SESSIONS_PER_USER PGHOST PGPORT \
	PGDATABASE PGUSER PGSERVICE PGTARGETSESSIONATTRS PGCONNECT_TIMEOUT
export NO_COLOR=1
ha_setup

ha_primary a 5433 "log_statement = 'all'"
ha_standby a b 5434
ha_psql a postgres "CREATE DATABASE t" >/dev/null
primary=$(ha_url a t)
standby=$(ha_url b t)
prefer="host=$HA/a,$HA/b port=5433,5434 dbname=t user=postgres target_session_attrs=prefer-standby"
"$bin" --db "$primary" -q migrate || ha_die "sessctl migrate failed on the primary"
ha_psql a t "
INSERT INTO users (id, email, username, role) VALUES
  (1, 'alice@example.com', 'alice', 'admin'), (2, 'bob@example.com', 'bob', 'user'),
  (3, 'carol@example.com', 'carol', 'user'), (4, 'dave@example.com', 'dave', 'user');
INSERT INTO sessions (id, user_id, device_fingerprint, device_name, device_type, browser,
                      ip_address, created_at, last_activity, is_active)
  SELECT 100 * u + k, u, 'fp-' || u || '-' || k, 'Device ' || k || ' of user ' || u,
         CASE WHEN k % 2 = 0 THEN 'mobile' ELSE 'web' END, 'Firefox', '10.0.' || u || '.' || k,
         timestamptz '2025-01-01 00:00:00+00' + k * interval '1 day',
         timestamptz '2025-02-08 10:00:00+00' - (u * 10 + k) * interval '1 minute', true
  FROM generate_series(1, 4) u, generate_series(1, 6) k WHERE k <= 7 - u;
SELECT setval(pg_get_serial_sequence('sessions', 'id'), 1000);" >/dev/null ||
	ha_die "cannot load the sessions"
# Some history, written by sessctl itself on the primary.
common=(--now '2025-02-08 12:00:00' --actor alice --reason 'standby test')
"$bin" --db "$primary" -q logout 101 "${common[@]}" >/dev/null &&
	"$bin" --db "$primary" -q logout-all carol --yes "${common[@]}" >/dev/null &&
	"$bin" --db "$primary" -q create --user dave --fingerprint fp-new --device-name 'New phone' \
		"${common[@]}" >/dev/null ||
	ha_die "cannot write the history on the primary"
ha_sync b a
check_eq "b is a standby" t "$(ha_psql b t "SELECT pg_is_in_recovery()")"

# Statement lines each server logged for application 'sessctl'.
logged() { # server
	grep -c '^sessctl|' "$HA/$1/postgres.log"
}

reads=(
	"list-user alice"
	"list-user alice --all -o json"
	"list-user bob --device-type mobile -o csv"
	"show 102"
	"show 102 -o json"
	"count alice"
	"count"
	"count --by user --over 3"
	"count --by user -o csv"
	"history"
	"history alice -o csv"
	"history --session 101 -o json"
	"migrate status"
	"migrate --dry-run" # only reads: a deploy's check of what is pending
)
if "$bin" help find >/dev/null 2>&1; then
	reads+=("find")
fi
# metrics reports ages against the clock: a fixed --now makes the
# primary's and the standby's answers comparable.
if "$bin" help metrics >/dev/null 2>&1; then
	reads+=("metrics --now 2025-02-09T00:00:00Z")
fi

for cmd in "${reads[@]}"; do
	read -r -a args <<<"$cmd"
	want=$("$bin" --db "$primary" "${args[@]}" 2>"$HA/err"; echo "exit $?")
	check "on the primary: $cmd (exit 0, output)" eval \
		'[ "${want##*exit }" = 0 ] && [ "$(printf %s "$want" | wc -l)" -ge 1 ] && [ ! -s "$HA/err" ]'
	got=$("$bin" --db "$standby" "${args[@]}" 2>"$HA/err"; echo "exit $?")
	check_eq "on the standby: $cmd: the same output and status" "$want" "$got"
	check "on the standby: $cmd: nothing on stderr" test ! -s "$HA/err"
	[ ! -s "$HA/err" ] || sed 's/^/     | /' "$HA/err"
	before=$(logged b)
	before_a=$(logged a)
	got=$("$bin" --db "$prefer" "${args[@]}" 2>"$HA/err"; echo "exit $?")
	check_eq "through prefer-standby: $cmd: the same output and status" "$want" "$got"
	check "through prefer-standby: $cmd: the standby ran it, the primary nothing" \
		test "$(logged b)" -gt "$before" -a "$(logged a)" -eq "$before_a"
done

# ---- writes that land on the standby ------------------------------------

snapshot() { # server
	ha_psql "$1" t "SELECT 'sessions', count(*), sum(hashtext(s::text)) FROM sessions s
	  UNION ALL SELECT 'audit', count(*), sum(hashtext(a::text)) FROM sessctl_audit a
	  UNION ALL SELECT 'migrations', count(*), sum(hashtext(m::text)) FROM sessctl_migrations m"
}
before_a=$(snapshot a)
before_b=$(snapshot b)
writes=(
	"logout 102 --actor alice"
	"logout --user alice --latest --actor alice"
	"logout --user bob --device fp-2-1 --actor alice"
	"logout-all bob --yes --actor alice"
	"logout-all alice --except 104 --yes --actor alice"
	"enforce --actor alice"
	"enforce --max-sessions 1 --user alice --actor alice"
	"create --user bob --fingerprint fp-standby --device-type web --actor alice"
	"migrate"
	# a dry run writes nothing, but runs as the change would, in a write
	# transaction rolled back: refused alike, not a report of what a
	# standby would do
	"logout 103 --dry-run --actor alice"
	"logout-all alice --dry-run --actor alice"
	"enforce --dry-run --actor alice"
	"create --user bob --fingerprint fp-dry --dry-run --actor alice"
	"logout --where --user alice --dry-run --actor alice"
	"logout --where --user bob --yes --actor alice"
)
primary_log=$(logged a)
for url in "$standby" "$prefer"; do
	if [ "$url" = "$standby" ]; then
		how="on the standby"
	else
		how="through prefer-standby"
	fi
	for cmd in "${writes[@]}"; do
		read -r -a args <<<"$cmd"
		start=$(date +%s%N)
		"$bin" --db "$url" "${args[@]}" >"$HA/out" 2>"$HA/err"
		rc=$?
		ms=$((($(date +%s%N) - start) / 1000000))
		check_eq "$how: $cmd: exit 69" 69 "$rc"
		check "$how: $cmd: one stderr line saying it is a read-only standby and to ask for target_session_attrs=read-write" \
			eval '[ "$(wc -l <"$HA/err")" -eq 1 ] && grep -qi "standby" "$HA/err" &&
			grep -q "target_session_attrs=read-write" "$HA/err" && grep -q "^sessctl: " "$HA/err"'
		[ "$rc" -eq 69 ] || sed 's/^/     | /' "$HA/err"
		check "$how: $cmd: it failed at once (${ms} ms)" test "$ms" -lt 3000
		check "$how: $cmd: nothing on stdout" test ! -s "$HA/out"
	done
done
check_eq "the writes sent nothing to the primary" "$primary_log" "$(logged a)"
check_eq "the writes changed nothing on the primary" "$before_a" "$(snapshot a)"
check_eq "the writes changed nothing on the standby" "$before_b" "$(snapshot b)"

# The same commands are fine on the primary: the failures above came from
# the standby, not from the commands.
for cmd in "${writes[@]}"; do
	read -r -a args <<<"$cmd"
	"$bin" --db "$primary" "${args[@]}" >/dev/null 2>"$HA/err"
	rc=$?
	check_eq "on the primary: $cmd: exit 0" 0 "$rc"
	[ "$rc" -eq 0 ] || sed 's/^/     | /' "$HA/err"
done
check "the writes on the primary changed it" test "$before_a" != "$(snapshot a)"

# ---- a read the standby's replay cancels ---------------------------------
# Without hot_standby_feedback, a vacuum on the primary removes rows a
# long read on the standby still sees; replay waits
# max_standby_streaming_delay, then cancels the read. That said "try
# again later", and a long find run again meets it again: it names the
# cause and the settings now.
ha_psql a t "INSERT INTO sessions (id, user_id, device_fingerprint, device_name, created_at,
                      last_activity, is_active)
  SELECT 100000 + g, 1, 'bulk-' || g, repeat('x', 200), '2025-01-01', '2025-01-02', true
  FROM generate_series(1, 20000) g" >/dev/null
ha_psql b postgres "ALTER SYSTEM SET max_standby_streaming_delay = '1s'" >/dev/null
ha_psql b postgres "SELECT pg_reload_conf()" >/dev/null
ha_sync b a
# The reader stops reading after the first 64 kB: find waits, its
# transaction and snapshot open, while the primary changes and vacuums.
# (Into a pipe a listing queues what its reader does not take in TMPDIR
# and ends its transaction; without a usable TMPDIR it waits as a long
# read does.)
(TMPDIR=/nonexistent "$bin" --db "$standby" find -o csv 2>"$HA/err"; echo $? >"$HA/conflict.rc") |
	(head -c 65536 >/dev/null; touch "$HA/reading"; sleep 8; cat >/dev/null) &
reader=$!
# the change once find reads (a fixed second raced a slow start)
for ((i = 0; i < 300; i++)); do
	[ -e "$HA/reading" ] && break
	sleep 0.1
done
ha_psql a t "UPDATE sessions SET device_name = 'y' WHERE id > 100000" >/dev/null
ha_psql a t "VACUUM sessions" >/dev/null
wait "$reader"
check_eq "a read the standby's replay cancels exits 75" 75 "$(cat "$HA/conflict.rc")"
check "it names the cause and the settings that avoid it" grep -q \
	"the standby's replay of the primary's changes cancelled this read: set hot_standby_feedback = on (or a longer max_standby_streaming_delay) on the standby, or read from the primary" \
	"$HA/err"
check_eq "it is one line" 1 "$(grep -c . "$HA/err")"

ha_summary
