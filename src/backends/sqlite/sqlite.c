/* The SQLite backend: its table of operations. */
#include "sqlite.h"


const struct sc_backend sc_sqlite_backend = {
	.abi = SC_BACKEND_ABI,
	.size = sizeof(struct sc_backend),
	.name = "sqlite",
	.migrations = sc_sqlite_migrations,
	/* The application's busy handler polls at 25 to 100 ms intervals
	 * once it has waited a while: a gap this long lets it in. */
	.lock_pause_ms = 30,
	.lock_pause_long_ms = 110,
	.even_batches = true,
	.migrations_table = "CREATE TABLE IF NOT EXISTS sessctl_migrations (\n"
			    "    version INTEGER PRIMARY KEY,\n"
			    "    name TEXT NOT NULL,\n"
			    "    applied_at TEXT NOT NULL\n"
			    ")",
	.migrations_now = "strftime('%Y-%m-%d %H:%M:%S', 'now')",
	.open = sqlite_open,
	.close = sqlite_close,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.schema_version = sqlite_schema_version,
	.applied = sqlite_applied,
	.exec_script = sqlite_exec_script,
	.record_migration = sqlite_record_migration,
	.check_column = sqlite_check_column,
	.check_index_name = sqlite_check_index_name,
	.find_user = sqlite_find_user,
	.list_sessions = sqlite_list_sessions,
	.get_session = sqlite_get_session,
	.count_active = sqlite_count_active,
	.totals = sqlite_totals,
	.count_by_user = sqlite_count_by_user,
	.id_bounds = sqlite_id_bounds,
	.recent_sessions = sqlite_recent_sessions,
	.complete = sqlite_complete,
	.history = sqlite_history,
	.find_sessions = sqlite_find_sessions,
	.count_by_group = sqlite_count_by_group,
	.count_by_day = sqlite_count_by_day,
	.stats_snapshot = sqlite_stats_snapshot,
	.audit_counts = sqlite_audit_counts,
	.sessions_by_ids = sqlite_sessions_by_ids,
	.close_sessions = sqlite_close_sessions,
	.close_users_sessions = sqlite_close_users_sessions,
	.purge_sessions = sqlite_purge_sessions,
	.candidates = sqlite_candidates,
	.idle_sessions = sqlite_idle_sessions,
	.purge_due = sqlite_purge_due,
	.users_over_limit = sqlite_users_over_limit,
	.over_limit_candidates = sqlite_over_limit_candidates,
	.enforce_state_get = sqlite_enforce_state_get,
	.enforce_state_put = sqlite_enforce_state_put,
	.between_batches = sqlite_between_batches,
	.upsert_session = sqlite_upsert_session,
};

/* The module's entry point: the table above under the name the loader
 * looks for. */
extern const struct sc_backend sessctl_backend
	__attribute__((alias("sc_sqlite_backend"), visibility("default")));
