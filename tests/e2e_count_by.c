/* count --by device-type, browser and day in every format, UTC day
 * boundaries, --since as a duration ago and as a date giving the same
 * rows, and the bare-number rule. */
#include "e2e.h"

#include <stdlib.h>

TestSuite(count_by, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);

/* ---- device type and browser (the standard fixture) ----
 *
 * device_type: web 10, 12 active, 13, 21 closed; mobile 11, 20 active;
 * NULL 14 active. */

Test(count_by, device_type_in_every_format)
{
	fx_standard();
	struct run *r;

	r = RUN("count", "--by", "device-type", "-o", "json");
	EXPECT_OK(r);
	EXPECT_OUT(r, "[\n"
		      "{\"device_type\":\"web\",\"active\":2,\"inactive\":2},\n"
		      "{\"device_type\":\"mobile\",\"active\":2,\"inactive\":0},\n"
		      "{\"device_type\":null,\"active\":1,\"inactive\":0}\n"
		      "]\n");
	r = RUN("count", "--by", "device-type", "-o", "ndjson");
	EXPECT_OK(r);
	EXPECT_OUT(r, "{\"device_type\":\"web\",\"active\":2,\"inactive\":2}\n"
		      "{\"device_type\":\"mobile\",\"active\":2,\"inactive\":0}\n"
		      "{\"device_type\":null,\"active\":1,\"inactive\":0}\n");
	r = RUN("count", "--by", "device-type", "-o", "csv");
	EXPECT_OK(r);
	EXPECT_OUT(r, "device_type,active,inactive\r\nweb,2,2\r\nmobile,2,0\r\n,1,0\r\n");
	r = RUN("count", "--by", "device-type");
	EXPECT_OK(r);
	EXPECT_OUT(r, "DEVICE_TYPE  ACTIVE  INACTIVE\n"
		      "web               2         2\n"
		      "mobile            2         0\n"
		      "-                 1         0\n");
	r = RUN("count", "--by", "device-type", "-o", "csv", "--no-header", "--columns", "active,device_type");
	EXPECT_OK(r);
	EXPECT_OUT(r, "2,web\r\n2,mobile\r\n1,\r\n");
}

/* An adopted table whose is_active may be NULL (an ORM's default
 * Boolean column) or, on SQLite, text: active is what WHERE is_active
 * takes, everything else inactive, alike in every count and listing.
 * NULL (and on SQLite 'false', 'yes') was left out of find --inactive
 * and of both columns of count --by, which counted SQLite's text as
 * active. */
Test(count_by, every_count_and_listing_splits_active_and_inactive_alike)
{
	db_exec("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, username TEXT,"
		" role TEXT NOT NULL DEFAULT 'user');"
		"CREATE TABLE sessions (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL,"
		" device_fingerprint TEXT, device_name TEXT, device_type TEXT, browser TEXT,"
		" ip_address TEXT, created_at TIMESTAMP, last_activity TIMESTAMP, is_active BOOLEAN)");
	EXPECT_OK(RUN("-q", "migrate"));
	db_exec("INSERT INTO users (id, email, username) VALUES (1, 'a@example.com', 'a');"
		"INSERT INTO sessions (id, user_id, device_fingerprint, device_type, browser,"
		" created_at, last_activity, is_active) VALUES"
		" (1, 1, 'f1', 'web', 'B', '2025-02-01 10:00:00', '2025-02-01 10:00:00', TRUE),"
		" (2, 1, 'f2', 'web', 'B', '2025-02-01 10:00:00', '2025-02-01 10:00:00', NULL),"
		" (3, 1, 'f3', 'web', 'B', '2025-02-01 10:00:00', '2025-02-01 10:00:00', FALSE)");
	const char *inactive = "id\r\n2\r\n3\r\n", *by = "device_type,active,inactive\r\nweb,1,2\r\n";
	const char *by_browser = "browser,active,inactive\r\nB,1,2\r\n";
	const char *totals = "sessions,active,inactive\r\n3,1,2\r\n";
	if (!e2e_pg()) {
		db_exec("INSERT INTO sessions (id, user_id, device_fingerprint, device_type, browser,"
			" created_at, last_activity, is_active) VALUES"
			" (4, 1, 'f4', 'web', 'B', '2025-02-01 10:00:00', '2025-02-01 10:00:00', 'false'),"
			" (5, 1, 'f5', 'web', 'B', '2025-02-01 10:00:00', '2025-02-01 10:00:00', 'yes')");
		inactive = "id\r\n2\r\n3\r\n4\r\n5\r\n";
		by = "device_type,active,inactive\r\nweb,1,4\r\n";
		by_browser = "browser,active,inactive\r\nB,1,4\r\n";
		totals = "sessions,active,inactive\r\n5,1,4\r\n";
	}
	struct run *r = RUN("find", "--inactive", "-o", "csv", "--columns", "id");
	EXPECT_OK(r);
	EXPECT_OUT(r, inactive);
	r = RUN("find", "--active", "-o", "csv", "--columns", "id");
	EXPECT_OK(r);
	EXPECT_OUT(r, "id\r\n1\r\n");
	r = RUN("count", "--by", "device-type", "-o", "csv");
	EXPECT_OK(r);
	EXPECT_OUT(r, by);
	r = RUN("count", "--by", "browser", "-o", "csv");
	EXPECT_OK(r);
	EXPECT_OUT(r, by_browser);
	r = RUN("count", "-o", "csv", "--columns", "sessions,active,inactive");
	EXPECT_OK(r);
	EXPECT_OUT(r, totals);
	r = RUN("metrics", "--now", "2025-02-02");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "\nsessctl_active_sessions{device_type=\"web\"} 1\n");
}

