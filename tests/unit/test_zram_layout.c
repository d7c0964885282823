/* Unit tests for lib/zram/zram_layout.c: flag words per kernel version, obj
 * decoding, zspage bitfields, object spans and straddling, and the XArray
 * walk over a synthetic in-memory tree.  Expected values are worked out by
 * hand from the kernel layouts in docs/zram-model.md, not by calling the
 * code under test. */
#include "zram/zram_layout.h"
#include "ut.h"

/* ---- enum tables as the kernels' DWARF has them (checked with gdb on
 * Debian's zram.ko debug files for 6.1.176 and 6.12.107) ---- */

struct enum_row { const char *name; int64_t value; };
struct enum_set { const struct enum_row *rows; size_t n; };

static bool lookup(void *ctx, const char *name, int64_t *value)
{
	const struct enum_set *s = ctx;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->rows[i].name, name) == 0) {
			*value = s->rows[i].value;
			return true;
		}
	return false;
}

#define ENUM_SET(arr) { arr, sizeof(arr) / sizeof(arr[0]) }

static const struct enum_row enum_4_9[] = { { "ZRAM_ZERO", 24 }, { "ZRAM_ACCESS", 25 } };
static const struct enum_row enum_5_15[] = {
	{ "ZRAM_LOCK", 24 }, { "ZRAM_SAME", 25 }, { "ZRAM_WB", 26 },
	{ "ZRAM_UNDER_WB", 27 }, { "ZRAM_HUGE", 28 }, { "ZRAM_IDLE", 29 },
};
static const struct enum_row enum_6_1[] = {
	{ "ZRAM_LOCK", 13 }, { "ZRAM_SAME", 14 }, { "ZRAM_WB", 15 },
	{ "ZRAM_UNDER_WB", 16 }, { "ZRAM_HUGE", 17 }, { "ZRAM_IDLE", 18 },
};
static const struct enum_row enum_6_12[] = {
	{ "ZRAM_SAME", 13 }, { "ZRAM_WB", 14 }, { "ZRAM_UNDER_WB", 15 },
	{ "ZRAM_HUGE", 16 }, { "ZRAM_IDLE", 17 }, { "ZRAM_INCOMPRESSIBLE", 18 },
	{ "ZRAM_COMP_PRIORITY_BIT1", 19 }, { "ZRAM_COMP_PRIORITY_BIT2", 20 },
};
static const struct enum_row enum_6_18[] = {
	{ "ZRAM_SAME", 13 }, { "ZRAM_ENTRY_LOCK", 14 }, { "ZRAM_WB", 15 },
	{ "ZRAM_PP_SLOT", 16 }, { "ZRAM_HUGE", 17 }, { "ZRAM_IDLE", 18 },
	{ "ZRAM_INCOMPRESSIBLE", 19 }, { "ZRAM_COMP_PRIORITY_BIT1", 20 },
	{ "ZRAM_COMP_PRIORITY_BIT2", 21 },
};

UT_TEST(flags_6_1_lock_first)
{
	struct enum_set s = ENUM_SET(enum_6_1);
	struct uz_zram_flag_layout l;
	UT_OK(uz_zram_flag_layout_from_enum(lookup, &s, 12, 64, &l));
	UT_ASSERT_EQ(l.flag_shift, 13);
	UT_ASSERT_EQ(l.same_bit, 14);
	UT_ASSERT_EQ(l.wb_bit, 15);
	UT_ASSERT_EQ(l.huge_bit, 17);
	UT_ASSERT_EQ(l.prio_bit, -1);
	UT_ASSERT_EQ(l.zero_bit, -1);

	struct uz_zram_slot sl;
	/* locked slot (bit 13) with a 1234-byte object */
	uz_zram_slot_decode(&l, 4096, 0xffff888012345678, (1u << 13) | 1234, &sl);
	UT_ASSERT_EQ(sl.kind, UZ_SLOT_STORED);
	UT_ASSERT_EQ(sl.size, 1234);
	UT_ASSERT_EQ(sl.handle, 0xffff888012345678);
	UT_ASSERT(!sl.huge_flag);
	/* same-filled: the word is the fill value, not a handle */
	uz_zram_slot_decode(&l, 4096, 0xdeadbeefcafef00d, 1u << 14, &sl);
	UT_ASSERT_EQ(sl.kind, UZ_SLOT_SAME);
	UT_ASSERT_EQ(sl.fill_word, 0xdeadbeefcafef00d);
	/* huge */
	uz_zram_slot_decode(&l, 4096, 0x1000, (1u << 17) | 4096, &sl);
	UT_ASSERT_EQ(sl.kind, UZ_SLOT_STORED);
	UT_ASSERT(sl.huge_flag);
	UT_ASSERT_EQ(sl.size, 4096);
	/* written back wins over everything */
	uz_zram_slot_decode(&l, 4096, 77, (1u << 15) | (1u << 14), &sl);
	UT_ASSERT_EQ(sl.kind, UZ_SLOT_WRITTEN_BACK);
	UT_ASSERT_EQ(sl.handle, 77);
	uz_zram_slot_decode(&l, 4096, 0, 0, &sl);
	UT_ASSERT_EQ(sl.kind, UZ_SLOT_EMPTY);
	/* handle without a size, and a size above the page: inconsistent */
	uz_zram_slot_decode(&l, 4096, 0x1000, 1u << 18, &sl);
	UT_ASSERT_EQ(sl.kind, UZ_SLOT_INCONSISTENT);
	uz_zram_slot_decode(&l, 4096, 0x1000, 4097, &sl);
	UT_ASSERT_EQ(sl.kind, UZ_SLOT_INCONSISTENT);
}

