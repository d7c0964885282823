/* zram_layout.h - the pure arithmetic of zram and zsmalloc: decoding a zram
 * table entry's flag word, a zsmalloc handle's obj value, zspage bitfields,
 * where an object's bytes lie in its zspage, and walking a kernel XArray.
 *
 * Owns: every computation that turns numbers read from a dump into other
 * numbers, plus the small table of kernel-version quirks that the kernel's
 * types cannot tell us (each row names the version and the source).  These
 * functions do no I/O of their own: the XArray walk reads through a callback,
 * so all of this is unit-tested on synthetic data (tests/unit/test_zram*.c).
 *
 * Does not own: finding anything in a dump (lib/zram/zram.c does that with
 * lib/kernel), decompression (lib/codec).
 */
#ifndef UZ_ZRAM_LAYOUT_H
#define UZ_ZRAM_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../error.h"

#define UZ_KV(a, b, c) (((uint32_t)(a) << 16) | ((uint32_t)(b) << 8) | (uint32_t)(c))

/* ---- kernel-version quirks the types do not tell (one row each) ---- */

enum uz_zram_quirk {
	/* zsmalloc obj has one tag bit below the index (OBJ_TAG_BITS 1) before
	 * 6.9; 6.9 dropped it (mm/zsmalloc.c, obj_to_location). */
	UZ_QUIRK_OBJ_TAG_BIT,
	/* Swap-cache XArray key is swp_offset & SWAP_ADDRESS_SPACE_MASK from
	 * 6.11 (mm/swap.h swap_cache_index()); the full offset before. */
	UZ_QUIRK_SWAPCACHE_MASKED_KEY,
	/* swapper_spaces[] replaced by per-cluster swap tables in 6.18
	 * (mm/swap_table.h); we do not read those yet. */
	UZ_QUIRK_SWAP_TABLE,
	/* Next page of a zspage is page->index from 5.17 (mm/zsmalloc.c
	 * get_next_page, ffedd09fa9b0); page->freelist in 4.8-5.16. */
	UZ_QUIRK_NEXT_PAGE_IN_INDEX,
	UZ_QUIRK_ZSMALLOC_PAGE_TYPE,
	/* zsmalloc obj holds the size class index between the pfn and the
	 * object index (ZS_OBJ_CLASS_BITS, 64-bit only) from 7.3 (mm/zsmalloc.c
	 * location_to_obj; absent in 7.2.13): see uz_zs_obj_class_bits(). */
	UZ_QUIRK_OBJ_CLASS_INDEX,
	/* Swap table entries hold a cached folio as its PFN (pfn << 2 | 0b10)
	 * from 7.1 (mm/swap_table.h 7.1.13); 6.18-6.19 stored a folio pointer,
	 * a format we do not read (7.0 not checked). */
	UZ_QUIRK_SWAP_TABLE_PFN,
	/* The zero-page mark moved from si->zeromap into the swap table entry
	 * (SWP_TB_ZERO_FLAG, or the cluster's zero_bitmap) in 7.2 (mm/swap_table.h
	 * 7.2.6; include/linux/swap.h 7.2.6 has no zeromap). */
	UZ_QUIRK_SWAP_TABLE_ZERO_FLAG,
	UZ_QUIRK_COUNT
};

struct uz_zram_quirk_row {
	enum uz_zram_quirk quirk;
	uint32_t from;           /* first kernel version with the rule (UZ_KV) */
	uint32_t until;          /* first version without it, 0 = still true */
	const char *source;      /* where it comes from */
};

/* True if quirk q applies to kernel version kv. */
bool uz_zram_quirk(enum uz_zram_quirk q, uint32_t kv);

/* The newest kernel (major.minor) whose zram, zsmalloc and swap layouts
 * were checked against its source for the rows of this file: Debian's
 * linux-source-7.3 7.3.4.  A newer kernel may have changed what no type
 * tells (the obj encoding, flag meanings...), so the model refuses to read
 * its zram devices: uz_zram_check_kernel_version() says why, naming the
 * structures and the version.  Kernel version 0 (unknown) is refused too. */
#define UZ_ZRAM_NEWEST_KNOWN UZ_KV(7, 3, 0)
struct uz_error *uz_zram_check_kernel_version(uint32_t kv);
/* The table itself (for docs and --zram-info). */
const struct uz_zram_quirk_row *uz_zram_quirk_table(size_t *n);