/* Most active first, then most closed, then the name byte by byte (upper
 * case before lower case, whatever the database's collation), NULL last
 * among equals. */
Test(count_by, browser_orders_by_counts_then_bytes)
{
	fx_standard();
	/* A linguistic collation on PostgreSQL ("chrome" before "Zebra"), as
	 * an application's database may have: the order must not follow it. */
	if (e2e_pg())
		e2e_pg_admin("ALTER TABLE sessions ALTER COLUMN browser TYPE varchar(100) COLLATE \"und-x-icu\"");
	db_exec("INSERT INTO sessions (id, user_id, device_fingerprint, browser, is_active) VALUES "
		"(30, 3, 'c1', 'chrome', TRUE), (31, 3, 'c2', 'Zebra', TRUE), (32, 3, 'c3', '\xc3\x89" "dge', TRUE)");
	struct run *r = RUN("count", "--by", "browser", "-o", "csv");

	EXPECT_OK(r);
	EXPECT_OUT(r, "browser,active,inactive\r\n"
		      ",1,1\r\n"
		      "Chrome,1,0\r\n"
		      "Chrome Mobile,1,0\r\n"
		      "Firefox,1,0\r\n"
		      "Safari,1,0\r\n"
		      "Zebra,1,0\r\n"
		      "chrome,1,0\r\n"
		      "\xc3\x89" "dge,1,0\r\n"
		      "Edge,0,1\r\n");
	r = RUN("count", "--by", "browser", "-o", "json", "--columns", "browser,inactive");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "[\n{\"browser\":null,\"inactive\":1},\n{\"browser\":\"Chrome\",\"inactive\":0},\n");
	EXPECT_OUT_HAS(r, "{\"browser\":\"Edge\",\"inactive\":1}\n]\n");
}

Test(count_by, groups_of_an_empty_table)
{
	db_migrate(NULL);
	struct run *r = RUN("count", "--by", "device-type", "-o", "json");

	EXPECT_OK(r);
	EXPECT_OUT(r, "[]\n");
	r = RUN("count", "--by", "browser", "-o", "csv");
	EXPECT_OK(r);
	EXPECT_OUT(r, "browser,active,inactive\r\n");
}

/* ---- day ----
 *
 * 1: created 2025-03-01 23:59:59, last seen 2025-03-03 10:00:00
 * 2: created and last seen 2025-03-02 00:00:00 (closed)
 * 3: created 2025-03-02 00:30:00+01:00 (2025-03-01 23:30:00 UTC), last
 *    seen 2025-03-05 23:59:59
 * 4: no times
 * 5: created 2025-02-20 12:00:00, last seen 2025-03-01 00:00:00 */
