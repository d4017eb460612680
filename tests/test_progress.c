/* Unit tests of enforce's progress line on a terminal (show_progress in
 * cli/cmd-enforce.c, included here for it): the round that runs the
 * steps again is named, and the time left is timed from where the step
 * was first seen. The line goes to stderr, which each test points at a
 * file (not a terminal: 80 columns). */
#include "unit.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../cli/cmd-enforce.c"

static FILE *out;

static void capture(void)
{
	out = tmpfile();
	cr_assert_not_null(out);
	fflush(stderr);
	cr_assert_eq(dup2(fileno(out), STDERR_FILENO), STDERR_FILENO);
}

/* What the line says now: the text after its last carriage return. */
static const char *line_now(void)
{
	static char buf[4096];
	fflush(stderr);
	ssize_t n = pread(fileno(out), buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	char *cr = strrchr(buf, '\r');
	return cr ? cr + 1 : buf;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* As if ms had passed since the run began (its clock, not a sleep). */
static void pass_ms(struct progress *p, long ms)
{
	long ns = p->start.tv_nsec - (ms % 1000) * 1000000L;
	p->start.tv_sec -= ms / 1000 + (ns < 0);
	p->start.tv_nsec = ns < 0 ? ns + 1000000000L : ns;
}

static struct progress start(void)
{
	struct progress p = { .dumb = true };
	clock_gettime(CLOCK_MONOTONIC, &p.start);
	return p;
}

Test(progress, the_first_round_is_not_named, .init = capture)
{
	struct progress p = start();
	struct sc_enforce_result r = { .round = 1, .step = 1, .steps = 2, .step_share = 0.5,
				       .expired = 7 };
	pass_ms(&p, 1000);
	show_progress(&r, &p);
	cr_expect(starts_with(line_now(), "enforce: 7 expired, 0 over limit, 0 purged; step 1/2 50%"),
		  "%s", line_now());
	cr_expect_null(strstr(line_now(), "round"), "%s", line_now());
}

Test(progress, a_round_that_runs_the_steps_again_is_named, .init = capture)
{
	struct progress p = start();
	struct sc_enforce_result r = { .round = 1, .step = 2, .steps = 2, .step_share = 1.0,
				       .expired = 7, .over_limit = 3 };
	pass_ms(&p, 1000);
	show_progress(&r, &p);
	r.round = 2;
	r.step = 1;
	r.step_share = 0.4;
	r.expired = 8;
	pass_ms(&p, 500);
	show_progress(&r, &p);
	cr_expect(starts_with(line_now(), "enforce: 8 expired, 3 over limit, 0 purged; round 2, step 1/2 40%"),
		  "%s", line_now());
}

/* The step's first call comes after its first batch: the time left is
 * what is still to walk at the pace walked since then. */
Test(progress, the_time_left_is_the_pace_since_the_step_was_first_seen, .init = capture)
{
	struct progress p = start();
	struct sc_enforce_result r = { .round = 1, .step = 1, .steps = 1, .step_share = 0.1,
				       .expired = 100 };
	show_progress(&r, &p); /* before a quarter of a second: not shown */
	pass_ms(&p, 1000);
	r.step_share = 0.2;
	r.expired = 200;
	show_progress(&r, &p);
	cr_expect_not_null(strstr(line_now(), "step 1/1 20%, ~8s left"), "%s", line_now());
}

/* A round that runs the steps again finds mostly nothing: its first
 * batch that changes something (the first call) may come at 90 % of the
 * step. 1 % more 600 ms later leaves about 5 s at that pace, where the
 * share since 0 said ~0 s. */
Test(progress, a_rounds_time_left_starts_where_its_step_was_first_seen, .init = capture)
{
	struct progress p = start();
	struct sc_enforce_result r = { .round = 1, .step = 1, .steps = 1, .step_share = 0.5,
				       .expired = 100 };
	pass_ms(&p, 2000);
	show_progress(&r, &p);
	r.round = 2;
	r.step_share = 0.90;
	r.expired = 101;
	show_progress(&r, &p);
	cr_expect_null(strstr(line_now(), "left"), "no pace yet: %s", line_now());
	pass_ms(&p, 600);
	r.step_share = 0.91;
	r.expired = 102;
	show_progress(&r, &p);
	cr_expect_not_null(strstr(line_now(), "round 2, step 1/1 91%, ~5s left"), "%s", line_now());
}