/* First-object-offset mask in page_type (informational; resolving an object
 * does not need it): 6.11 0xffff (FIRST_OBJ_PAGE_TYPE_MASK), 6.12+ 0xffffff;
 * 5.17-6.10 the whole 32-bit page_type; 0 (not kept there) before 5.17. */
uint32_t uz_zs_first_obj_offset_mask(uint32_t kv);

/* How a zsmalloc page is recognised from page_type.  The type value itself
 * comes from the kernel's `enum pagetype` (PG_zsmalloc / PGTY_zsmalloc). */
enum uz_zs_page_sig {
	UZ_ZS_SIG_NONE,          /* < 6.11: no zsmalloc page type */
	UZ_ZS_SIG_PG_FLAG,       /* 6.11: PG_zsmalloc is a cleared bit under
				    PAGE_TYPE_BASE 0x80000000 (page-flags.h PageType) */
	UZ_ZS_SIG_TOP_BYTE,      /* 6.12+: page_type >> 24 == PGTY_zsmalloc (0xf6) */
};
bool uz_zs_page_type_matches(enum uz_zs_page_sig sig, uint32_t type_value, uint32_t page_type);

/* SWP_TYPE_SHIFT of swp_entry_t.val (kernel-facts §1.3): 58 from 4.20
 * (BITS_PER_XA_VALUE - MAX_SWAPFILES_SHIFT), 57 before. */
unsigned uz_swp_type_shift(uint32_t kv);

/* ---- swap table entries (7.1+, mm/swap_table.h) ---- */

/* One entry of a cluster's swap table, 64-bit:
 *   0                       free slot
 *   ...SHADOW...1           swapped out, not in the swap cache
 *   ...PFN...10             in the swap cache: the folio's PFN << 2
 *   ...100                  (reserved for pointers, unused)
 *   ~0 << 3                 bad slot
 * with, in the top SWP_TB_FLAGS_BITS = min(5, 64 - SWAP_CACHE_PFN_BITS - 2)
 * bits of free/shadow/PFN entries, the swap count and (7.2+, when at least
 * 3 bits are left: SWAP_TABLE_HAS_ZEROFLAG) the zero flag as the lowest of
 * them.  SWAP_CACHE_PFN_BITS = MAX_POSSIBLE_PHYSMEM_BITS - PAGE_SHIFT. */
enum uz_swp_tb_kind {
	UZ_SWP_TB_FREE,
	UZ_SWP_TB_SHADOW,        /* in use, not cached (a shadow, or only flags) */
	UZ_SWP_TB_CACHED,
	UZ_SWP_TB_POINTER,
	UZ_SWP_TB_BAD,
};
struct uz_swp_tb {
	enum uz_swp_tb_kind kind;
	uint64_t pfn;            /* CACHED: the folio's pfn */
	bool zero;               /* the zero flag (only with zero_flag in the layout) */
	unsigned count;          /* swap count field */
};
struct uz_swp_tb_layout {
	unsigned flags_bits;     /* SWP_TB_FLAGS_BITS */
	bool zero_flag;          /* the zero flag is in the entry (7.2+ SWAP_TABLE_HAS_ZEROFLAG) */
};
/* UZ_ERR_UNSUPPORTED for a version without the PFN format (< 7.1). */
struct uz_error *uz_swp_tb_layout_init(uint32_t kv, unsigned swap_cache_pfn_bits,
				       struct uz_swp_tb_layout *out);
void uz_swp_tb_decode(const struct uz_swp_tb_layout *l, uint64_t tb, struct uz_swp_tb *out);

/* ---- zram table entry flag word ---- */

/* Absolute bit numbers in the flags word, -1 when the kernel lacks the flag. */
struct uz_zram_flag_layout {
	unsigned flag_shift;     /* ZRAM_FLAG_SHIFT: object size in the bits below */
	int same_bit;            /* ZRAM_SAME (4.11+): element holds the fill word */
	int zero_bit;            /* ZRAM_ZERO (<= 4.10): all-zero page */
	int wb_bit;              /* ZRAM_WB: written back to the backing device */
	int huge_bit;            /* ZRAM_HUGE: stored uncompressed */
	int prio_bit;            /* ZRAM_COMP_PRIORITY_BIT1 */
	unsigned prio_width;     /* number of priority bits (0 or 2) */
	unsigned word_bits;      /* width of the flags member: 32 or 64 */
};

/* Looks up an enumerator; returns false if absent. */
typedef bool uz_enum_lookup_fn(void *ctx, const char *name, int64_t *value);

