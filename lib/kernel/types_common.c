/* types_common.c - helpers both type providers share (types.h). */
#include "types.h"

#include <stdio.h>
#include <string.h>

bool uz_types_base_name(const char *type, char *out, size_t out_size)
{
	int n_unsigned = 0, n_signed = 0, n_long = 0, n_short = 0, n_char = 0, n_int = 0;
	const char *s = type;
	while (*s) {
		while (*s == ' ')
			s++;
		const char *w = s;
		while (*s && *s != ' ')
			s++;
		size_t wl = (size_t)(s - w);
		if (!wl)
			break;
		if (wl == 8 && !memcmp(w, "unsigned", 8)) n_unsigned++;
		else if (wl == 6 && !memcmp(w, "signed", 6)) n_signed++;
		else if (wl == 4 && !memcmp(w, "long", 4)) n_long++;
		else if (wl == 5 && !memcmp(w, "short", 5)) n_short++;
		else if (wl == 4 && !memcmp(w, "char", 4)) n_char++;
		else if (wl == 3 && !memcmp(w, "int", 3)) n_int++;
		else return false;
	}
	const char *u = n_unsigned ? " unsigned" : "";
	int n;
	if (n_char)
		n = snprintf(out, out_size, "%schar", n_unsigned ? "unsigned " : n_signed ? "signed " : "");
	else if (n_short)
		n = snprintf(out, out_size, "short%s int", u);
	else if (n_long >= 2)
		n = snprintf(out, out_size, "long long%s int", u);
	else if (n_long == 1)
		n = snprintf(out, out_size, "long%s int", u);
	else if (n_int || n_unsigned || n_signed)
		n = snprintf(out, out_size, "%sint", n_unsigned ? "unsigned " : "");
	else
		return false;
	return n > 0 && (size_t)n < out_size;
}
