/* logout and logout-all: which sessions they close, all or nothing, the
 * audit rows they write, --dry-run, and the --actor rule. */
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>

TestSuite(logout, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);
TestSuite(logout_all, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);

#define NOW "2025-03-01 00:00:00"

/* A write command as support staff would run it: fixed time and actor. */
#define W(...) RUN(__VA_ARGS__, "--now", NOW, "--actor", "ops")

/* ---- helpers ---- */

/* Which sessions are active: "id|1" or "id|0" lines. */
#define ACTIVE_SQL "SELECT id, CASE WHEN is_active THEN 1 ELSE 0 END FROM sessions ORDER BY id"
#define AUDIT_SQL \
	"SELECT session_id, user_id, action, actor, COALESCE(reason, '-') FROM sessctl_audit ORDER BY id"

/* The standard fixture, with PostgreSQL's identity sequence moved past
 * the explicit ids it inserts. */
static void fx(void)
{
	fx_standard();
	db_fix_sequence_in(e2e_db());
}

/* Standard fixture states: active 10 11 12 14 (alice), 20 (bob); closed
 * 13 (alice), 21 (bob). */
#define FX_ACTIVE "10|1\n11|1\n12|1\n13|0\n14|1\n20|1\n21|0\n"

/* ---- logout SESSION_ID... ---- */

Test(logout, closes_several_ids_and_writes_one_audit_row_each)
{
	fx();
	struct run *r = W("logout", "10", "11", "-o", "csv", "--columns", "change,id,user_id,is_active",
			  "--reason", "stolen laptop");

	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "change,id,user_id,is_active\r\nclosed,10,1,false\r\nclosed,11,1,false\r\n");
	cr_expect_str_eq(r->err, "closed 2 sessions\n", "%s: stderr [%s]", r->what, r->err);
	EXPECT_ROWS(ACTIVE_SQL, "10|0\n11|0\n12|1\n13|0\n14|1\n20|1\n21|0\n");
	EXPECT_ROWS(AUDIT_SQL, "10|1|logout|ops|stolen laptop\n11|1|logout|ops|stolen laptop\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit WHERE evaluated_at = '" NOW "'"), 2,
		     "audit rows carry the --now time as evaluated_at");
	/* Closing never deletes and leaves the activity time alone. */
	cr_expect_eq(db_int("SELECT count(*) FROM sessions"), 7);
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE id = 10 AND "
			    "last_activity = '2025-02-08 10:30:00'"), 1);
}

Test(logout, a_repeated_id_is_closed_and_audited_once)
{
	fx();
	struct run *r = W("logout", "10", "10", "11", "10", "-o", "csv", "--columns", "change,id");

	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "change,id\r\nclosed,10\r\nclosed,11\r\n");
	cr_expect_str_eq(r->err, "closed 2 sessions\n", "%s: stderr [%s]", r->what, r->err);
	EXPECT_ROWS(AUDIT_SQL, "10|1|logout|ops|-\n11|1|logout|ops|-\n");
}

Test(logout, the_order_of_the_ids_does_not_matter_and_table_output_ends_with_a_summary)
{
	fx();
	struct run *r = W("logout", "11", "10");

	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "closed 2 sessions\n");
	cr_expect(strstr(r->out, "CHANGE") == r->out, "%s: no table header first:\n%s", r->what, r->out);
	EXPECT_ROWS(ACTIVE_SQL, "10|0\n11|0\n12|1\n13|0\n14|1\n20|1\n21|0\n");
	EXPECT_ROWS(AUDIT_SQL, "10|1|logout|ops|-\n11|1|logout|ops|-\n");
}

Test(logout, quiet_drops_the_summary_of_machine_formats)
{
	fx();
	struct run *r = W("logout", "20", "-o", "ndjson", "--columns", "change,id", "-q");

	EXPECT_OK(r);
	EXPECT_OUT(r, "{\"change\":\"closed\",\"id\":20}\n");
}

