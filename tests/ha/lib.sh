#!/bin/bash
# Shared helpers of the high-availability checks (tests/check-failover.sh,
# tests/check-standby.sh, tests/check-sharding.sh): throwaway PostgreSQL
# servers (a primary, hot standbys made with pg_basebackup -R) under one
# short temporary directory, and the "ok/FAIL" bookkeeping that ends with
# the "N passed, N failed" line tests/run.sh reads.
#
#   source "$(dirname "$0")/ha/lib.sh"
#   ha_setup                       # makes $HA (a /tmp/scha.XXXXXX directory)
#   ha_primary a 5433 [CONF...]    # initdb + start; socket in $HA/a
#   ha_standby a b 5434            # hot standby of a, streaming (slot b on a), started
#   ha_psql a DB SQL               # one psql -c, unaligned, tuples only
#
# Every server lives in $HA/NAME (data in $HA/NAME/data, log in
# $HA/NAME/postgres.log, unix socket in $HA/NAME) and listens on no TCP
# port. On exit, whatever happened, every server under $HA is stopped
# (immediate), every background process registered with ha_bg_pid is
# killed, and $HA is removed. initdb, pg_ctl and postgres refuse to run as
# root: as root they run as the postgres user through runuser.

HA=
HA_BIN=
HA_PIDS=()
passed=0
failed=0

# Stops the script. The last lines of each server's log come first, as the
# cause is often there, and the message last, where a reader of the tail
# of the output looks.
ha_die() {
	local log
	if [ -n "$HA" ]; then
		for log in "$HA"/*/postgres.log; do
			[ -s "$log" ] || continue
			echo "${0##*/}: the end of ${log#"$HA"/}:" >&2
			tail -n 5 "$log" | sed 's/^/    /' >&2
		done
	fi
	echo "${0##*/}: $*" >&2
	exit 1
}

ha_find_bindir() {
	local d
	if [ -n "${SESSCTL_PG_BINDIR:-}" ]; then
		echo "$SESSCTL_PG_BINDIR"
		return
	fi
	for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_basebackup" ]; then
			echo "$d"
			return
		fi
	done
	return 1
}

# Runs a server program as the postgres user (from /, which it can read).
ha_as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}

ha_cleanup() {
	local pid d
	for pid in "${HA_PIDS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	HA_PIDS=()
	if [ -n "$HA" ] && [ -d "$HA" ]; then
		for d in "$HA"/*/data; do
			[ -f "$d/postmaster.pid" ] || continue
			ha_as_pg "$HA_BIN/pg_ctl" -D "$d" status >/dev/null 2>&1 || continue
			ha_as_pg "$HA_BIN/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1 ||
				echo "${0##*/}: cannot stop the server in $d" >&2
		done
		case $HA in
		/tmp/scha.*) rm -rf "$HA" ;;
		esac
	fi
	HA=
}

# Remembers a background process to kill on exit.
ha_bg_pid() {
	HA_PIDS+=("$1")
}

ha_setup() {
	HA_BIN=$(ha_find_bindir) ||
		ha_die "initdb and pg_basebackup not found (install postgresql-15, or set SESSCTL_PG_BINDIR)"
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 ||
			ha_die "running as root needs a 'postgres' user to own the servers (install postgresql-15)"
		command -v runuser >/dev/null 2>&1 || ha_die "runuser not found (util-linux)"
	fi
	HA=$(mktemp -d /tmp/scha.XXXXXX) || ha_die "cannot create a temporary directory"
	chmod 755 "$HA"
	[ "$(id -u)" -ne 0 ] || chown postgres: "$HA"
	trap ha_cleanup EXIT
	trap 'echo "${0##*/}: interrupted" >&2; exit 130' INT TERM HUP
}

# The settings every server of these tests shares: a unix socket in its
# own directory only, no durability (the tests kill processes, not the
# machine), streaming replication allowed, and every statement logged
# with the application name first.
ha_conf() { # name port
	cat <<CONF

# tests/ha/lib.sh: a throwaway server
listen_addresses = ''
unix_socket_directories = '$HA/$1'
port = $2
max_connections = 30
shared_buffers = 32MB
fsync = off
full_page_writes = on
wal_level = replica
max_wal_senders = 5
hot_standby = on
wal_retrieve_retry_interval = '200ms'
log_line_prefix = '%a|'
log_min_messages = warning
timezone = 'Europe/Berlin'
CONF
}