UT_TEST(flags_6_12_priority_and_32bit_word)
{
	struct enum_set s = ENUM_SET(enum_6_12);
	struct uz_zram_flag_layout l;
	UT_OK(uz_zram_flag_layout_from_enum(lookup, &s, 12, 32, &l));
	UT_ASSERT_EQ(l.flag_shift, 13);
	UT_ASSERT_EQ(l.same_bit, 13);
	UT_ASSERT_EQ(l.wb_bit, 14);
	UT_ASSERT_EQ(l.huge_bit, 16);
	UT_ASSERT_EQ(l.prio_bit, 19);
	UT_ASSERT_EQ(l.prio_width, 2);
	struct uz_zram_slot sl;
	/* prio 2 = bit 20 set, bit 19 clear; upper 32 bits (the spinlock in
	 * 6.12's layout) must be ignored */
	uz_zram_slot_decode(&l, 4096, 0x5000, 0xabcd000000000000ull | (2u << 19) | 300, &sl);
	UT_ASSERT_EQ(sl.kind, UZ_SLOT_STORED);
	UT_ASSERT_EQ(sl.prio, 2);
	UT_ASSERT_EQ(sl.size, 300);
	uz_zram_slot_decode(&l, 4096, 0x5000, (3u << 19) | 300, &sl);
	UT_ASSERT_EQ(sl.prio, 3);
	/* SAME at the shift itself (6.12: no ZRAM_LOCK) */
	uz_zram_slot_decode(&l, 4096, 0x0101010101010101, 1u << 13, &sl);
	UT_ASSERT_EQ(sl.kind, UZ_SLOT_SAME);
	UT_ASSERT_EQ(sl.fill_word, 0x0101010101010101);
}

UT_TEST(flags_6_18_entry_lock)
{
	struct enum_set s = ENUM_SET(enum_6_18);
	struct uz_zram_flag_layout l;
	UT_OK(uz_zram_flag_layout_from_enum(lookup, &s, 12, 64, &l));
	UT_ASSERT_EQ(l.flag_shift, 13);
	UT_ASSERT_EQ(l.wb_bit, 15);
	UT_ASSERT_EQ(l.prio_bit, 20);
	struct uz_zram_slot sl;
	/* entry lock (bit 14) set on a stored slot must not look like WB */
	uz_zram_slot_decode(&l, 4096, 0x8000, (1u << 14) | (1u << 20) | 999, &sl);
	UT_ASSERT_EQ(sl.kind, UZ_SLOT_STORED);
	UT_ASSERT_EQ(sl.prio, 1);
}

/* 7.1 .. 7.3 (drivers/block/zram/zram_drv.h in 7.1.13, 7.2.6, Debian
 * 7.3.4): the same enum as 6.18, but the word is attr.flags, a u32 inside
 * union { unsigned long __lock; struct attr { u32 flags; u32 ac_time; } },
 * so 32 bits wide; ZRAM_ENTRY_LOCK is a bit lock on the whole __lock word. */
UT_TEST(flags_7_x_attr_flags_word)
{
	struct enum_set s = ENUM_SET(enum_6_18);
	struct uz_zram_flag_layout l;
	UT_OK(uz_zram_flag_layout_from_enum(lookup, &s, 12, 32, &l));
	UT_ASSERT_EQ(l.flag_shift, 13);
	UT_ASSERT_EQ(l.same_bit, 13);
	UT_ASSERT_EQ(l.wb_bit, 15);
	UT_ASSERT_EQ(l.huge_bit, 17);
	UT_ASSERT_EQ(l.prio_bit, 20);
	UT_ASSERT_EQ(l.prio_width, 2);
	UT_ASSERT_EQ(l.word_bits, 32);
	struct uz_zram_slot sl;
	/* Read as 8 bytes, the high half is ac_time (boot seconds): ignored. */
	uz_zram_slot_decode(&l, 4096, 0x8000, (UINT64_C(12345) << 32) | (1u << 14) | (2u << 20) | 1200, &sl);
	UT_ASSERT_EQ(sl.kind, UZ_SLOT_STORED);
	UT_ASSERT_EQ(sl.size, 1200);
	UT_ASSERT_EQ(sl.prio, 2);
	uz_zram_slot_decode(&l, 4096, 0x8000, (1u << 17) | 4096, &sl);
	UT_ASSERT_EQ(sl.kind, UZ_SLOT_STORED);
	UT_ASSERT(sl.huge_flag);
	uz_zram_slot_decode(&l, 4096, 77, 1u << 15, &sl);
	UT_ASSERT_EQ(sl.kind, UZ_SLOT_WRITTEN_BACK);
	uz_zram_slot_decode(&l, 4096, 0x0101010101010101ull, 1u << 13, &sl);
	UT_ASSERT_EQ(sl.kind, UZ_SLOT_SAME);
	/* 64 KiB pages: ZRAM_FLAG_SHIFT = PAGE_SHIFT + 1 = 17, PRIO_BIT2 = 25 < 32 */
	static const struct enum_row e64k[] = {
		{ "ZRAM_SAME", 17 }, { "ZRAM_ENTRY_LOCK", 18 }, { "ZRAM_WB", 19 },
		{ "ZRAM_PP_SLOT", 20 }, { "ZRAM_HUGE", 21 }, { "ZRAM_IDLE", 22 },
		{ "ZRAM_INCOMPRESSIBLE", 23 }, { "ZRAM_COMP_PRIORITY_BIT1", 24 },
		{ "ZRAM_COMP_PRIORITY_BIT2", 25 },
	};
	struct enum_set s64 = ENUM_SET(e64k);
	UT_OK(uz_zram_flag_layout_from_enum(lookup, &s64, 16, 32, &l));
	UT_ASSERT_EQ(l.flag_shift, 17);
}

UT_TEST(flags_5_15_and_4_9)
{
	struct enum_set s515 = ENUM_SET(enum_5_15);
	struct uz_zram_flag_layout l;
	UT_OK(uz_zram_flag_layout_from_enum(lookup, &s515, 12, 64, &l));
	UT_ASSERT_EQ(l.flag_shift, 24);
	UT_ASSERT_EQ(l.same_bit, 25);
	struct uz_zram_slot sl;
	uz_zram_slot_decode(&l, 4096, 0x9000, (1u << 24) | 0x123456, &sl);
	UT_ASSERT_EQ(sl.size, 0x123456);   /* the size field is 24 bits wide */
	UT_ASSERT_EQ(sl.kind, UZ_SLOT_INCONSISTENT);             /* 0x123456 > PAGE_SIZE */

	struct enum_set s49 = ENUM_SET(enum_4_9);
	UT_OK(uz_zram_flag_layout_from_enum(lookup, &s49, 12, 64, &l));
	UT_ASSERT_EQ(l.flag_shift, 24);
	UT_ASSERT_EQ(l.zero_bit, 24);
	UT_ASSERT_EQ(l.same_bit, -1);
	/* ZRAM_ZERO: all zeros whatever the handle word says */
	uz_zram_slot_decode(&l, 4096, 0x1234, 1u << 24, &sl);
	UT_ASSERT_EQ(sl.kind, UZ_SLOT_SAME);
	UT_ASSERT_EQ(sl.fill_word, 0);
}