Test(logout, an_already_closed_session_is_reported_as_such_with_status_0)
{
	fx();
	struct run *one = W("logout", "13", "-o", "csv", "--columns", "change,id,is_active");

	cr_expect_eq(one->status, 0, "%s: exit %d: %s", one->what, one->status, one->err);
	EXPECT_OUT(one, "change,id,is_active\r\nalready-closed,13,false\r\n");
	cr_expect_str_eq(one->err, "1 session already closed\n", "%s: stderr [%s]", one->what,
			 one->err);
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), 0,
		     "nothing was changed, so nothing is audited");

	struct run *mixed = W("logout", "13", "10", "-o", "csv", "--columns", "change,id");
	cr_expect_eq(mixed->status, 0, "%s: exit %d: %s", mixed->what, mixed->status, mixed->err);
	EXPECT_OUT(mixed, "change,id\r\nalready-closed,13\r\nclosed,10\r\n");
	cr_expect_str_eq(mixed->err, "closed 1 session; 1 session already closed\n",
			 "%s: stderr [%s]", mixed->what, mixed->err);
	EXPECT_ROWS(AUDIT_SQL, "10|1|logout|ops|-\n");

	/* Twice is idempotent. */
	struct run *again = W("logout", "10", "-o", "csv", "--columns", "change,id", "-q");
	EXPECT_OK(again);
	EXPECT_OUT(again, "change,id\r\nalready-closed,10\r\n");
	EXPECT_ROWS(AUDIT_SQL, "10|1|logout|ops|-\n");
}

Test(logout, a_missing_id_among_valid_ones_changes_nothing_and_exits_66)
{
	fx();
	char *before = db_dump();
	struct run *r = W("logout", "10", "99", "11", "-o", "csv");

	EXPECT_FAIL(r, 66);
	EXPECT_ERR_HAS(r, "99");
	EXPECT_NO_OUT(r);
	EXPECT_UNCHANGED(before);

	/* Well-formed ids that no session can have (as README decides for
	 * user ids too large for any row). */
	r = W("logout", "13", "12345678901");
	EXPECT_FAIL(r, 66);
	r = W("logout", "10", "0");
	EXPECT_FAIL(r, 66);
	r = W("logout", "10", "99999999999999999999999");
	EXPECT_FAIL(r, 66);

	/* A dry run is all or nothing too: no row of 13 (already closed)
	 * before the error, and no JSON left open. */
	r = W("logout", "13", "10", "99", "--dry-run", "-o", "json");
	EXPECT_FAIL(r, 66);
	EXPECT_NO_OUT(r);
	EXPECT_UNCHANGED(before);
	free(before);
}

Test(logout, bad_session_id_text_is_a_usage_error)
{
	fx();
	char *before = db_dump();
	static const char *const bad[] = { "abc", "10x", "-5", "+5", "", "1.5", " 10", "0x10" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run *r = W("logout", "10", bad[i]);
		EXPECT_FAIL(r, 64);
		EXPECT_NO_OUT(r);
	}
	EXPECT_UNCHANGED(before);
	free(before);
}

Test(logout, user_and_device_closes_that_devices_session)
{
	fx();
	struct run *r = W("logout", "--user", "alice@example.com", "--device", "fp-a2", "-o", "csv",
			  "--columns", "change,id,is_active", "--reason", "lost phone");

	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "change,id,is_active\r\nclosed,11,false\r\n");
	EXPECT_ROWS(ACTIVE_SQL, "10|1\n11|0\n12|1\n13|0\n14|1\n20|1\n21|0\n");
	EXPECT_ROWS(AUDIT_SQL, "11|1|logout|ops|lost phone\n");

	/* A closed device is reported as already closed. */
	r = W("logout", "--user", "1", "--device", "fp-a4", "-o", "csv", "--columns", "change,id", "-q");
	EXPECT_OK(r);
	EXPECT_OUT(r, "change,id\r\nalready-closed,13\r\n");
	EXPECT_ROWS(AUDIT_SQL, "11|1|logout|ops|lost phone\n");
}

Test(logout, user_and_device_with_an_unknown_device_or_user_changes_nothing)
{
	fx();
	char *before = db_dump();
	struct run *r;

	/* bob's device is not alice's. */
	r = W("logout", "--user", "alice", "--device", "fp-b1");
	EXPECT_FAIL(r, 66);
	r = W("logout", "--user", "alice", "--device", "no-such-device");
	EXPECT_FAIL(r, 66);
	r = W("logout", "--user", "nobody@example.com", "--device", "fp-a1");
	EXPECT_FAIL(r, 67);
	r = W("logout", "--user", "999", "--latest");
	EXPECT_FAIL(r, 67);
	EXPECT_UNCHANGED(before);
	free(before);
}

