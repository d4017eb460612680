#include "dburl.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

int sc_dburl_parse(const char *s, struct sc_dburl *url, struct sc_error *err)
{
	const struct sc_backend_info *best = NULL;
	char *best_target = NULL;
	int best_score = 0;

	memset(url, 0, sizeof(*url));
	if (!s || !*s)
		return sc_error_set(err, SC_USAGE, "database url is empty: give --db PATH or --db postgresql://...");
	for (const struct sc_backend_info *const *b = sc_backend_table; *b; b++) {
		char *target = NULL;
		int score = (*b)->claim(s, &target, err);
		if (score < 0) {
			free(best_target);
			return -1;
		}
		if (score > best_score) {
			free(best_target);
			best = *b;
			best_target = target;
			best_score = score;
		} else {
			free(target);
		}
	}
	if (best_score < 2 && strstr(s, "://")) {
		free(best_target);
		return sc_error_set(err, SC_USAGE,
			"unsupported database url scheme in '%.*s': use sqlite:PATH or postgresql://...",
			(int)(strstr(s, "://") - s), s);
	}
	if (!best)
		return sc_error_set(err, SC_USAGE, "no backend takes the database url '%s'", s);
	url->info = best;
	url->target = best_target;
	url->display = best->redact ? best->redact(best_target) : strdup(best_target);
	if (!url->target || !url->display) {
		sc_dburl_free(url);
		return sc_error_set(err, SC_SOFTWARE, "out of memory");
	}
	return 0;
}

bool sc_dburl_holds_password(const struct sc_dburl *url)
{
	return url->info->holds_password ? url->info->holds_password(url->target)
					 : strcmp(url->target, url->display) != 0;
}

void sc_dburl_free(struct sc_dburl *url)
{
	if (!url)
		return;
	free(url->target);
	free(url->display);
	url->target = url->display = NULL;
}

void sc_redact_secret(char *buf, size_t len, const char *secret)
{
	size_t slen, pos = 0;
	char *hit;

	if (!secret || !*secret || !buf || len < 4)
		return;
	slen = strlen(secret);
	while ((hit = strstr(buf + pos, secret))) {
		size_t at = (size_t)(hit - buf);
		size_t tail = strlen(hit + slen);
		if (at + 4 > len) { /* no room for "***": cut the secret off */
			*hit = '\0';
			return;
		}
		if (at + 3 + tail + 1 > len)
			tail = len - at - 4;
		memmove(hit + 3, hit + slen, tail);
		memcpy(hit, "***", 3);
		hit[3 + tail] = '\0';
		pos = at + 3;
	}
}
