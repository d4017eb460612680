#!/bin/bash
# Fault injection on SQLite (issue 11, item 13). Each fault must leave the
# database consistent: PRAGMA integrity_check says ok, every closed session
# has exactly one audit row of a closing action (and no active one has
# any), a rerun finishes the work and a further run changes nothing.
#
# 1. A read-only file and a read-only directory (sessctl runs as 'nobody'
#    there, since root writes anywhere): write commands exit 77 with a
#    message, the file is unchanged, reads work.
# 2. A full disk (a tiny tmpfs, filled up) during `enforce`, `logout-all`
#    (rollback journal and WAL) and `migrate`: exit 74 saying the disk is
#    full, no half-applied batch; after freeing space a rerun completes.
# 3. A writer holding the lock (sqlite3 in BEGIN IMMEDIATE, sleeping)
#    longer than the busy timeout and its retries: exit 75, nothing
#    changed, reads still work.
# 4. SIGKILL of `enforce` at random points, 20 times (10 with a rollback
#    journal, 10 in WAL mode), on 40 000 sessions in batches of 25: the
#    invariants after each kill, then a rerun completes and another run
#    changes nothing.
#
#   tests/check-faults-sqlite.sh SESSCTL
set -u
bin=$(cd "$(dirname "${1:?usage: check-faults-sqlite.sh SESSCTL}")" && pwd)/$(basename "$1")
unset SESSCTL_DB SESSCTL_NOW SESSION_TIMEOUT_HOURS MAX_SESSIONS_PER_USER
passed=0
failed=0
dir=
mnt=
holder=
bg=

cleanup() {
	[ -n "$bg" ] && kill -9 "$bg" 2>/dev/null && wait "$bg" 2>/dev/null
	[ -n "$holder" ] && kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null
	if [ -n "$mnt" ] && mountpoint -q "$mnt"; then
		umount "$mnt" || echo "check-faults-sqlite: cannot unmount $mnt" >&2
	fi
	if mountpoint -q "$dir/roomy" 2>/dev/null; then
		umount "$dir/roomy" || echo "check-faults-sqlite: cannot unmount $dir/roomy" >&2
	fi
	case $dir in
	/tmp/scfault.*) rm -rf "$dir" ;;
	esac
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

die() {
	echo "check-faults-sqlite: $*" >&2
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
		bad "$1: no /$2/ in: $(head -c 300 "$3")"
	fi
}

# Exactly one line on stderr, starting "sessctl: ".
check_one_line() { # what, file
	local n
	n=$(wc -l <"$2")
	if [ "$n" -eq 1 ] && grep -q '^sessctl: ' "$2"; then
		ok "$1: one 'sessctl:' line on stderr"
	else
		bad "$1: stderr is not one 'sessctl:' line: $(head -c 300 "$2")"
	fi
}

dir=$(mktemp -d /tmp/scfault.XXXXXX) || die "cannot create a temporary directory"
chmod 755 "$dir"
command -v sqlite3 >/dev/null || die "sqlite3 not found (install sqlite3)"

NOW='2025-02-08 12:00:00'
enforce_args=(--now "$NOW" -o csv enforce --idle-timeout 720h --max-sessions 2
	--actor fault-test --reason faults)
CLOSING="'logout', 'logout-all', 'expire', 'over-limit'"

q() { # db sql
	sqlite3 -batch "$1" "$2" 2>&1
}

# Users 1..N with devices d1..d5: d1, d2 idle since December (expire),
# d3 the oldest of the recent three (over the limit of 2), d4, d5 kept.
make_db() { # path users
	"$bin" --db "$1" -q migrate || die "migrate failed on $1"
	q "$1" "
WITH RECURSIVE u(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM u WHERE i < $2)
INSERT INTO users (id, email, username) SELECT i, 'u' || i || '@example.com', 'u' || i FROM u;
WITH RECURSIVE k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < 5)
INSERT INTO sessions (user_id, device_fingerprint, device_name, created_at, last_activity)
  SELECT id, 'd' || j, 'device ' || j, '2024-01-01 00:00:00',
    CASE WHEN j <= 2 THEN '2024-12-01 00:00:0' || j ELSE '2025-02-08 11:0' || j || ':00' END
  FROM users, k;" >/dev/null || die "cannot fill $1"
}

