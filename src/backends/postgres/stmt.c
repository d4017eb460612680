/* Running statements and reading their results: one statement or a
 * stream of rows, columns as numbers and times, times as parameters.
 * Opening a connection is open.c's; transactions are tx.c's. */
#include "postgres.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs sql (one statement or, without params, several) and returns its
 * result when its status is want; otherwise sets err and returns NULL. */
PGresult *pgb_run(struct pg_db *db, const char *sql, int nparams, const char *const *params,
		     ExecStatusType want, const char *what, struct sc_error *err)
{
	PGresult *res = nparams ? PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0)
				: PQexec(db->conn, sql);

	if (res && PQresultStatus(res) == want)
		return res;
	pgb_fail_result(db, res, what, err);
	PQclear(res);
	return NULL;
}

int pgb_run_command(struct pg_db *db, const char *sql, const char *what, struct sc_error *err)
{
	PGresult *res = pgb_run(db, sql, 0, NULL, PGRES_COMMAND_OK, what, err);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

/* Asks the server to cancel the running statement; best effort. */
void pgb_cancel(struct pg_db *db)
{
	char errbuf[256];
	PGcancel *c = PQgetCancel(db->conn);

	if (c) {
		PQcancel(c, errbuf, sizeof(errbuf));
		PQfreeCancel(c);
	}
}

/* Sends sql in single-row mode and hands each row to fn, so memory stays
 * flat however many rows there are. When fn returns non-zero, the rest of
 * the result is read and dropped (the connection stays usable) and that
 * value is returned. */
int pgb_stream(struct pg_db *db, const char *sql, int nparams, const char *const *params,
		  const char *what, row_fn fn, void *ctx, struct sc_error *err)
{
	PGresult *res;
	int rc = 0;

	if (!PQsendQueryParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0))
		return pgb_fail_result(db, NULL, what, err);
	PQsetSingleRowMode(db->conn); /* on failure rows just come in one result */
	while ((res = PQgetResult(db->conn))) {
		ExecStatusType st = PQresultStatus(res);
		if (rc == 0) {
			if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK) {
				for (int i = 0; i < PQntuples(res) && rc == 0; i++)
					rc = fn(db, res, i, ctx, err);
				/* A failed callback (say, the reader of the output
				 * went away) needs no more rows: ask the server to
				 * stop instead of reading the rest. The transaction
				 * is rolled back after a failure anyway. */
				if (rc < 0)
					pgb_cancel(db);
			} else {
				rc = pgb_fail_result(db, res, what, err);
			}
		}
		PQclear(res);
	}
	return rc;
}

const char *pgb_col_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

