#include "vmcoreinfo.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

struct uz_vmci {
	char *text;               /* our copy, '=' and '\n' replaced by NULs */
	struct uz_strmap keys;    /* key -> value pointer (into text) */
};

void uz_vmci_free(struct uz_vmci *vi)
{
	if (!vi)
		return;
	uz_strmap_free(&vi->keys);
	free(vi->text);
	free(vi);
}

struct uz_error *uz_vmci_parse(const char *text, size_t len, struct uz_vmci **out)
{
	*out = NULL;
	const char *nul = memchr(text, '\0', len);
	if (nul)
		len = (size_t)(nul - text);
	struct uz_vmci *vi = calloc(1, sizeof(*vi));
	if (!vi)
		return uz_error_create(UZ_ERR_NOMEM, "allocating VMCOREINFO");
	uz_strmap_init(&vi->keys, false);
	vi->text = malloc(len + 1);
	if (!vi->text) {
		uz_vmci_free(vi);
		return uz_error_create(UZ_ERR_NOMEM, "copying %zu bytes of VMCOREINFO", len);
	}
	memcpy(vi->text, text, len);
	vi->text[len] = '\0';

	char *line = vi->text;
	while (*line) {
		char *eol = strchr(line, '\n');
		char *next = eol ? eol + 1 : line + strlen(line);
		if (eol)
			*eol = '\0';
		size_t line_len = strlen(line);
		if (line_len && line[line_len - 1] == '\r')
			line[--line_len] = '\0';
		char *eq = strchr(line, '=');
		if (eq && eq != line) {
			*eq = '\0';
			struct uz_error *err = uz_strmap_put(&vi->keys, 0, line, (size_t)(eq - line),
							     (uint64_t)(uintptr_t)(eq + 1), false, NULL);
			if (err) {
				uz_vmci_free(vi);
				return uz_error_wrap(err, "parsing VMCOREINFO");
			}
		}
		line = next;
	}
	if (vi->keys.count == 0) {
		uz_vmci_free(vi);
		return uz_error_create(UZ_ERR_FORMAT,
				       "VMCOREINFO (%zu bytes) has no KEY=VALUE line", len);
	}
	*out = vi;
	return NULL;
}

const char *uz_vmci_get(const struct uz_vmci *vi, const char *key)
{
	struct uz_strmap_entry *e = uz_strmap_get(&vi->keys, 0, key, strlen(key));
	return e ? (const char *)(uintptr_t)e->value : NULL;
}

size_t uz_vmci_count(const struct uz_vmci *vi)
{
	return vi->keys.count;
}

static bool key_is_hex(const char *key)
{
	return strncmp(key, "SYMBOL(", 7) == 0 || strcmp(key, "KERNELOFFSET") == 0;
}

struct uz_error *uz_vmci_number(const struct uz_vmci *vi, const char *key,
				      uint64_t *value)
{
	const char *s = uz_vmci_get(vi, key);
	if (!s)
		return uz_error_create(UZ_ERR_NOT_FOUND, "VMCOREINFO has no %s", key);
	const char *p = s;
	bool negative = false;
	int base = key_is_hex(key) ? 16 : 10;
	if (*p == '-') {
		negative = true;
		p++;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	/* strtoull accepts leading blanks and signs: refuse them ourselves. */
	bool digit_ok = (base == 16) ? (p[0] && strchr("0123456789abcdefABCDEF", p[0]))
				     : (p[0] >= '0' && p[0] <= '9');
	if (!digit_ok)
		return uz_error_create(UZ_ERR_FORMAT, "VMCOREINFO %s=%s is not a number", key, s);
	errno = 0;
	char *end;
	unsigned long long v = strtoull(p, &end, base);
	if (errno || *end != '\0')
		return uz_error_create(UZ_ERR_FORMAT, "VMCOREINFO %s=%s is not a number", key, s);
	*value = negative ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	return NULL;
}

struct uz_error *uz_vmci_named(const struct uz_vmci *vi, const char *what,
				     const char *name, uint64_t *value)
{
	char key[256];
	int n = snprintf(key, sizeof(key), "%s(%s)", what, name);
	if (n < 0 || (size_t)n >= sizeof(key))
		return uz_error_create(UZ_ERR_USAGE, "VMCOREINFO key %s(%s) is too long", what, name);
	return uz_vmci_number(vi, key, value);
}

struct uz_error *uz_vmci_symbol(const struct uz_vmci *vi, const char *name,
				      uint64_t *addr)
{
	return uz_vmci_named(vi, "SYMBOL", name, addr);
}
