/* Page-table walker (lib/kernel/pgtable.c + the arch formats) over
 * synthetic tables in fake physical memory.  The tables are built by this
 * test with its own index arithmetic, written from the architecture manuals
 * (x86_64: 9 bits per level above bit 12; arm64: PAGE_SHIFT-3 bits per level,
 * the top level taking the rest of VA_BITS), not from the library's. */
#include "test_kernel_fake.h"
#include "ut.h"

struct geometry {
	unsigned page_shift, levels;
	unsigned shift[5], bits[5];    /* level 0 = root */
};

/* Expected geometries, literal. */
static const struct geometry x86_4l = { 12, 4, { 39, 30, 21, 12 }, { 9, 9, 9, 9 } };
static const struct geometry x86_5l = { 12, 5, { 48, 39, 30, 21, 12 }, { 9, 9, 9, 9, 9 } };
static const struct geometry a64_4k_39 = { 12, 3, { 30, 21, 12 }, { 9, 9, 9 } };
static const struct geometry a64_4k_48 = { 12, 4, { 39, 30, 21, 12 }, { 9, 9, 9, 9 } };
static const struct geometry a64_16k_47 = { 14, 3, { 36, 25, 14 }, { 11, 11, 11 } };
static const struct geometry a64_16k_48 = { 14, 4, { 47, 36, 25, 14 }, { 1, 11, 11, 11 } };
static const struct geometry a64_64k_42 = { 16, 2, { 29, 16 }, { 13, 13 } };
static const struct geometry a64_64k_48 = { 16, 3, { 42, 29, 16 }, { 6, 13, 13 } };
static const struct geometry a64_64k_52 = { 16, 3, { 42, 29, 16 }, { 10, 13, 13 } };

enum flavour { X86, A64_PA48, A64_PA52_64K };

struct builder {
	struct fake_mem mem;
	const struct geometry *g;
	enum flavour fl;
	uint64_t next_free;
	uint64_t root;
};

static uint64_t enc_addr(enum flavour fl, uint64_t pa)
{
	if (fl == A64_PA52_64K)  /* PA[47:16] in place, PA[51:48] in bits 15:12 */
		return (pa & 0x0000ffffffff0000ULL) | (((pa >> 48) & 0xf) << 12);
	return pa;
}

static uint64_t dec_addr(enum flavour fl, uint64_t d, unsigned page_shift)
{
	if (fl == X86)
		return d & 0x000ffffffffff000ULL;
	if (fl == A64_PA52_64K)
		return (d & 0x0000ffffffff0000ULL) | (((d >> 12) & 0xf) << 48);
	return d & 0x0000ffffffffffffULL & ~((1ULL << page_shift) - 1);
}

static uint64_t table_desc(enum flavour fl, uint64_t pa)
{
	return enc_addr(fl, pa) | (fl == X86 ? 0x67 : 0x3);
}

/* Leaf: x86 PTE / PSE block; arm64 page (11) at the last level, block (01) above. */
static uint64_t leaf_desc(const struct builder *b, uint64_t pa, unsigned level)
{
	bool last = level == b->g->levels - 1;
	if (b->fl == X86)
		return pa | 0x8000000000000067ULL | (last ? 0 : 0x80);
	return enc_addr(b->fl, pa) | (last ? 0x3 : 0x1) | 0x400 | 0x40;
}

static uint64_t alloc_table(struct builder *b)
{
	uint64_t pa = b->next_free;
	b->next_free += 1ULL << b->g->page_shift;
	if (b->next_free > b->mem.base + b->mem.size)
		abort();
	return pa;
}

static void builder_init(struct builder *b, const struct geometry *g, enum flavour fl, uint64_t base,
			 uint64_t size)
{
	fake_mem_init(&b->mem, base, size);
	b->g = g;
	b->fl = fl;
	b->next_free = base;
	b->root = alloc_table(b);
}