# The invariants, one check each; label says after what.
consistent() { # db label
	check_eq "$2: integrity_check" ok "$(q "$1" "PRAGMA integrity_check")"
	check_eq "$2: every closed session has exactly one closing audit row, no active one has any" \
		"0|0|0" "$(q "$1" "SELECT
  (SELECT count(*) FROM sessions s WHERE NOT is_active AND (SELECT count(*)
     FROM sessctl_audit a WHERE a.session_id = s.id AND a.action IN ($CLOSING)) <> 1),
  (SELECT count(*) FROM sessctl_audit a JOIN sessions s ON s.id = a.session_id
     WHERE s.is_active AND a.action IN ($CLOSING)),
  (SELECT count(*) FROM sessctl_audit WHERE action IN ($CLOSING))
    - (SELECT count(*) FROM sessions WHERE NOT is_active)")"
}

# What a completed enforce over N users leaves.
enforced() { # db users label
	check_eq "$3: audit rows by action" "expire|$((2 * $2))
over-limit|$2" "$(q "$1" "SELECT action, count(*) FROM sessctl_audit GROUP BY 1 ORDER BY 1")"
	check_eq "$3: active sessions are d4 and d5 of every user" "$((2 * $2))|0" \
		"$(q "$1" "SELECT count(*), count(*) FILTER (WHERE device_fingerprint NOT IN ('d4', 'd5'))
		  FROM sessions WHERE is_active")"
}

state() { # db: counts that a failed command must leave as they were
	q "$1" "SELECT (SELECT count(*) FROM sessions WHERE is_active), (SELECT count(*) FROM sessctl_audit),
	  (SELECT count(*) FROM sessctl_migrations)"
}

# ---- 1. read-only file, read-only directory -----------------------------

if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
	# root writes through any permission: the cases run as 'nobody'.
	bad "read-only file and directory: need root and a 'nobody' user to run sessctl as"
