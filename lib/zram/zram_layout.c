/* zram_layout.c - pure zram/zsmalloc arithmetic; see zram_layout.h. */
#include "zram_layout.h"

#include <string.h>

/* ---- version quirks ---- */

static const struct uz_zram_quirk_row quirk_rows[] = {
	{ UZ_QUIRK_OBJ_TAG_BIT, 0, UZ_KV(6, 9, 0),
	  "mm/zsmalloc.c: OBJ_TAG_BITS shift in location_to_obj/obj_to_location removed in 6.9" },
	{ UZ_QUIRK_SWAPCACHE_MASKED_KEY, UZ_KV(6, 11, 0), 0,
	  "mm/swap.h 6.11: swap_cache_index() = swp_offset & SWAP_ADDRESS_SPACE_MASK" },
	{ UZ_QUIRK_SWAP_TABLE, UZ_KV(6, 18, 0), 0,
	  "mm/swap_table.h 6.18: swapper_spaces replaced by per-cluster swap tables" },
	{ UZ_QUIRK_NEXT_PAGE_IN_INDEX, UZ_KV(5, 17, 0), 0,
	  "mm/zsmalloc.c 5.17 (ffedd09fa9b0): get_next_page() reads page->index, not page->freelist" },
	{ UZ_QUIRK_ZSMALLOC_PAGE_TYPE, UZ_KV(6, 11, 0), 0,
	  "mm/zsmalloc.c 6.11: zsmalloc pages carry a page type (PG_zsmalloc; PGTY_zsmalloc from 6.12)" },
	{ UZ_QUIRK_OBJ_CLASS_INDEX, UZ_KV(7, 3, 0), 0,
	  "mm/zsmalloc.c 7.3 (Debian linux-source-7.3 7.3.4; not in 7.2.6 or Debian 7.2.13): "
	  "location_to_obj() = pfn << ZS_OBJ_PFN_SHIFT | class_idx << ZS_OBJ_IDX_BITS | obj_idx, "
	  "ZS_OBJ_CLASS_BITS = CLASS_BITS + 1 = 9 on 64-bit" },
	{ UZ_QUIRK_SWAP_TABLE_PFN, UZ_KV(7, 1, 0), 0,
	  "mm/swap_table.h 7.1.13 (also 7.2.6, Debian 7.3.4): cached entry = pfn << SWAP_CACHE_PFN_MARK_BITS(2) | "
	  "SWP_TB_PFN_MARK(0b10), shadow = xa value, flags in the top SWP_TB_FLAGS_BITS; 6.19.6 stored folio pointers" },
	{ UZ_QUIRK_SWAP_TABLE_ZERO_FLAG, UZ_KV(7, 2, 0), 0,
	  "mm/swap_table.h 7.2.6 and Debian 7.3.4: SWP_TB_ZERO_FLAG = BIT(BITS_PER_LONG - SWP_TB_FLAGS_BITS) "
	  "if SWAP_TABLE_HAS_ZEROFLAG, else swap_cluster_info.zero_bitmap; si->zeromap gone (7.1.13 has it)" },
};

struct uz_error *uz_zram_check_kernel_version(uint32_t kv)
{
	unsigned a = kv >> 16, b = (kv >> 8) & 0xff;
	if (kv == 0)
		return uz_error_create(UZ_ERR_UNSUPPORTED,
				       "kernel version unknown: the zram table entry, zsmalloc obj and swap layouts "
				       "depend on it (lib/zram/zram_layout.c)");
	if ((kv & ~UINT32_C(0xff)) > (UZ_ZRAM_NEWEST_KNOWN & ~UINT32_C(0xff)))
		return uz_error_create(UZ_ERR_UNSUPPORTED,
				       "kernel %u.%u is newer than %u.%u, the newest kernel whose zram table entry, "
				       "zsmalloc obj/zspage and swap layouts vmcore-unzram knows "
				       "(lib/zram/zram_layout.c); not read, rather than read wrongly",
				       a, b, UZ_ZRAM_NEWEST_KNOWN >> 16, (UZ_ZRAM_NEWEST_KNOWN >> 8) & 0xff);
	return NULL;
}

