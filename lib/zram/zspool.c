/* zspool.c - walking a zsmalloc pool: every size class, every zspage on its
 * fullness lists, every page of each zspage (see uz_zram_for_each_zspage in
 * zram.h).  The one place that knows how a pool is linked together, with
 * the layout zram.c read from the kernel's types (size classes as an array
 * of pointers or of structs, first_page or first_zpdesc, the next page in
 * page->index, __folio_index or freelist by version).
 *
 * Bounded: every list walk stops at MAX_LIST_NODES, so a loop in a corrupt
 * list ends in an error naming the list.
 */
#include <stdlib.h>
#include <string.h>

#include "zram_internal.h"

#define MAX_LIST_NODES (UINT64_C(1) << 24)
#define MAX_PAGES_PER_ZSPAGE 64

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* A plain (not bit-field) unsigned member of at most 8 bytes. */
static struct uz_error *read_member(struct uz_kernel *k, uint64_t addr, const struct uz_member *mb, uint64_t *v)
{
	if (mb->bit_size || mb->size == 0 || mb->size > 8)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "a %llu-byte member", (unsigned long long)mb->size);
	uint8_t b[8] = { 0 };
	UZ_TRY(uz_kernel_read(k, addr + mb->offset, b, mb->size));
	*v = 0;
	for (int i = 7; i >= 0; i--)
		*v = *v << 8 | b[i];
	return NULL;
}

static struct uz_error *walk_zspage(struct uz_zram_model *m, struct uz_zspage_info *z,
				    uz_zspage_fn *fn, void *ctx)
{
	const struct layout *L = &m->L;
	uint64_t page;
	UZ_TRY(uz_kernel_read_u64(m->k, z->zspage + L->zs_first_page.offset, &page));
	z->n_pages = 0;
	for (uint64_t i = 0; i < z->pages_per_zspage && page; i++) {
		UZ_TRY(uz_error_wrap(uz_kernel_page_to_pfn(m->k, page, &z->pfns[z->n_pages]),
				     "page %llu of zspage 0x%llx", (unsigned long long)i,
				     (unsigned long long)z->zspage));
		z->n_pages++;
		if (i + 1 < z->pages_per_zspage)
			UZ_TRY(uz_kernel_read_u64(m->k, page + L->pg_next.offset, &page));
	}
	return fn(ctx, z);
}

static struct uz_error *walk_class(struct uz_zram_model *m, uint64_t cls, uz_zspage_fn *fn, void *ctx)
{
	const struct layout *L = &m->L;
	struct uz_zspage_info z;
	memset(&z, 0, sizeof(z));
	z.size_class = cls;
	z.size_class_bytes = L->cls_struct_size;
	z.zspage_bytes = L->zs_read_len;
	UZ_TRY(read_member(m->k, cls, &L->cls_pages, &z.pages_per_zspage));
	if (z.pages_per_zspage == 0 || z.pages_per_zspage > MAX_PAGES_PER_ZSPAGE)
		return uz_error_create(UZ_ERR_FORMAT, "%llu pages per zspage",
				       (unsigned long long)z.pages_per_zspage);
	for (uint64_t l = 0; l < L->n_lists; l++) {
		uint64_t head = cls + L->cls_lists.offset + 16 * l, pos;
		UZ_TRY(uz_kernel_read_u64(m->k, head, &pos));
		for (uint64_t count = 0; pos && pos != head; count++) {
			if (count == MAX_LIST_NODES)
				return uz_error_create(UZ_ERR_FORMAT, "zspage list %llu does not end",
						       (unsigned long long)l);
			z.zspage = pos - L->zs_list.offset;
			UZ_TRY(walk_zspage(m, &z, fn, ctx));
			UZ_TRY(uz_kernel_read_u64(m->k, pos, &pos));
		}
	}
	return NULL;
}

struct uz_error *uz_zram_for_each_zspage(struct uz_zram_model *m, size_t device, uz_zspage_fn *fn, void *ctx)
{
	if (!m->have_zram)
		return uz_error_create(UZ_ERR_NOT_FOUND, "zram types unavailable: %s", m->zram_why);
	if (!m->L.has_lists)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "this kernel's zsmalloc pool has no fullness lists to walk");
	if (device >= m->n_devs)
		return uz_error_create(UZ_ERR_USAGE, "no zram device %zu", device);
	const struct layout *L = &m->L;
	uint64_t pool = m->devs[device].info.pool;
	if (!pool)
		return NULL;
	uint64_t *classes = calloc(L->n_classes, sizeof(*classes));
	if (!classes)
		return uz_error_create(UZ_ERR_NOMEM, "out of memory for %llu size classes",
				       (unsigned long long)L->n_classes);
	struct uz_error *err = NULL;
	uint64_t at = pool + L->pool_size_class.offset;
	for (uint64_t i = 0; i < L->n_classes && !err; i++) {
		if (L->size_class_ptrs)
			err = uz_kernel_read_u64(m->k, at + 8 * i, &classes[i]);
		else
			classes[i] = at + L->cls_struct_size * i;
	}
	/* Merged classes share one struct: walk each once. */
	size_t n = 0;
	if (!err) {
		qsort(classes, L->n_classes, sizeof(*classes), cmp_u64);
		for (uint64_t i = 0; i < L->n_classes; i++)
			if (classes[i] && (n == 0 || classes[n - 1] != classes[i]))
				classes[n++] = classes[i];
	}
	for (size_t i = 0; i < n && !err; i++)
		err = uz_error_wrap(walk_class(m, classes[i], fn, ctx), "size class 0x%llx",
				    (unsigned long long)classes[i]);
	free(classes);
	return uz_error_wrap(err, "%s pool 0x%llx", m->devs[device].info.name, (unsigned long long)pool);
}