static void fx_days(void)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username, role) VALUES (1, 'a@example.com', 'a', 'user');\n"
		"INSERT INTO sessions (id, user_id, device_fingerprint, created_at, last_activity, is_active) VALUES\n"
		" (1, 1, 'f1', '2025-03-01 23:59:59', '2025-03-03 10:00:00', TRUE),\n"
		" (2, 1, 'f2', '2025-03-02 00:00:00', '2025-03-02 00:00:00', FALSE),\n"
		" (3, 1, 'f3', '2025-03-02 00:30:00+01:00', '2025-03-05 23:59:59', TRUE),\n"
		" (4, 1, 'f4', NULL, NULL, TRUE),\n"
		" (5, 1, 'f5', '2025-02-20 12:00:00', '2025-03-01 00:00:00', TRUE)");
}

#define DAY_NOW "--now", "2025-03-06 12:00:00"

static const char since_0301_csv[] =
	"day,created,last_seen\r\n"
	"2025-03-01,2,1\r\n"
	"2025-03-02,1,1\r\n"
	"2025-03-03,0,1\r\n"
	"2025-03-04,0,0\r\n"
	"2025-03-05,0,1\r\n"
	"2025-03-06,0,0\r\n";

Test(count_by, day_counts_per_utc_day_with_empty_days_filled)
{
	fx_days();
	struct run *r = RUN("count", "--by", "day", "--since", "2025-03-01", DAY_NOW, "-o", "csv");

	EXPECT_OK(r);
	EXPECT_OUT(r, since_0301_csv);
}

/* 23:59:59 and 00:00:00 fall on different days; a since in the middle
 * of a day counts that whole day. */
Test(count_by, day_boundaries)
{
	fx_days();
	struct run *r = RUN("count", "--by", "day", "--since", "2025-03-02 00:00:00", DAY_NOW, "-o", "csv");

	EXPECT_OK(r);
	EXPECT_OUT(r, "day,created,last_seen\r\n"
		      "2025-03-02,1,1\r\n"
		      "2025-03-03,0,1\r\n"
		      "2025-03-04,0,0\r\n"
		      "2025-03-05,0,1\r\n"
		      "2025-03-06,0,0\r\n");
	r = RUN("count", "--by", "day", "--since", "2025-03-01 23:59:59", DAY_NOW, "-o", "csv");
	EXPECT_OK(r);
	EXPECT_OUT(r, since_0301_csv);
	r = RUN("count", "--by", "day", "--since", "2025-03-05T23:59:59Z", DAY_NOW, "-o", "csv");
	EXPECT_OK(r);
	EXPECT_OUT(r, "day,created,last_seen\r\n2025-03-05,0,1\r\n2025-03-06,0,0\r\n");
}

/* --since 5d at 2025-03-06 12:00 is 2025-03-01 12:00: the same rows as
 * the date, in any of its forms. */
Test(count_by, day_since_relative_and_absolute_give_the_same_rows)
{
	fx_days();
	const char *forms[] = { "5d", "120h", "2025-03-01", "2025-03-01 12:00:00",
				"2025-03-01T12:00:00Z", "2025-03-01T13:00:00+01:00", "5d11h59m" };

	for (size_t i = 0; i < sizeof(forms) / sizeof(*forms); i++) {
		struct run *r = RUN("count", "--by", "day", "--since", forms[i], DAY_NOW, "-o", "csv");
		EXPECT_OK(r);
		EXPECT_OUT(r, since_0301_csv);
	}
	/* 5d12h reaches back to 2025-03-01 00:00:00 exactly: still that day;
	 * 5d12h1s to the day before, which has nothing. */
	struct run *r = RUN("count", "--by", "day", "--since", "5d12h1s", DAY_NOW, "-o", "csv");
	EXPECT_OK(r);
	EXPECT_OUT(r, "day,created,last_seen\r\n"
		      "2025-02-28,0,0\r\n"
		      "2025-03-01,2,1\r\n"
		      "2025-03-02,1,1\r\n"
		      "2025-03-03,0,1\r\n"
		      "2025-03-04,0,0\r\n"
		      "2025-03-05,0,1\r\n"
		      "2025-03-06,0,0\r\n");
}

/* The same instants written as an application may: on SQLite other text
 * forms (T, Z, offsets, fractions), on PostgreSQL an ORM's "timestamp
 * without time zone" columns, read as UTC. Days and metrics' ages are the
 * same. */
