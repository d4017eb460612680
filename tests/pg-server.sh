#!/bin/sh
# A throwaway PostgreSQL server for the test suite; never Debian's cluster.
#
#   tests/pg-server.sh start   creates a server under a new short temporary
#                              directory, waits until it accepts connections
#                              and prints that directory on stdout
#   tests/pg-server.sh stop DIR
#                              stops that server and removes DIR
#
# The server listens only on a unix socket in DIR (no TCP), trusts every
# local connection as role postgres, and logs every statement to
# DIR/postgres.log with the application name first on each line
# (log_line_prefix '%a '), which the statement-count test reads. Role
# postgres is trusted; other roles authenticate with a password. Its time
# zone is deliberately not UTC, so a backend that leaves times to the
# server's zone shows up. initdb, pg_ctl and postgres refuse to run as
# root: as root they run as the postgres user through runuser.
set -eu

die() {
	echo "pg-server: $*" >&2
	exit 1
}

find_bindir() {
	if [ -n "${SESSCTL_PG_BINDIR:-}" ]; then
		echo "$SESSCTL_PG_BINDIR"
		return
	fi
	if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
		echo /usr/lib/postgresql/15/bin
		return
	fi
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir)
		if [ -x "$d/initdb" ]; then
			echo "$d"
			return
		fi
	fi
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
		if [ -x "$d/initdb" ]; then
			echo "$d"
			return
		fi
	done
	return 1
}

# Runs a server program as the owner of the data directory.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}

start() {
	bindir=$(find_bindir) ||
		die "initdb not found (install postgresql-15, or set SESSCTL_PG_BINDIR)"
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 ||
			die "running as root needs a 'postgres' user to own the server (install postgresql-15)"
		command -v runuser >/dev/null 2>&1 || die "runuser not found (util-linux)"
	fi
	dir=$(mktemp -d /tmp/scpg.XXXXXX) || die "cannot create a temporary directory"
	chmod 755 "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$dir"
	fi
	if ! as_owner "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 \
		--locale=C --no-sync >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		rm -rf "$dir"
		die "initdb failed"
	fi
	# postgres is trusted (the harness creates databases with it); any
	# other role must give its password, so that authentication failures
	# can be tested too.
	cat >"$dir/data/pg_hba.conf" <<HBA
local all postgres trust
local all all scram-sha-256
HBA
	cat >>"$dir/data/postgresql.conf" <<CONF

# tests/pg-server.sh: a throwaway server for the test suite
listen_addresses = ''
unix_socket_directories = '$dir'
port = 5432
max_connections = 60
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_statement = 'all'
log_line_prefix = '%a '
log_min_messages = warning
timezone = 'Europe/Berlin'
CONF
	# LANGUAGE=it: a session that sets lc_messages = 'C.UTF-8' gets the
	# server's messages in Italian (gettext reads LANGUAGE unless the
	# locale is C), for the tests of a server that speaks another
	# language; lc_messages is 'C' otherwise, English.
	if ! LANGUAGE=it as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
		start >"$dir/pg_ctl.log" 2>&1; then
		cat "$dir/pg_ctl.log" >&2
		tail -n 20 "$dir/postgres.log" >&2 2>/dev/null || true
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
		rm -rf "$dir"
		die "the server did not start"
	fi
	echo "$dir"
}

stop() {
	dir=$1
	case $dir in
	/tmp/scpg.*) ;;
	*) die "refusing to remove '$dir': not a directory this script made" ;;
	esac
	[ -d "$dir" ] || return 0
	if [ -f "$dir/data/postmaster.pid" ]; then
		bindir=$(find_bindir) || die "pg_ctl not found"
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 ||
			echo "pg-server: pg_ctl stop failed for '$dir'" >&2
	fi
	rm -rf "$dir"
}

case ${1:-} in
start) start ;;
stop)
	[ $# -eq 2 ] || die "usage: $0 stop DIR"
	stop "$2"
	;;
*) die "usage: $0 start | $0 stop DIR" ;;
esac