int64_t pgb_col_int64(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Binary results (a BINARY cursor): an int8 is 8 bytes, most significant
 * first; a timestamptz the int8 count of microseconds since 2000-01-01
 * 00:00:00 UTC. The columns are cast to those types in the query, so
 * the lengths are known; a NULL reads as 0. */
int64_t pgb_bin_int64(const PGresult *res, int row, int col)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(res, row, col);
	uint64_t v = 0;

	if (PQgetlength(res, row, col) != 8)
		return 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

/* Whole epoch seconds, rounded down as floor(extract(epoch ...)) does
 * for the text results: -0.5 s is -1. */
void pgb_bin_time(const PGresult *res, int row, int col, int64_t *t, bool *null)
{
	static const int64_t pg_epoch = 946684800; /* 2000-01-01 in Unix time */
	int64_t us;

	*null = PQgetisnull(res, row, col) != 0;
	if (*null) {
		*t = 0;
		return;
	}
	us = pgb_bin_int64(res, row, col);
	*t = us / 1000000 - (us % 1000000 < 0) + pg_epoch;
}

/* Reads a column selected as floor(extract(epoch FROM t))::bigint. */
void pgb_col_time(const PGresult *res, int row, int col, int64_t *t, bool *null)
{
	*null = PQgetisnull(res, row, col) != 0;
	*t = *null ? 0 : pgb_col_int64(res, row, col);
}

/* Reads a column selected as PG_TIME_SHOWN (PG_TIME_RAW in a binary
 * result), whose PG_TIME_ODD is odd_col:
 * a time sessctl cannot show is read as NULL and told to the core (once
 * per row and column), so that one row never breaks a listing. */
void pgb_col_time_shown(struct pg_db *db, const PGresult *res, int row, int col, int odd_col,
			const char *table, const char *column, int64_t id, int64_t *t, bool *null)
{
	if (PQfformat(res, col) == 1)
		pgb_bin_time(res, row, col, t, null);
	else
		pgb_col_time(res, row, col, t, null);
	if (*null && !PQgetisnull(res, row, odd_col))
		sc_db_unreadable(&db->base, table, id, column, PQgetvalue(res, row, odd_col));
}

const char *pgb_int64_param(int64_t v, char buf[INT64_PARAM_LEN])
{
	snprintf(buf, INT64_PARAM_LEN, "%lld", (long long)v);
	return buf;
}

/* t, and us microseconds past it (0 to 999999), as a timestamptz. */
static const char *time_param(int64_t t, int us, char buf[TIME_PARAM_LEN])
{
	char frac[8] = "";

	if (us)
		snprintf(frac, sizeof(frac), ".%06d", us);
	/* Before the year 1 (a --since a million days ago): the year BC,
	 * as PostgreSQL reads it (1 BC is the year 0), down to 4713 BC, the
	 * earliest it holds; not 0001-01-01, after 44 BC. */
	if (t < SC_TIME_FIRST) {
		char iso[SC_TIME_RFC3339_LEN];
		int64_t bc_4713 = sc_days_from_civil(-4712, 1, 1) * 86400;
		char *end;
		if (t < bc_4713) {
			t = bc_4713;
			frac[0] = '\0';
		}
		sc_time_format_rfc3339(t, iso);
		/* "-000712-01-01T00:00:00Z" (or "+000000-..."): 713 BC */
		int bc = 1 - (int)strtol(iso, &end, 10); /* 1 to 4713 */
		snprintf(buf, TIME_PARAM_LEN, "%04d-%.5s %.8s%s+00 BC", bc, end + 1, end + 7, frac);
		return buf;
	}
	/* After 9999: the year in five or six digits, as PostgreSQL reads
	 * it, up to 294276, the latest it holds; after that 'infinity',
	 * which ranks after every time as such a bound would. */
	if (t > SC_TIME_LAST) {
		char iso[SC_TIME_RFC3339_LEN];
		char *end;
		if (t > sc_days_from_civil(294276, 12, 31) * 86400 + 86399)
			return "infinity";
		sc_time_format_rfc3339(t, iso);
		/* "+010000-06-01T00:00:00Z" */
		long year = strtol(iso, &end, 10);
		snprintf(buf, TIME_PARAM_LEN, "%ld-%.5s %.8s%s+00", year, end + 1, end + 7, frac);
		return buf;
	}
	sc_time_format_sql(t, buf);
	strcat(buf, frac);
	strcat(buf, "+00");
	return buf;
}

const char *pgb_time_param(int64_t t, char buf[TIME_PARAM_LEN])
{
	return time_param(t, 0, buf);
}

const char *pgb_time_us_param(int64_t us, char buf[TIME_PARAM_LEN])
{
	int64_t t = us / 1000000, rem = us % 1000000;

	/* The ends of int64_t: a bound beyond every time sessctl can hold in
	 * microseconds (cli_when_us), which PostgreSQL's latest (294276)
	 * still passes: the infinity on its side. */
	if (us == INT64_MAX || us == INT64_MIN)
		return us > 0 ? "infinity" : "-infinity";

	if (rem < 0) {
		rem += 1000000;
		t--;
	}
	return time_param(t, (int)rem, buf);
}