bool uz_zram_quirk(enum uz_zram_quirk q, uint32_t kv)
{
	for (size_t i = 0; i < sizeof(quirk_rows) / sizeof(quirk_rows[0]); i++) {
		const struct uz_zram_quirk_row *r = &quirk_rows[i];
		if (r->quirk == q)
			return kv >= r->from && (r->until == 0 || kv < r->until);
	}
	return false;
}

const struct uz_zram_quirk_row *uz_zram_quirk_table(size_t *n)
{
	*n = sizeof(quirk_rows) / sizeof(quirk_rows[0]);
	return quirk_rows;
}

uint32_t uz_zs_first_obj_offset_mask(uint32_t kv)
{
	if (kv >= UZ_KV(6, 12, 0))
		return 0xffffff;    /* 6.12 mm/zsmalloc.c FIRST_OBJ_PAGE_TYPE_MASK */
	if (kv >= UZ_KV(6, 11, 0))
		return 0xffff;      /* 6.11 mm/zsmalloc.c FIRST_OBJ_PAGE_TYPE_MASK */
	if (kv >= UZ_KV(5, 17, 0))
		return 0xffffffff;  /* 5.17-6.10: page->page_type = offset */
	return 0;                   /* 4.8-5.16: page->units, not page_type */
}

bool uz_zs_page_type_matches(enum uz_zs_page_sig sig, uint32_t type_value, uint32_t page_type)
{
	switch (sig) {
	case UZ_ZS_SIG_NONE:
		return true;
	case UZ_ZS_SIG_PG_FLAG:
		return (page_type & (0x80000000u | type_value)) == 0x80000000u;
	case UZ_ZS_SIG_TOP_BYTE:
		return (page_type >> 24) == (type_value & 0xff);
	}
	return false;
}

unsigned uz_swp_type_shift(uint32_t kv)
{
	return kv >= UZ_KV(4, 20, 0) ? 58 : 57;
}

/* ---- swap table entries ---- */

struct uz_error *uz_swp_tb_layout_init(uint32_t kv, unsigned swap_cache_pfn_bits,
				       struct uz_swp_tb_layout *out)
{
	memset(out, 0, sizeof(*out));
	if (!uz_zram_quirk(UZ_QUIRK_SWAP_TABLE_PFN, kv))
		return uz_error_create(UZ_ERR_UNSUPPORTED,
				       "swap table entries of kernel %u.%u (folio pointers, 6.18-7.0) are not read",
				       kv >> 16, (kv >> 8) & 0xff);
	/* The PFN mark is 2 bits in both.  7.1.13 mm/swap_table.h: only a
	 * count on top, SWP_TB_COUNT_BITS = min(4, 64 - pfn - 2).  7.2.6 and
	 * 7.3.4 mm/swap.h + swap_table.h: SWP_TB_FLAGS_BITS = min(5, 64 - pfn
	 * - 2), the zero flag its lowest bit when more than SWAP_COUNT_MIN_BITS
	 * (2) bits are left beside the PFN and the mark. */
	if (swap_cache_pfn_bits < 20 || swap_cache_pfn_bits > 60)
		return uz_error_create(UZ_ERR_USAGE, "SWAP_CACHE_PFN_BITS %u", swap_cache_pfn_bits);
	unsigned room = 64 - 2 - swap_cache_pfn_bits;
	bool zero_era = uz_zram_quirk(UZ_QUIRK_SWAP_TABLE_ZERO_FLAG, kv);
	unsigned most = zero_era ? 5 : 4;
	out->flags_bits = room < most ? room : most;
	out->zero_flag = zero_era && room > 2;
	return NULL;
}

void uz_swp_tb_decode(const struct uz_swp_tb_layout *l, uint64_t tb, struct uz_swp_tb *out)
{
	memset(out, 0, sizeof(*out));
	unsigned shift = 64 - l->flags_bits;
	uint64_t flags = tb >> shift, low = tb & (~UINT64_C(0) >> l->flags_bits);
	if (tb == ~UINT64_C(0) << 3) {
		out->kind = UZ_SWP_TB_BAD;
		return;
	}
	if ((tb & 1) == 1)
		out->kind = UZ_SWP_TB_SHADOW;
	else if ((tb & 3) == 2)
		out->kind = UZ_SWP_TB_CACHED;
	else if (low == 0)   /* a count on an empty entry is a slot in use, not cached */
		out->kind = tb == 0 ? UZ_SWP_TB_FREE : UZ_SWP_TB_SHADOW;
	else if ((tb & 7) == 4) {
		out->kind = UZ_SWP_TB_POINTER;
		return;
	} else {
		out->kind = UZ_SWP_TB_BAD;   /* ...000 with other bits: no such entry */
		return;
	}
	if (out->kind == UZ_SWP_TB_CACHED)
		out->pfn = low >> 2;
	out->zero = l->zero_flag && (flags & 1);
	out->count = (unsigned)(flags >> (l->zero_flag ? 1 : 0));
}

