/* How the core's records appear in output: columns and values. */
#ifndef SESSCTL_RECORDS_H
#define SESSCTL_RECORDS_H

#include <stddef.h>

#include "domain.h"
#include "output.h"

enum sc_session_col {
	SC_SESS_ID,
	SC_SESS_USER_ID,
	SC_SESS_DEVICE_FINGERPRINT,
	SC_SESS_DEVICE_NAME,
	SC_SESS_DEVICE_TYPE,
	SC_SESS_BROWSER,
	SC_SESS_IP_ADDRESS,
	SC_SESS_CREATED_AT,
	SC_SESS_LAST_ACTIVITY,
	SC_SESS_IS_ACTIVE,
	SC_SESS_NCOLS,
};

/* Every column of a session, in the order `show` prints them. */
extern const struct sc_column sc_session_columns[SC_SESS_NCOLS];

/* The application's session response: every column but the fingerprint,
 * in the application's key order (the default of list-user). */
extern const size_t sc_session_response_cols[];
extern const size_t sc_session_response_ncols;

/* Fills vals[SC_SESS_NCOLS] from s (strings borrowed from s). */
void sc_session_values(const struct sc_session *s, struct sc_value *vals);

/* Validates a device type: "web" or "mobile". */
int sc_device_type_check(const char *s, struct sc_error *err);

#endif