Test(logout, latest_closes_the_most_recently_active_session_ties_by_higher_id)
{
	fx();
	/* alice: 10 and 11 last active at the same time (11 is the higher id),
	 * then 12; 14 has no activity time; 13 is closed. */
	static const char *const want[] = { "closed,11\r\n", "closed,10\r\n", "closed,12\r\n",
					    "closed,14\r\n" };

	for (size_t i = 0; i < 4; i++) {
		struct run *r = W("logout", "--user", "alice", "--latest", "-o", "csv", "--no-header",
				  "--columns", "change,id", "-q");
		EXPECT_OK(r);
		EXPECT_OUT(r, want[i]);
	}
	struct run *none = W("logout", "--user", "alice", "--latest");
	EXPECT_FAIL(none, 66);
	EXPECT_ROWS(AUDIT_SQL, "11|1|logout|ops|-\n10|1|logout|ops|-\n12|1|logout|ops|-\n"
			       "14|1|logout|ops|-\n");
	EXPECT_ROWS(ACTIVE_SQL, "10|0\n11|0\n12|0\n13|0\n14|0\n20|1\n21|0\n");
}

Test(logout, latest_follows_last_activity_not_the_id)
{
	fx();
	/* Make the lower id the most recent one. */
	db_exec("UPDATE sessions SET last_activity = '2025-02-08 10:30:01' WHERE id = 10");
	struct run *r = W("logout", "--user", "1", "--latest", "-o", "csv", "--no-header", "--columns",
			  "id", "-q");

	EXPECT_OK(r);
	EXPECT_OUT(r, "10\r\n");
}

Test(logout, user_needs_exactly_one_of_device_or_latest_and_no_ids)
{
	fx();
	char *before = db_dump();
	struct run *r;

	r = W("logout", "--user", "alice");
	EXPECT_FAIL(r, 64);
	r = W("logout", "--user", "alice", "--device", "fp-a1", "--latest");
	EXPECT_FAIL(r, 64);
	r = W("logout", "--user", "alice", "--latest", "10");
	EXPECT_FAIL(r, 64);
	r = W("logout", "--device", "fp-a1");
	EXPECT_FAIL(r, 64);
	r = W("logout", "--latest");
	EXPECT_FAIL(r, 64);
	r = W("logout");
	EXPECT_FAIL(r, 64);
	r = W("logout", "--user", "", "--latest");
	EXPECT_FAIL(r, 64);
	EXPECT_UNCHANGED(before);
	free(before);
}

Test(logout, dry_run_prints_what_would_change_and_changes_nothing)
{
	fx();
	char *before = db_dump();
	struct run *r = W("logout", "10", "13", "--dry-run", "-o", "csv", "--columns", "change,id,is_active");

	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "change,id,is_active\r\nalready-closed,13,false\r\nclosed,10,false\r\n");
	EXPECT_ERR_HAS(r, "dry run");
	EXPECT_UNCHANGED(before);

	struct run *latest = W("logout", "--user", "alice", "--latest", "--dry-run", "-o", "csv",
			       "--no-header", "--columns", "change,id", "-q");
	EXPECT_OK(latest);
	EXPECT_OUT(latest, "closed,11\r\n");
	struct run *device = W("logout", "--user", "bob", "--device", "fp-b1", "--dry-run", "-o", "json",
			       "--columns", "change,id,is_active", "-q");
	EXPECT_OK(device);
	EXPECT_OUT(device, "[\n{\"change\":\"closed\",\"id\":20,\"is_active\":false}\n]\n");
	struct run *table = W("logout", "12", "--dry-run");
	EXPECT_OK(table);
	EXPECT_OUT_HAS(table, "would close 1 session (dry run: nothing was changed)\n");
	EXPECT_UNCHANGED(before);

	/* The real run then does what the dry run said. */
	struct run *real = W("logout", "10", "13", "-o", "csv", "--columns", "change,id,is_active", "-q");
	EXPECT_OK(real);
	EXPECT_OUT(real, r->out);
	free(before);
}

/* ---- logout-all USER ---- */

