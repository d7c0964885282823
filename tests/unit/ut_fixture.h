/* ut_fixture.h - where the unit tests that read real-kernel dumps find them.
 *
 * The fixtures are built by tests/vm/fixtures into
 * ${VMCORE_UNZRAM_CACHE:-$HOME/.cache/vmcore-unzram}/fixtures/KEY, KEY being
 * ARCH-KERNEL-PAGING-HASH (e.g. x86_64-6.1-4level-ab45c838b2bf); a directory
 * counts only once it holds the `.complete` marker.
 *
 *   - tests/run builds the fixture sets before the unit tests and exports
 *     UZ_FIXTURE_DIRS (their directories, separated by white space): then
 *     exactly those are used, and a set that is not among them is one the
 *     run left out (UZ_FIXTURE_SETS).
 *   - Otherwise (a unit binary run alone, tests/run --unit-only) the newest
 *     completed directory of the set in the cache is used.
 * ut_fixture_dir() returns UT_FIXTURE_FOUND, UT_FIXTURE_MISSING (a missing
 * prerequisite: SKIP) or UT_FIXTURE_BROKEN (FAIL), with the reason in why. */
#ifndef UZ_UT_FIXTURE_H
#define UZ_UT_FIXTURE_H

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* NAME is PREFIX followed by a 12-hex-digit hash and nothing else (so
 * "x86_64-6.1-4level-" does not take "x86_64-6.1-4level-big-..."). */
static inline bool ut_fixture_name_is(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncmp(name, prefix, n) != 0 || strlen(name + n) != 12)
		return false;
	for (const char *p = name + n; *p; p++)
		if (!isxdigit((unsigned char)*p))
			return false;
	return true;
}

static inline bool ut_fixture_complete(const char *dir, struct stat *st)
{
	char marker[2100];
	snprintf(marker, sizeof(marker), "%s/.complete", dir);
	return stat(marker, st) == 0;
}

/* The cache's fixtures directory. */
static inline void ut_fixture_base(char *out, size_t size)
{
	const char *cache = getenv("VMCORE_UNZRAM_CACHE");
	const char *home = getenv("HOME");
	if (cache && *cache)
		snprintf(out, size, "%s/fixtures", cache);
	else
		snprintf(out, size, "%s/.cache/vmcore-unzram/fixtures", home ? home : ".");
}

enum ut_fixture { UT_FIXTURE_FOUND, UT_FIXTURE_MISSING, UT_FIXTURE_BROKEN };

/* ARCH KERNEL PAGING (e.g. "x86_64", "6.1", 4): the completed fixture
 * directory into out. */
static inline enum ut_fixture ut_fixture_dir(const char *arch, const char *kernel, int paging,
					 char *out, size_t size, char *why, size_t why_size)
{
	char prefix[128];
	snprintf(prefix, sizeof(prefix), "%s-%s-%dlevel-", arch, kernel, paging);
	struct stat st;
	const char *list = getenv("UZ_FIXTURE_DIRS");
	if (list) {
		char *copy = strdup(list);
		const char *found = NULL;
		for (char *save = NULL, *t = strtok_r(copy, " \t\n", &save); t && !found;
		     t = strtok_r(NULL, " \t\n", &save)) {
			const char *base = strrchr(t, '/');
			if (ut_fixture_name_is(base ? base + 1 : t, prefix)) {
				snprintf(out, size, "%s", t);
				found = out;
			}
		}
		free(copy);
		if (!found) {
			snprintf(why, why_size, "fixture set %s:%s:%d is not among the sets this run built "
				 "(UZ_FIXTURE_DIRS, from UZ_FIXTURE_SETS)", arch, kernel, paging);
			return UT_FIXTURE_MISSING;
		}
		if (!ut_fixture_complete(out, &st)) {
			/* tests/run said it is built: not a missing prerequisite. */
			snprintf(why, why_size, "%s (from UZ_FIXTURE_DIRS) has no .complete marker", out);
			return UT_FIXTURE_BROKEN;
		}
		return UT_FIXTURE_FOUND;
	}
	char base[1024];
	ut_fixture_base(base, sizeof(base));
	DIR *d = opendir(base);
	struct timespec best = { 0, 0 };
	bool found = false;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char dir[2048];
		if (!ut_fixture_name_is(de->d_name, prefix))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", base, de->d_name);
		if (!ut_fixture_complete(dir, &st))
			continue;
		if (!found || st.st_mtim.tv_sec > best.tv_sec ||
		    (st.st_mtim.tv_sec == best.tv_sec && st.st_mtim.tv_nsec > best.tv_nsec)) {
			if ((size_t)snprintf(out, size, "%s", dir) >= size)
				continue;
			best = st.st_mtim;
			found = true;
		}
	}
	if (d)
		closedir(d);
	if (!found) {
		snprintf(why, why_size, "no completed %s* fixture in %s (tests/run builds them; or "
			 "tests/vm/fixtures --arch %s --kernel %s --paging %d)", prefix, base, arch, kernel, paging);
		return UT_FIXTURE_MISSING;
	}
	return UT_FIXTURE_FOUND;
}

/* In a UT_TEST: DIR (a char array) becomes the set's fixture directory, or
 * the test skips (missing prerequisite) or fails. */
#define UT_FIXTURE(dir, arch, kernel, paging) do { char ut_why_[2600]; \
	switch (ut_fixture_dir(arch, kernel, paging, dir, sizeof(dir), ut_why_, sizeof(ut_why_))) { \
	case UT_FIXTURE_FOUND: break; \
	case UT_FIXTURE_MISSING: UT_SKIP("%s", ut_why_); \
	default: UT_FAIL("%s", ut_why_); } } while (0)

#endif
