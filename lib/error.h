/* error.h - the error object every fallible library function returns.
 *
 * Owns: creating, wrapping (adding context) and destroying errors, and the
 * mapping from error codes to CLI exit codes.  Does not own printing: library
 * code never prints or exits; errors bubble up to the CLI, which prints one
 * line and picks the exit code (see docs/vmcore-unzram.8, EXIT STATUS).
 *
 * Convention (as in libdrgn): a function returns `struct uz_error *`, NULL on
 * success.  The caller either handles it (uz_error_destroy) or returns it,
 * usually after uz_error_wrap() has prefixed what it was doing.
 */
#ifndef UZ_ERROR_H
#define UZ_ERROR_H

#include <stdarg.h>

enum uz_error_code {
	UZ_ERR_NOMEM = 1,      /* out of memory */
	UZ_ERR_IO,             /* read/write/open failed (errno in ->errnum) */
	UZ_ERR_FORMAT,         /* input is corrupt, truncated or not what it claims */
	UZ_ERR_UNSUPPORTED,    /* valid input we do not handle (yet) */
	UZ_ERR_NOT_FOUND,      /* symbol, type, member, device, slot does not exist */
	UZ_ERR_FAULT,          /* address not mapped / page not in the dump */
	UZ_ERR_MISMATCH,       /* debuginfo does not match the dump, etc. */
	UZ_ERR_USAGE,          /* bad arguments */
	UZ_ERR_DECOMPRESS,     /* compressed data is corrupt */
	UZ_ERR_INTERRUPTED,    /* a stop signal arrived (lib/interrupt.h) */
};

struct uz_error {
	enum uz_error_code code;
	int errnum;            /* errno for UZ_ERR_IO, else 0 */
	char *message;         /* "context: context: cause", one line */
};

/* Create an error; printf-style message.  Never returns NULL: on allocation
 * failure a static out-of-memory error is returned (destroy is a no-op).
 * The message stays one printable line whatever the arguments held (bytes
 * read from a dump, say): control bytes and bytes that are not UTF-8 are
 * written as \xNN. */
struct uz_error *uz_error_create(enum uz_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* As uz_error_create, code UZ_ERR_IO, with strerror(errnum) appended. */
struct uz_error *uz_error_errno(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prefix context to err's message ("context: old message"); returns err.
 * Passing NULL returns NULL, so `return uz_error_wrap(f(), "...")` is safe. */
struct uz_error *uz_error_wrap(struct uz_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void uz_error_destroy(struct uz_error *err);

/* Exit code the CLIs use for an error of this code (documented in the man pages). */
int uz_error_exit_code(const struct uz_error *err);

/* Convenience: evaluate, and return the error from the caller if set, as it
 * is (wrap it first with uz_error_wrap where the caller adds context). */
#define UZ_TRY(expr) do { struct uz_error *uz_try_err_ = (expr); \
	if (uz_try_err_) return uz_try_err_; } while (0)

#endif