Test(logout_all, closes_every_active_session_of_the_user_and_says_how_many)
{
	fx();
	struct run *r = W("logout-all", "alice@example.com", "--yes", "-o", "csv", "--columns", "change,id",
			  "--reason", "password reset");

	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "change,id\r\nclosed,10\r\nclosed,11\r\nclosed,12\r\nclosed,14\r\n");
	cr_expect_str_eq(r->err, "closed 4 sessions\n", "%s: stderr [%s]", r->what, r->err);
	EXPECT_ROWS(ACTIVE_SQL, "10|0\n11|0\n12|0\n13|0\n14|0\n20|1\n21|0\n");
	EXPECT_ROWS(AUDIT_SQL, "10|1|logout-all|ops|password reset\n11|1|logout-all|ops|password reset\n"
			       "12|1|logout-all|ops|password reset\n14|1|logout-all|ops|password reset\n");

	/* Again: nothing left to do. */
	struct run *again = W("logout-all", "alice", "--yes");
	EXPECT_OK(again);
	EXPECT_OUT(again, "nothing to do\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessctl_audit"), 4);
}

Test(logout_all, table_output_says_how_many_it_closed)
{
	fx();
	struct run *r = W("logout-all", "bob", "--yes");

	EXPECT_OK(r);
	EXPECT_OUT_HAS(r, "closed 1 session\n");
	EXPECT_ROWS(ACTIVE_SQL, "10|1\n11|1\n12|1\n13|0\n14|1\n20|0\n21|0\n");

	struct run *none = W("logout-all", "carol", "--yes");
	EXPECT_OK(none);
	EXPECT_OUT(none, "nothing to do\n");
}

Test(logout_all, except_keeps_that_session)
{
	fx();
	struct run *r = W("logout-all", "1", "--yes", "--except", "10", "-o", "csv", "--columns", "change,id", "-q");

	EXPECT_OK(r);
	EXPECT_OUT(r, "change,id\r\nclosed,11\r\nclosed,12\r\nclosed,14\r\n");
	EXPECT_ROWS(ACTIVE_SQL, "10|1\n11|0\n12|0\n13|0\n14|0\n20|1\n21|0\n");
	EXPECT_ROWS(AUDIT_SQL, "11|1|logout-all|ops|-\n12|1|logout-all|ops|-\n14|1|logout-all|ops|-\n");

	/* Keeping a closed session keeps nothing: refused (65), and 10 stays
	 * active (issue 13 item 5: it used to close 10 without a word). */
	char *before = db_dump();
	struct run *closed = W("logout-all", "alice", "--yes", "--except", "13");
	EXPECT_FAIL(closed, 65);
	EXPECT_ERR_HAS(closed, "session 13 of user 'alice' is closed");
	EXPECT_NO_OUT(closed);
	EXPECT_UNCHANGED(before);
	free(before);
	EXPECT_ROWS(ACTIVE_SQL, "10|1\n11|0\n12|0\n13|0\n14|0\n20|1\n21|0\n");
}

Test(logout_all, except_a_session_of_another_user_or_none_changes_nothing)
{
	fx();
	char *before = db_dump();
	struct run *r;

	r = W("logout-all", "alice", "--yes", "--except", "20");
	EXPECT_FAIL(r, 66);
	EXPECT_NO_OUT(r);
	r = W("logout-all", "alice", "--yes", "--except", "999");
	EXPECT_FAIL(r, 66);
	r = W("logout-all", "alice", "--yes", "--except", "x1");
	EXPECT_FAIL(r, 64);
	/* No session has id 0: it is not alice's either (and must not mean
	 * "keep none"). */
	r = W("logout-all", "alice", "--yes", "--except", "0");
	EXPECT_FAIL(r, 66);
	r = W("logout-all", "alice", "--yes", "--except", "99999999999999999999999");
	EXPECT_FAIL(r, 66);
	/* --except keeps one session: a second one must not replace the
	 * first (which was then closed) */
	r = W("logout-all", "alice", "--yes", "--except", "10", "--except", "11");
	EXPECT_FAIL(r, 64);
	EXPECT_ERR_HAS(r, "give it once");
	EXPECT_UNCHANGED(before);
	free(before);
}

