#include "json.h"

#include <inttypes.h>

void json_init(struct json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->need_comma[0] = false;
	j->after_key = false;
	j->overflow = false;
}

static void before_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		fputc(',', j->out);
	j->need_comma[j->depth] = true;
}

static void push(struct json *j, char c)
{
	before_value(j);
	fputc(c, j->out);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->overflow = true;
		return;
	}
	j->depth++;
	j->need_comma[j->depth] = false;
}

static void pop(struct json *j, char c)
{
	if (j->depth == 0) {
		j->overflow = true;
		return;
	}
	j->depth--;
	fputc(c, j->out);
}

void json_begin_object(struct json *j) { push(j, '{'); }
void json_end_object(struct json *j) { pop(j, '}'); }
void json_begin_array(struct json *j) { push(j, '['); }
void json_end_array(struct json *j) { pop(j, ']'); }

static void write_escaped(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

void json_key(struct json *j, const char *key)
{
	before_value(j);
	write_escaped(j->out, key);
	fputc(':', j->out);
	j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
	before_value(j);
	write_escaped(j->out, s ? s : "");
}

void json_uint(struct json *j, uint64_t v) { before_value(j); fprintf(j->out, "%" PRIu64, v); }
void json_int(struct json *j, int64_t v) { before_value(j); fprintf(j->out, "%" PRId64, v); }
void json_bool(struct json *j, bool v) { before_value(j); fputs(v ? "true" : "false", j->out); }
void json_null(struct json *j) { before_value(j); fputs("null", j->out); }
void json_hex(struct json *j, uint64_t v) { before_value(j); fprintf(j->out, "\"0x%" PRIx64 "\"", v); }

bool json_finish(struct json *j)
{
	fputc('\n', j->out);
	return !j->overflow && j->depth == 0 && !ferror(j->out);
}
