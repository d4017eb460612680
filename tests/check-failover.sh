#!/bin/bash
# Checks `enforce` across a PostgreSQL failover (issue 12, item 2), through
# a multi-host URL with target_session_attrs=read-write:
#
# 1. A primary (a) and a hot standby (b, pg_basebackup -R, synchronous
#    replication, so that every commit sessctl saw is on b). While
#    `enforce --batch-size 1000 -v` runs, a stops (immediate shutdown)
#    and b is promoted. sessctl must say on stderr that it reconnects,
#    reconnect to b, finish with 0, and leave on b: exactly one audit row
#    per closed session, no user over the limit, nothing idle active, the
#    newest sessions kept; a rerun changes nothing.
# 2. b is the primary, c its new standby. While enforce runs, b stops and
#    nobody is promoted: sessctl must give up within a bound with 69 and
#    one error line, having audited every batch it committed (seen on b
#    once b is back); a rerun with the same URL then completes.
#
#   tests/check-failover.sh SESSCTL
set -u
bin=$(cd "$(dirname "${1:?usage: check-failover.sh SESSCTL}")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/ha/lib.sh
source "$here/ha/lib.sh"
unset SESSCTL_DB SESSCTL_NOW SESSION_TIMEOUT_HOURS MAX_SESSIONS_PER_USER PGHOST PGPORT \
	PGDATABASE PGUSER PGSERVICE PGTARGETSESSIONATTRS PGCONNECT_TIMEOUT

NOW='2025-02-08 12:00:00'
USERS=40000 # six sessions each: two idle (expire), one too many (over-limit)
BATCH=1000
# How long sessctl may take to give up when no primary comes back.
GIVE_UP_WITHIN=60
ha_setup

enforce_args=(-v -o csv --now "$NOW" enforce --batch-size "$BATCH" --idle-timeout 720h
	--max-sessions 3 --actor failover-test --reason failover)

# Users 1..USERS with devices d1..d6: d1, d2 idle since December (beyond
# 720 h), d3..d6 active in the last hour, d3 the oldest of them.
load() { # server
	ha_psql "$1" t "
INSERT INTO users (id, email, username)
  SELECT u, 'u' || u || '@example.com', 'u' || u FROM generate_series(1, $USERS) u;
INSERT INTO sessions (user_id, device_fingerprint, device_name, created_at, last_activity)
  SELECT u, 'd' || k, 'device ' || k, '2024-01-01 00:00:00+00',
    CASE WHEN k <= 2 THEN timestamptz '2024-12-01 00:00:00+00' + k * interval '1 hour'
         ELSE timestamptz '2025-02-08 11:00:00+00' + k * interval '1 minute' END
  FROM generate_series(1, $USERS) u, generate_series(1, 6) k;
ANALYZE" >/dev/null || ha_die "cannot load the sessions on '$1'"
}

# The same data again on a server that has run enforce. Sessions made
# active again behind enforce's back, with their old times, are what its
# record of the last run cannot see (README, steady state): the record
# goes too, as after a restore, so that the next run is a full pass.
reload() { # server
	ha_psql "$1" t "DELETE FROM sessctl_audit; DELETE FROM sessctl_enforce_state;
		UPDATE sessions SET is_active = true" >/dev/null &&
		ha_psql "$1" t "VACUUM ANALYZE" >/dev/null || ha_die "cannot reload the sessions on '$1'"
}

q() { # server sql
	ha_psql "$1" t "$2" 2>&1
}

# Waits until the server has at least N audit rows of ACTION, or enforce
# has ended, or 60 s have passed; true in the first case only.
wait_audit() { # server action n pid
	local _
	for _ in $(seq 1200); do
		kill -0 "$4" 2>/dev/null || return 1
		[ "$(q "$1" "SELECT count(*) >= $3 FROM sessctl_audit WHERE action = '$2'")" = t ] && return 0
		sleep 0.05
	done
	return 1
}

# What a completed enforce leaves on the server, one check each.
check_done() { # server, label
	local s=$1 l=$2
	check_eq "$l: every closed session has exactly one audit row" 0 \
		"$(q "$s" "SELECT count(*) FROM sessions s WHERE NOT is_active
		  AND (SELECT count(*) FROM sessctl_audit a WHERE a.session_id = s.id) <> 1")"
	check_eq "$l: no audit row for a session still active, none twice" 0 \
		"$(q "$s" "SELECT (SELECT count(*) FROM (SELECT session_id FROM sessctl_audit
		  GROUP BY 1 HAVING count(*) > 1) x) + (SELECT count(*) FROM sessctl_audit a
		  JOIN sessions s ON s.id = a.session_id WHERE s.is_active)")"
	check_eq "$l: idle sessions expired (audit rows by action)" \
		"expire|$((2 * USERS))
over-limit|$USERS" \
		"$(q "$s" "SELECT action, count(*) FROM sessctl_audit GROUP BY 1 ORDER BY 1")"
	check_eq "$l: nothing idle beyond 720 h is active" 0 \
		"$(q "$s" "SELECT count(*) FROM sessions WHERE is_active
		  AND last_activity < timestamptz '$NOW+00' - interval '720 hours'")"
	check_eq "$l: no user over the limit" 0 \
		"$(q "$s" "SELECT count(*) FROM (SELECT user_id FROM sessions WHERE is_active
		  GROUP BY 1 HAVING count(*) > 3) x")"
	check_eq "$l: every user keeps exactly the three newest devices" "$((3 * USERS))|0" \
		"$(q "$s" "SELECT count(*), count(*) FILTER (WHERE device_fingerprint NOT IN ('d4', 'd5', 'd6'))
		  FROM sessions WHERE is_active")"
}

# Field N (1: expired, 2: over_limit) of enforce's CSV summary record.
summary_field() { # file n
	sed -n '2p' "$1" | tr -d '\r' | cut -d, -f"$2"
}

# ---- 1. the primary fails, the standby is promoted ----------------------

ha_primary a 5433
ha_standby a b 5434
# Synchronous replication: a commit that sessctl saw succeed is on b.
ha_psql a postgres "ALTER SYSTEM SET synchronous_standby_names = '*'" >/dev/null
ha_psql a postgres "SELECT pg_reload_conf()" >/dev/null
ha_psql a postgres "CREATE DATABASE t" >/dev/null
"$bin" --db "$(ha_url a t)" -q migrate || ha_die "sessctl migrate failed on the primary"
load a
ha_sync b a
url="host=$HA/a,$HA/b port=5433,5434 dbname=t user=postgres target_session_attrs=read-write"
check_eq "the standby holds the sessions before enforce runs" "$((6 * USERS))" \
	"$(q b "SELECT count(*) FROM sessions WHERE is_active")"

timeout 120 "$bin" --db "$url" "${enforce_args[@]}" >"$HA/run1.out" 2>"$HA/run1.err" &
pid=$!
ha_bg_pid "$pid"
if wait_audit a expire $((5 * BATCH)) "$pid"; then
	killed=yes
else
	killed=no
fi
check "enforce was still running, five batches in, when the primary stopped" test "$killed" = yes
ha_kill a
ha_promote b
check_eq "b is a primary after promotion" f "$(q b "SELECT pg_is_in_recovery()")"
t0=$SECONDS
wait "$pid"
rc=$?
echo "     (enforce ended $((SECONDS - t0)) s after the promotion; last stderr lines:)"
tail -n 3 "$HA/run1.err" | sed 's/^/     | /'
check_eq "enforce reconnected and finished: exit 0" 0 "$rc"
check "with -v, enforce said on stderr that it reconnects" grep -qi 'reconnect' "$HA/run1.err"
check_done b "after the failover"
expired=$(summary_field "$HA/run1.out" 1)
over=$(summary_field "$HA/run1.out" 2)
audit_expired=$(q b "SELECT count(*) FROM sessctl_audit WHERE action = 'expire'")
audit_over=$(q b "SELECT count(*) FROM sessctl_audit WHERE action = 'over-limit'")
# A batch whose COMMIT was sent but not answered may have committed: it is
# audited but sessctl cannot count it. Nothing is ever counted twice.
check "the summary counts no more than was audited, at most one batch less (expired $expired of $audit_expired, over-limit $over of $audit_over)" \
	eval "[ -n '$expired' ] && [ -n '$over' ] &&
	[ '$expired' -le '$audit_expired' ] && [ '$expired' -ge $((audit_expired - BATCH)) ] &&
	[ '$over' -le '$audit_over' ] && [ '$over' -ge $((audit_over - BATCH)) ]"

before=$(q b "SELECT count(*), max(id) FROM sessctl_audit")
"$bin" --db "$url" "${enforce_args[@]}" >"$HA/rerun1.out" 2>"$HA/rerun1.err"
rc=$?
check_eq "a rerun with the same URL exits 0" 0 "$rc"
check_eq "a rerun changes nothing (summary 0 expired, 0 over the limit)" "0,0" \
	"$(summary_field "$HA/rerun1.out" 1),$(summary_field "$HA/rerun1.out" 2)"
check_eq "a rerun writes no audit row" "$before" "$(q b "SELECT count(*), max(id) FROM sessctl_audit")"

# ---- 2. the primary fails and nothing is promoted -----------------------

reload b
ha_standby b c 5435
ha_psql b postgres "ALTER SYSTEM SET synchronous_standby_names = '*'" >/dev/null
ha_psql b postgres "SELECT pg_reload_conf()" >/dev/null
ha_sync c b
url="host=$HA/b,$HA/c port=5434,5435 dbname=t user=postgres target_session_attrs=read-write"

timeout $((GIVE_UP_WITHIN + 60)) "$bin" --db "$url" "${enforce_args[@]}" \
	>"$HA/run2.out" 2>"$HA/run2.err" &
pid=$!
ha_bg_pid "$pid"
# This time the primary stops in the device-limit step.
if wait_audit b over-limit $((3 * BATCH)) "$pid"; then
	killed=yes
else
	killed=no
fi
check "enforce was still running, in the device-limit step, when the primary stopped" \
	test "$killed" = yes
ha_kill b
t0=$SECONDS
wait "$pid"
rc=$?
took=$((SECONDS - t0))
echo "     (enforce ended $took s after the primary stopped; last stderr lines:)"
tail -n 3 "$HA/run2.err" | sed 's/^/     | /'
check_eq "no primary came back: exit 69" 69 "$rc"
check "it gave up within $GIVE_UP_WITHIN s (took $took s)" test "$took" -le "$GIVE_UP_WITHIN"
check "with -v, it said on stderr that it tried to reconnect" grep -qi 'reconnect' "$HA/run2.err"
check "its last stderr line is one error line ('sessctl: ...')" \
	eval "tail -n 1 '$HA/run2.err' | grep -q '^sessctl: '"
check_eq "c is still a standby" t "$(q c "SELECT pg_is_in_recovery()")"

ha_start b
check_eq "on b restarted: every committed batch audited (closed sessions = audit rows)" \
	"$(q b "SELECT count(*) FROM sessions WHERE NOT is_active")" \
	"$(q b "SELECT count(*) FROM sessctl_audit WHERE action IN ('expire', 'over-limit')")"
check_eq "on b restarted: each closed session has exactly one audit row" 0 \
	"$(q b "SELECT count(*) FROM sessions s WHERE NOT is_active
	  AND (SELECT count(*) FROM sessctl_audit a WHERE a.session_id = s.id) <> 1")"
# What it said it committed ("enforce stopped after N committed batches (X
# expired, Y over the limit, ...)") is on b, at most one unanswered batch
# more.
said=$(sed -n 's/.*stopped after [0-9]* committed batches* (\([0-9]*\) expired, \([0-9]*\) over the limit.*/\1 \2/p' "$HA/run2.err" | tail -n 1)
audit_expired=$(q b "SELECT count(*) FROM sessctl_audit WHERE action = 'expire'")
audit_over=$(q b "SELECT count(*) FROM sessctl_audit WHERE action = 'over-limit'")
check "on b restarted: what enforce said it committed ($said) is audited ($audit_expired $audit_over)" \
	eval "set -- $said; [ \$# -eq 2 ] && [ \$1 -le $audit_expired ] && [ \$1 -ge $((audit_expired - BATCH)) ] &&
	[ \$2 -le $audit_over ] && [ \$2 -ge $((audit_over - BATCH)) ]"
check "on b restarted: the expire step had finished, the device-limit step had not" \
	test "$(q b "SELECT count(*) FROM sessctl_audit WHERE action = 'expire'") $(q b "SELECT count(*) < $USERS FROM sessctl_audit WHERE action = 'over-limit'")" \
	= "$((2 * USERS)) t"
ha_sync c b
"$bin" --db "$url" "${enforce_args[@]}" >"$HA/rerun2.out" 2>"$HA/rerun2.err"
rc=$?
check_eq "a rerun with the same URL, unchanged, exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || tail -n 3 "$HA/rerun2.err" | sed 's/^/     | /'
check_done b "after the rerun"

ha_summary