UT_TEST(flags_errors)
{
	struct enum_set none = { NULL, 0 };
	struct uz_zram_flag_layout l;
	UT_ERR(uz_zram_flag_layout_from_enum(lookup, &none, 12, 64, &l), UZ_ERR_NOT_FOUND);
	struct enum_set s = ENUM_SET(enum_6_1);
	/* 64 KiB pages need 17 size bits; shift 13 cannot be right */
	UT_ERR(uz_zram_flag_layout_from_enum(lookup, &s, 16, 64, &l), UZ_ERR_FORMAT);
	UT_ERR(uz_zram_flag_layout_from_enum(lookup, &s, 12, 16, &l), UZ_ERR_FORMAT);
	static const struct enum_row too_high[] = { { "ZRAM_SAME", 40 } };
	struct enum_set th = ENUM_SET(too_high);
	UT_ERR(uz_zram_flag_layout_from_enum(lookup, &th, 12, 32, &l), UZ_ERR_FORMAT);
}

UT_TEST(obj_decode_per_version)
{
	struct uz_zs_obj_layout l61, l612;
	/* x86_64 4K: _PFN_BITS = 52 - 12 = 40; 6.1 has a tag bit: index bits
	 * 64 - 40 - 1 = 23; 6.12 none: 24. */
	UT_OK(uz_zs_obj_layout_init(52, 12, 1, &l61));
	UT_OK(uz_zs_obj_layout_init(52, 12, 0, &l612));
	UT_ASSERT_EQ(l61.index_bits, 23);
	UT_ASSERT_EQ(l612.index_bits, 24);
	uint64_t pfn;
	uint32_t idx;
	/* ((0x12345 << 23) | 7) << 1 = 0x12345 << 24 | 0xe */
	uz_zs_obj_decode(&l61, 0x1234500000eull, &pfn, &idx);
	UT_ASSERT_EQ(pfn, 0x12345);
	UT_ASSERT_EQ(idx, 7);
	uz_zs_obj_decode(&l612, 0x12345000007ull, &pfn, &idx);
	UT_ASSERT_EQ(pfn, 0x12345);
	UT_ASSERT_EQ(idx, 7);
	/* A 6.1 handle word with the old pin bit (bit 0) set decodes the same. */
	uz_zs_obj_decode(&l61, 0x1234500000full, &pfn, &idx);
	UT_ASSERT_EQ(pfn, 0x12345);
	UT_ASSERT_EQ(idx, 7);
	UT_ASSERT_EQ(uz_zs_obj_encode(&l61, 0x12345, 7), 0x1234500000eull);
	UT_ASSERT_EQ(uz_zs_obj_encode(&l612, 0x12345, 7), 0x12345000007ull);
	/* The wrong candidate gives a different pfn: what probing relies on. */
	struct uz_zs_obj_layout l46;
	UT_OK(uz_zs_obj_layout_init(46, 12, 0, &l46));
	UT_ASSERT_EQ(l46.index_bits, 30);
	uz_zs_obj_decode(&l46, 0x12345000007ull, &pfn, &idx);
	UT_ASSERT(pfn != 0x12345);
	/* arm64 64K pages, PA 52: pfn bits 36 */
	struct uz_zs_obj_layout l64k;
	UT_OK(uz_zs_obj_layout_init(52, 16, 0, &l64k));
	UT_ASSERT_EQ(l64k.pfn_bits, 36);
	UT_ASSERT_EQ(l64k.index_bits, 28);
	UT_ERR(uz_zs_obj_layout_init(12, 12, 0, &l64k), UZ_ERR_USAGE);
	UT_ERR(uz_zs_obj_layout_init(52, 12, 2, &l64k), UZ_ERR_USAGE);
}

/* The obj value per kernel version and arch, from each version's
 * mm/zsmalloc.c (location_to_obj/obj_to_location) and the arch's
 * MAX_POSSIBLE_PHYSMEM_BITS (52 on x86_64 4.19+ and arm64 6.12+):
 *   6.1.176, 6.8    ((pfn << OBJ_INDEX_BITS) | idx) << OBJ_TAG_BITS(1)
 *   6.9 .. 7.2      (pfn << OBJ_INDEX_BITS) | idx, OBJ_INDEX_BITS = 64 - _PFN_BITS
 *                   (6.12.107, 6.18.15, 6.19.6, 7.1.13, 7.2.6, Debian 7.2.13)
 *   7.3 (Debian 7.3.4)  pfn << ZS_OBJ_PFN_SHIFT | class << ZS_OBJ_IDX_BITS | idx,
 *                   ZS_OBJ_CLASS_BITS = CLASS_BITS(8) + 1 = 9 on 64-bit when
 *                   ZS_OBJ_PFN_SHIFT >= 9 + ZS_PAGES_PER_ZSPAGE_BITS + PAGE_SHIFT - 5
 * Each row's obj is written out by hand from those formulas; the 7.3 x86_64
 * one is a value read from a real Debian 7.3.4 kdump (kernel-facts §10). */
struct obj_row {
	const char *label;
	uint32_t kv;
	unsigned physmem, page_shift;
	unsigned tag, class_bits, index_bits;
	uint64_t obj, pfn;
	uint32_t cls, idx;
};

