/* test_dump_util.h - scratch files for the dump tests: a private temporary
 * directory (named after TEST_TMP_PREFIX, which the including test defines)
 * removed when the test binary exits, and reading a whole file. */
#ifndef UZ_TEST_DUMP_UTIL_H
#define UZ_TEST_DUMP_UTIL_H

#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#ifndef TEST_TMP_PREFIX
#error "define TEST_TMP_PREFIX before including test_dump_util.h"
#endif

static char tmp_dir[256];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The scratch directory goes away with the test binary. */
static void remove_tmp_dir(void)
{
	if (tmp_dir[0])
		nftw(tmp_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static char *tmp_path(const char *name)
{
	char *dir = tmp_dir;
	if (!dir[0]) {
		atexit(remove_tmp_dir);
		const char *t = getenv("TMPDIR");
		snprintf(dir, sizeof(tmp_dir), "%s/" TEST_TMP_PREFIX "-XXXXXX", t ? t : "/tmp");
		if (!mkdtemp(dir))
			abort();
	}
	char *p;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

static bool read_file(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	*data = malloc(*len + 1);
	bool ok = *data && fread(*data, 1, *len, f) == *len;
	fclose(f);
	return ok;
}

#endif