else
	ro=$dir/ro
	mkdir "$ro"
	make_db "$ro/s.db" 20
	chown -R nobody: "$ro"
	as_nobody() {
		(cd / && runuser -u nobody -- "$bin" --db "$ro/s.db" "$@")
	}
	ro_case() { # label, migrate's exit status with nothing to apply
		local sum rc
		sum=$(sha256sum <"$ro/s.db")
		as_nobody "${enforce_args[@]}" >"$dir/out" 2>"$dir/err"
		check_eq "$1: enforce exits 77" 77 $?
		check_grep "$1: enforce says why" 'permission denied|read-?only' "$dir/err"
		check_one_line "$1: enforce" "$dir/err"
		as_nobody logout-all 3 --yes >"$dir/out" 2>"$dir/err"
		check_eq "$1: logout-all exits 77" 77 $?
		check_grep "$1: logout-all says why" 'permission denied|read-?only' "$dir/err"
		as_nobody logout 7 >"$dir/out" 2>"$dir/err"
		check_eq "$1: logout exits 77" 77 $?
		as_nobody create --user 4 --fingerprint new-device >"$dir/out" 2>"$dir/err"
		check_eq "$1: create exits 77" 77 $?
		check_eq "$1: the file is unchanged" "$sum" "$(sha256sum <"$ro/s.db")"
		as_nobody -o csv --no-header --columns active count >"$dir/out" 2>"$dir/err"
		rc=$?
		check_eq "$1: count works (exit 0, 100 sessions)" "0 100" "$rc $(tr -d '\r' <"$dir/out")"
		as_nobody list-user 3 >"$dir/out" 2>"$dir/err"
		check_eq "$1: list-user works" "0 6" "$? $(wc -l <"$dir/out")"
		as_nobody migrate status >"$dir/out" 2>"$dir/err"
		check_eq "$1: migrate status works" 0 $?
		# migrate opens for writing: refused on a read-only file, while in a
		# read-only directory it finds nothing to apply and writes nothing.
		as_nobody migrate >"$dir/out" 2>"$dir/err"
		check_eq "$1: migrate with nothing to apply exits $2" "$2" $?
		if [ -e "$ro/s.db-journal" ] || [ -e "$ro/s.db-wal" ]; then
			bad "$1: a journal was left behind"
		else
			ok "$1: no journal left behind"
		fi
	}
	chmod 444 "$ro/s.db"
	ro_case "read-only file" 77
	chmod 644 "$ro/s.db"
	chown root: "$ro"
	chmod 755 "$ro"
	ro_case "read-only directory" 0
	# migrate is to create a new file there: it says the directory is
	# the problem, not "unable to open database file" (69).
	(cd / && runuser -u nobody -- "$bin" --db "$ro/new.db" migrate) >"$dir/out" 2>"$dir/err"
	check_eq "read-only directory: migrate of a new file exits 77" 77 $?
	check_grep "read-only directory: migrate of a new file says why" "directory '$ro' is not writable" "$dir/err"
	check_one_line "read-only directory: migrate of a new file" "$dir/err"
	# A user id without a name (a container's --user 54321), no $SUDO_USER:
	# the actor is the login name if getlogin() has one here, else 'uid
	# 54321' (it was 'unknown', the same for every such user).
	nameless=$dir/nameless
	mkdir "$nameless"
	make_db "$nameless/s.db" 2
	chown -R 54321:54321 "$nameless"
	want=$(logname 2>/dev/null) || want='uid 54321'
	(cd / && env -u SUDO_USER setpriv --reuid=54321 --regid=54321 --clear-groups \
		"$bin" --db "$nameless/s.db" -q logout 7) >"$dir/out" 2>"$dir/err"
	check_eq "a user id without a name: logout exits 0" 0 $?
	check_eq "a user id without a name: the audit row's actor" "$want" \
		"$(q "$nameless/s.db" "SELECT actor FROM sessctl_audit WHERE session_id = 7")"
	# A WAL left without its index (the writer that had both killed, the
	# index removed): a reader must create the index, in a directory it
	# may not write to. It said "unable to open database file" (69).
	cp "$ro/s.db" "$ro/w.db"
	q "$ro/w.db" "PRAGMA journal_mode = wal" >/dev/null
	sqlite3 "$ro/w.db" "PRAGMA wal_autocheckpoint = 0" "UPDATE sessions SET device_name = 'x' WHERE id = 7" \
		".shell sleep 30" >/dev/null 2>&1 &
	writer=$!
	for _ in $(seq 100); do
		[ -s "$ro/w.db-wal" ] && break
		sleep 0.05
	done
	kill -9 "$writer"
	wait "$writer" 2>/dev/null
	rm -f "$ro/w.db-shm"
	# the WAL of the usual mode, root's: not what stops a read
	chmod 666 "$ro/w.db"
	chmod 644 "$ro/w.db-wal"
	for cmd in "show 7" "logout 7"; do
		# shellcheck disable=SC2086 # the command's words
		(cd / && runuser -u nobody -- "$bin" --db "$ro/w.db" $cmd) >"$dir/out" 2>"$dir/err"
		check_eq "WAL without its index, read-only directory: $cmd exits 77" 77 $?
		check_grep "WAL without its index, read-only directory: $cmd says why" \
			"its write-ahead log '$ro/w.db-wal' has no index beside it, and this user cannot create one: permission denied on the directory '$ro'" "$dir/err"
		check_one_line "WAL without its index, read-only directory: $cmd" "$dir/err"
	done
	rm -f "$ro/w.db" "$ro/w.db-wal" "$ro/w.db-shm"
	chown -R root: "$ro"
	consistent "$ro/s.db" "read-only cases"
fi

# ---- 2. a full disk -----------------------------------------------------

mnt=$dir/mnt
mkdir "$mnt"
if ! mount -t tmpfs -o size=24m,mode=755 faults "$mnt" 2>"$dir/err"; then
	mnt=
	bad "full disk: cannot mount a tmpfs ($(cat "$dir/err")): the full-disk cases need root and mount(8)"
