#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Returned when allocating an error fails; never freed.  Immutable. */
static char uz_nomem_message[] = "out of memory";
static struct uz_error uz_nomem_error = { UZ_ERR_NOMEM, 0, uz_nomem_message };

/* Length of the valid UTF-8 sequence of printable characters at p (1-4),
 * or 0 when p[0] must be escaped. */
static size_t printable_len(const unsigned char *p)
{
	if (p[0] >= 0x20 && p[0] < 0x7f)
		return 1;
	size_t n = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 2 && p[0] < 0xc2)
		return 0;   /* overlong */
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Returns msg, or a copy of it with unprintable bytes escaped (msg freed);
 * NULL when out of memory. */
static char *escape_message(char *msg)
{
	size_t extra = 0;
	for (const unsigned char *p = (const unsigned char *)msg; *p;) {
		size_t n = printable_len(p);
		extra += n ? 0 : 3;
		p += n ? n : 1;
	}
	if (!extra)
		return msg;
	char *out = malloc(strlen(msg) + extra + 1), *o = out;
	if (out) {
		for (const unsigned char *p = (const unsigned char *)msg; *p;) {
			size_t n = printable_len(p);
			if (n) {
				memcpy(o, p, n);
				o += n;
				p += n;
			} else {
				o += sprintf(o, "\\x%02x", *p++);
			}
		}
		*o = '\0';
	}
	free(msg);
	return out;
}

__attribute__((format(printf, 3, 0)))
static struct uz_error *error_vcreate(enum uz_error_code code, int errnum,
				      const char *fmt, va_list ap)
{
	struct uz_error *err = malloc(sizeof(*err));
	if (!err)
		return &uz_nomem_error;
	char *msg;
	if (vasprintf(&msg, fmt, ap) < 0) {
		free(err);
		return &uz_nomem_error;
	}
	if (errnum) {
		char *full;
		if (asprintf(&full, "%s: %s", msg, strerror(errnum)) < 0) {
			free(msg);
			free(err);
			return &uz_nomem_error;
		}
		free(msg);
		msg = full;
	}
	msg = escape_message(msg);
	if (!msg) {
		free(err);
		return &uz_nomem_error;
	}
	err->code = code;
	err->errnum = errnum;
	err->message = msg;
	return err;
}

struct uz_error *uz_error_create(enum uz_error_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct uz_error *err = error_vcreate(code, 0, fmt, ap);
	va_end(ap);
	return err;
}

struct uz_error *uz_error_errno(int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct uz_error *err = error_vcreate(UZ_ERR_IO, errnum, fmt, ap);
	va_end(ap);
	return err;
}

struct uz_error *uz_error_wrap(struct uz_error *err, const char *fmt, ...)
{
	if (!err || err == &uz_nomem_error)
		return err;
	char *prefix;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (n < 0 || !(prefix = escape_message(prefix)))
		return err; /* keep the original message rather than lose it */
	char *full;
	if (asprintf(&full, "%s: %s", prefix, err->message) >= 0) {
		free(err->message);
		err->message = full;
	}
	free(prefix);
	return err;
}

void uz_error_destroy(struct uz_error *err)
{
	if (!err || err == &uz_nomem_error)
		return;
	free(err->message);
	free(err);
}

int uz_error_exit_code(const struct uz_error *err)
{
	if (!err)
		return 0;
	switch (err->code) {
	case UZ_ERR_USAGE:
		return 2;
	case UZ_ERR_IO:
		return 3;
	case UZ_ERR_FORMAT:
	case UZ_ERR_DECOMPRESS:
		return 4;
	case UZ_ERR_UNSUPPORTED:
		return 5;
	case UZ_ERR_MISMATCH:
	case UZ_ERR_NOT_FOUND:
	case UZ_ERR_FAULT:
		return 6;
	case UZ_ERR_NOMEM:
		return 7;
	case UZ_ERR_INTERRUPTED:
		return 130;
	}
	return 1;
}