/* ---- flag word ---- */

static int enum_bit(uz_enum_lookup_fn *lookup, void *ctx, const char *name)
{
	int64_t v;
	if (!lookup(ctx, name, &v) || v < 0 || v > 63)
		return -1;
	return (int)v;
}

struct uz_error *uz_zram_flag_layout_from_enum(uz_enum_lookup_fn *lookup, void *ctx,
					       unsigned page_shift, unsigned word_bits,
					       struct uz_zram_flag_layout *out)
{
	/* Every enumerator zram_pageflags has had, 4.4 .. 7.1. */
	static const char *const all[] = {
		"ZRAM_ZERO", "ZRAM_ACCESS", "ZRAM_SAME", "ZRAM_LOCK", "ZRAM_WB",
		"ZRAM_UNDER_WB", "ZRAM_PP_SLOT", "ZRAM_HUGE", "ZRAM_IDLE",
		"ZRAM_INCOMPRESSIBLE", "ZRAM_COMP_PRIORITY_BIT1",
		"ZRAM_COMP_PRIORITY_BIT2", "ZRAM_ENTRY_LOCK",
	};
	memset(out, 0, sizeof(*out));
	if (word_bits != 32 && word_bits != 64)
		return uz_error_create(UZ_ERR_FORMAT,
				       "zram_table_entry flags is %u bits wide, expected 32 or 64",
				       word_bits);
	int min = 64, max = -1;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		int b = enum_bit(lookup, ctx, all[i]);
		if (b < 0)
			continue;
		if (b < min)
			min = b;
		if (b > max)
			max = b;
	}
	if (max < 0)
		return uz_error_create(UZ_ERR_NOT_FOUND,
				       "enum zram_pageflags not found (no ZRAM_SAME/ZRAM_LOCK/... enumerator)");
	out->flag_shift = (unsigned)min;
	out->same_bit = enum_bit(lookup, ctx, "ZRAM_SAME");
	out->zero_bit = enum_bit(lookup, ctx, "ZRAM_ZERO");
	out->wb_bit = enum_bit(lookup, ctx, "ZRAM_WB");
	out->huge_bit = enum_bit(lookup, ctx, "ZRAM_HUGE");
	out->prio_bit = enum_bit(lookup, ctx, "ZRAM_COMP_PRIORITY_BIT1");
	out->word_bits = word_bits;
	if (out->prio_bit >= 0) {
		int bit2 = enum_bit(lookup, ctx, "ZRAM_COMP_PRIORITY_BIT2");
		/* ZRAM_COMP_PRIORITY_MASK is 0x3 with BIT1, BIT2 adjacent. */
		out->prio_width = bit2 == out->prio_bit + 1 ? 2 : 1;
	}
	if (out->same_bit < 0 && out->zero_bit < 0)
		return uz_error_create(UZ_ERR_FORMAT,
				       "enum zram_pageflags has neither ZRAM_SAME nor ZRAM_ZERO");
	if (out->flag_shift < page_shift + 1)
		return uz_error_create(UZ_ERR_FORMAT,
				       "ZRAM_FLAG_SHIFT %u cannot hold a %u-bit page size",
				       out->flag_shift, page_shift + 1);
	if ((unsigned)max + (out->prio_bit == max ? out->prio_width - 1 : 0) >= word_bits)
		return uz_error_create(UZ_ERR_FORMAT,
				       "zram flag bit %d does not fit the %u-bit flags word",
				       max, word_bits);
	return NULL;
}

const char *uz_zram_slot_kind_name(enum uz_zram_slot_kind k)
{
	switch (k) {
	case UZ_SLOT_EMPTY: return "empty";
	case UZ_SLOT_SAME: return "same-filled";
	case UZ_SLOT_WRITTEN_BACK: return "written-back";
	case UZ_SLOT_STORED: return "stored";
	case UZ_SLOT_INCONSISTENT: return "inconsistent";
	}
	return "unknown";
}