else
	# Fills the tmpfs, then frees KB kilobytes again.
	fill() { # kb
		dd if=/dev/zero of="$mnt/fill" bs=64k 2>/dev/null
		truncate -s "-$1K" "$mnt/fill" || die "cannot shrink the filler"
		sync
	}

	# enforce: batches of 100 commit until the audit rows no longer fit.
	make_db "$dir/e.db" 8000
	cp "$dir/e.db" "$mnt/e.db"
	fill 1024
	"$bin" --db "$mnt/e.db" "${enforce_args[@]}" --batch-size 100 >"$dir/out" 2>"$dir/err"
	check_eq "full disk, enforce: exits 74" 74 $?
	check_grep "full disk, enforce: says the disk is full" 'disk is full' "$dir/err"
	check_one_line "full disk, enforce" "$dir/err"
	consistent "$mnt/e.db" "full disk, enforce"
	closed=$(q "$mnt/e.db" "SELECT count(*) FROM sessions WHERE NOT is_active")
	if [ "$closed" -gt 0 ] && [ "$closed" -lt 24000 ]; then
		ok "full disk, enforce: stopped mid-run ($closed of 24000 closed)"
	else
		bad "full disk, enforce: expected to stop mid-run, $closed of 24000 closed"
	fi
	check_grep "full disk, enforce: the summary says what was committed" \
		"^[0-9]+,[0-9]+,0,[0-9]+," "$dir/out"
	echo "     (full disk, enforce: $closed sessions closed and audited before the disk filled)"
	rm -f "$mnt/fill"
	"$bin" --db "$mnt/e.db" "${enforce_args[@]}" --batch-size 100 >"$dir/out" 2>"$dir/err"
	check_eq "full disk, enforce: the rerun with space exits 0" 0 $?
	consistent "$mnt/e.db" "full disk, enforce rerun"
	enforced "$mnt/e.db" 8000 "full disk, enforce rerun"
	before=$(state "$mnt/e.db")
	"$bin" --db "$mnt/e.db" "${enforce_args[@]}" >"$dir/out" 2>"$dir/err"
	check_eq "full disk, enforce: a third run exits 0 and closes nothing" "0 0,0,0" \
		"$? $(sed -n 2p "$dir/out" | cut -d, -f1-3)"
	check_eq "full disk, enforce: a third run changes nothing" "$before" "$(state "$mnt/e.db")"
	rm -f "$mnt"/*

	# enforce again on a WAL database: the batches fill the WAL.
	cp "$dir/e.db" "$mnt/w.db"
	q "$mnt/w.db" "PRAGMA journal_mode = wal" >/dev/null
	fill 1024
	"$bin" --db "$mnt/w.db" "${enforce_args[@]}" --batch-size 100 >"$dir/out" 2>"$dir/err"
	check_eq "full disk, enforce, WAL: exits 74" 74 $?
	check_grep "full disk, enforce, WAL: says the disk is full" 'disk is full' "$dir/err"
	check_one_line "full disk, enforce, WAL" "$dir/err"
	consistent "$mnt/w.db" "full disk, enforce, WAL"
	closed=$(q "$mnt/w.db" "SELECT count(*) FROM sessions WHERE NOT is_active")
	if [ "$closed" -gt 0 ] && [ "$closed" -lt 24000 ]; then
		ok "full disk, enforce, WAL: stopped mid-run ($closed of 24000 closed)"
	else
		bad "full disk, enforce, WAL: expected to stop mid-run, $closed of 24000 closed"
	fi
	echo "     (full disk, enforce, WAL: $closed sessions closed and audited before the disk filled)"
	# A write connection lets the WAL grow to 100 MB before it checkpoints
	# (README): give it that room.
	rm -f "$mnt/fill"
	mount -o remount,size=160m "$mnt" || bad "full disk: cannot grow the tmpfs"
	"$bin" --db "$mnt/w.db" "${enforce_args[@]}" --batch-size 100 >"$dir/out" 2>"$dir/err"
	check_eq "full disk, enforce, WAL: the rerun with space exits 0" 0 $?
	consistent "$mnt/w.db" "full disk, enforce, WAL rerun"
	enforced "$mnt/w.db" 8000 "full disk, enforce, WAL rerun"
	before=$(state "$mnt/w.db")
	"$bin" --db "$mnt/w.db" "${enforce_args[@]}" >"$dir/out" 2>"$dir/err"
	check_eq "full disk, enforce, WAL: a third run exits 0 and closes nothing" "0 0,0,0" \
		"$? $(sed -n 2p "$dir/out" | cut -d, -f1-3)"
	check_eq "full disk, enforce, WAL: a third run changes nothing" "$before" "$(state "$mnt/w.db")"
	rm -f "$mnt"/*
	mount -o remount,size=24m "$mnt" || bad "full disk: cannot shrink the tmpfs"

	# logout-all: one transaction for 20 000 sessions of one user.
	make_db "$dir/l.db" 10
	q "$dir/l.db" "WITH RECURSIVE k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < 20000)
	  INSERT INTO sessions (user_id, device_fingerprint, device_name, last_activity)
	  SELECT 7, 'bulk' || j, 'bulk device ' || j, '2025-02-08 10:00:00' FROM k" >/dev/null
	cp "$dir/l.db" "$mnt/l.db"
	fill 512
	before=$(state "$mnt/l.db")
	"$bin" --db "$mnt/l.db" logout-all 7 --yes --actor fault-test -q >"$dir/out" 2>"$dir/err"
	check_eq "full disk, logout-all: exits 74" 74 $?
	check_grep "full disk, logout-all: says the disk is full" 'disk is full' "$dir/err"
	check_one_line "full disk, logout-all" "$dir/err"
	# Through a symbolic link on a roomy file system, $TMPDIR on a third:
	# the database's directory is the link's target's. The line blamed
	# the temporary directory, which had room.
	mkdir "$dir/roomy"
	if mount -t tmpfs -o size=100m,mode=755 faults-roomy "$dir/roomy"; then
		ln -s "$mnt/l.db" "$dir/roomy/link.db"
		TMPDIR=$dir "$bin" --db "$dir/roomy/link.db" logout-all 7 --yes --actor fault-test -q \
			>"$dir/out" 2>"$dir/err"
		check_eq "full disk through a symbolic link, logout-all: exits 74" 74 $?
		check_grep "full disk through a symbolic link, logout-all: says the disk is full" \
			"^sessctl: cannot write to '$dir/roomy/link.db': the disk is full" "$dir/err"
		umount "$dir/roomy" || bad "full disk: cannot unmount $dir/roomy"
	else
		bad "full disk through a symbolic link: cannot mount a second tmpfs"
	fi
	consistent "$mnt/l.db" "full disk, logout-all"
	# Single sessions need a page or two: leave none.
	fill 0
	"$bin" --db "$mnt/l.db" logout 3 >"$dir/out" 2>"$dir/err"
	check_eq "full disk, logout ID: exits 74" 74 $?
	check_grep "full disk, logout ID: says the disk is full" 'disk is full' "$dir/err"
	"$bin" --db "$mnt/l.db" create --user 4 --fingerprint new-device >"$dir/out" 2>"$dir/err"
	check_eq "full disk, create: exits 74" 74 $?
	check_grep "full disk, create: says the disk is full" 'disk is full' "$dir/err"
	check_eq "full disk, logout-all, logout, create: nothing changed" "$before" "$(state "$mnt/l.db")"
	rm -f "$mnt/fill"
	"$bin" --db "$mnt/l.db" logout-all 7 --yes --actor fault-test -q >"$dir/out" 2>"$dir/err"
	check_eq "full disk, logout-all: the rerun with space exits 0" 0 $?
	consistent "$mnt/l.db" "full disk, logout-all rerun"
	check_eq "full disk, logout-all: user 7's 20 005 sessions closed, one logout-all row each" \
		"0|20005" "$(q "$mnt/l.db" "SELECT (SELECT count(*) FROM sessions WHERE user_id = 7 AND is_active),
		  (SELECT count(*) FROM sessctl_audit WHERE action = 'logout-all' AND user_id = 7)")"
	before=$(state "$mnt/l.db")
	"$bin" --db "$mnt/l.db" logout-all 7 --yes --actor fault-test >"$dir/out" 2>"$dir/err"
	check_eq "full disk, logout-all: a third run exits 0" 0 $?
	check_eq "full disk, logout-all: a third run changes nothing" "$before" "$(state "$mnt/l.db")"
	rm -f "$mnt"/*

	# The temporary directory full, the database's disk roomy: a grouping
	# of 100 000 sessions spills its sort there (SQLite's temporary
	# files go to $TMPDIR). The line blamed the database's disk.
	make_db "$dir/t.db" 20000
	fill 0
	before=$(state "$dir/t.db")
	for cmd in "count --by device-type" "metrics" "enforce --dry-run --now 2025-02-08T12:00:00Z"; do
		# shellcheck disable=SC2086 # the command's words
		TMPDIR=$mnt "$bin" --db "$dir/t.db" $cmd >"$dir/out" 2>"$dir/err"
		check_eq "full temporary directory, $cmd: exits 74" 74 $?
		check_grep "full temporary directory, $cmd: names it, not the database's disk" \
			"on '$dir/t.db': SQLite's temporary directory '$mnt' is full .*set TMPDIR to a directory with room" "$dir/err"
		check_one_line "full temporary directory, $cmd" "$dir/err"
	done
	check_eq "full temporary directory: nothing changed" "$before" "$(state "$dir/t.db")"
	TMPDIR=$dir "$bin" --db "$dir/t.db" count --by device-type >"$dir/out" 2>"$dir/err"
	check_eq "full temporary directory: with TMPDIR elsewhere, the grouping works" "0 0" \
		"$? $(wc -c <"$dir/err")"
	rm -f "$mnt"/* "$dir/t.db"

	# migrate: adopting an application's tables of 40 000 sessions needs
	# room for their indexes.
	q "$dir/m.db" "
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, username TEXT, role TEXT NOT NULL DEFAULT 'user');
CREATE TABLE sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  device_fingerprint TEXT, device_name TEXT, device_type TEXT, browser TEXT, ip_address TEXT,
  created_at TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now')),
  last_activity TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now')), is_active INTEGER NOT NULL DEFAULT 1);
WITH RECURSIVE u(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM u WHERE i < 40000)
INSERT INTO users (id, email) SELECT i, 'u' || i || '@example.com' FROM u;
INSERT INTO sessions (user_id, device_fingerprint, created_at)
  SELECT id, printf('%.60c', 'f') || id, '2024-01-01 00:00:00' FROM users;" >/dev/null ||
		die "cannot make the application database"
	cp "$dir/m.db" "$mnt/m.db"
	fill 512
	sum=$(sha256sum <"$mnt/m.db")
	"$bin" --db "$mnt/m.db" migrate >"$dir/out" 2>"$dir/err"
	check_eq "full disk, migrate: exits 74" 74 $?
	check_grep "full disk, migrate: says the disk is full" 'disk is full' "$dir/err"
	check_one_line "full disk, migrate" "$dir/err"
	check_eq "full disk, migrate: integrity_check" ok "$(q "$mnt/m.db" "PRAGMA integrity_check")"
	check_eq "full disk, migrate: no migration half-applied (only the application's tables)" \
		"sessions|sqlite_autoindex_users_1|sqlite_sequence|users" \
		"$(q "$mnt/m.db" "SELECT group_concat(name, '|') FROM (SELECT name FROM sqlite_master ORDER BY 1)")"
	check_eq "full disk, migrate: the sessions are untouched" "40000" \
		"$(q "$mnt/m.db" "SELECT count(*) FROM sessions")"
	rm -f "$mnt/fill"
	"$bin" --db "$mnt/m.db" -q migrate >"$dir/out" 2>"$dir/err"
	check_eq "full disk, migrate: the rerun with space exits 0" 0 $?
	check_eq "full disk, migrate: at version 8 with the indexes" "1,2,3,4,5,6,7,8|4|ok" \
		"$(q "$mnt/m.db" "SELECT (SELECT group_concat(version) FROM (SELECT version FROM sessctl_migrations ORDER BY 1)),
		  (SELECT count(*) FROM sqlite_master WHERE type = 'index'
		  AND name IN ('idx_user_active', 'idx_created_at', 'uq_sessions_user_device',
		  'idx_sessions_activity')),
		  (SELECT integrity_check FROM pragma_integrity_check)")"
	sum=$(sha256sum <"$mnt/m.db")
	"$bin" --db "$mnt/m.db" migrate >"$dir/out" 2>"$dir/err"
	check_eq "full disk, migrate: a third run exits 0 and says nothing to do" "0 1" \
		"$? $(grep -c 'nothing to do' "$dir/out")"
	check_eq "full disk, migrate: a third run changes nothing" "$sum" "$(sha256sum <"$mnt/m.db")"
	rm -f "$mnt"/*
	umount "$mnt" || bad "full disk: cannot unmount $mnt"
	mnt=
fi

# ---- 3. a writer holds the lock -----------------------------------------

make_db "$dir/b.db" 100
before=$(state "$dir/b.db")
sum=$(sha256sum <"$dir/b.db")
mkfifo "$dir/hold"
sqlite3 "$dir/b.db" <"$dir/hold" >/dev/null 2>&1 &
holder=$!
exec 7>"$dir/hold"
echo "BEGIN IMMEDIATE; SELECT 'locked';" >&7
# Wait until the lock is held: a write must find the database busy.
for _ in $(seq 100); do
	sqlite3 -cmd '.timeout 1' "$dir/b.db" "BEGIN IMMEDIATE; ROLLBACK" >/dev/null 2>&1 || break
	sleep 0.05
done
start=$SECONDS
"$bin" --db "$dir/b.db" "${enforce_args[@]}" >"$dir/out-e" 2>"$dir/err-e" &
pe=$!
"$bin" --db "$dir/b.db" logout-all 5 --yes >"$dir/out-l" 2>"$dir/err-l" &
pl=$!
"$bin" --db "$dir/b.db" -o csv --no-header --columns active count >"$dir/out-c" 2>"$dir/err-c"
check_eq "lock held: count still reads (exit 0, 500)" "0 500" "$? $(tr -d '\r' <"$dir/out-c")"
wait "$pe"
rce=$?
wait "$pl"
rcl=$?
took=$((SECONDS - start))
echo "ROLLBACK;" >&7
exec 7>&-
wait "$holder"
holder=
check_eq "lock held: enforce exits 75" 75 "$rce"
check_grep "lock held: enforce says it stayed locked" 'locked.*try again later' "$dir/err-e"
check_one_line "lock held: enforce" "$dir/err-e"
check_eq "lock held: logout-all exits 75" 75 "$rcl"
check_grep "lock held: logout-all says it stayed locked" 'locked.*try again later' "$dir/err-l"
if [ "$took" -ge 5 ]; then
	ok "lock held: they waited beyond the 5 s busy timeout ($took s)"
else
	bad "lock held: they gave up after $took s, before the busy timeout"
fi
check_eq "lock held: nothing changed" "$sum" "$(sha256sum <"$dir/b.db")"
"$bin" --db "$dir/b.db" "${enforce_args[@]}" >"$dir/out" 2>"$dir/err"
check_eq "lock released: enforce exits 0" 0 $?
consistent "$dir/b.db" "lock released"
enforced "$dir/b.db" 100 "lock released"

# ---- 4. SIGKILL of enforce at random points -----------------------------

kdb=$dir/k.db
make_db "$kdb" 8000
cp "$kdb" "$dir/k0.db"
kills=0
finished=0
resets=0
RANDOM=$$
while [ "$kills" -lt 20 ]; do
	"$bin" --db "$kdb" "${enforce_args[@]}" --batch-size 25 >/dev/null 2>"$dir/err" &
	bg=$!
	# 50 to 400 ms
	sleep "0.$(printf '%03d' $((50 + RANDOM % 350)))"
	if kill -9 "$bg" 2>/dev/null; then
		{ wait "$bg"; } 2>/dev/null
		rc=$?
		bg=
		if [ "$rc" -ne 137 ]; then
			finished=$((finished + 1)) # it ended just before the signal
		else
			kills=$((kills + 1))
			c=$(q "$kdb" "SELECT count(*) FROM sessions WHERE NOT is_active")
			echo "     kill $kills: $c of 24000 sessions closed and audited so far"
			consistent "$kdb" "SIGKILL $kills"
			# The second half of the kills on a WAL database.
			if [ "$kills" -eq 10 ]; then
				q "$kdb" "PRAGMA journal_mode = wal" >/dev/null
				q "$dir/k0.db" "PRAGMA journal_mode = wal" >/dev/null
			fi
		fi
	else
		wait "$bg"
		bg=
		finished=$((finished + 1))
	fi
	# The work is done before 20 kills landed (a fast disk): start over
	# from the untouched copy, so that every kill lands mid-run.
	if [ "$(q "$kdb" "SELECT count(*) FROM sessions WHERE NOT is_active")" = 24000 ]; then
		consistent "$kdb" "run finished between kills"
		rm -f "$kdb-journal" "$kdb-wal" "$kdb-shm"
		cp "$dir/k0.db" "$kdb"
		resets=$((resets + 1))
	fi
done
echo "     ($kills kills mid-run, $finished runs ended before the signal, $resets restarts from scratch)"
"$bin" --db "$kdb" "${enforce_args[@]}" >"$dir/out" 2>"$dir/err"
check_eq "after the kills: a rerun exits 0" 0 $?
consistent "$kdb" "after the kills, rerun"
enforced "$kdb" 8000 "after the kills, rerun"
before=$(state "$kdb")
"$bin" --db "$kdb" "${enforce_args[@]}" >"$dir/out" 2>"$dir/err"
check_eq "after the kills: a further run exits 0 and closes nothing" "0 0,0,0" \
	"$? $(sed -n 2p "$dir/out" | cut -d, -f1-3)"
check_eq "after the kills: a further run changes nothing" "$before" "$(state "$kdb")"

# ---- 5. the file replaced or deleted under a run -----------------------

# A restore or a deploy moves a new file over the database while enforce
# runs: SQLite answered "attempt to write a readonly database" (77, as
# if permission were denied) or "disk I/O error" (69), and the line told
# nothing of what happened. Each run waits for its first committed batch.
make_db "$dir/r0.db" 8000
for how in replaced deleted; do
	cp "$dir/r0.db" "$dir/r.db"
	cp "$dir/r0.db" "$dir/r.new"
	"$bin" --db "$dir/r.db" "${enforce_args[@]}" --batch-size 50 >"$dir/out" 2>"$dir/err" &
	bg=$!
	for _ in $(seq 200); do
		[ "$(q "$dir/r.db" "SELECT count(*) FROM sessctl_audit" 2>/dev/null)" -gt 0 ] 2>/dev/null && break
		sleep 0.05
	done
	if [ "$how" = replaced ]; then mv "$dir/r.new" "$dir/r.db"; else rm "$dir/r.db"; fi
	wait "$bg"
	check_eq "file $how under enforce: exits 69" 69 $?
	check_grep "file $how under enforce: says so" \
		"^sessctl: enforce stopped after [0-9]+ committed batches .*: the file was replaced, moved or deleted while sessctl ran \(what it committed before went to the old file\): run it again" "$dir/err"
	check_one_line "file $how under enforce" "$dir/err"
	rm -f "$dir/r.db" "$dir/r.db-journal" "$dir/r.new"
done

# ---- 6. out of file descriptors ------------------------------------------

# The database opens, its journal cannot: "unable to open database
# file" (69) said nothing of the limit.
cp "$dir/r0.db" "$dir/r.db"
id=$(q "$dir/r.db" "SELECT min(id) FROM sessions WHERE is_active")
before=$(state "$dir/r.db")
(ulimit -n 4 && exec "$bin" --db "$dir/r.db" logout "$id" --actor fault-test) >"$dir/out" 2>"$dir/err"
check_eq "out of file descriptors: logout exits 69" 69 $?
check_grep "out of file descriptors: says so" \
	"too many open files \(this process's limit\): raise the limit \(ulimit -n\) and run again" "$dir/err"
check_one_line "out of file descriptors" "$dir/err"
check_eq "out of file descriptors: nothing changed" "$before" "$(state "$dir/r.db")"
rm -f "$dir/r.db" "$dir/r.db-journal"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
