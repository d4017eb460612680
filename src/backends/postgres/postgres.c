/* The PostgreSQL backend module: its table of operations, and the one
 * symbol the core looks up when it loads the module (registry.c). */
#include "postgres.h"


const struct sc_backend sc_postgres_backend = {
	.abi = SC_BACKEND_ABI,
	.size = sizeof(struct sc_backend),
	.name = "postgresql",
	.migrations = sc_postgres_migrations,
	.migrations_table = "CREATE TABLE IF NOT EXISTS sessctl_migrations (\n"
			    "    version integer PRIMARY KEY,\n"
			    "    name text NOT NULL,\n"
			    "    applied_at timestamptz NOT NULL\n"
			    ")",
	.migrations_now = "now()",
	.open = pg_open,
	.close = pg_close,
	.reconnect = pg_reconnect,
	.begin = pg_begin,
	.begin_checked = pg_begin_checked,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.schema_version = pg_schema_version,
	.applied = pg_applied,
	.migrate_lock = pg_migrate_lock,
	.check_placement = pg_check_placement,
	.exec_script = pg_exec_script,
	.record_migration = pg_record_migration,
	.check_column = pg_check_column,
	.check_index_name = pg_check_index_name,
	.find_user = pg_find_user,
	.list_sessions = pg_list_sessions,
	.get_session = pg_get_session,
	.count_active = pg_count_active,
	.totals = pg_totals,
	.count_by_user = pg_count_by_user,
	.id_bounds = pg_id_bounds,
	.recent_sessions = pg_recent_sessions,
	.complete = pg_complete,
	.history = pg_history,
	.find_sessions = pg_find_sessions,
	.count_by_group = pg_count_by_group,
	.count_by_day = pg_count_by_day,
	.stats_snapshot = pg_stats_snapshot,
	.audit_counts = pg_audit_counts,
	.lock_users = pg_lock_users,
	.count_left = pg_count_left,
	.sessions_by_ids = pg_sessions_by_ids,
	.close_sessions = pg_close_sessions,
	.close_users_sessions = pg_close_users_sessions,
	.purge_sessions = pg_purge_sessions,
	.candidates = pg_candidates,
	.idle_sessions = pg_idle_sessions,
	.purge_due = pg_purge_due,
	.check_text = pg_check_text,
	.users_over_limit = pg_users_over_limit,
	.over_limit_candidates = pg_over_limit_candidates,
	.enforce_state_get = pg_enforce_state_get,
	.enforce_state_put = pg_enforce_state_put,
	.upsert_session = pg_upsert_session,
};

/* The module's entry point: the table above under the name the loader
 * looks for. */
extern const struct sc_backend sessctl_backend
	__attribute__((alias("sc_postgres_backend"), visibility("default")));