static bool flag_set(uint64_t flags, int bit)
{
	return bit >= 0 && ((flags >> bit) & 1);
}

void uz_zram_slot_decode(const struct uz_zram_flag_layout *l, uint64_t page_size,
			 uint64_t handle, uint64_t flags, struct uz_zram_slot *out)
{
	memset(out, 0, sizeof(*out));
	if (l->word_bits == 32)
		flags &= 0xffffffffu;
	out->size = (uint32_t)(flags & ((UINT64_C(1) << l->flag_shift) - 1));
	out->huge_flag = flag_set(flags, l->huge_bit);
	if (l->prio_bit >= 0)
		out->prio = (unsigned)((flags >> l->prio_bit) & ((1u << l->prio_width) - 1));
	out->handle = handle;
	/* Order of the kernel's read path (zram_read_page, 6.1 and 6.12):
	 * written-back first, then same-filled/empty, then zsmalloc. */
	if (flag_set(flags, l->wb_bit)) {
		out->kind = UZ_SLOT_WRITTEN_BACK;
		return;
	}
	if (flag_set(flags, l->zero_bit)) {
		out->kind = UZ_SLOT_SAME;
		out->fill_word = 0;
		return;
	}
	if (flag_set(flags, l->same_bit)) {
		out->kind = UZ_SLOT_SAME;
		out->fill_word = handle;   /* `element` shares the word with handle */
		return;
	}
	if (handle == 0) {
		out->kind = UZ_SLOT_EMPTY;
		return;
	}
	if (out->size == 0 || out->size > page_size) {
		out->kind = UZ_SLOT_INCONSISTENT;
		return;
	}
	out->kind = UZ_SLOT_STORED;
}

/* ---- obj ---- */

struct uz_error *uz_zs_obj_layout_init_class(unsigned physmem_bits, unsigned page_shift,
					     unsigned tag_bits, unsigned class_bits,
					     struct uz_zs_obj_layout *out)
{
	if (page_shift < 12 || physmem_bits <= page_shift || physmem_bits > 64 || tag_bits > 1 ||
	    (class_bits != 0 && class_bits != 9) || (tag_bits && class_bits))
		return uz_error_create(UZ_ERR_USAGE,
				       "bad zsmalloc obj layout: physmem %u bits, page shift %u, tag %u bits, class %u bits",
				       physmem_bits, page_shift, tag_bits, class_bits);
	out->pfn_bits = physmem_bits - page_shift;
	out->tag_bits = tag_bits;
	out->class_bits = class_bits;
	if (out->pfn_bits + tag_bits + class_bits >= 64 - 8)
		return uz_error_create(UZ_ERR_USAGE, "zsmalloc obj layout leaves no index bits");
	out->index_bits = 64 - out->pfn_bits - tag_bits - class_bits;
	if (out->index_bits > 32)
		return uz_error_create(UZ_ERR_USAGE, "zsmalloc obj layout gives %u index bits (> 32)",
				       out->index_bits);
	return NULL;
}

struct uz_error *uz_zs_obj_layout_init(unsigned physmem_bits, unsigned page_shift,
				       unsigned tag_bits, struct uz_zs_obj_layout *out)
{
	return uz_zs_obj_layout_init_class(physmem_bits, page_shift, tag_bits, 0, out);
}

void uz_zs_obj_decode_class(const struct uz_zs_obj_layout *l, uint64_t obj,
			    uint64_t *pfn, uint32_t *class_idx, uint32_t *idx)
{
	obj >>= l->tag_bits;
	*idx = (uint32_t)(obj & ((UINT64_C(1) << l->index_bits) - 1));
	obj >>= l->index_bits;
	*class_idx = (uint32_t)(obj & ((UINT64_C(1) << l->class_bits) - 1));
	*pfn = obj >> l->class_bits;
}

void uz_zs_obj_decode(const struct uz_zs_obj_layout *l, uint64_t obj,
		      uint64_t *pfn, uint32_t *idx)
{
	uint32_t cls;
	uz_zs_obj_decode_class(l, obj, pfn, &cls, idx);
}