Test(logout_all, an_unknown_user_exits_67_and_usage_errors_64)
{
	fx();
	char *before = db_dump();
	struct run *r;

	r = W("logout-all", "nobody@example.com", "--yes");
	EXPECT_FAIL(r, 67);
	r = W("logout-all", "999", "--yes");
	EXPECT_FAIL(r, 67);
	r = W("logout-all", "nobody", "--yes");
	EXPECT_FAIL(r, 67);
	r = W("logout-all", "--yes");
	EXPECT_FAIL(r, 64);
	r = W("logout-all", "alice", "bob", "--yes");
	EXPECT_FAIL(r, 64);
	r = W("logout-all", "dupname", "--yes");
	EXPECT_FAIL(r, 64);
	EXPECT_UNCHANGED(before);
	free(before);
}

Test(logout_all, refuses_without_a_terminal_unless_yes)
{
	fx();
	char *before = db_dump();
	/* An answer on a pipe is not a confirmation: nothing asks for one,
	 * and without --yes nothing is closed (issue 9: `echo | sessctl
	 * logout-all bob` refuses). */
	static const char *const answers[] = { "", "y\n", "yes\n", "n\n" };
	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		struct run *r = e2e_run(&(struct call){ .in = answers[i] },
					ARGV("logout-all", "alice", "--now", NOW, "--actor", "ops"));
		EXPECT_FAIL(r, 64);
		EXPECT_ERR_HAS(r, "give --yes");
		EXPECT_NO_OUT(r);
	}
	/* The user with no active session too: a script finds out at once. */
	struct run *r = W("logout-all", "carol");
	EXPECT_FAIL(r, 64);
	EXPECT_UNCHANGED(before);
	free(before);

	/* --yes: no question, the sessions close. */
	r = e2e_run(&(struct call){ .in = "n\n" },
		    ARGV("logout-all", "alice", "--yes", "--now", NOW, "--actor", "ops", "-o", "csv",
			 "--columns", "id", "-q"));
	EXPECT_OK(r);
	EXPECT_OUT(r, "id\r\n10\r\n11\r\n12\r\n14\r\n");
	cr_expect_eq(db_int("SELECT count(*) FROM sessions WHERE user_id = 1 AND is_active"), 0);
}

Test(logout_all, dry_run_lists_them_and_changes_nothing)
{
	fx();
	char *before = db_dump();
	struct run *r = W("logout-all", "alice", "--except", "11", "--dry-run", "-o", "ndjson",
			  "--columns", "change,id,is_active");

	cr_expect_eq(r->status, 0, "%s: exit %d: %s", r->what, r->status, r->err);
	EXPECT_OUT(r, "{\"change\":\"closed\",\"id\":10,\"is_active\":false}\n"
		      "{\"change\":\"closed\",\"id\":12,\"is_active\":false}\n"
		      "{\"change\":\"closed\",\"id\":14,\"is_active\":false}\n");
	cr_expect_str_eq(r->err, "would close 3 sessions (dry run: nothing was changed)\n",
			 "%s: stderr [%s]", r->what, r->err);
	EXPECT_UNCHANGED(before);
	free(before);
}

/* ---- the --actor rule ---- */

Test(logout, an_actor_who_is_an_application_user_but_not_admin_is_refused)
{
	fx();
	/* any role but admin: not only the fixture's "user" */
	db_exec("INSERT INTO users (id, email, username, role) VALUES "
		"(50, 'sue@example.com', 'sue', 'support'), (51, 'mo@example.com', 'mo', 'moderator')");
	char *before = db_dump();
	static const char *const actors[] = { "2", "bob", "bob@example.com", "carol", "dupname", "sue",
					      "51" };

	for (size_t i = 0; i < sizeof(actors) / sizeof(actors[0]); i++) {
		struct run *r = RUN("logout", "10", "--now", NOW, "--actor", actors[i]);
		EXPECT_FAIL(r, 77);
		EXPECT_NO_OUT(r);
		r = RUN("logout", "--user", "alice", "--latest", "--now", NOW, "--actor", actors[i]);
		EXPECT_FAIL(r, 77);
		r = RUN("logout", "10", "--dry-run", "--now", NOW, "--actor", actors[i]);
		EXPECT_FAIL(r, 77);
	}
	EXPECT_UNCHANGED(before);
	free(before);
}