static uint64_t entry_addr(const struct builder *b, uint64_t table, unsigned level, uint64_t va)
{
	uint64_t index = (va >> b->g->shift[level]) & ((1ULL << b->g->bits[level]) - 1);
	return table + index * 8;
}

/* Map va -> pa with a leaf at leaf_level; returns the leaf entry's address. */
static uint64_t map(struct builder *b, uint64_t va, uint64_t pa, unsigned leaf_level)
{
	uint64_t table = b->root;
	for (unsigned level = 0;; level++) {
		uint64_t ea = entry_addr(b, table, level, va);
		if (level == leaf_level) {
			put64(&b->mem, ea, leaf_desc(b, pa, level));
			return ea;
		}
		uint64_t e;
		memcpy(&e, b->mem.buf + (ea - b->mem.base), 8);
		if (!e) {
			e = table_desc(b->fl, alloc_table(b));
			put64(&b->mem, ea, e);
		}
		table = dec_addr(b->fl, e, b->g->page_shift);
	}
}

static void fmt_for(const struct builder *b, struct uz_pgtable_format *fmt, struct uz_error **err)
{
	*err = NULL;
	if (b->fl == X86) {
		uz_x86_64_pgtable_format(b->g->levels == 5, 0, fmt);
		return;
	}
	unsigned va_bits = b->g->shift[0] + b->g->bits[0];
	*err = uz_aarch64_pgtable_format(b->g->page_shift, va_bits,
					 b->fl == A64_PA52_64K ? UZ_ARM64_PA_52_64K : UZ_ARM64_PA_48, fmt);
}

struct collected {
	uint64_t n;
	uint64_t va[64], paddr[64], pte[64];
};

static struct uz_error *collect(void *ctx, uint64_t vaddr, uint64_t pte_paddr, uint64_t pte)
{
	struct collected *c = ctx;
	if (c->n < 64) {
		c->va[c->n] = vaddr;
		c->paddr[c->n] = pte_paddr;
		c->pte[c->n] = pte;
	}
	c->n++;
	return NULL;
}

/* Maps a set of pages (and one block if the geometry allows), checks the
 * format's geometry, translations, faults and a range walk. */
