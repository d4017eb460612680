#!/bin/sh
# A throwaway PgBouncer in transaction mode in front of a throwaway
# PostgreSQL server (tests/pg-server.sh), for the suite's pooled pass.
#
#   tests/pgbouncer.sh start PGDIR
#                     starts a PgBouncer in a new short temporary directory
#                     for the server whose socket directory is PGDIR, waits
#                     until it accepts connections and prints its directory
#                     on stdout (PGBOUNCER_POOL_MODE=statement for a check
#                     that sessctl refuses that mode clearly;
#                     PGBOUNCER_POOL_SIZE and PGBOUNCER_QUERY_WAIT_TIMEOUT
#                     for a check of a pool that stays full)
#   tests/pgbouncer.sh transactions DIR
#                     prints how many transactions it has pooled so far
#                     (SHOW TOTALS), so that a caller can check that the
#                     clients it meant to send through it did go through it
#   tests/pgbouncer.sh stop DIR
#                     stops that PgBouncer and removes DIR
#
# What it is, and why:
# - pool_mode = transaction, default_pool_size = 2: a server connection
#   belongs to a client only for one transaction, and two clients of one
#   database share two server connections, so anything sessctl keeps in a
#   session (SET, named prepared statements, session-level advisory locks,
#   temporary tables) leaks into another client's transactions or is lost
#   between its own;
# - it listens only on a unix socket in DIR, port 5432 (DIR/.s.PGSQL.5432):
#   host=DIR reaches it as host=PGDIR reaches the server;
# - "* = host=PGDIR": any database, including those the harness creates on
#   the server for each test, is reachable through it under its own name;
# - authentication as the server does it (tests/pg-server.sh): role
#   postgres is trusted, every other role gives its password, which
#   PgBouncer checks against the server's pg_authid (auth_query, run as
#   postgres) and then uses itself (SCRAM pass-through), so the tests of
#   wrong passwords and of unprivileged roles mean the same through it;
# - max_client_conn well above what the concurrency tests open at once;
# - ignore_startup_parameters = options: PgBouncer refuses a client that
#   sends the "options" startup parameter (PGOPTIONS, options=...) unless
#   told to drop it, as deployments do; through it such options cannot
#   reach the server, so a test that sets PGOPTIONS checks only that the
#   connection works and the output is unchanged;
# - the server log names each statement's application (tests/pg-server.sh,
#   read by the statement-count test), but PgBouncer gives a server
#   connection the next client's application_name with a SET that the
#   server logs under the previous client's name, adding a statement to
#   a client that never ran it. So that the log counts only what each
#   client ran, every released server connection is renamed "pgbouncer"
#   (server_reset_query_always): its next SET is logged under that name.
#   The cost is one "SET application_name" logged per transaction of a
#   client, the same for every transaction; it changes no other state,
#   so what sessctl leaves in a session still leaks as it would.
# pgbouncer refuses to run as root: as root it runs as the postgres user,
# which owns the server, through runuser.
set -eu

die() {
	echo "pgbouncer.sh: $*" >&2
	exit 1
}

find_pgbouncer() {
	if [ -n "${SESSCTL_PGBOUNCER:-}" ]; then
		[ -x "$SESSCTL_PGBOUNCER" ] && echo "$SESSCTL_PGBOUNCER"
		return
	fi
	for p in /usr/sbin/pgbouncer /usr/bin/pgbouncer /usr/local/bin/pgbouncer; do
		if [ -x "$p" ]; then
			echo "$p"
			return
		fi
	done
	command -v pgbouncer 2>/dev/null
}

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}

