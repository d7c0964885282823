#include "pgtable.h"

#include <inttypes.h>
#include <stdlib.h>

static uint64_t level_index(const struct uz_pgtable_format *fmt, unsigned level, uint64_t vaddr)
{
	return (vaddr >> fmt->shift[level]) & ((UINT64_C(1) << fmt->bits[level]) - 1);
}

uint64_t uz_pgtable_va_span(const struct uz_pgtable_format *fmt)
{
	unsigned top = fmt->shift[0] + fmt->bits[0];
	return top >= 64 ? UINT64_MAX : UINT64_C(1) << top;
}

struct uz_error *uz_pgtable_translate(const struct uz_pgtable_format *fmt,
				      const struct uz_phys_reader *phys, uint64_t root,
				      uint64_t vaddr, uint64_t *paddr, unsigned *leaf_level)
{
	uint64_t table = root;
	for (unsigned level = 0; level < fmt->levels; level++) {
		uint64_t entry_addr = table + level_index(fmt, level, vaddr) * 8;
		uint64_t entry;
		struct uz_error *err = phys->read(phys->ctx, entry_addr, &entry, sizeof(entry));
		if (err)
			return uz_error_wrap(err, "%s walk of 0x%" PRIx64 ": level %u entry at physical 0x%" PRIx64,
					     fmt->name, vaddr, level, entry_addr);
		enum uz_pgtable_entry kind = fmt->classify(fmt, level, entry);
		if (kind == UZ_PGT_INVALID)
			return uz_error_create(UZ_ERR_FAULT,
					       "0x%" PRIx64 " is not mapped (%s level %u entry 0x%" PRIx64 " at physical 0x%" PRIx64 ")",
					       vaddr, fmt->name, level, entry, entry_addr);
		uint64_t target = fmt->address(fmt, entry);
		if (kind == UZ_PGT_LEAF || level == fmt->levels - 1) {
			uint64_t size_mask = (UINT64_C(1) << fmt->shift[level]) - 1;
			*paddr = (target & ~size_mask) | (vaddr & size_mask);
			if (leaf_level)
				*leaf_level = level;
			return NULL;
		}
		table = target;
	}
	return uz_error_create(UZ_ERR_FORMAT, "%s format has no levels", fmt->name);
}

struct walk_state {
	const struct uz_pgtable_format *fmt;
	const struct uz_phys_reader *phys;
	uz_pgtable_pte_fn *cb;
	void *ctx;
	uint64_t *buf[UZ_PGTABLE_MAX_LEVELS];  /* one table page per level */
	uint64_t tables_visited;
};

static struct uz_error *walk_table(struct walk_state *st, unsigned level, uint64_t table,
				   uint64_t base, uint64_t start, uint64_t end)
{
	const struct uz_pgtable_format *fmt = st->fmt;
	if (fmt->max_tables && ++st->tables_visited > fmt->max_tables)
		return uz_error_create(UZ_ERR_FORMAT,
				       "%s walk visited more than %" PRIu64 " table pages: the page tables are corrupt or cyclic",
				       fmt->name, fmt->max_tables);
	uint64_t entries = UINT64_C(1) << fmt->bits[level];
	uint64_t *tab = st->buf[level];
	struct uz_error *err = st->phys->read(st->phys->ctx, table, tab, entries * 8);
	if (err)
		return uz_error_wrap(err, "%s level %u table at physical 0x%" PRIx64, fmt->name, level,
				     table);
	uint64_t span = UINT64_C(1) << fmt->shift[level];
	uint64_t first = start > base ? (start - base) >> fmt->shift[level] : 0;
	for (uint64_t i = first; i < entries; i++) {
		uint64_t va = base + i * span;
		if (va >= end)
			break;
		uint64_t entry = tab[i];
		if (level == fmt->levels - 1) {
			if (entry)
				UZ_TRY(st->cb(st->ctx, va, table + i * 8, entry));
			continue;
		}
		if (fmt->classify(fmt, level, entry) != UZ_PGT_TABLE)
			continue;  /* not present, or a huge leaf */
		uint64_t sub_start = start > va ? start : va;
		UZ_TRY(walk_table(st, level + 1, fmt->address(fmt, entry), va, sub_start, end));
	}
	return NULL;
}

struct uz_error *uz_pgtable_walk(const struct uz_pgtable_format *fmt,
				 const struct uz_phys_reader *phys, uint64_t root,
				 uint64_t start, uint64_t end, uz_pgtable_pte_fn *cb, void *ctx)
{
	uint64_t span = uz_pgtable_va_span(fmt);
	if (end > span)
		end = span;
	if (start >= end)
		return NULL;
	struct walk_state st = { .fmt = fmt, .phys = phys, .cb = cb, .ctx = ctx };
	struct uz_error *err = NULL;
	for (unsigned l = 0; l < fmt->levels; l++) {
		st.buf[l] = malloc((size_t)8 << fmt->bits[l]);
		if (!st.buf[l]) {
			err = uz_error_create(UZ_ERR_NOMEM, "allocating a page-table buffer");
			goto out;
		}
	}
	err = walk_table(&st, 0, root, 0, start, end);
out:
	for (unsigned l = 0; l < fmt->levels; l++)
		free(st.buf[l]);
	return err;
}