uint64_t uz_zs_obj_encode_class(const struct uz_zs_obj_layout *l, uint64_t pfn,
				uint32_t class_idx, uint32_t idx)
{
	uint64_t obj = (pfn << l->class_bits) | (class_idx & ((UINT64_C(1) << l->class_bits) - 1));
	obj = (obj << l->index_bits) | (idx & ((UINT64_C(1) << l->index_bits) - 1));
	return obj << l->tag_bits;
}

uint64_t uz_zs_obj_encode(const struct uz_zs_obj_layout *l, uint64_t pfn, uint32_t idx)
{
	return uz_zs_obj_encode_class(l, pfn, 0, idx);
}

size_t uz_zs_obj_class_bits(uint32_t kv, unsigned pfn_bits, unsigned page_shift, unsigned out[2])
{
	/* mm/zsmalloc.c 7.3: encoded only if ZS_OBJ_PFN_SHIFT >= (CLASS_BITS + 1)
	 * + ZS_PAGES_PER_ZSPAGE_BITS + ZS_OBJS_PER_PAGE_BITS (PAGE_SHIFT - 5);
	 * ZS_PAGES_PER_ZSPAGE_BITS is 2..4 for CONFIG_ZSMALLOC_CHAIN_SIZE 4..16. */
	if (!uz_zram_quirk(UZ_QUIRK_OBJ_CLASS_INDEX, kv) || pfn_bits >= 64 || page_shift < 5) {
		out[0] = 0;
		return 1;
	}
	unsigned shift = 64 - pfn_bits, need = 9 + (page_shift - 5);
	if (shift >= need + 4) {          /* any chain size */
		out[0] = 9;
		return 1;
	}
	if (shift < need + 2) {           /* no chain size */
		out[0] = 0;
		return 1;
	}
	out[0] = 9;                       /* depends on CONFIG_ZSMALLOC_CHAIN_SIZE */
	out[1] = 0;
	return 2;
}

const unsigned *uz_zs_physmem_bits_candidates(size_t *n)
{
	/* MAX_POSSIBLE_PHYSMEM_BITS / MAX_PHYSMEM_BITS values (kernel-facts §4.1):
	 * 52 x86_64 4.19+ and arm64 6.12+ / PA52; 46 x86_64 4-level before
	 * 4.19; 48 arm64 PA48. */
	static const unsigned candidates[] = { 52, 46, 48 };
	*n = sizeof(candidates) / sizeof(candidates[0]);
	return candidates;
}

/* ---- bitfields ---- */

bool uz_bitfield_get(const void *buf, size_t buf_len, uint64_t byte_offset,
		     uint32_t bit_offset, uint32_t bit_size, uint64_t *value)
{
	if (bit_size == 0 || bit_size > 64 || byte_offset > buf_len)
		return false;
	uint64_t first = byte_offset * 8 + bit_offset;
	uint64_t end = first + bit_size;
	if (first < byte_offset * 8 || (end + 7) / 8 > buf_len)
		return false;
	const uint8_t *p = buf;
	uint64_t v = 0;
	for (uint32_t i = 0; i < bit_size; i++) {
		uint64_t bit = first + i;
		if ((p[bit / 8] >> (bit % 8)) & 1)
			v |= UINT64_C(1) << i;
	}
	*value = v;
	return true;
}

/* ---- object span ---- */