static const struct obj_row obj_rows[] = {
	{ "6.1 x86_64", UZ_KV(6, 1, 176), 52, 12, 1, 0, 23, 0x1234500000eull, 0x12345, 0, 7 },
	{ "6.12 x86_64", UZ_KV(6, 12, 107), 52, 12, 0, 0, 24, 0x12345000007ull, 0x12345, 0, 7 },
	{ "6.12 arm64 64K", UZ_KV(6, 12, 107), 52, 16, 0, 0, 28, 0x12345000000bull, 0x12345, 0, 11 },
	{ "6.18 x86_64", UZ_KV(6, 18, 15), 52, 12, 0, 0, 24, 0x266c7000003ull, 0x266c7, 0, 3 },
	{ "7.1 x86_64", UZ_KV(7, 1, 13), 52, 12, 0, 0, 24, 0x266c7000003ull, 0x266c7, 0, 3 },
	{ "7.2 x86_64", UZ_KV(7, 2, 13), 52, 12, 0, 0, 24, 0x266c7430000ull, 0x266c7, 0, 0x430000 },
	/* the real 7.3.4 value: pfn 0x266c7, class 134, index 0 */
	{ "7.3 x86_64 (real)", UZ_KV(7, 3, 4), 52, 12, 0, 9, 15, 0x266c7430000ull, 0x266c7, 134, 0 },
	/* (0x266c7 << 24) | (254 << 15) | 0x7fff: last class, largest index */
	{ "7.3 arm64 4K", UZ_KV(7, 3, 4), 52, 12, 0, 9, 15, 0x266c77f7fffull, 0x266c7, 254, 0x7fff },
	/* 16K: _PFN_BITS 38, shift 26, index 17: (0x9a31 << 26) | (60 << 17) | 5 */
	{ "7.3 arm64 16K", UZ_KV(7, 3, 4), 52, 14, 0, 9, 17, 0x268c4780005ull, 0x9a31, 60, 5 },
	/* 64K: _PFN_BITS 36, shift 28, index 19: (0x1234 << 28) | (3 << 19) | 9 */
	{ "7.3 arm64 64K", UZ_KV(7, 3, 4), 52, 16, 0, 9, 19, 0x12340180009ull, 0x1234, 3, 9 },
};

UT_TEST(obj_decode_table_by_version)
{
	for (size_t i = 0; i < sizeof(obj_rows) / sizeof(obj_rows[0]); i++) {
		const struct obj_row *r = &obj_rows[i];
		unsigned cb[2];
		size_t ncb = uz_zs_obj_class_bits(r->kv, r->physmem - r->page_shift, r->page_shift, cb);
		if (ncb != 1 || cb[0] != r->class_bits)
			UT_FAIL("%s: class bits %u (of %zu), expected %u", r->label, cb[0], ncb, r->class_bits);
		UT_ASSERT_EQ(uz_zram_quirk(UZ_QUIRK_OBJ_TAG_BIT, r->kv), r->tag == 1);
		struct uz_zs_obj_layout l;
		UT_OK(uz_zs_obj_layout_init_class(r->physmem, r->page_shift, r->tag, cb[0], &l));
		if (l.index_bits != r->index_bits)
			UT_FAIL("%s: %u index bits, expected %u", r->label, l.index_bits, r->index_bits);
		uint64_t pfn;
		uint32_t cls, idx;
		uz_zs_obj_decode_class(&l, r->obj, &pfn, &cls, &idx);
		if (pfn != r->pfn || cls != r->cls || idx != r->idx)
			UT_FAIL("%s: obj 0x%llx decoded as pfn 0x%llx class %u index 0x%x", r->label,
				(unsigned long long)r->obj, (unsigned long long)pfn, cls, idx);
		UT_ASSERT_EQ(uz_zs_obj_encode_class(&l, r->pfn, r->cls, r->idx), r->obj);
	}
	/* The real 7.3.4 value under the 7.2 rules: all low 24 bits taken as
	 * the index, 0x430000, far past any zspage: what failed on that dump. */
	struct uz_zs_obj_layout l72, l73;
	UT_OK(uz_zs_obj_layout_init(52, 12, 0, &l72));
	UT_OK(uz_zs_obj_layout_init_class(52, 12, 0, 9, &l73));
	uint64_t pfn;
	uint32_t idx;
	uz_zs_obj_decode(&l72, 0x266c7430000ull, &pfn, &idx);
	UT_ASSERT_EQ(idx, 0x430000);
	uz_zs_obj_decode(&l73, 0x266c7430000ull, &pfn, &idx);
	UT_ASSERT_EQ(idx, 0);
	UT_ASSERT_EQ(pfn, 0x266c7);
	/* Where CONFIG_ZSMALLOC_CHAIN_SIZE decides (64 - _PFN_BITS between
	 * need + 2 and need + 3), both values are candidates, 9 first;
	 * 32 pfn bits with 4K pages leave room for any chain size. */
	unsigned cb[2];
	UT_ASSERT_EQ(uz_zs_obj_class_bits(UZ_KV(7, 3, 0), 42, 16, cb), 2);   /* shift 22, need 20 */
	UT_ASSERT(cb[0] == 9 && cb[1] == 0);
	UT_ASSERT_EQ(uz_zs_obj_class_bits(UZ_KV(7, 3, 0), 45, 16, cb), 1);   /* shift 19 < 22 */
	UT_ASSERT_EQ(cb[0], 0);
	UT_ASSERT_EQ(uz_zs_obj_class_bits(UZ_KV(7, 3, 0), 32, 12, cb), 1);
	UT_ASSERT_EQ(cb[0], 9);
	UT_ASSERT_EQ(uz_zs_obj_class_bits(UZ_KV(7, 2, 255), 40, 12, cb), 1);
	UT_ASSERT_EQ(cb[0], 0);
	/* a tag bit and class bits never go together; class bits are 0 or 9 */
	UT_ERR(uz_zs_obj_layout_init_class(52, 12, 1, 9, &l73), UZ_ERR_USAGE);
	UT_ERR(uz_zs_obj_layout_init_class(52, 12, 0, 8, &l73), UZ_ERR_USAGE);
}

/* Swap table entries (mm/swap_table.h): 7.1.13 count in the top min(4, ..)
 * bits; 7.2.6 / Debian 7.3.4 flags in the top min(5, 64 - 2 -
 * SWAP_CACHE_PFN_BITS) bits, the zero flag lowest; SWAP_CACHE_PFN_BITS =
 * MAX_POSSIBLE_PHYSMEM_BITS - PAGE_SHIFT (40 on x86_64 4K, 36 arm64 64K). */
