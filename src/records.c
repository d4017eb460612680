#include "records.h"

#include <string.h>

const struct sc_column sc_session_columns[SC_SESS_NCOLS] = {
	[SC_SESS_ID] = { "id", SC_COL_INT, 0, NULL, 0 },
	[SC_SESS_USER_ID] = { "user_id", SC_COL_INT, 0, "USER", 1 },
	[SC_SESS_DEVICE_FINGERPRINT] = { "device_fingerprint", SC_COL_TEXT, SC_COL_SHRINK, "FINGERPRINT", 0 },
	[SC_SESS_DEVICE_NAME] = { "device_name", SC_COL_TEXT, SC_COL_SHRINK, "DEVICE", 0 },
	[SC_SESS_DEVICE_TYPE] = { "device_type", SC_COL_TEXT, 0, "TYPE", 0 },
	[SC_SESS_BROWSER] = { "browser", SC_COL_TEXT, SC_COL_SHRINK, NULL, 2 },
	[SC_SESS_IP_ADDRESS] = { "ip_address", SC_COL_TEXT, SC_COL_SHRINK, "IP", 0 },
	[SC_SESS_CREATED_AT] = { "created_at", SC_COL_TIME, 0, "CREATED", 3 },
	[SC_SESS_LAST_ACTIVITY] = { "last_activity", SC_COL_TIME, 0, "LAST SEEN", 0 },
	[SC_SESS_IS_ACTIVE] = { "is_active", SC_COL_BOOL, 0, "ACTIVE", 0 },
};

const size_t sc_session_response_cols[] = {
	SC_SESS_ID, SC_SESS_USER_ID, SC_SESS_DEVICE_NAME, SC_SESS_DEVICE_TYPE,
	SC_SESS_BROWSER, SC_SESS_IP_ADDRESS, SC_SESS_CREATED_AT, SC_SESS_LAST_ACTIVITY,
	SC_SESS_IS_ACTIVE,
};
const size_t sc_session_response_ncols =
	sizeof(sc_session_response_cols) / sizeof(sc_session_response_cols[0]);

static struct sc_value text(const char *s)
{
	return (struct sc_value){ .null = s == NULL, .s = s };
}

void sc_session_values(const struct sc_session *s, struct sc_value *v)
{
	v[SC_SESS_ID] = (struct sc_value){ .i = s->id };
	v[SC_SESS_USER_ID] = (struct sc_value){ .null = s->user_id_null, .i = s->user_id };
	v[SC_SESS_DEVICE_FINGERPRINT] = text(s->device_fingerprint);
	v[SC_SESS_DEVICE_NAME] = text(s->device_name);
	v[SC_SESS_DEVICE_TYPE] = text(s->device_type);
	v[SC_SESS_BROWSER] = text(s->browser);
	v[SC_SESS_IP_ADDRESS] = text(s->ip_address);
	v[SC_SESS_CREATED_AT] = (struct sc_value){ .null = s->created_at_null, .i = s->created_at };
	v[SC_SESS_LAST_ACTIVITY] =
		(struct sc_value){ .null = s->last_activity_null, .i = s->last_activity };
	v[SC_SESS_IS_ACTIVE] = (struct sc_value){ .i = s->is_active };
}

int sc_device_type_check(const char *s, struct sc_error *err)
{
	if (strcmp(s, "web") == 0 || strcmp(s, "mobile") == 0)
		return 0;
	return sc_error_set(err, SC_USAGE, "bad device type '%s': use web or mobile", s);
}