start() {
	pgdir=$1
	[ -S "$pgdir/.s.PGSQL.5432" ] || die "no PostgreSQL server listening in '$pgdir'"
	if [ -n "${SESSCTL_PGBOUNCER:-}" ]; then
		bin=$(find_pgbouncer) || die "SESSCTL_PGBOUNCER '$SESSCTL_PGBOUNCER' is not executable"
	else
		bin=$(find_pgbouncer) ||
			die "pgbouncer not found (install pgbouncer: 'make deps', or set SESSCTL_PGBOUNCER)"
	fi
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user"
		command -v runuser >/dev/null 2>&1 || die "runuser not found (util-linux)"
	fi
	dir=$(mktemp -d /tmp/scpgb.XXXXXX) || die "cannot create a temporary directory"
	chmod 755 "$dir"
	cat >"$dir/pgbouncer.ini" <<INI
;; tests/pgbouncer.sh: a throwaway PgBouncer for the test suite
[databases]
* = host=$pgdir port=5432

[pgbouncer]
listen_addr =
listen_port = 5432
unix_socket_dir = $dir
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
pool_mode = ${PGBOUNCER_POOL_MODE:-transaction}
default_pool_size = ${PGBOUNCER_POOL_SIZE:-2}
query_wait_timeout = ${PGBOUNCER_QUERY_WAIT_TIMEOUT:-120}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 500
auth_type = hba
auth_hba_file = $dir/hba.conf
auth_file = $dir/userlist.txt
auth_user = postgres
auth_query = SELECT rolname, CASE WHEN rolvaliduntil < now() THEN NULL ELSE rolpassword END FROM pg_authid WHERE rolname = \$1 AND rolcanlogin
admin_users = postgres
log_connections = 0
log_disconnections = 0
server_login_retry = 1
ignore_startup_parameters = options
server_reset_query = SET application_name = 'pgbouncer'
server_reset_query_always = 1
INI
	cat >"$dir/hba.conf" <<HBA
local all postgres trust
local all all scram-sha-256
HBA
	printf '"postgres" ""\n' >"$dir/userlist.txt"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R postgres: "$dir"
	fi
	if ! as_owner "$bin" -d -q "$dir/pgbouncer.ini" >"$dir/start.log" 2>&1; then
		cat "$dir/start.log" "$dir/pgbouncer.log" >&2 2>/dev/null || true
		stop "$dir"
		die "pgbouncer did not start"
	fi
	i=0
	while [ ! -S "$dir/.s.PGSQL.5432" ]; do
		i=$((i + 1))
		if [ "$i" -gt 100 ]; then
			tail -n 20 "$dir/pgbouncer.log" >&2 2>/dev/null || true
			stop "$dir"
			die "pgbouncer did not listen within 10 s"
		fi
		sleep 0.1
	done
	echo "$dir"
}

stop() {
	dir=$1
	case $dir in
	/tmp/scpgb.*) ;;
	*) die "refusing to remove '$dir': not a directory this script made" ;;
	esac
	[ -d "$dir" ] || return 0
	if [ -f "$dir/pgbouncer.pid" ]; then
		pid=$(cat "$dir/pgbouncer.pid")
		# SIGTERM: immediate shutdown, whatever clients are connected
		if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
			i=0
			while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do
				i=$((i + 1))
				sleep 0.1
			done
			kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
		fi
	fi
	rm -rf "$dir"
}

transactions() {
	dir=$1
	psql=/usr/lib/postgresql/15/bin/psql
	[ -x "$psql" ] || psql=$(command -v psql) || die "psql not found (install postgresql-client)"
	(cd / && "$psql" -X -qAt -h "$dir" -p 5432 -U postgres -d pgbouncer -c "SHOW TOTALS") |
		sed -n 's/^total_xact_count|//p' | grep . || die "cannot read the statistics of '$dir'"
}

case ${1:-} in
transactions)
	[ $# -eq 2 ] || die "usage: $0 transactions DIR"
	transactions "$2"
	;;
start)
	[ $# -eq 2 ] || die "usage: $0 start PGDIR"
	start "$2"
	;;
stop)
	[ $# -eq 2 ] || die "usage: $0 stop DIR"
	stop "$2"
	;;
*) die "usage: $0 start PGDIR | $0 transactions DIR | $0 stop DIR" ;;
esac