UT_TEST(swap_table_entries_by_version)
{
	struct uz_swp_tb_layout l71, l73, l73_64k;
	UT_ERR(uz_swp_tb_layout_init(UZ_KV(6, 19, 6), 40, &l71), UZ_ERR_UNSUPPORTED);
	UT_ERR(uz_swp_tb_layout_init(UZ_KV(7, 0, 13), 40, &l71), UZ_ERR_UNSUPPORTED);
	UT_OK(uz_swp_tb_layout_init(UZ_KV(7, 1, 13), 40, &l71));
	UT_OK(uz_swp_tb_layout_init(UZ_KV(7, 3, 4), 40, &l73));
	UT_OK(uz_swp_tb_layout_init(UZ_KV(7, 3, 4), 36, &l73_64k));
	UT_ASSERT(l71.flags_bits == 4 && !l71.zero_flag);
	UT_ASSERT(l73.flags_bits == 5 && l73.zero_flag);
	UT_ASSERT(l73_64k.flags_bits == 5 && l73_64k.zero_flag);
	struct uz_swp_tb t;
	uz_swp_tb_decode(&l73, 0, &t);
	UT_ASSERT_EQ(t.kind, UZ_SWP_TB_FREE);
	/* cached: pfn 0x266c7 << 2 | 0b10, count 1 (bit 60) */
	uz_swp_tb_decode(&l73, (UINT64_C(1) << 60) | (0x266c7ull << 2) | 2, &t);
	UT_ASSERT(t.kind == UZ_SWP_TB_CACHED && t.pfn == 0x266c7 && t.count == 1 && !t.zero);
	/* shadow (xa value) with the zero flag (bit 59) and count 2 */
	uz_swp_tb_decode(&l73, (UINT64_C(2) << 60) | (UINT64_C(1) << 59) | 0x1234561, &t);
	UT_ASSERT(t.kind == UZ_SWP_TB_SHADOW && t.zero && t.count == 2);
	/* 7.1: bit 59 is not a flag, the count is bits 60-63 */
	uz_swp_tb_decode(&l71, (UINT64_C(3) << 60) | (UINT64_C(1) << 59) | 1, &t);
	UT_ASSERT(t.kind == UZ_SWP_TB_SHADOW && !t.zero && t.count == 3);
	uz_swp_tb_decode(&l71, (UINT64_C(1) << 60) | (0x9a31ull << 2) | 2, &t);
	UT_ASSERT(t.kind == UZ_SWP_TB_CACHED && t.pfn == 0x9a31);
	uz_swp_tb_decode(&l73, ~UINT64_C(0) << 3, &t);      /* SWP_TB_BAD */
	UT_ASSERT_EQ(t.kind, UZ_SWP_TB_BAD);
	uz_swp_tb_decode(&l73, 0xffff888012345600ull | 4, &t);
	UT_ASSERT_EQ(t.kind, UZ_SWP_TB_POINTER);
	/* a count alone (swp_tb_is_countable's null case): in use, not cached */
	uz_swp_tb_decode(&l73, (UINT64_C(1) << 60) | (UINT64_C(1) << 59), &t);
	UT_ASSERT(t.kind == UZ_SWP_TB_SHADOW && t.zero && t.count == 1);
	/* other bits with the low bits 000 are no entry */
	uz_swp_tb_decode(&l73, (UINT64_C(1) << 60) | 0x100, &t);
	UT_ASSERT_EQ(t.kind, UZ_SWP_TB_BAD);
}

UT_TEST(zspage_bitfields)
{
	/* 6.1: huge:1 fullness:2 class:9 isolated:3 magic:8 (gdb ptype/o of
	 * Debian 6.1.176 zsmalloc.ko: class at 0:3, magic at 1:7). */
	uint32_t w = 1u | (2u << 1) | (100u << 3) | (5u << 12) | (0x58u << 15);
	uint8_t buf[8] = { 0 };
	memcpy(buf, &w, 4);   /* little-endian host, as x86_64/arm64 kernels */
	uint64_t v;
	UT_ASSERT(uz_bitfield_get(buf, sizeof(buf), 0, 3, 9, &v));
	UT_ASSERT_EQ(v, 100);
	UT_ASSERT(uz_bitfield_get(buf, sizeof(buf), 0, 15, 8, &v));
	UT_ASSERT_EQ(v, 0x58);
	/* the same field described as byte 1, bit 7 */
	UT_ASSERT(uz_bitfield_get(buf, sizeof(buf), 1, 7, 8, &v));
	UT_ASSERT_EQ(v, 0x58);
	UT_ASSERT(uz_bitfield_get(buf, sizeof(buf), 0, 0, 1, &v));
	UT_ASSERT_EQ(v, 1);
	/* 6.12: huge:1 fullness:4 class:9 magic:8 (class at 0:5, magic at 1:6) */
	w = (3u << 1) | (254u << 5) | (0x58u << 14);
	memcpy(buf, &w, 4);
	UT_ASSERT(uz_bitfield_get(buf, sizeof(buf), 0, 5, 9, &v));
	UT_ASSERT_EQ(v, 254);
	UT_ASSERT(uz_bitfield_get(buf, sizeof(buf), 1, 6, 8, &v));
	UT_ASSERT_EQ(v, 0x58);
	UT_ASSERT(uz_bitfield_get(buf, sizeof(buf), 0, 0, 1, &v));
	UT_ASSERT_EQ(v, 0);
	/* outside the buffer / bad widths */
	UT_ASSERT(!uz_bitfield_get(buf, 4, 3, 7, 8, &v));
	UT_ASSERT(!uz_bitfield_get(buf, 8, 0, 0, 0, &v));
	UT_ASSERT(!uz_bitfield_get(buf, 8, 0, 0, 65, &v));
	UT_ASSERT(!uz_bitfield_get(buf, 8, 9, 0, 1, &v));
	UT_ASSERT(uz_bitfield_get(buf, 8, 0, 0, 64, &v));
	UT_ASSERT_EQ(v, ((uint64_t)0 << 32) | w);
}