Test(count_by, days_and_ages_from_other_time_forms)
{
	fx_days();
	if (e2e_pg())
		e2e_pg_admin("ALTER TABLE sessions\n"
			     "  ALTER COLUMN created_at TYPE timestamp USING created_at AT TIME ZONE 'UTC',\n"
			     "  ALTER COLUMN last_activity TYPE timestamp USING last_activity AT TIME ZONE 'UTC';\n"
			     "UPDATE sessions SET last_activity = '2025-03-03 10:00:00.5' WHERE id = 1");
	else
		db_exec("UPDATE sessions SET created_at = '2025-03-02T00:59:59+01:00',\n"
			"  last_activity = '2025-03-03T10:00:00.5Z' WHERE id = 1;\n"
			"UPDATE sessions SET created_at = '2025-03-02T00:00:00Z',\n"
			"  last_activity = '2025-03-01 19:00:00-05:00' WHERE id = 2;\n"
			"UPDATE sessions SET last_activity = '2025-03-01T00:00:00.000001' WHERE id = 5");
	struct run *r = RUN("count", "--by", "day", "--since", "2025-03-01", DAY_NOW, "-o", "csv");

	EXPECT_OK(r);
	EXPECT_OUT(r, since_0301_csv);
	/* At 2025-04-15 the active 1, 3 and 5 are idle past 720h; 5, last
	 * seen on 2025-03-01 at midnight, for 45 days. */
	r = RUN("metrics", "--now", "2025-04-15 00:00:00");
	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "\nsessctl_idle_sessions 3\n");
	EXPECT_OUT_HAS(r, "\nsessctl_oldest_idle_session_age_seconds 3888000\n");
}

Test(count_by, day_in_every_format)
{
	fx_days();
	struct run *r = RUN("count", "--by", "day", "--since", "2025-03-04", DAY_NOW, "-o", "json");

	EXPECT_OK(r);
	EXPECT_OUT(r, "[\n"
		      "{\"day\":\"2025-03-04\",\"created\":0,\"last_seen\":0},\n"
		      "{\"day\":\"2025-03-05\",\"created\":0,\"last_seen\":1},\n"
		      "{\"day\":\"2025-03-06\",\"created\":0,\"last_seen\":0}\n"
		      "]\n");
	r = RUN("count", "--by", "day", "--since", "2025-03-04", DAY_NOW, "-o", "ndjson");
	EXPECT_OK(r);
	EXPECT_OUT(r, "{\"day\":\"2025-03-04\",\"created\":0,\"last_seen\":0}\n"
		      "{\"day\":\"2025-03-05\",\"created\":0,\"last_seen\":1}\n"
		      "{\"day\":\"2025-03-06\",\"created\":0,\"last_seen\":0}\n");
	r = RUN("count", "--by", "day", "--since", "2025-03-04", DAY_NOW);
	EXPECT_OK(r);
	EXPECT_OUT(r, "DAY         CREATED  LAST_SEEN\n"
		      "2025-03-04        0          0\n"
		      "2025-03-05        0          1\n"
		      "2025-03-06        0          0\n");
	r = RUN("count", "--by", "day", "--since", "2025-03-04", DAY_NOW, "-o", "csv", "--no-header",
		"--columns", "last_seen");
	EXPECT_OK(r);
	EXPECT_OUT(r, "0\r\n1\r\n0\r\n");
}

/* Without --since: from the first day with a time to the later of today
 * and the last day with a time. */
Test(count_by, day_without_since_spans_the_data)
{
	fx_days();
	struct run *r = RUN("count", "--by", "day", "--now", "2025-02-01 00:00:00", "-o", "csv");

	EXPECT_OK(r);
	EXPECT_OUT(r, "day,created,last_seen\r\n"
		      "2025-02-20,1,0\r\n2025-02-21,0,0\r\n2025-02-22,0,0\r\n2025-02-23,0,0\r\n"
		      "2025-02-24,0,0\r\n2025-02-25,0,0\r\n2025-02-26,0,0\r\n2025-02-27,0,0\r\n"
		      "2025-02-28,0,0\r\n"
		      "2025-03-01,2,1\r\n2025-03-02,1,1\r\n2025-03-03,0,1\r\n2025-03-04,0,0\r\n"
		      "2025-03-05,0,1\r\n");
	r = RUN("count", "--by", "day", "--now", "2025-03-07 00:00:00", "-o", "csv", "--no-header");
	EXPECT_OK(r);
	cr_expect(strncmp(r->out, "2025-02-20,1,0\r\n", 16) == 0, "%s", r->out);
	cr_expect_not_null(strstr(r->out, "2025-03-05,0,1\r\n2025-03-06,0,0\r\n2025-03-07,0,0\r\n"), "%s", r->out);
}

