/* Unit tests for lib/error.c: messages, wrapping, exit codes. */
#include "error.h"
#include "ut.h"

#include <errno.h>

UT_TEST(create_formats_message)
{
	struct uz_error *err = uz_error_create(UZ_ERR_FORMAT, "bad %s at %d", "header", 12);
	UT_ASSERT_EQ(err->code, UZ_ERR_FORMAT);
	UT_ASSERT(strcmp(err->message, "bad header at 12") == 0);
	uz_error_destroy(err);
}

UT_TEST(wrap_prefixes_context_and_passes_null)
{
	UT_ASSERT(uz_error_wrap(NULL, "ctx") == NULL);
	struct uz_error *err = uz_error_wrap(uz_error_create(UZ_ERR_FAULT, "pfn 0x10 not in dump"),
					     "reading %s", "zram table");
	UT_ASSERT(strcmp(err->message, "reading zram table: pfn 0x10 not in dump") == 0);
	UT_ASSERT_EQ(uz_error_exit_code(err), 6);
	uz_error_destroy(err);
}

UT_TEST(errno_appends_strerror)
{
	struct uz_error *err = uz_error_errno(ENOENT, "open %s", "x.vmcore");
	UT_ASSERT_EQ(err->code, UZ_ERR_IO);
	UT_ASSERT_EQ(err->errnum, ENOENT);
	UT_ASSERT(strstr(err->message, "open x.vmcore: ") == err->message);
	UT_ASSERT(strstr(err->message, strerror(ENOENT)) != NULL);
	UT_ASSERT_EQ(uz_error_exit_code(err), 3);
	uz_error_destroy(err);
}

UT_TEST(exit_codes_distinct_per_class)
{
	UT_ASSERT_EQ(uz_error_exit_code(NULL), 0);
	struct uz_error *usage = uz_error_create(UZ_ERR_USAGE, "x");
	struct uz_error *fmt = uz_error_create(UZ_ERR_FORMAT, "x");
	UT_ASSERT_EQ(uz_error_exit_code(usage), 2);
	UT_ASSERT_EQ(uz_error_exit_code(fmt), 4);
	uz_error_destroy(usage);
	uz_error_destroy(fmt);
}

/* Bytes read from a dump end up in messages (issue 13, defect 5: a changed
 * bitmap byte printed 511 raw dump bytes): control bytes and bytes that are
 * not UTF-8 are escaped, valid UTF-8 (a path) is kept. */
UT_TEST(messages_escape_unprintable_bytes)
{
	const char raw[] = { 'a', '\n', 'b', '\x1b', '[', '2', 'J', '\xff', '\xc3', '\xa9', '\xc3', 0 };
	struct uz_error *err = uz_error_create(UZ_ERR_MISMATCH, "banner \"%s\"", raw);
	UT_ASSERT(strcmp(err->message, "banner \"a\\x0ab\\x1b[2J\\xff\xc3\xa9\\xc3\"") == 0);
	err = uz_error_wrap(err, "in %s", "x\ty");
	UT_ASSERT(strncmp(err->message, "in x\\x09y: banner", 17) == 0);
	for (const char *p = err->message; *p; p++)
		UT_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
	uz_error_destroy(err);
}

UT_TEST(interrupted_has_its_own_exit_code)
{
	struct uz_error *err = uz_error_create(UZ_ERR_INTERRUPTED, "interrupted by SIGINT");
	UT_ASSERT_EQ(uz_error_exit_code(err), 130);
	uz_error_destroy(err);
}

UT_MAIN(UT_CASE(create_formats_message), UT_CASE(wrap_prefixes_context_and_passes_null),
	UT_CASE(errno_appends_strerror), UT_CASE(exit_codes_distinct_per_class),
	UT_CASE(messages_escape_unprintable_bytes), UT_CASE(interrupted_has_its_own_exit_code))
