/* test_kernel_fake.h - fakes for the kernel-view unit tests: physical
 * memory backed by a buffer, and a table-driven type/symbol provider.  With
 * them the real lib/kernel code runs over synthetic page tables, task lists
 * and maple trees (see lib/kernel/internal.h, uz_kernel_open_custom). */
#ifndef TEST_KERNEL_FAKE_H
#define TEST_KERNEL_FAKE_H

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/internal.h"

struct fake_mem {
	uint8_t *buf;
	uint64_t base;   /* physical address of buf[0] */
	uint64_t size;
	uint64_t reads;
};

static inline struct uz_error *fake_mem_read(void *ctx, uint64_t paddr, void *out, size_t len)
{
	struct fake_mem *m = ctx;
	m->reads++;
	if (paddr < m->base || paddr - m->base > m->size || len > m->size - (paddr - m->base))
		return uz_error_create(UZ_ERR_FAULT, "physical 0x%" PRIx64 "+%zu is not in the fake memory",
				       paddr, len);
	memcpy(out, m->buf + (paddr - m->base), len);
	return NULL;
}

static inline void fake_mem_init(struct fake_mem *m, uint64_t base, uint64_t size)
{
	m->buf = calloc(1, (size_t)size);
	m->base = base;
	m->size = size;
	m->reads = 0;
}

static inline void put64(struct fake_mem *m, uint64_t paddr, uint64_t v)
{
	memcpy(m->buf + (paddr - m->base), &v, 8);
}

static inline void put32(struct fake_mem *m, uint64_t paddr, uint32_t v)
{
	memcpy(m->buf + (paddr - m->base), &v, 4);
}

static inline struct uz_phys_reader fake_reader(struct fake_mem *m)
{
	struct uz_phys_reader r = { fake_mem_read, m };
	return r;
}

/* ---- table-driven provider ---- */

struct fake_member { const char *type, *member; uint64_t offset, size; uint32_t bit_offset, bit_size; };
struct fake_named { const char *name; uint64_t value; };

struct fake_types {
	const struct fake_member *members;
	const struct fake_named *sizes;       /* type -> size */
	const struct fake_named *symbols;     /* link-time addresses */
	const struct fake_named *enumerators;
	const char *banner;
};

static inline struct uz_error *fake_symbol(void *impl, const char *name, uint64_t *addr)
{
	const struct fake_types *t = impl;
	for (const struct fake_named *s = t->symbols; s && s->name; s++)
		if (!strcmp(s->name, name)) {
			*addr = s->value;
			return NULL;
		}
	return uz_error_create(UZ_ERR_NOT_FOUND, "fake: no symbol %s", name);
}

static inline struct uz_error *fake_type_size(void *impl, const char *type, uint64_t *size)
{
	const struct fake_types *t = impl;
	for (const struct fake_named *s = t->sizes; s && s->name; s++)
		if (!strcmp(s->name, type)) {
			*size = s->value;
			return NULL;
		}
	return uz_error_create(UZ_ERR_NOT_FOUND, "fake: no type %s", type);
}

static inline struct uz_error *fake_member(void *impl, const char *type, const char *member,
					   struct uz_member *out)
{
	const struct fake_types *t = impl;
	for (const struct fake_member *m = t->members; m && m->type; m++)
		if (!strcmp(m->type, type) && !strcmp(m->member, member)) {
			out->offset = m->offset;
			out->size = m->size;
			out->bit_offset = m->bit_offset;
			out->bit_size = m->bit_size;
			return NULL;
		}
	return uz_error_create(UZ_ERR_NOT_FOUND, "fake: %s has no member %s", type, member);
}

static inline struct uz_error *fake_array_len(void *impl, const char *type, const char *name, uint64_t *len)
{
	(void)impl; (void)type; (void)len;
	return uz_error_create(UZ_ERR_NOT_FOUND, "fake: no array %s", name);
}

static inline struct uz_error *fake_enumerator(void *impl, const char *name, int64_t *value)
{
	const struct fake_types *t = impl;
	for (const struct fake_named *s = t->enumerators; s && s->name; s++)
		if (!strcmp(s->name, name)) {
			*value = (int64_t)s->value;
			return NULL;
		}
	return uz_error_create(UZ_ERR_NOT_FOUND, "fake: no enumerator %s", name);
}

static inline struct uz_error *fake_var_kind(void *impl, const char *name, enum uz_var_kind *kind)
{
	(void)impl;
	(void)kind;
	return uz_error_create(UZ_ERR_NOT_FOUND, "fake: no variable %s", name);
}

static inline const char *fake_banner(void *impl) { return ((const struct fake_types *)impl)->banner; }
static inline const uint8_t *fake_build_id(void *impl, size_t *len) { (void)impl; *len = 0; return NULL; }
static inline const char *fake_describe(void *impl) { (void)impl; return "fake types"; }

static const struct uz_types_ops fake_types_ops = {
	.symbol = fake_symbol,
	.type_size = fake_type_size,
	.member = fake_member,
	.array_len = fake_array_len,
	.enumerator = fake_enumerator,
	.var_kind = fake_var_kind,
	.banner = fake_banner,
	.build_id = fake_build_id,
	.describe = fake_describe,
	.destroy = NULL,
};

static inline struct uz_types fake_types(const struct fake_types *t)
{
	struct uz_types types = { &fake_types_ops, (void *)t };
	return types;
}

#endif
