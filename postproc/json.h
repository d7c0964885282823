/* json.h - a minimal streaming JSON writer for --report and --json output.
 *
 * Owns: escaping, commas and nesting.  It writes as it goes (reports can list
 * millions of rewrites) and remembers only the nesting depth.  Write errors
 * are sticky and reported by json_finish().
 */
#ifndef UZ_JSON_H
#define UZ_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *out;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool after_key;
	bool overflow;
};

void json_init(struct json *j, FILE *out);
void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);
void json_uint(struct json *j, uint64_t v);
void json_int(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* "0x..." string, for addresses (JSON numbers lose precision above 2^53). */
void json_hex(struct json *j, uint64_t v);
/* Returns false if anything went wrong (I/O error, unbalanced nesting). */
bool json_finish(struct json *j);

#endif