struct uz_error *uz_zs_object_span(const struct uz_zs_class *cls, uint64_t page_size,
				   uint32_t idx, bool huge, uint32_t payload_len,
				   struct uz_zs_obj_span *out)
{
	memset(out, 0, sizeof(*out));
	if (page_size < 4096 || (page_size & (page_size - 1)) != 0)
		return uz_error_create(UZ_ERR_USAGE, "page size %llu is not a power of two >= 4096",
				       (unsigned long long)page_size);
	if (cls->size < 32 || cls->size > page_size)
		return uz_error_create(UZ_ERR_FORMAT, "size class object size %u outside 32..%llu",
				       cls->size, (unsigned long long)page_size);
	if (cls->pages_per_zspage < 1 || cls->pages_per_zspage > UZ_ZS_MAX_PAGES)
		return uz_error_create(UZ_ERR_FORMAT, "size class has %u pages per zspage (1..%u)",
				       cls->pages_per_zspage, UZ_ZS_MAX_PAGES);
	uint64_t zspage_bytes = (uint64_t)cls->pages_per_zspage * page_size;
	if (cls->objs_per_zspage < 1 ||
	    (uint64_t)cls->objs_per_zspage * cls->size > zspage_bytes)
		return uz_error_create(UZ_ERR_FORMAT,
				       "size class has %u objects of %u bytes in %u pages",
				       cls->objs_per_zspage, cls->size, cls->pages_per_zspage);
	if (idx >= cls->objs_per_zspage)
		return uz_error_create(UZ_ERR_FORMAT, "object index %u past the %u objects of its zspage",
				       idx, cls->objs_per_zspage);
	uint32_t header = huge ? 0 : UZ_ZS_HANDLE_SIZE;
	if (payload_len == 0 || (uint64_t)payload_len + header > cls->size)
		return uz_error_create(UZ_ERR_FORMAT,
				       "%u-byte payload%s does not fit a %u-byte object",
				       payload_len, huge ? "" : " + 8-byte header", cls->size);
	uint64_t start = (uint64_t)idx * cls->size;
	out->page_in_zspage = (uint32_t)(start / page_size);
	out->obj_offset = (uint32_t)(start % page_size);
	out->header = header;
	uint64_t data = out->obj_offset + (uint64_t)header;
	out->data_page = (uint32_t)(data / page_size);
	out->data_offset = (uint32_t)(data % page_size);
	uint64_t room = page_size - out->data_offset;
	out->first_len = payload_len < room ? payload_len : (uint32_t)room;
	out->second_len = payload_len - out->first_len;
	uint64_t last_page = out->page_in_zspage + out->data_page + (out->second_len ? 1 : 0);
	if (last_page >= cls->pages_per_zspage)
		return uz_error_create(UZ_ERR_FORMAT,
				       "object %u (%u bytes at zspage byte %llu) runs past its %u-page zspage",
				       idx, cls->size, (unsigned long long)start, cls->pages_per_zspage);
	return NULL;
}

/* ---- XArray ---- */

#define XA_MAX_DEPTH 11   /* ceil(64 / 6) + 1: deeper is a corrupt tree */

static bool xa_is_sibling(const struct uz_xa_layout *l, uint64_t e)
{
	/* xa_mk_sibling(XA_CHUNK_SIZE - 1) is the bound (xarray.h). */
	return uz_xa_is_internal(e) && (e >> 2) < ((UINT64_C(1) << l->chunk_shift) - 1);
}

static struct uz_error *xa_read_shift(const struct uz_xa_layout *l, uz_mem_read_fn *read,
				      void *rctx, uint64_t node, unsigned *shift)
{
	uint8_t s;
	UZ_TRY(uz_error_wrap(read(rctx, node + l->node_shift_offset, &s, 1),
			     "reading xa_node 0x%llx", (unsigned long long)node));
	if (s % l->chunk_shift != 0 || s >= 64)
		return uz_error_create(UZ_ERR_FORMAT, "xa_node 0x%llx has shift %u (not a multiple of %u)",
				       (unsigned long long)node, s, l->chunk_shift);
	*shift = s;
	return NULL;
}

static struct uz_error *xa_read_slot(const struct uz_xa_layout *l, uz_mem_read_fn *read,
				     void *rctx, uint64_t node, uint64_t off, uint64_t *e)
{
	return uz_error_wrap(read(rctx, node + l->node_slots_offset + off * 8, e, 8),
			     "reading slot %llu of xa_node 0x%llx",
			     (unsigned long long)off, (unsigned long long)node);
}

