#!/usr/bin/env bash
# Benchmark on PostgreSQL (a throwaway server from tests/pg-server.sh):
#  1. list-user of one user's N sessions against psql running the same
#     SQL as a whole process (SPEC §6: within 1.15x);
#  2. enforce against the obvious single statements on the same data.
#   bench/pg-bench.sh [SESSIONS]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
USERS=$((N / 4))
NOW='2025-06-01 00:00:00'
dir=$(tests/pg-server.sh start)
trap 'tests/pg-server.sh stop "$dir"' EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -U postgres)
url() { echo "host=$dir user=postgres dbname=$1"; }

best() { # the best of 3 wall times of "$@", in seconds
	local b=999 t0 t1 t
	for _ in 1 2 3; do
		t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
		t=$(echo "$t1 - $t0" | bc)
		b=$(echo "if ($t < $b) $t else $b" | bc)
	done
	echo "$b"
}
once() { # the wall time of "$@", in seconds
	local t0 t1
	t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}

"${PSQL[@]}" -d postgres -c "CREATE DATABASE list"
./sessctl --db "$(url list)" -q migrate
"${PSQL[@]}" -d list -c "INSERT INTO users (id, email) VALUES (1, 'a@example.com');
INSERT INTO sessions (user_id, device_fingerprint, device_name, device_type, browser, ip_address, created_at, last_activity)
SELECT 1, 'fp' || i, 'Device ' || i, 'web', 'Firefox', '10.0.0.1', '2025-01-01 00:00:00+00',
       timestamptz '2025-01-01 00:00:00+00' + i * interval '1 second' FROM generate_series(1, $N) AS i;
ANALYZE;"
SQL="SELECT id, user_id, device_fingerprint, device_name, device_type, browser, ip_address,
 floor(extract(epoch FROM created_at))::bigint, floor(extract(epoch FROM last_activity))::bigint,
 is_active FROM sessions WHERE user_id = 1 AND (false OR is_active)
 ORDER BY last_activity DESC NULLS LAST, id DESC"
c=$(best "${PSQL[@]}" -d list -A -t -c "$SQL")
s=$(best ./sessctl --db "$(url list)" list-user 1 -o json)
echo "list-user -o json: psql ${c}s  sessctl ${s}s  ratio $(echo "scale=2; $s / $c" | bc)"

"${PSQL[@]}" -d postgres -c "CREATE DATABASE a"
./sessctl --db "$(url a)" -q migrate
"${PSQL[@]}" -d a -c "INSERT INTO users (id, email, username, role)
SELECT i, 'user' || i || '@example.com', 'user' || i, 'user' FROM generate_series(1, $USERS) AS i;
INSERT INTO sessions (user_id, device_fingerprint, device_name, device_type, browser, ip_address, created_at, last_activity, is_active)
SELECT 1 + (i::bigint * 7919) % $USERS, 'fp' || i, 'Device ' || i, 'web', 'Firefox', '10.0.0.1',
       timestamptz '$NOW+00' - interval '90 days',
       timestamptz '$NOW+00' - (random() * 60 * 86400) * interval '1 second', true
FROM generate_series(1, $N) AS i;
ANALYZE;"
"${PSQL[@]}" -d postgres -c "CREATE DATABASE b TEMPLATE a"
t_sessctl=$(once ./sessctl --db "$(url a)" --now "$NOW" enforce -q)
t_naive=$(once "${PSQL[@]}" -d b -c "BEGIN;
UPDATE sessions SET is_active = false WHERE is_active AND last_activity < timestamptz '$NOW+00' - interval '720 hours';
UPDATE sessions SET is_active = false WHERE id IN (
  SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY last_activity DESC, id DESC) AS rn
                  FROM sessions WHERE is_active) AS r WHERE rn > 3);
COMMIT;")
a=$("${PSQL[@]}" -d a -A -t -c "SELECT count(*), count(*) FILTER (WHERE is_active) FROM sessions")
b=$("${PSQL[@]}" -d b -A -t -c "SELECT count(*), count(*) FILTER (WHERE is_active) FROM sessions")
echo "enforce: sessctl ${t_sessctl}s (rows, active after: $a)  single statements ${t_naive}s ($b)"
[ "$a" = "$b" ] || { echo "MISMATCH: sessctl and the single statements disagree" >&2; exit 1; }