static void check_geometry(struct ut_state *ut_, const struct geometry *g, enum flavour fl,
			  uint64_t base, uint64_t high_va_bits)
{
	struct builder b;
	builder_init(&b, g, fl, base, 64ULL << g->page_shift);
	struct uz_pgtable_format fmt;
	struct uz_error *err;
	fmt_for(&b, &fmt, &err);
	if (err) {
		UT_OK(err);
	}
	UT_ASSERT_EQ(fmt.levels, g->levels);
	for (unsigned l = 0; l < g->levels; l++) {
		UT_ASSERT_EQ(fmt.shift[l], g->shift[l]);
		UT_ASSERT_EQ(fmt.bits[l], g->bits[l]);
	}
	struct uz_phys_reader r = fake_reader(&b.mem);
	uint64_t page = 1ULL << g->page_shift;
	uint64_t top = 1ULL << (g->shift[0] + g->bits[0]);
	/* Pages at the bottom, the middle and the top of the range. */
	uint64_t vas[4] = { page, 5 * page, top / 2 + 3 * page, top - page };
	uint64_t pte_at[4];
	for (int i = 0; i < 4; i++)
		pte_at[i] = map(&b, vas[i], 0x40000000ULL + (uint64_t)i * 7 * page + (fl == A64_PA52_64K ? 1ULL << 50 : 0),
				g->levels - 1);
	for (int i = 0; i < 4; i++) {
		uint64_t pa;
		UT_OK(uz_pgtable_translate(&fmt, &r, b.root, vas[i] + 0x10, &pa, NULL));
		UT_ASSERT_EQ(pa, 0x40000000ULL + (uint64_t)i * 7 * page + 0x10 + (fl == A64_PA52_64K ? 1ULL << 50 : 0));
		/* Kernel-half (sign-extended) addresses index the same way. */
		if (high_va_bits && i == 3) {
			UT_OK(uz_pgtable_translate(&fmt, &r, b.root, (vas[i] | high_va_bits) + 8, &pa, NULL));
			UT_ASSERT_EQ(pa, 0x40000000ULL + 21 * page + 8 + (fl == A64_PA52_64K ? 1ULL << 50 : 0));
		}
	}
	uint64_t pa;
	UT_ERR(uz_pgtable_translate(&fmt, &r, b.root, 2 * page, &pa, NULL), UZ_ERR_FAULT);
	/* A block one level above the last (2M for 4K pages, 32M for 16K, 512M for 64K). */
	unsigned block_level = g->levels - 2;
	uint64_t block_size = 1ULL << g->shift[block_level];
	uint64_t block_va = top / 4;
	map(&b, block_va, 0x80000000ULL & ~(block_size - 1), block_level);
	unsigned leaf_level;
	UT_OK(uz_pgtable_translate(&fmt, &r, b.root, block_va + block_size - 8, &pa, &leaf_level));
	UT_ASSERT_EQ(leaf_level, block_level);
	UT_ASSERT_EQ(pa, (0x80000000ULL & ~(block_size - 1)) + block_size - 8);

	/* Range walk: the four pages, not the block, ascending, with PTE addresses. */
	struct collected c = { 0 };
	UT_OK(uz_pgtable_walk(&fmt, &r, b.root, 0, UINT64_MAX, collect, &c));
	UT_ASSERT_EQ(c.n, 4);
	for (int i = 0; i < 4; i++) {
		UT_ASSERT_EQ(c.va[i], vas[i]);
		UT_ASSERT_EQ(c.paddr[i], pte_at[i]);
		UT_ASSERT_EQ(c.pte[i], leaf_desc(&b, 0x40000000ULL + (uint64_t)i * 7 * page + (fl == A64_PA52_64K ? 1ULL << 50 : 0),
						 g->levels - 1));
	}
	/* A sub-range starting mid-table. */
	c.n = 0;
	UT_OK(uz_pgtable_walk(&fmt, &r, b.root, 5 * page, top / 2 + 4 * page, collect, &c));
	UT_ASSERT_EQ(c.n, 2);
	UT_ASSERT_EQ(c.va[0], 5 * page);
	UT_ASSERT_EQ(c.va[1], top / 2 + 3 * page);
	free(b.mem.buf);
}

UT_TEST(x86_64_4level) { check_geometry(ut_, &x86_4l, X86, 0, 0xffff000000000000ULL); }
UT_TEST(x86_64_5level) { check_geometry(ut_, &x86_5l, X86, 0, 0xfe00000000000000ULL); }
UT_TEST(arm64_4k_39bit_3level) { check_geometry(ut_, &a64_4k_39, A64_PA48, 0x40000000, 0xffffff8000000000ULL); }
UT_TEST(arm64_4k_48bit_4level) { check_geometry(ut_, &a64_4k_48, A64_PA48, 0x40000000, 0xffff000000000000ULL); }
UT_TEST(arm64_16k_47bit_3level) { check_geometry(ut_, &a64_16k_47, A64_PA48, 0x40000000, 0xffff800000000000ULL); }
UT_TEST(arm64_16k_48bit_4level) { check_geometry(ut_, &a64_16k_48, A64_PA48, 0x40000000, 0xffff000000000000ULL); }
UT_TEST(arm64_64k_42bit_2level) { check_geometry(ut_, &a64_64k_42, A64_PA48, 0x40000000, 0xfffffc0000000000ULL); }
UT_TEST(arm64_64k_48bit_3level) { check_geometry(ut_, &a64_64k_48, A64_PA48, 0x40000000, 0xffff000000000000ULL); }
/* 52-bit VA and PA, tables themselves above 2^48. */
UT_TEST(arm64_64k_52bit_pa52) { check_geometry(ut_, &a64_64k_52, A64_PA52_64K, 1ULL << 48, 0xfff0000000000000ULL); }

