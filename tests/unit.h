/* Shared by the unit tests. */
#ifndef SESSCTL_TESTS_UNIT_H
#define SESSCTL_TESTS_UNIT_H

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stddef.h>

/* Criterion runs each parameterised case in a fresh process and copies
 * the parameters into it, so pointers inside them (strings) would not be
 * valid there. Tables of cases therefore live at file scope, and the
 * parameters are the indexes into them: write
 *     ParameterizedTestParameters(suite, name) { CASE_INDEXES(table); }
 *     ParameterizedTest(size_t *i, suite, name) { ... table[*i] ... } */
#define CASE_INDEXES(table)                                                        \
	do {                                                                       \
		static size_t indexes_[sizeof(table) / sizeof((table)[0])];        \
		for (size_t i_ = 0; i_ < sizeof(table) / sizeof((table)[0]); i_++) \
			indexes_[i_] = i_;                                         \
		return cr_make_param_array(size_t, indexes_,                        \
					   sizeof(table) / sizeof((table)[0]));     \
	} while (0)

#endif