UT_TEST(object_span_and_straddle)
{
	/* class 3264 bytes, 5 objects in 4 pages */
	struct uz_zs_class c = { 3264, 5, 4 };
	struct uz_zs_obj_span s;
	UT_OK(uz_zs_object_span(&c, 4096, 0, false, 100, &s));
	UT_ASSERT_EQ(s.page_in_zspage, 0);
	UT_ASSERT_EQ(s.obj_offset, 0);
	UT_ASSERT_EQ(s.data_page, 0);
	UT_ASSERT_EQ(s.data_offset, 8);
	UT_ASSERT_EQ(s.first_len, 100);
	UT_ASSERT_EQ(s.second_len, 0);
	/* idx 1 starts at 3264: payload at 3272, 824 bytes fit, rest next page */
	UT_OK(uz_zs_object_span(&c, 4096, 1, false, 3000, &s));
	UT_ASSERT_EQ(s.page_in_zspage, 0);
	UT_ASSERT_EQ(s.obj_offset, 3264);
	UT_ASSERT_EQ(s.data_offset, 3272);
	UT_ASSERT_EQ(s.first_len, 824);
	UT_ASSERT_EQ(s.second_len, 2176);
	/* idx 4 starts at 13056 = page 3 + 768, the last page */
	UT_OK(uz_zs_object_span(&c, 4096, 4, false, 3256, &s));
	UT_ASSERT_EQ(s.page_in_zspage, 3);
	UT_ASSERT_EQ(s.obj_offset, 768);
	UT_ASSERT_EQ(s.second_len, 0);
	/* payload 3257 + 8 > 3264 */
	UT_ERR(uz_zs_object_span(&c, 4096, 4, false, 3257, &s), UZ_ERR_FORMAT);
	UT_ERR(uz_zs_object_span(&c, 4096, 5, false, 10, &s), UZ_ERR_FORMAT);
	UT_ERR(uz_zs_object_span(&c, 4096, 0, false, 0, &s), UZ_ERR_FORMAT);
	/* header straddles: class 4092, idx 1 starts at 4092, payload at 4100 */
	struct uz_zs_class c2 = { 4092, 4, 4 };
	UT_OK(uz_zs_object_span(&c2, 4096, 1, false, 4000, &s));
	UT_ASSERT_EQ(s.obj_offset, 4092);
	UT_ASSERT_EQ(s.data_page, 1);
	UT_ASSERT_EQ(s.data_offset, 4);
	UT_ASSERT_EQ(s.first_len, 4000);
	UT_ASSERT_EQ(s.second_len, 0);
	/* huge class: no header, whole page */
	struct uz_zs_class h = { 4096, 1, 1 };
	UT_OK(uz_zs_object_span(&h, 4096, 0, true, 4096, &s));
	UT_ASSERT_EQ(s.header, 0);
	UT_ASSERT_EQ(s.data_offset, 0);
	UT_ASSERT_EQ(s.first_len, 4096);
	/* the same in a non-huge zspage cannot hold the header */
	UT_ERR(uz_zs_object_span(&h, 4096, 0, false, 4096, &s), UZ_ERR_FORMAT);
	/* geometry that does not add up */
	struct uz_zs_class bad = { 3264, 6, 4 };   /* 6 * 3264 > 16384 */
	UT_ERR(uz_zs_object_span(&bad, 4096, 0, false, 10, &s), UZ_ERR_FORMAT);
	struct uz_zs_class bad2 = { 16, 1, 1 };
	UT_ERR(uz_zs_object_span(&bad2, 4096, 0, false, 4, &s), UZ_ERR_FORMAT);
	struct uz_zs_class bad3 = { 4096, 17, 17 };
	UT_ERR(uz_zs_object_span(&bad3, 4096, 0, false, 4, &s), UZ_ERR_FORMAT);
	UT_ERR(uz_zs_object_span(&c, 3000, 0, false, 4, &s), UZ_ERR_USAGE);
	/* 16K pages: class 9216, idx 1 at 9216 straddles into page 1 at 0 */
	struct uz_zs_class c16 = { 9216, 7, 4 };
	UT_OK(uz_zs_object_span(&c16, 16384, 1, false, 9000, &s));
	UT_ASSERT_EQ(s.data_offset, 9224);
	UT_ASSERT_EQ(s.first_len, 16384 - 9224);
	UT_ASSERT_EQ(s.second_len, 9000 - (16384 - 9224));
}

