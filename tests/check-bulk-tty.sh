#!/bin/bash
# Checks the questions logout --where and logout-all ask on a real
# terminal (a pseudo-terminal made by script(1)): what they say, which
# answers confirm (y or yes in any case), "nothing to do" without a
# question, Ctrl-D ending the prompt line before the error, --except
# refused before any question, and a user renamed while it asks (on
# SQLite, and on a PostgreSQL server of its own). (Without a terminal:
# tests/e2e_bulk.c.)
#   tests/check-bulk-tty.sh SESSCTL
set -u
bin=$(cd "$(dirname "${1:?usage: check-bulk-tty.sh SESSCTL}")" && pwd)/$(basename "$1")
dir=$(mktemp -d /tmp/scbulk.XXXXXX)
trap 'rm -rf "$dir"' EXIT
passed=0
failed=0

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

# A fresh copy of the fixture: users 1 alice (admin), 2 bob, 3 carol (no
# active session); alice has sessions 1 to 10, active, from 203.0.113.x;
# bob has 11 to 50, active, 20 from 203.0.113.x, and 200, closed.
fresh() {
	db=$dir/$1.db
	cp "$dir/base.db" "$db"
}
"$bin" --db "$dir/base.db" -q migrate
sqlite3 "$dir/base.db" "
INSERT INTO users (id, email, username, role) VALUES (1, 'alice@example.com', 'alice', 'admin'),
 (2, 'bob@example.com', 'bob', 'user'), (3, 'carol@example.com', 'carol', 'user');
INSERT INTO sessions (user_id, device_fingerprint, ip_address, is_active)
 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
 SELECT CASE WHEN i <= 10 THEN 1 ELSE 2 END, 'fp' || i,
        CASE WHEN i <= 30 THEN '203.0.113.' || i ELSE '10.0.0.' || i END, 1 FROM n;
INSERT INTO sessions (id, user_id, device_fingerprint, ip_address, is_active) VALUES (200, 2, 'old', '10.0.0.1', 0);
"

active() { sqlite3 "$db" 'SELECT count(*) FROM sessions WHERE is_active'; }
audited() { sqlite3 "$db" 'SELECT count(*) FROM sessctl_audit'; }