Test(count_by, day_of_an_empty_table)
{
	db_migrate(NULL);
	struct run *r = RUN("count", "--by", "day", DAY_NOW, "-o", "json");

	EXPECT_OK(r);
	EXPECT_OUT(r, "[]\n");
	r = RUN("count", "--by", "day", "--since", "2d", DAY_NOW, "-o", "csv");
	EXPECT_OK(r);
	EXPECT_OUT(r, "day,created,last_seen\r\n2025-03-04,0,0\r\n2025-03-05,0,0\r\n2025-03-06,0,0\r\n");
}

/* ---- a bare number where one number is asked ---- */

Test(count_by, one_column_without_header_is_a_bare_number)
{
	fx_standard();
	struct run *r;

	r = RUN("count", "--no-header", "--columns", "active");
	EXPECT_OK(r);
	EXPECT_OUT(r, "5\n");
	r = RUN("count", "-o", "csv", "--no-header", "--columns", "inactive");
	EXPECT_OK(r);
	EXPECT_OUT(r, "2\n");
	r = RUN("count", "alice", "-o", "csv", "--no-header", "--columns", "active_sessions");
	EXPECT_OK(r);
	EXPECT_OUT(r, "4\n");
	r = RUN("count", "bob", "--no-header", "--columns", "active_sessions");
	EXPECT_OK(r);
	EXPECT_OUT(r, "1\n");
}

/* Anything else keeps its format: a header, two columns, JSON. */
Test(count_by, other_shapes_keep_their_format)
{
	fx_standard();
	struct run *r;

	r = RUN("count", "-o", "csv", "--columns", "active");
	EXPECT_OK(r);
	EXPECT_OUT(r, "active\r\n5\r\n");
	r = RUN("count", "-o", "csv", "--no-header", "--columns", "active,inactive");
	EXPECT_OK(r);
	EXPECT_OUT(r, "5,2\r\n");
	r = RUN("count", "-o", "json", "--no-header", "--columns", "active");
	EXPECT_OK(r);
	EXPECT_OUT(r, "{\"active\":5}\n");
	r = RUN("count", "-o", "ndjson", "--no-header", "--columns", "active");
	EXPECT_OK(r);
	EXPECT_OUT(r, "{\"active\":5}\n");
	r = RUN("count", "--columns", "active");
	EXPECT_OK(r);
	EXPECT_OUT(r, "ACTIVE  5\n");
	r = RUN("count", "--no-header", "--columns", "nosuch");
	EXPECT_FAIL(r, 64);
	EXPECT_NO_OUT(r);
}

Test(count_by, bad_combinations_exit_64)
{
	fx_standard();
	const char *const *bad[] = {
		ARGV("count", "--by", "host"),
		ARGV("count", "--by", "device_type"),
		ARGV("count", "--by", "device-type", "--over", "1"),
		ARGV("count", "--by", "day", "--over", "1"),
		ARGV("count", "--since", "1d"),
		ARGV("count", "--by", "user", "--since", "1d"),
		ARGV("count", "--by", "day", "--since", "yesterday"),
		ARGV("count", "--by", "day", "--since", "2025-02-30"),
		ARGV("count", "--by", "day", "--since", ""),
		ARGV("count", "alice", "--by", "day"),
		ARGV("count", "alice", "--since", "1d"),
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct run *r = e2e_run(&(struct call){ .db = NULL }, bad[i]);
		EXPECT_FAIL(r, 64);
		EXPECT_NO_OUT(r);
	}
}

/* A day after today (a clock ahead, a mistyped year) is a row of its own
 * after today's: not the last of a zero row for every day up to it. */
Test(count_by, a_day_after_today_is_a_row_of_its_own)
{
	db_migrate(NULL);
	db_exec("INSERT INTO users (id, email, username) VALUES (1, 'a@example.com', 'a');\n"
		"INSERT INTO sessions (user_id, device_fingerprint, created_at, last_activity, is_active)"
		" VALUES (1, 'f', '2025-03-05 10:00:00', '9000-01-01 00:00:00', TRUE);");
	struct run *r = RUN("count", "--by", "day", DAY_NOW, "-o", "csv");
	EXPECT_OK(r);
	EXPECT_OUT(r, "day,created,last_seen\r\n"
		      "2025-03-05,1,0\r\n"
		      "2025-03-06,0,0\r\n"
		      "9000-01-01,0,1\r\n");
}