Test(logout, a_refused_actor_is_told_where_it_came_from_and_what_to_do)
{
	fx();
	char *before = db_dump();
	struct run *r = e2e_run(&(struct call){ .env = ARGV("SUDO_USER=bob") },
				ARGV("logout", "10", "--now", NOW));

	EXPECT_FAIL(r, 77);
	EXPECT_ERR_HAS(r, "actor 'bob' ($SUDO_USER) is user 2 with role 'user', not admin");
	EXPECT_ERR_HAS(r, "name an admin with --actor");
	r = RUN("logout", "10", "--now", NOW, "--actor", "bob");
	EXPECT_FAIL(r, 77);
	EXPECT_ERR_HAS(r, "actor 'bob' is user 2 with role 'user', not admin");
	cr_expect_null(strstr(r->err, "$SUDO_USER"), "%s: [%s]", r->what, r->err);
	r = e2e_run(&(struct call){ .env = ARGV("SUDO_USER=dupname") },
		    ARGV("logout", "--where", "--user", "alice", "--yes", "--now", NOW));
	EXPECT_FAIL(r, 77);
	EXPECT_ERR_HAS(r, "actor 'dupname' ($SUDO_USER) names more than one user");
	EXPECT_UNCHANGED(before);
	free(before);
}

Test(logout, an_admin_or_an_actor_who_is_no_application_user_is_allowed)
{
	fx();
	struct run *r;

	r = RUN("logout", "10", "--now", NOW, "--actor", "alice", "--reason", "r1", "-q");
	EXPECT_OK(r);
	r = RUN("logout", "11", "--now", NOW, "--actor", "1", "-q");
	EXPECT_OK(r);
	r = RUN("logout", "12", "--now", NOW, "--actor", "alice@example.com", "-q");
	EXPECT_OK(r);
	r = RUN("logout", "--user", "bob", "--latest", "--now", NOW, "--actor", "root", "--reason",
		"ticket 42", "-q");
	EXPECT_OK(r);
	/* The default actor: $SUDO_USER. */
	r = e2e_run(&(struct call){ .env = ARGV("SUDO_USER=deploy") },
		    ARGV("logout", "14", "--now", NOW, "-q"));
	EXPECT_OK(r);
	EXPECT_ROWS(AUDIT_SQL, "10|1|logout|alice|r1\n11|1|logout|1|-\n12|1|logout|alice@example.com|-\n"
			       "20|2|logout|root|ticket 42\n14|1|logout|deploy|-\n");
}

Test(logout_all, the_actor_rule_applies)
{
	fx();
	char *before = db_dump();
	struct run *r = RUN("logout-all", "alice", "--yes", "--now", NOW, "--actor", "bob@example.com");

	EXPECT_FAIL(r, 77);
	r = RUN("logout-all", "alice", "--now", NOW, "--actor", "2", "--yes");
	EXPECT_FAIL(r, 77);
	EXPECT_UNCHANGED(before);
	free(before);

	r = RUN("logout-all", "bob", "--yes", "--now", NOW, "--actor", "alice", "--reason", "offboarding", "-q");
	EXPECT_OK(r);
	r = RUN("logout-all", "alice", "--yes", "--except", "10", "--now", NOW, "--actor", "helpdesk", "-q");
	EXPECT_OK(r);
	EXPECT_ROWS(AUDIT_SQL, "20|2|logout-all|alice|offboarding\n11|1|logout-all|helpdesk|-\n"
			       "12|1|logout-all|helpdesk|-\n14|1|logout-all|helpdesk|-\n");
}

/* --device names one fingerprint exactly: another of the user's devices
 * whose fingerprint begins the same (fp-a2 and fp-a20) stays logged in. */
Test(logout, user_and_device_matches_the_whole_fingerprint_only)
{
	fx();
	db_exec("INSERT INTO sessions (id, user_id, device_fingerprint, is_active) VALUES "
		"(15, 1, 'fp-a20', TRUE), (16, 1, 'fp-a', TRUE)");
	struct run *r = W("logout", "--user", "alice", "--device", "fp-a2", "-o", "csv", "--columns", "id",
			  "-q");
	EXPECT_OK(r);
	EXPECT_OUT(r, "id\r\n11\r\n");
	EXPECT_ROWS(ACTIVE_SQL, "10|1\n11|0\n12|1\n13|0\n14|1\n15|1\n16|1\n20|1\n21|0\n");
	EXPECT_ROWS(AUDIT_SQL, "11|1|logout|ops|-\n");
}