# ha_primary NAME PORT [SETTING...]: a new primary server, started. Each
# SETTING is a postgresql.conf line such as "log_statement = 'all'".
ha_primary() {
	local name=$1 port=$2 dir=$HA/$1 line
	shift 2
	mkdir "$dir" && chmod 755 "$dir"
	[ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
	if ! ha_as_pg "$HA_BIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 \
		--locale=C --no-sync >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		ha_die "initdb failed for server '$name'"
	fi
	# Role postgres is trusted, for connections and for replication.
	printf 'local all postgres trust\nlocal replication postgres trust\n' >"$dir/data/pg_hba.conf"
	{
		ha_conf "$name" "$port"
		for line in "$@"; do
			echo "$line"
		done
	} >>"$dir/data/postgresql.conf"
	ha_start "$name"
}

# ha_standby PRIMARY NAME PORT: a hot standby of PRIMARY made with
# pg_basebackup -R (it streams from PRIMARY), started. It streams through
# a replication slot named NAME on PRIMARY: without one, a primary that
# restarts after a crash may recycle, at its end-of-recovery checkpoint,
# the WAL segment the standby was in the middle of, and the standby can
# never catch up ("requested WAL segment ... has already been removed";
# check-failover.sh's second part did that now and then).
ha_standby() {
	local primary=$1 name=$2 port=$3 dir=$HA/$2
	mkdir "$dir" && chmod 755 "$dir"
	[ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
	if ! ha_as_pg "$HA_BIN/pg_basebackup" -h "$HA/$primary" -p "$(ha_port "$primary")" \
		-U postgres -D "$dir/data" -R -C -S "$name" -X stream -c fast --no-sync \
		>"$dir/basebackup.log" 2>&1; then
		cat "$dir/basebackup.log" >&2
		ha_die "pg_basebackup of '$primary' into '$name' failed"
	fi
	# The copied configuration names the primary's socket and port: the
	# later lines win.
	printf "\n# the standby's own socket\nunix_socket_directories = '%s'\nport = %s\n" \
		"$dir" "$port" >>"$dir/data/postgresql.conf"
	rm -f "$dir/data/postgres.log"
	ha_start "$name"
}

ha_port() {
	sed -n "s/^port = \([0-9]*\)$/\1/p" "$HA/$1/data/postgresql.conf" | tail -n 1
}

ha_start() {
	local dir=$HA/$1
	if ! ha_as_pg "$HA_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
		start >"$dir/pg_ctl.log" 2>&1; then
		cat "$dir/pg_ctl.log" >&2
		ha_die "server '$1' did not start" # with the end of its log
	fi
}

# ha_kill NAME: the primary "crashes": immediate shutdown, no checkpoint.
ha_kill() {
	ha_as_pg "$HA_BIN/pg_ctl" -D "$HA/$1/data" -m immediate -w stop >/dev/null 2>&1 ||
		ha_die "cannot stop server '$1'"
}

# ha_promote NAME: the standby becomes a primary; waits until it is one.
ha_promote() {
	ha_as_pg "$HA_BIN/pg_ctl" -D "$HA/$1/data" -w -t 60 promote >/dev/null 2>&1 ||
		ha_die "cannot promote server '$1'"
}

# ha_psql NAME DB SQL: runs SQL (one transaction), prints unaligned
# tuples separated by '|'.
ha_psql() {
	"$HA_BIN/psql" -X -q -v ON_ERROR_STOP=1 -At -h "$HA/$1" -p "$(ha_port "$1")" \
		-U postgres -d "$2" -c "$3"
}

# ha_sync STANDBY PRIMARY: waits (at most 30 s) until STANDBY has
# replayed everything PRIMARY has written so far.
ha_sync() {
	local lsn
	lsn=$(ha_psql "$2" postgres "SELECT pg_current_wal_lsn()") || ha_die "cannot ask '$2' for its WAL position"
	for _ in $(seq 300); do
		[ "$(ha_psql "$1" postgres "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn" 2>/dev/null)" = t ] && return 0
		sleep 0.1
	done
	ha_die "standby '$1' did not catch up with '$2' within 30 s"
}

# URL of one server, as a libpq keyword string.
ha_url() { # name db
	echo "host=$HA/$1 port=$(ha_port "$1") dbname=$2 user=postgres"
}

check() { # description, then a command that must succeed
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

# check_eq DESCRIPTION EXPECTED ACTUAL: shows both when they differ.
check_eq() {
	if [ "$2" = "$3" ]; then
		echo "ok   $1"
		passed=$((passed + 1))
	else
		echo "FAIL $1"
		echo "     expected: $(head -c 600 <<<"$2")"
		echo "     got:      $(head -c 600 <<<"$3")"
		failed=$((failed + 1))
	fi
}

ha_summary() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