/* Build the layout from `enum zram_pageflags`.  ZRAM_FLAG_SHIFT is not a
 * type, but in every version it is the value of the enum's first enumerator
 * (ZRAM_ZERO/ZRAM_SAME/ZRAM_LOCK = ZRAM_FLAG_SHIFT), so it is the smallest
 * value among the known ones.  Checks the result is sane for page_shift
 * (size field holds PAGE_SIZE) and fits word_bits. */
struct uz_error *uz_zram_flag_layout_from_enum(uz_enum_lookup_fn *lookup, void *ctx,
					       unsigned page_shift, unsigned word_bits,
					       struct uz_zram_flag_layout *out);

enum uz_zram_slot_kind {
	UZ_SLOT_EMPTY,           /* handle 0, size 0: never written or freed */
	UZ_SLOT_SAME,            /* same-filled: the page is fill_word repeated */
	UZ_SLOT_WRITTEN_BACK,    /* on the backing device, not in RAM */
	UZ_SLOT_STORED,          /* a zsmalloc object of `size` bytes */
	UZ_SLOT_INCONSISTENT,    /* flags and handle contradict each other */
};

struct uz_zram_slot {
	enum uz_zram_slot_kind kind;
	uint64_t handle;         /* zsmalloc handle (STORED), block index (WB) */
	uint64_t fill_word;      /* SAME */
	uint32_t size;           /* object bytes; == page size: stored uncompressed */
	unsigned prio;           /* index into comp_algs[] */
	bool huge_flag;          /* ZRAM_HUGE set */
};

const char *uz_zram_slot_kind_name(enum uz_zram_slot_kind k);

/* Classify one table entry (handle/element word and flags word). */
void uz_zram_slot_decode(const struct uz_zram_flag_layout *l, uint64_t page_size,
			 uint64_t handle, uint64_t flags, struct uz_zram_slot *out);

/* ---- zsmalloc obj ---- */

/* obj = ((pfn << (class_bits + index_bits)) | (class << index_bits) | idx)
 *       << tag_bits
 * 4.8-6.8: tag 1, class 0; 6.9-7.2: tag 0, class 0; 7.3+ (64-bit): tag 0,
 * class ZS_OBJ_CLASS_BITS = 9, index ZS_OBJ_IDX_BITS = 64 - _PFN_BITS - 9. */
struct uz_zs_obj_layout {
	unsigned pfn_bits;       /* _PFN_BITS = MAX_POSSIBLE_PHYSMEM_BITS - PAGE_SHIFT */
	unsigned tag_bits;       /* OBJ_TAG_BITS below the index: 1 before 6.9, 0 after */
	unsigned class_bits;     /* ZS_OBJ_CLASS_BITS between index and pfn: 0 before 7.3 */
	unsigned index_bits;     /* OBJ_INDEX_BITS / ZS_OBJ_IDX_BITS = 64 - the rest */
};

/* A layout without class bits (every kernel before 7.3). */
struct uz_error *uz_zs_obj_layout_init(unsigned physmem_bits, unsigned page_shift,
				       unsigned tag_bits, struct uz_zs_obj_layout *out);
/* Any layout; class_bits 0 or 9 (CLASS_BITS + 1). */
struct uz_error *uz_zs_obj_layout_init_class(unsigned physmem_bits, unsigned page_shift,
					     unsigned tag_bits, unsigned class_bits,
					     struct uz_zs_obj_layout *out);
void uz_zs_obj_decode(const struct uz_zs_obj_layout *l, uint64_t obj,
		      uint64_t *pfn, uint32_t *idx);
/* Also the size class index the obj names (7.3+), 0 without class bits. */
void uz_zs_obj_decode_class(const struct uz_zs_obj_layout *l, uint64_t obj,
			    uint64_t *pfn, uint32_t *class_idx, uint32_t *idx);
/* Inverse, for tests and fuzzing. */
uint64_t uz_zs_obj_encode(const struct uz_zs_obj_layout *l, uint64_t pfn, uint32_t idx);
uint64_t uz_zs_obj_encode_class(const struct uz_zs_obj_layout *l, uint64_t pfn,
				uint32_t class_idx, uint32_t idx);

/* The ZS_OBJ_CLASS_BITS values kernel kv may use with this _PFN_BITS and
 * page shift, most likely first; returns how many (1 or 2) in out[].
 * Before 7.3: {0}.  7.3 (mm/zsmalloc.c): CLASS_BITS + 1 = 9 on 64-bit when
 * ZS_OBJ_PFN_SHIFT (64 - _PFN_BITS) >= 9 + ZS_PAGES_PER_ZSPAGE_BITS +
 * (PAGE_SHIFT - 5), else 0; ZS_PAGES_PER_ZSPAGE_BITS is 2, 3 or 4 from
 * CONFIG_ZSMALLOC_CHAIN_SIZE (4..16), which no type tells, so when the
 * answer depends on it both values are returned, to be probed. */