struct uz_error *uz_xa_load(const struct uz_xa_layout *l, uz_mem_read_fn *read, void *rctx,
			    uint64_t head, uint64_t index, uint64_t *entry)
{
	*entry = 0;
	if (l->chunk_shift < 1 || l->chunk_shift > 8)
		return uz_error_create(UZ_ERR_USAGE, "XArray chunk shift %u", l->chunk_shift);
	uint64_t chunk = UINT64_C(1) << l->chunk_shift;
	uint64_t e = head;
	if (!uz_xa_is_node(e)) {
		if (index == 0 && !uz_xa_is_internal(e))
			*entry = e;
		return NULL;
	}
	unsigned prev_shift = 0;
	for (int depth = 0; depth < XA_MAX_DEPTH; depth++) {
		uint64_t node = e - 2;
		unsigned shift;
		UZ_TRY(xa_read_shift(l, read, rctx, node, &shift));
		if (depth == 0) {
			if (shift + l->chunk_shift < 64 && (index >> (shift + l->chunk_shift)) != 0)
				return NULL;   /* beyond what the tree covers */
		} else if (shift + l->chunk_shift != prev_shift) {
			return uz_error_create(UZ_ERR_FORMAT,
					       "xa_node 0x%llx has shift %u under a node of shift %u",
					       (unsigned long long)node, shift, prev_shift);
		}
		uint64_t off = (index >> shift) & (chunk - 1);
		UZ_TRY(xa_read_slot(l, read, rctx, node, off, &e));
		if (xa_is_sibling(l, e)) {
			off = e >> 2;
			UZ_TRY(xa_read_slot(l, read, rctx, node, off, &e));
		}
		if (e == 0)
			return NULL;
		if (shift == 0 || !uz_xa_is_node(e)) {
			/* A leaf (possibly a multi-index entry stored high up).
			 * Internal non-node entries (retry, zero) read as absent. */
			if (!uz_xa_is_internal(e))
				*entry = e;
			return NULL;
		}
		prev_shift = shift;
	}
	return uz_error_create(UZ_ERR_FORMAT, "XArray deeper than %d levels", XA_MAX_DEPTH);
}

struct xa_walk {
	const struct uz_xa_layout *l;
	uz_mem_read_fn *read;
	void *rctx;
	uz_xa_visit_fn *visit;
	void *vctx;
	size_t nodes_left;
};

static struct uz_error *xa_walk_node(struct xa_walk *w, uint64_t node, int depth,
				     int expect_shift, uint64_t base)
{
	if (depth >= XA_MAX_DEPTH)
		return uz_error_create(UZ_ERR_FORMAT, "XArray deeper than %d levels", XA_MAX_DEPTH);
	if (w->nodes_left == 0)
		return uz_error_create(UZ_ERR_FORMAT,
				       "XArray has more nodes than the limit (corrupt or cyclic)");
	w->nodes_left--;
	unsigned shift;
	UZ_TRY(xa_read_shift(w->l, w->read, w->rctx, node, &shift));
	if (expect_shift >= 0 && (int)shift != expect_shift)
		return uz_error_create(UZ_ERR_FORMAT, "xa_node 0x%llx has shift %u, expected %d",
				       (unsigned long long)node, shift, expect_shift);
	uint64_t chunk = UINT64_C(1) << w->l->chunk_shift;
	uint64_t slots[256];
	UZ_TRY(uz_error_wrap(w->read(w->rctx, node + w->l->node_slots_offset, slots, chunk * 8),
			     "reading slots of xa_node 0x%llx", (unsigned long long)node));
	for (uint64_t off = 0; off < chunk; off++) {
		uint64_t e = slots[off];
		if (e == 0 || xa_is_sibling(w->l, e))
			continue;
		uint64_t index = shift < 64 ? base + (off << shift) : base;
		if (uz_xa_is_node(e)) {
			if (shift == 0)
				return uz_error_create(UZ_ERR_FORMAT,
						       "xa_node 0x%llx at shift 0 points to another node",
						       (unsigned long long)node);
			UZ_TRY(xa_walk_node(w, e - 2, depth + 1, (int)(shift - w->l->chunk_shift), index));
		} else if (!uz_xa_is_internal(e)) {
			UZ_TRY(w->visit(w->vctx, index, e));
		}
	}
	return NULL;
}

struct uz_error *uz_xa_for_each(const struct uz_xa_layout *l, uz_mem_read_fn *read, void *rctx,
				uint64_t head, size_t max_nodes, uz_xa_visit_fn *visit, void *vctx)
{
	if (l->chunk_shift < 1 || l->chunk_shift > 8)
		return uz_error_create(UZ_ERR_USAGE, "XArray chunk shift %u", l->chunk_shift);
	if (head == 0)
		return NULL;
	if (!uz_xa_is_node(head)) {
		if (!uz_xa_is_internal(head))
			return visit(vctx, 0, head);
		return NULL;
	}
	struct xa_walk w = { l, read, rctx, visit, vctx, max_nodes };
	return xa_walk_node(&w, head - 2, 0, -1, 0);
}