UT_TEST(quirk_rows_by_version)
{
	UT_ASSERT(uz_zram_quirk(UZ_QUIRK_OBJ_TAG_BIT, UZ_KV(6, 1, 176)));
	UT_ASSERT(uz_zram_quirk(UZ_QUIRK_OBJ_TAG_BIT, UZ_KV(6, 8, 255)));
	UT_ASSERT(!uz_zram_quirk(UZ_QUIRK_OBJ_TAG_BIT, UZ_KV(6, 9, 0)));
	UT_ASSERT(!uz_zram_quirk(UZ_QUIRK_OBJ_TAG_BIT, UZ_KV(6, 12, 107)));
	UT_ASSERT(!uz_zram_quirk(UZ_QUIRK_SWAPCACHE_MASKED_KEY, UZ_KV(6, 10, 14)));
	UT_ASSERT(uz_zram_quirk(UZ_QUIRK_SWAPCACHE_MASKED_KEY, UZ_KV(6, 11, 0)));
	UT_ASSERT(uz_zram_quirk(UZ_QUIRK_SWAPCACHE_MASKED_KEY, UZ_KV(6, 12, 107)));
	UT_ASSERT(!uz_zram_quirk(UZ_QUIRK_SWAP_TABLE, UZ_KV(6, 12, 107)));
	UT_ASSERT(uz_zram_quirk(UZ_QUIRK_SWAP_TABLE, UZ_KV(6, 18, 2)));
	UT_ASSERT(!uz_zram_quirk(UZ_QUIRK_NEXT_PAGE_IN_INDEX, UZ_KV(5, 16, 20)));
	UT_ASSERT(uz_zram_quirk(UZ_QUIRK_NEXT_PAGE_IN_INDEX, UZ_KV(6, 1, 0)));
	UT_ASSERT(!uz_zram_quirk(UZ_QUIRK_ZSMALLOC_PAGE_TYPE, UZ_KV(6, 10, 14)));
	UT_ASSERT(uz_zram_quirk(UZ_QUIRK_ZSMALLOC_PAGE_TYPE, UZ_KV(6, 12, 107)));
	UT_ASSERT(!uz_zram_quirk(UZ_QUIRK_OBJ_CLASS_INDEX, UZ_KV(7, 2, 13)));
	UT_ASSERT(uz_zram_quirk(UZ_QUIRK_OBJ_CLASS_INDEX, UZ_KV(7, 3, 0)));
	UT_ASSERT(uz_zram_quirk(UZ_QUIRK_OBJ_CLASS_INDEX, UZ_KV(7, 3, 4)));
	UT_ASSERT(!uz_zram_quirk(UZ_QUIRK_SWAP_TABLE_PFN, UZ_KV(6, 19, 6)));
	UT_ASSERT(uz_zram_quirk(UZ_QUIRK_SWAP_TABLE_PFN, UZ_KV(7, 1, 13)));
	UT_ASSERT(!uz_zram_quirk(UZ_QUIRK_SWAP_TABLE_ZERO_FLAG, UZ_KV(7, 1, 13)));
	UT_ASSERT(uz_zram_quirk(UZ_QUIRK_SWAP_TABLE_ZERO_FLAG, UZ_KV(7, 2, 6)));
	/* the newest known kernel; newer ones, and an unknown version, are
	 * refused with the structures and the version named */
	UT_OK(uz_zram_check_kernel_version(UZ_KV(6, 1, 176)));
	UT_OK(uz_zram_check_kernel_version(UZ_KV(7, 3, 4)));
	UT_OK(uz_zram_check_kernel_version(UZ_KV(7, 3, 255)));
	struct uz_error *err = uz_zram_check_kernel_version(UZ_KV(7, 4, 0));
	UT_ASSERT(err && err->code == UZ_ERR_UNSUPPORTED && strstr(err->message, "kernel 7.4") &&
		  strstr(err->message, "7.3") && strstr(err->message, "zsmalloc obj"));
	uz_error_destroy(err);
	err = uz_zram_check_kernel_version(UZ_KV(8, 0, 0));
	UT_ASSERT(err && strstr(err->message, "kernel 8.0"));
	uz_error_destroy(err);
	err = uz_zram_check_kernel_version(0);
	UT_ASSERT(err && err->code == UZ_ERR_UNSUPPORTED && strstr(err->message, "unknown"));
	uz_error_destroy(err);
	size_t n;
	const struct uz_zram_quirk_row *rows = uz_zram_quirk_table(&n);
	UT_ASSERT_EQ(n, UZ_QUIRK_COUNT);
	for (size_t i = 0; i < n; i++)
		UT_ASSERT(rows[i].source && strlen(rows[i].source) > 10);
	UT_ASSERT_EQ(uz_zs_first_obj_offset_mask(UZ_KV(6, 11, 3)), 0xffff);
	UT_ASSERT_EQ(uz_zs_first_obj_offset_mask(UZ_KV(6, 12, 0)), 0xffffff);
	UT_ASSERT_EQ(uz_swp_type_shift(UZ_KV(6, 1, 0)), 58);
	UT_ASSERT_EQ(uz_swp_type_shift(UZ_KV(4, 19, 0)), 57);
	/* page_type signatures: 6.12 top byte PGTY_zsmalloc 0xf6, low 24 bits offset */
	UT_ASSERT(uz_zs_page_type_matches(UZ_ZS_SIG_TOP_BYTE, 0xf6, 0xf6000a40));
	UT_ASSERT(!uz_zs_page_type_matches(UZ_ZS_SIG_TOP_BYTE, 0xf6, 0xf5000000));
	UT_ASSERT(!uz_zs_page_type_matches(UZ_ZS_SIG_TOP_BYTE, 0xf6, 0xffffffff));
	/* 6.11: PG_zsmalloc 0x01000000 cleared under base 0x80000000 */
	UT_ASSERT(uz_zs_page_type_matches(UZ_ZS_SIG_PG_FLAG, 0x01000000, 0xfeff0100));
	UT_ASSERT(!uz_zs_page_type_matches(UZ_ZS_SIG_PG_FLAG, 0x01000000, 0xffffffff));
	UT_ASSERT(uz_zs_page_type_matches(UZ_ZS_SIG_NONE, 0, 0x12345));
}

/* ---- synthetic XArray ---- */

#define ARENA_BASE 0xffff888000100000ull
struct arena { uint8_t mem[8192]; };

static struct uz_error *arena_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct arena *a = ctx;
	if (addr < ARENA_BASE || addr - ARENA_BASE > sizeof(a->mem) ||
	    len > sizeof(a->mem) - (addr - ARENA_BASE))
		return uz_error_create(UZ_ERR_FAULT, "address 0x%llx not in arena",
				       (unsigned long long)addr);
	memcpy(buf, a->mem + (addr - ARENA_BASE), len);
	return NULL;
}

/* xa_node as in 6.1/6.12 DWARF: shift @0 (u8), slots @40, 64 slots. */
static const struct uz_xa_layout xa_l = { 0, 40, 6 };
#define NODE_A 0      /* arena offsets of nodes, 1024 apart */
#define NODE_B 1024
#define NODE_C 2048

static void node_init(struct arena *a, unsigned off, uint8_t shift)
{
	memset(a->mem + off, 0, 600);
	a->mem[off] = shift;
}
static void node_set(struct arena *a, unsigned node, unsigned slot, uint64_t e)
{
	memcpy(a->mem + node + 40 + slot * 8, &e, 8);
}
static uint64_t node_entry(unsigned node) { return ARENA_BASE + node + 2; }

/* root (shift 6): slot 0 -> C (shift 0), slot 1 -> B (shift 0)
 * C: slot 3 = value (shadow) 0x7, slot 4 = ptr 0x..2000, slot 5 = sibling(4)
 * B: slot 5 = ptr 0x..1000   => indices 3, 4, 5 (sibling), 69 */
static void build_tree(struct arena *a)
{
	node_init(a, NODE_A, 6);
	node_init(a, NODE_B, 0);
	node_init(a, NODE_C, 0);
	node_set(a, NODE_A, 0, node_entry(NODE_C));
	node_set(a, NODE_A, 1, node_entry(NODE_B));
	node_set(a, NODE_C, 3, 0x7);
	node_set(a, NODE_C, 4, 0xffffea0000002000ull);
	node_set(a, NODE_C, 5, (4u << 2) | 2);
	node_set(a, NODE_B, 5, 0xffffea0000001000ull);
	node_set(a, NODE_B, 6, 1026);   /* XA_RETRY_ENTRY: absent */
}

