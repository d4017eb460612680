#include "error.h"

#include <stdio.h>
#include <string.h>

int sc_error_set(struct sc_error *err, int status, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void sc_error_clear(struct sc_error *err)
{
	if (!err)
		return;
	err->status = SC_OK;
	err->msg[0] = '\0';
}
