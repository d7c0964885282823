/* ut.h - a tiny unit-test framework for this project's C tests.
 *
 * Each test binary defines test functions with UT_TEST(name) and lists them in
 * UT_MAIN(...).  Every test prints one line "PASS name", "FAIL name: why" or
 * "SKIP name: reason"; tests/run aggregates those lines into the final
 * "N passed, N failed, N skipped".  A test fails on the first failed check.
 */
#ifndef UZ_UT_H
#define UZ_UT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ut_state {
	const char *name;
	int failed;
	int skipped;
};

typedef void (*ut_fn)(struct ut_state *);

#define UT_TEST(name) static void name(struct ut_state *ut_)

#define UT_FAIL(...) do { if (!ut_->failed) { printf("FAIL %s: ", ut_->name); \
	printf(__VA_ARGS__); printf(" (%s:%d)\n", __FILE__, __LINE__); } \
	ut_->failed = 1; return; } while (0)

#define UT_SKIP(...) do { printf("SKIP %s: ", ut_->name); printf(__VA_ARGS__); \
	printf("\n"); ut_->skipped = 1; return; } while (0)

#define UT_ASSERT(cond) do { if (!(cond)) UT_FAIL("assertion failed: %s", #cond); } while (0)

#define UT_ASSERT_EQ(a, b) do { uint64_t ut_a_ = (uint64_t)(a), ut_b_ = (uint64_t)(b); \
	if (ut_a_ != ut_b_) UT_FAIL("%s == 0x%" PRIx64 ", expected %s == 0x%" PRIx64, \
				  #a, ut_a_, #b, ut_b_); } while (0)

#define UT_ASSERT_MEM(a, b, n) do { if (memcmp((a), (b), (n)) != 0) \
	UT_FAIL("memory %s differs from %s over %zu bytes", #a, #b, (size_t)(n)); } while (0)

/* A call returning struct uz_error * must succeed. */
#define UT_OK(expr) do { struct uz_error *ut_e_ = (expr); if (ut_e_) { \
	UT_FAIL("%s failed: %s", #expr, ut_e_->message); } } while (0)

/* A call returning struct uz_error * must fail with the given code. */
#define UT_ERR(expr, want_code) do { struct uz_error *ut_e_ = (expr); \
	if (!ut_e_) UT_FAIL("%s succeeded, expected error %d", #expr, (int)(want_code)); \
	int ut_c_ = ut_e_->code; uz_error_destroy(ut_e_); \
	if (ut_c_ != (int)(want_code)) UT_FAIL("%s gave error code %d, expected %d", #expr, ut_c_, (int)(want_code)); \
	} while (0)

struct ut_case { const char *name; ut_fn fn; };
#define UT_CASE(fn) { #fn, fn }

static inline int ut_run(const struct ut_case *cases, size_t n)
{
	int failures = 0;
	for (size_t i = 0; i < n; i++) {
		struct ut_state st = { cases[i].name, 0, 0 };
		cases[i].fn(&st);
		if (st.failed)
			failures++;
		else if (!st.skipped)
			printf("PASS %s\n", cases[i].name);
		fflush(stdout);
	}
	return failures ? 1 : 0;
}

#define UT_MAIN(...) int main(void) { static const struct ut_case cases_[] = { __VA_ARGS__ }; \
	return ut_run(cases_, sizeof(cases_) / sizeof(cases_[0])); }

#endif
