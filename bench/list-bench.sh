#!/usr/bin/env bash
# Benchmark: a per-user command against the sqlite3 client running the
# same SQL as a whole process (SPEC §6: within 1.15x), and its peak memory.
#   bench/list-bench.sh [SESSIONS]   (default 1000000, all of one user)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
db=$dir/list.db
./sessctl --db "$db" -q migrate
sqlite3 "$db" "INSERT INTO users (id, email) VALUES (1, 'a@example.com');
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $N)
INSERT INTO sessions (user_id, device_fingerprint, device_name, device_type, browser, ip_address, created_at, last_activity)
SELECT 1, 'fp' || i, 'Device ' || i, 'web', 'Firefox', '10.0.0.1', '2025-01-01 00:00:00',
       datetime('2025-01-01', '+' || i || ' seconds') FROM s;"
SQL="SELECT id, user_id, device_fingerprint, device_name, device_type, browser, ip_address,
 created_at, last_activity, is_active FROM sessions WHERE user_id = 1 AND (0 OR is_active)
 AND (NULL IS NULL OR device_type = NULL) AND (NULL IS NULL)
 ORDER BY julianday(last_activity) DESC NULLS LAST, id DESC LIMIT -1"

best() { # the best of 3 wall times of "$@", in seconds
	local b=999 t0 t1 t
	for _ in 1 2 3; do
		t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
		t=$(echo "$t1 - $t0" | bc)
		b=$(echo "if ($t < $b) $t else $b" | bc)
	done
	echo "$b"
}
for fmt in json csv; do
	c=$(best sqlite3 -"$fmt" "$db" "$SQL")
	s=$(best ./sessctl --db "$db" list-user 1 -o "$fmt")
	echo "$fmt: sqlite3 ${c}s  sessctl ${s}s  ratio $(echo "scale=2; $s / $c" | bc)"
done
/usr/bin/time -f "ndjson peak RSS: %M KiB" ./sessctl --db "$db" list-user 1 -o ndjson >/dev/null