# Waits (up to 30 s) until the terminal's copy FILE shows the question
# or the end of the command: typed before the question, an answer's echo
# comes first and the lines the checks read are shifted (a fixed half
# second raced a sanitized build on a loaded machine).
await_question() { # file
	local i
	for ((i = 0; i < 300; i++)); do
		grep -q '\[y/N\]\|^rc=' "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Runs sessctl on a pseudo-terminal with INPUT typed at it (printf
# format; "" types nothing, then the terminal is closed) once it asks;
# prints what the terminal showed, then "rc=STATUS".
on_tty() { # input, args...
	local input=$1 cmd shown
	shift
	cmd=$(printf '%q ' "$bin" --db "$db" "$@" --actor ops)
	shown=$(mktemp "$dir/tty.XXXXXX")
	{ await_question "$shown"; printf "$input"; sleep 0.2; } |
		env TERM=xterm script -qec "$cmd; echo \"rc=\$?\"" /dev/null | tee "$shown" | tr -d '\r'
}

# Runs the command (args...) on a pseudo-terminal; while its question
# waits, runs the shell command MEANWHILE, then answers y. Prints what
# the terminal showed, then "rc=STATUS".
yes_after() { # meanwhile, args...
	local meanwhile=$1 cmd shown
	shift
	cmd=$(printf '%q ' "$@")
	shown=$(mktemp "$dir/tty.XXXXXX")
	{ await_question "$shown"; eval "$meanwhile"; printf 'y\n'; sleep 0.3; } |
		env TERM=xterm script -qec "$cmd; echo \"rc=\$?\"" /dev/null | tee "$shown" | tr -d '\r'
}

# ---- logout --where ----

fresh no
out=$(on_tty 'n\n' logout --where --ip 203.0.113.0/24)
check "bulk logout asks how many sessions of how many users" grep -q 'close 30 active sessions of 2 users? \[y/N\]' <<<"$out"
check "bulk logout: n exits 1" grep -q '^rc=1$' <<<"$out"
check "bulk logout: n says nothing was changed" grep -q '^sessctl: not confirmed: nothing was changed' <<<"$out"
check "bulk logout: n changes nothing" test "$(active)" = 50 -a "$(audited)" = 0

fresh yes
out=$(on_tty 'YES\n' logout --where --ip 203.0.113.0/24 -o csv)
check "bulk logout: YES confirms" grep -q '^rc=0$' <<<"$out"
check "bulk logout: prints its summary" grep -q '^30,2,1,false,0$' <<<"$out"
check "bulk logout: YES closes the 30 sessions with 30 audit rows" test "$(active)" = 20 -a "$(audited)" = 30

fresh y
out=$(on_tty 'y\n' logout --where --user bob --ip 10.0.0.0/8)
check "bulk logout: y confirms" grep -q '^rc=0$' <<<"$out"
check "bulk logout: y closes bob's 20 sessions from 10.x" test "$(active)" = 30 -a "$(audited)" = 20

# While the question waits, bob is renamed and his name given to a new
# user with a session from 10.x: the logout closes the sessions of the
# bob it asked about, not the new one's (it looked --user up again after
# the answer, and closed the new user's session and none of bob's).
fresh renamed
out=$(yes_after "sqlite3 '$db' \"UPDATE users SET username = 'bob_old' WHERE id = 2;
		INSERT INTO users (id, email, username, role) VALUES (4, 'bob2@example.com', 'bob', 'user');
		INSERT INTO sessions (id, user_id, device_fingerprint, ip_address, is_active) VALUES (300, 4, 'new', '10.0.0.2', 1)\"" \
	"$bin" --db "$db" logout --where --user bob --ip 10.0.0.0/8 --actor ops)
check "bulk logout asks about bob's 20 sessions from 10.x" grep -q 'close 20 active sessions of 1 user? \[y/N\]' <<<"$out"
check "bulk logout: a user renamed while it asks: rc 0" grep -q '^rc=0$' <<<"$out"
check "bulk logout: closes the sessions of the user it asked about" \
	test "$(sqlite3 "$db" "SELECT count(*) FROM sessions WHERE is_active AND user_id = 2 AND ip_address LIKE '10.%'")" = 0
check "bulk logout: not those of the user who has the name now" \
	test "$(sqlite3 "$db" 'SELECT is_active FROM sessions WHERE id = 300')" = 1

fresh nothing
out=$(on_tty '' logout --where --ip 192.0.2.0/24)
check "bulk logout with nothing to close says so" grep -q '^nothing to do: no active session matches$' <<<"$out"
check "bulk logout with nothing to close does not ask" bash -c '! grep -q "\[y/N\]" <<<"$1"' _ "$out"
check "bulk logout with nothing to close exits 0" grep -q '^rc=0$' <<<"$out"

fresh eof
out=$(on_tty '\004' logout --all-users)
check "bulk logout --all-users asks about every session" grep -q 'close 50 active sessions of 2 users? \[y/N\]' <<<"$out"
check "bulk logout: Ctrl-D ends the prompt line before the error" grep -q '^sessctl: not confirmed: nothing was changed$' <<<"$out"
check "bulk logout: Ctrl-D exits 1 and changes nothing" test "$(grep -c '^rc=1$' <<<"$out")" = 1 -a "$(active)" = 50

fresh dry
out=$(on_tty '' logout --where --ip 203.0.113.0/24 --dry-run -o csv --columns id --no-header)
check "bulk logout --dry-run on a terminal does not ask" bash -c '! grep -q "\[y/N\]" <<<"$1"' _ "$out"
check "bulk logout --dry-run lists the 30 sessions" test "$(grep -c '^[0-9][0-9]*$' <<<"$out")" = 30

# ---- logout-all ----

fresh carol
out=$(on_tty '' logout-all carol)
check "logout-all of a user with no active session says nothing to do" grep -q '^nothing to do$' <<<"$out"
check "logout-all with nothing to do does not ask" bash -c '! grep -q "\[y/N\]" <<<"$1"' _ "$out"
check "logout-all with nothing to do exits 0" grep -q '^rc=0$' <<<"$out"

fresh only
sqlite3 "$db" "UPDATE sessions SET is_active = 0 WHERE user_id = 1 AND id > 1"
out=$(on_tty '' logout-all alice --except 1)
check "logout-all --except the only active session: nothing to do, no question" \
	bash -c 'grep -q "^nothing to do$" <<<"$1" && ! grep -q "\[y/N\]" <<<"$1"' _ "$out"
check "logout-all --except the only active session exits 0, changes nothing" \
	test "$(grep -c '^rc=0$' <<<"$out")" = 1 -a "$(active)" = 41 -a "$(audited)" = 0

for answer in Yes YES yEs Y; do
	fresh "all-$answer"
	out=$(on_tty "$answer\\n" logout-all alice -q)
	check "logout-all: $answer confirms" test "$(grep -c '^rc=0$' <<<"$out")" = 1 -a "$(active)" = 40
done
fresh all-no
out=$(on_tty 'yess\n' logout-all alice)
check "logout-all: another answer is no" test "$(grep -c '^rc=1$' <<<"$out")" = 1 -a "$(active)" = 50

fresh all-eof
out=$(on_tty '\004' logout-all bob)
check "logout-all asks with the number of sessions" grep -q 'close all 40 active sessions of user 2 (bob@example.com)? \[y/N\]' <<<"$out"
check "logout-all: Ctrl-D ends the prompt line before the error" grep -q '^sessctl: not confirmed: nothing was changed$' <<<"$out"
check "logout-all: Ctrl-D exits 1 and changes nothing" test "$(grep -c '^rc=1$' <<<"$out")" = 1 -a "$(active)" = 50

fresh except
out=$(on_tty 'y\n' logout-all bob --except 200)
check "logout-all --except a closed session: exit 65 before any question" \
	bash -c 'grep -q "^rc=65$" <<<"$1" && ! grep -q "\[y/N\]" <<<"$1"' _ "$out"
check "logout-all --except a closed session says it is closed" grep -q "^sessctl: session 200 of user 'bob' is closed" <<<"$out"
out=$(on_tty 'y\n' logout-all bob --except 1)
check "logout-all --except another user's session: exit 66 before any question" \
	bash -c 'grep -q "^rc=66$" <<<"$1" && ! grep -q "\[y/N\]" <<<"$1"' _ "$out"
check "logout-all --except refused: nothing changed" test "$(active)" = 50 -a "$(audited)" = 0

# ---- PostgreSQL: the user renamed while the question waits ----
# As above, on a throwaway server: the run closes the sessions of the
# user the question counted.
here=$(cd "$(dirname "$0")" && pwd)
pg=$("$here/pg-server.sh" start) || { echo "FAIL cannot start PostgreSQL"; exit 1; }
trap '"$here/pg-server.sh" stop "$pg"; rm -rf "$dir"' EXIT
psql_t() { /usr/lib/postgresql/15/bin/psql -X -q -At -v ON_ERROR_STOP=1 -h "$pg" -U postgres -d t -c "$1"; }
/usr/lib/postgresql/15/bin/psql -X -q -h "$pg" -U postgres -d postgres -c 'CREATE DATABASE t'
url="host=$pg dbname=t user=postgres"
"$bin" --db "$url" -q migrate
psql_t "INSERT INTO users (id, email, username, role) VALUES (1, 'alice@example.com', 'alice', 'admin'),
 (2, 'bob@example.com', 'bob', 'user');
INSERT INTO sessions (id, user_id, device_fingerprint, ip_address) SELECT i, 2, 'fp' || i, '10.0.0.' || i
 FROM generate_series(1, 20) AS i"
out=$(yes_after "psql_t \"UPDATE users SET username = 'bob_old' WHERE id = 2;
		INSERT INTO users (id, email, username, role) VALUES (4, 'bob2@example.com', 'bob', 'user');
		INSERT INTO sessions (id, user_id, device_fingerprint, ip_address) VALUES (300, 4, 'new', '10.0.0.2')\"" \
	"$bin" --db "$url" logout --where --user bob --ip 10.0.0.0/8 --actor ops)
check "PostgreSQL: bulk logout asks about bob's 20 sessions" grep -q 'close 20 active sessions of 1 user? \[y/N\]' <<<"$out"
check "PostgreSQL: a user renamed while it asks: rc 0" grep -q '^rc=0$' <<<"$out"
check "PostgreSQL: closes the sessions of the user it asked about" \
	test "$(psql_t 'SELECT count(*) FROM sessions WHERE is_active AND user_id = 2')" = 0
check "PostgreSQL: not those of the user who has the name now" \
	test "$(psql_t 'SELECT is_active FROM sessions WHERE id = 300')" = t

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
