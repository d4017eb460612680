#!/usr/bin/env bash
# Benchmark: `sessctl enforce` against the obvious single statement and a
# per-user loop, on the same generated SQLite data (SPEC §6).
#   bench/enforce-bench.sh [SESSIONS]   (default 1000000)
# Needs ./sessctl and sqlite3. Prints wall times and their ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
USERS=$((N / 4))
NOW='2025-06-01 00:00:00'
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

gen() {
	local db=$1
	./sessctl --db "$db" -q migrate
	# Users with 1 to 7 sessions (about a quarter over the limit of 3),
	# last activity spread over 60 days (about half idle beyond 720 h).
	sqlite3 "$db" <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE u(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM u WHERE i < $USERS)
INSERT INTO users (id, email, username, role) SELECT i, 'user' || i || '@example.com', 'user' || i, 'user' FROM u;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $N)
INSERT INTO sessions (user_id, device_fingerprint, device_name, device_type, browser, ip_address, created_at, last_activity, is_active)
SELECT 1 + ((i * 7919) % $USERS) , 'fp' || i, 'Device ' || i, CASE WHEN i % 3 = 0 THEN 'mobile' ELSE 'web' END,
       'Firefox', '10.' || (i % 250) || '.' || (i % 199) || '.' || (i % 97),
       datetime('$NOW', '-90 days'),
       datetime('$NOW', '-' || (abs(random()) % (60 * 86400)) || ' seconds'),
       1
FROM s;
COMMIT;
SQL
}

time_it() { # prints seconds of "$@"
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}

echo "generating $N sessions for $USERS users..."
gen "$dir/base.db"
cp "$dir/base.db" "$dir/a.db"
cp "$dir/base.db" "$dir/b.db"

t_sessctl=$(time_it ./sessctl --db "$dir/a.db" --now "$NOW" enforce -q)

# The obvious statements: expire, then one UPDATE over a row_number() of
# every active row.
t_naive=$(time_it sqlite3 "$dir/b.db" "
BEGIN;
UPDATE sessions SET is_active = 0 WHERE is_active AND julianday(last_activity) < julianday('$NOW', '-720 hours');
UPDATE sessions SET is_active = 0 WHERE id IN (
  SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY last_activity DESC, id DESC) AS rn
                  FROM sessions WHERE is_active) WHERE rn > 3);
COMMIT;")

a=$(sqlite3 "$dir/a.db" "SELECT count(*), sum(is_active) FROM sessions")
b=$(sqlite3 "$dir/b.db" "SELECT count(*), sum(is_active) FROM sessions")
over=$(sqlite3 "$dir/a.db" "SELECT count(*) FROM (SELECT user_id FROM sessions WHERE is_active GROUP BY user_id HAVING count(*) > 3)")
echo "sessctl enforce:      ${t_sessctl}s (rows, active after: $a; users over the limit after: $over)"
echo "single statement:     ${t_naive}s (rows, active after: $b)"
echo "ratio naive/sessctl:  $(echo "scale=2; $t_naive / $t_sessctl" | bc)"
[ "$a" = "$b" ] || { echo "MISMATCH: sessctl and the single statement disagree" >&2; exit 1; }
