#!/bin/bash
# Checks the sharding discipline of the per-user commands (issue 12,
# item 4) from the statement log of a throwaway server: were `sessions`
# and `sessctl_audit` distributed by user_id (Citus), each of these
# commands would touch one shard only.
#
# The rule, per command run for one user U (user id N):
#   every statement that reads or writes `sessions` or `sessctl_audit`
#   (FROM, JOIN, UPDATE, INTO, DELETE FROM) carries the user's id as the
#   distribution key: a filter `user_id = $k` or `user_id = ANY($k)` whose
#   bound value is N (or the array {N}), or, for an INSERT INTO sessions,
#   N as the user_id value. The one exception: a command given a session
#   id (show ID, logout ID) may first look that session up by primary key
#   (`SELECT ... FROM sessions WHERE id = ...`, no row lock), which is how
#   it learns the user; every statement after it must carry user_id.
# Each command must exit 0 and send at least one statement the rule
# covers, so that no check passes on an empty log.
#
#   tests/check-sharding.sh SESSCTL
set -u
bin=$(cd "$(dirname "${1:?usage: check-sharding.sh SESSCTL}")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/ha/lib.sh
source "$here/ha/lib.sh"
unset SESSCTL_DB SESSCTL_NOW SESSION_TIMEOUT_HOURS MAX_SESSIONS_PER_USER PGHOST PGPORT \
	PGDATABASE PGUSER PGSERVICE PGTARGETSESSIONATTRS PGCONNECT_TIMEOUT PGAPPNAME
ha_setup

ha_primary a 5433 "log_statement = 'all'"
ha_psql a postgres "CREATE DATABASE t" >/dev/null
"$bin" --db "$(ha_url a t)" -q migrate || ha_die "sessctl migrate failed"
# alice (1, an admin) has 6 sessions, bob (2) 5, carol (3) 4, dave (4) 3:
# ids 101..106, 201..205, 301..304, 401..403.
ha_psql a t "
INSERT INTO users (id, email, username, role) VALUES
  (1, 'alice@example.com', 'alice', 'admin'), (2, 'bob@example.com', 'bob', 'user'),
  (3, 'carol@example.com', 'carol', 'user'), (4, 'dave@example.com', 'dave', 'user');
INSERT INTO sessions (id, user_id, device_fingerprint, device_name, device_type, browser,
                      ip_address, created_at, last_activity, is_active)
  SELECT 100 * u + k, u, 'fp-' || u || '-' || k, 'Device ' || k, 'web', 'Firefox',
         '10.0.' || u || '.' || k, timestamptz '2025-01-01 00:00:00+00' + k * interval '1 day',
         timestamptz '2025-02-08 10:00:00+00' - (u * 10 + k) * interval '1 minute', true
  FROM generate_series(1, 4) u, generate_series(1, 6) k WHERE k <= 7 - u;
SELECT setval(pg_get_serial_sequence('sessions', 'id'), 1000);" >/dev/null ||
	ha_die "cannot load the sessions"

# The statements that touch the user-distributed tables.
touches='(FROM|JOIN|UPDATE|INTO)[[:space:]]+(sessions|sessctl_audit)([^[:alnum:]_]|$)'
# A lookup of a session by primary key, without a row lock.
by_id='^SELECT .* FROM sessions WHERE id = (ANY\()?\$[0-9]+'

# Sets the array param[k] from a "parameters:" detail line.
parse_params() {
	local s=$1 re="^[[:space:]]*\\\$([0-9]+) = ('(([^']|'')*)'|NULL),?(.*)$"
	param=()
	while [[ $s =~ $re ]]; do
		if [ "${BASH_REMATCH[2]}" = NULL ]; then
			param[${BASH_REMATCH[1]}]=NULL
		else
			param[${BASH_REMATCH[1]}]=${BASH_REMATCH[3]//\'\'/\'}
		fi
		s=${BASH_REMATCH[5]}
	done
}

# True when the statement carries user id N as its distribution key.
keyed() { # sql, user id (param[] set)
	local sql=$1 uid=$2 rest re k v
	rest=$sql
	re="user_id = (ANY\\()?\\\$([0-9]+)(.*)$"
	while [[ $rest =~ $re ]]; do
		k=${BASH_REMATCH[2]}
		rest=${BASH_REMATCH[3]}
		v=${param[$k]-}
		[ "$v" = "$uid" ] || [ "$v" = "{$uid}" ] && return 0
	done
	[[ $sql =~ user_id\ =\ $uid([^0-9]|$) ]] && return 0
	# INSERT INTO sessions (user_id, ...) VALUES ($k, ...)
	re='INSERT INTO sessions \( ?user_id,.*\) VALUES \( ?\$([0-9]+)'
	if [[ $sql =~ $re ]]; then
		[ "${param[${BASH_REMATCH[1]}]-}" = "$uid" ] && return 0
	fi
	return 1
}

n=0
# shard_check UID RESOLVES COMMAND...: runs one command and checks its
# statements. RESOLVES=1 allows the one lookup by session id first.
shard_check() {
	local uid=$1 resolves=$2 app sql params covered=0 bad=() line
	shift 2
	n=$((n + 1))
	app=shardcheck$n
	"$bin" --db "$(ha_url a t) application_name=$app" --now '2025-02-08 12:00:00' "$@" \
		>"$HA/out" 2>"$HA/err"
	local rc=$?
	check_eq "$*: exit 0" 0 "$rc"
	[ "$rc" -eq 0 ] || sed 's/^/     | /' "$HA/err"
	# Without a logging collector each backend writes its statements to
	# the log itself, before it runs them: the log is complete here.
	while IFS=$'\t' read -r sql params; do
		[[ $sql =~ $touches ]] || continue
		parse_params "$params"
		if [ "$resolves" = 1 ] && [ "$covered" -eq 0 ] && [[ $sql =~ $by_id ]] &&
			! [[ $sql =~ FOR\ (NO\ KEY\ )?(UPDATE|SHARE) ]]; then
			covered=1
			continue
		fi
		covered=$((covered + 1))
		keyed "$sql" "$uid" || bad+=("$sql")
	done < <(awk -v app="$app" -f "$here/ha/statements.awk" "$HA/a/postgres.log")
	check "$*: it sent statements on sessions or the audit trail ($covered)" test "$covered" -gt 0
	check "$*: each is keyed by user_id = $uid" test "${#bad[@]}" -eq 0
	for line in "${bad[@]}"; do
		echo "     | $(cut -c1-200 <<<"$line")"
	done
}

w=(--actor alice --reason sharding)
shard_check 1 0 list-user alice
shard_check 2 0 list-user 2 --all -o json
shard_check 1 1 show 102
shard_check 1 0 count alice
shard_check 2 0 count bob@example.com
shard_check 1 0 history alice
shard_check 1 1 logout 102 "${w[@]}"
shard_check 1 1 logout 103 104 "${w[@]}"
shard_check 1 0 logout --user alice --latest "${w[@]}"
shard_check 2 0 logout --user bob --device fp-2-1 "${w[@]}"
shard_check 3 0 logout-all carol --yes "${w[@]}"
shard_check 2 0 logout-all bob --except 205 --yes "${w[@]}"
shard_check 2 0 logout --where --user bob --yes "${w[@]}"
shard_check 1 0 logout --where --user alice --device-type web --batch-size 2 --yes "${w[@]}"
shard_check 4 0 create --user dave --fingerprint fp-new --device-name 'New phone' "${w[@]}"
shard_check 4 0 create --user dave --fingerprint fp-4-1 "${w[@]}"
shard_check 4 0 enforce --user dave --max-sessions 1 "${w[@]}"
shard_check 4 0 history dave -o csv

# The rule is not vacuous: the same check flags a statement by id alone.
param=([1]='{101}')
check "the check flags 'UPDATE sessions ... WHERE id = ANY(\$1)' (no user_id)" \
	eval '! keyed "WITH changed AS ( UPDATE sessions SET is_active = false WHERE id = ANY(\$1::bigint[]) AND is_active RETURNING id, user_id) SELECT id, user_id FROM changed" 1'
param=([1]=2)
check "the check flags 'user_id = \$1' bound to another user" \
	eval '! keyed "SELECT count(*) FROM sessions WHERE user_id = \$1::bigint AND is_active" 1'

ha_summary