UT_TEST(xarray_load)
{
	static struct arena a;
	build_tree(&a);
	uint64_t head = node_entry(NODE_A), e;
	UT_OK(uz_xa_load(&xa_l, arena_read, &a, head, 69, &e));
	UT_ASSERT_EQ(e, 0xffffea0000001000ull);
	UT_OK(uz_xa_load(&xa_l, arena_read, &a, head, 70, &e));
	UT_ASSERT_EQ(e, 0);
	UT_OK(uz_xa_load(&xa_l, arena_read, &a, head, 3, &e));
	UT_ASSERT(uz_xa_is_value(e));
	UT_ASSERT_EQ(e, 7);
	UT_OK(uz_xa_load(&xa_l, arena_read, &a, head, 4, &e));
	UT_ASSERT_EQ(e, 0xffffea0000002000ull);
	UT_OK(uz_xa_load(&xa_l, arena_read, &a, head, 5, &e));   /* sibling of 4 */
	UT_ASSERT_EQ(e, 0xffffea0000002000ull);
	UT_OK(uz_xa_load(&xa_l, arena_read, &a, head, 64 + 6, &e));   /* retry entry */
	UT_ASSERT_EQ(e, 0);
	UT_OK(uz_xa_load(&xa_l, arena_read, &a, head, 200, &e));      /* slot 3 of root empty */
	UT_ASSERT_EQ(e, 0);
	UT_OK(uz_xa_load(&xa_l, arena_read, &a, head, 4096, &e));     /* beyond the tree */
	UT_ASSERT_EQ(e, 0);
	/* a head that is not a node holds index 0 only */
	UT_OK(uz_xa_load(&xa_l, arena_read, &a, 0xffffea0000003000ull, 0, &e));
	UT_ASSERT_EQ(e, 0xffffea0000003000ull);
	UT_OK(uz_xa_load(&xa_l, arena_read, &a, 0xffffea0000003000ull, 1, &e));
	UT_ASSERT_EQ(e, 0);
	UT_OK(uz_xa_load(&xa_l, arena_read, &a, 0, 0, &e));
	UT_ASSERT_EQ(e, 0);
}

struct collected { size_t n; uint64_t idx[16], e[16]; };
static struct uz_error *collect(void *ctx, uint64_t index, uint64_t entry)
{
	struct collected *c = ctx;
	if (c->n >= 16)
		return uz_error_create(UZ_ERR_FORMAT, "too many");
	c->idx[c->n] = index;
	c->e[c->n++] = entry;
	return NULL;
}

UT_TEST(xarray_for_each)
{
	static struct arena a;
	build_tree(&a);
	struct collected c = { 0 };
	UT_OK(uz_xa_for_each(&xa_l, arena_read, &a, node_entry(NODE_A), 100, collect, &c));
	UT_ASSERT_EQ(c.n, 3);
	UT_ASSERT_EQ(c.idx[0], 3);
	UT_ASSERT_EQ(c.e[0], 7);
	UT_ASSERT_EQ(c.idx[1], 4);
	UT_ASSERT_EQ(c.idx[2], 69);
	UT_ASSERT_EQ(c.e[2], 0xffffea0000001000ull);
	/* node limit */
	c.n = 0;
	UT_ERR(uz_xa_for_each(&xa_l, arena_read, &a, node_entry(NODE_A), 2, collect, &c),
	       UZ_ERR_FORMAT);
}

UT_TEST(xarray_corrupt_trees_fail_cleanly)
{
	static struct arena a;
	build_tree(&a);
	uint64_t e;
	struct collected c = { 0 };
	/* cycle: B (shift 0) points back to the root */
	node_set(&a, NODE_B, 7, node_entry(NODE_A));
	UT_ERR(uz_xa_for_each(&xa_l, arena_read, &a, node_entry(NODE_A), 100, collect, &c),
	       UZ_ERR_FORMAT);
	/* a child whose shift does not step down by 6 */
	build_tree(&a);
	a.mem[NODE_B] = 12;
	UT_ERR(uz_xa_load(&xa_l, arena_read, &a, node_entry(NODE_A), 69, &e), UZ_ERR_FORMAT);
	c.n = 0;
	UT_ERR(uz_xa_for_each(&xa_l, arena_read, &a, node_entry(NODE_A), 100, collect, &c),
	       UZ_ERR_FORMAT);
	/* shift not a multiple of 6 */
	build_tree(&a);
	a.mem[NODE_A] = 7;
	UT_ERR(uz_xa_load(&xa_l, arena_read, &a, node_entry(NODE_A), 69, &e), UZ_ERR_FORMAT);
	/* a node pointer outside readable memory */
	build_tree(&a);
	node_set(&a, NODE_A, 2, 0xffff999900000002ull);
	UT_ERR(uz_xa_load(&xa_l, arena_read, &a, node_entry(NODE_A), 130, &e), UZ_ERR_FAULT);
	/* self-loop at the root is caught by the shift check */
	build_tree(&a);
	node_set(&a, NODE_A, 0, node_entry(NODE_A));
	UT_ERR(uz_xa_load(&xa_l, arena_read, &a, node_entry(NODE_A), 3, &e), UZ_ERR_FORMAT);
}

UT_MAIN(UT_CASE(flags_6_1_lock_first), UT_CASE(flags_6_12_priority_and_32bit_word),
	UT_CASE(flags_6_18_entry_lock), UT_CASE(flags_7_x_attr_flags_word),
	UT_CASE(flags_5_15_and_4_9), UT_CASE(flags_errors),
	UT_CASE(obj_decode_per_version), UT_CASE(obj_decode_table_by_version), UT_CASE(swap_table_entries_by_version),
	UT_CASE(zspage_bitfields),
	UT_CASE(object_span_and_straddle), UT_CASE(quirk_rows_by_version),
	UT_CASE(xarray_load), UT_CASE(xarray_for_each), UT_CASE(xarray_corrupt_trees_fail_cleanly))
