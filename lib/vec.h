/* vec.h - a growable array of fixed-size elements (no generics in C11, so
 * one untyped implementation with typed accessors at the call sites). */
#ifndef UZ_VEC_H
#define UZ_VEC_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

struct vec {
	void *data;
	size_t len, cap, elem;
};

static inline void vec_init(struct vec *v, size_t elem)
{
	v->data = NULL;
	v->len = v->cap = 0;
	v->elem = elem;
}

static inline struct uz_error *vec_push(struct vec *v, const void *item)
{
	if (v->len == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 64;
		void *nd = realloc(v->data, ncap * v->elem);
		if (!nd)
			return uz_error_create(UZ_ERR_NOMEM, "out of memory growing a list to %zu entries", ncap);
		v->data = nd;
		v->cap = ncap;
	}
	memcpy((char *)v->data + v->len * v->elem, item, v->elem);
	v->len++;
	return NULL;
}

static inline void *vec_at(const struct vec *v, size_t i)
{
	return (char *)v->data + i * v->elem;
}

static inline void vec_free(struct vec *v)
{
	free(v->data);
	vec_init(v, v->elem);
}

#endif