size_t uz_zs_obj_class_bits(uint32_t kv, unsigned pfn_bits, unsigned page_shift, unsigned out[2]);

/* Candidate MAX_POSSIBLE_PHYSMEM_BITS values to probe, most likely first
 * (x86_64 52 or 46; arm64 52, 48, 47...).  *n gets the count. */
const unsigned *uz_zs_physmem_bits_candidates(size_t *n);

/* ---- bitfields ---- */

/* Read bit_size bits starting bit_offset bits past byte_offset in the
 * little-endian buffer.  Fails (returns false) if outside buf or bit_size is
 * 0 or > 64. */
bool uz_bitfield_get(const void *buf, size_t buf_len, uint64_t byte_offset,
		     uint32_t bit_offset, uint32_t bit_size, uint64_t *value);

/* ---- object location inside a zspage ---- */

#define UZ_ZS_HANDLE_SIZE 8     /* header before the payload in non-huge classes */
#define UZ_ZS_MAGIC 0x58        /* ZSPAGE_MAGIC, all versions since 4.8 */
#define UZ_ZS_MAX_PAGES 16      /* CONFIG_ZSMALLOC_CHAIN_SIZE max (6.3+); 4 before */

struct uz_zs_class {
	uint32_t size;            /* object stride */
	uint32_t objs_per_zspage;
	uint32_t pages_per_zspage;
};

/* Where the payload of object `idx` lies, relative to the page the obj's pfn
 * names (the page where the object starts). */
struct uz_zs_obj_span {
	uint32_t page_in_zspage;  /* which page of the zspage the object starts in */
	uint32_t obj_offset;      /* object start within that page */
	uint32_t header;          /* 8, or 0 for huge */
	uint32_t data_page;       /* payload starts this many pages after the obj page (0/1) */
	uint32_t data_offset;     /* payload start within that page */
	uint32_t first_len;       /* payload bytes in that page */
	uint32_t second_len;      /* the rest, at offset 0 of the page after it */
};

/* Check the class geometry and the object index, and compute the span of a
 * payload of payload_len bytes.  UZ_ERR_FORMAT with a reason on any
 * inconsistency (index past the zspage, payload larger than the class...). */
struct uz_error *uz_zs_object_span(const struct uz_zs_class *cls, uint64_t page_size,
				   uint32_t idx, bool huge, uint32_t payload_len,
				   struct uz_zs_obj_span *out);

/* ---- XArray (radix_tree_root from 4.20 is the same structure) ---- */

typedef struct uz_error *uz_mem_read_fn(void *ctx, uint64_t addr, void *buf, size_t len);

struct uz_xa_layout {
	uint64_t node_shift_offset;   /* offsetof(struct xa_node, shift), a u8 */
	uint64_t node_slots_offset;   /* offsetof(struct xa_node, slots) */
	unsigned chunk_shift;         /* log2 of the number of slots (XA_CHUNK_SHIFT, 6) */
};

/* Entry classification (include/linux/xarray.h, the same in every version
 * since 4.20). */
static inline bool uz_xa_is_value(uint64_t e) { return (e & 1) != 0; }
static inline bool uz_xa_is_internal(uint64_t e) { return (e & 3) == 2; }
static inline bool uz_xa_is_node(uint64_t e) { return uz_xa_is_internal(e) && e > 4096; }

/* Look up index under head (xarray.xa_head).  *entry = 0 when absent; value
 * entries (shadows) are returned as they are (test uz_xa_is_value). */
struct uz_error *uz_xa_load(const struct uz_xa_layout *l, uz_mem_read_fn *read, void *rctx,
			    uint64_t head, uint64_t index, uint64_t *entry);

typedef struct uz_error *uz_xa_visit_fn(void *ctx, uint64_t index, uint64_t entry);
/* Visit every present non-internal entry in index order (sibling slots of
 * multi-index entries are skipped).  At most max_nodes nodes are read; more
 * is a UZ_ERR_FORMAT error (a corrupt or cyclic tree), never a hang. */
struct uz_error *uz_xa_for_each(const struct uz_xa_layout *l, uz_mem_read_fn *read, void *rctx,
				uint64_t head, size_t max_nodes, uz_xa_visit_fn *visit, void *vctx);

#endif