UT_TEST(unsupported_arm64_geometries)
{
	struct uz_pgtable_format fmt;
	UT_ERR(uz_aarch64_pgtable_format(13, 48, UZ_ARM64_PA_48, &fmt), UZ_ERR_UNSUPPORTED);
	UT_ERR(uz_aarch64_pgtable_format(12, 60, UZ_ARM64_PA_48, &fmt), UZ_ERR_UNSUPPORTED);
	UT_ERR(uz_aarch64_pgtable_format(12, 48, UZ_ARM64_PA_52_64K, &fmt), UZ_ERR_UNSUPPORTED);
	/* 4K pages with 52-bit VA (LPA2) need 5 levels. */
	UT_OK(uz_aarch64_pgtable_format(12, 52, UZ_ARM64_PA_52_LPA2, &fmt));
	UT_ASSERT_EQ(fmt.levels, 5);
	UT_ASSERT_EQ(fmt.bits[0], 4);
}

UT_TEST(tables_outside_memory_fail_cleanly)
{
	struct builder b;
	builder_init(&b, &x86_4l, X86, 0, 16 * 4096);
	struct uz_pgtable_format fmt;
	uz_x86_64_pgtable_format(false, 0, &fmt);
	struct uz_phys_reader r = fake_reader(&b.mem);
	/* PGD entry 0 points far outside the fake memory. */
	put64(&b.mem, b.root, 0x7654321000ULL | 0x67);
	uint64_t pa;
	UT_ERR(uz_pgtable_translate(&fmt, &r, b.root, 0x1000, &pa, NULL), UZ_ERR_FAULT);
	struct collected c = { 0 };
	UT_ERR(uz_pgtable_walk(&fmt, &r, b.root, 0, 1ULL << 47, collect, &c), UZ_ERR_FAULT);
	/* The root itself is outside. */
	UT_ERR(uz_pgtable_translate(&fmt, &r, 1ULL << 40, 0x1000, &pa, NULL), UZ_ERR_FAULT);
	free(b.mem.buf);
}

UT_TEST(cyclic_tables_are_bounded)
{
	/* Every entry of the root points back at the root: each level sees a
	 * full table again.  Translation stops after `levels` steps; a range
	 * walk stops at max_tables. */
	struct builder b;
	builder_init(&b, &x86_4l, X86, 0, 4096);
	for (int i = 0; i < 512; i++)
		put64(&b.mem, (uint64_t)i * 8, 0x67);  /* table at physical 0 */
	struct uz_pgtable_format fmt;
	uz_x86_64_pgtable_format(false, 0, &fmt);
	fmt.max_tables = 1000;
	struct uz_phys_reader r = fake_reader(&b.mem);
	uint64_t pa;
	UT_OK(uz_pgtable_translate(&fmt, &r, 0, 0x1234, &pa, NULL));
	UT_ASSERT_EQ(pa, 0x234);
	struct collected c = { 0 };
	UT_ERR(uz_pgtable_walk(&fmt, &r, 0, 0, 1ULL << 47, collect, &c), UZ_ERR_FORMAT);
	UT_ASSERT(b.mem.reads <= 4 + 1001);  /* translate + bounded walk */
	free(b.mem.buf);
}

UT_MAIN(UT_CASE(x86_64_4level), UT_CASE(x86_64_5level), UT_CASE(arm64_4k_39bit_3level),
	UT_CASE(arm64_4k_48bit_4level), UT_CASE(arm64_16k_47bit_3level), UT_CASE(arm64_16k_48bit_4level),
	UT_CASE(arm64_64k_42bit_2level), UT_CASE(arm64_64k_48bit_3level), UT_CASE(arm64_64k_52bit_pa52),
	UT_CASE(unsupported_arm64_geometries), UT_CASE(tables_outside_memory_fail_cleanly),
	UT_CASE(cyclic_tables_are_bounded))
