/* Unit tests for lib/zram/zram.c against a synthetic kernel: a small fake
 * of the lib/kernel and lib/dump API (memory, types, symbols, enumerators)
 * holding a hand-built zram device, zsmalloc pool, swap area, swap cache and
 * zeromap laid out as Debian 6.12.107 has them (offsets from gdb ptype/o of
 * its debug files).  Each slot kind, the swap cache, the zeromap, and the
 * validation failures (bad magic, wrong page, filtered pages, corrupt
 * stream, written back, special entries) are checked against independently
 * known page contents.
 *
 * The fake replaces every uz_kernel_ and uz_dump_ function zram.o uses, so
 * none of lib/kernel or lib/dump is linked into this binary.
 * tests/fuzz/fuzz_zram_model.c includes this file (ZRAM_FAKE_NO_MAIN) and
 * mutates the fake memory. */
#include "zram/zram.h"
#include "zram/zram_layout.h"
#include "ut.h"

#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------- the fake kernel ---------------- */

#define F_PAGE 4096u
#define F_NPAGES 96u                         /* physical memory: 96 pages */
#define F_DIRECT 0xffff888000000000ull       /* direct map base */
#define F_VMEMMAP 0xffffea0000000000ull      /* struct page array */
#define F_PAGE_STRUCT 64u
#define F_BASE_PFN 0x100u                    /* physical memory starts at pfn 0x100 */

struct uz_dump {
	struct uz_kernel *k;
};

struct uz_kernel {
	struct uz_dump dump;
	uint8_t mem[F_NPAGES * F_PAGE];
	uint8_t pages[F_NPAGES * F_PAGE_STRUCT];
	bool excluded[F_NPAGES];
	uint32_t kv;
	bool v73;                  /* types as 7.3 has them (f_members_73, f_enums_73) */
};

static uint64_t f_va(uint64_t pfn) { return F_DIRECT + pfn * F_PAGE; }
static uint64_t f_page(uint64_t pfn) { return F_VMEMMAP + pfn * F_PAGE_STRUCT; }

struct f_type { const char *type, *member; uint64_t offset, size; uint32_t bit_off, bit_size; };
static const struct f_type f_members[] = {
	{ "struct zram", "table", 0, 8, 0, 0 },
	{ "struct zram", "mem_pool", 8, 8, 0, 0 },
	{ "struct zram", "params", 24, 32, 0, 0 },
	{ "struct zram", "disk", 56, 8, 0, 0 },
	{ "struct zram", "limit_pages", 104, 8, 0, 0 },
	{ "struct zram", "stats.compr_data_size", 112, 8, 0, 0 },
	{ "struct zram", "stats.same_pages", 144, 8, 0, 0 },
	{ "struct zram", "stats.huge_pages", 152, 8, 0, 0 },
	{ "struct zram", "stats.huge_pages_since", 160, 8, 0, 0 },
	{ "struct zram", "stats.pages_stored", 168, 8, 0, 0 },
	{ "struct zram", "stats.max_used_pages", 176, 8, 0, 0 },
	{ "struct zram", "disksize", 224, 8, 0, 0 },
	{ "struct zram", "comp_algs", 232, 8, 0, 0 },
	{ "struct zram", "backing_dev", 248, 8, 0, 0 },
	{ "struct zram", "bdev", 256, 8, 0, 0 },
	{ "struct zram", "bitmap", 264, 8, 0, 0 },
	{ "struct zram", "nr_pages", 272, 8, 0, 0 },
	{ "struct zram", "stats.bd_count", 192, 8, 0, 0 },
	{ "struct zcomp_params", "dict", 0, 8, 0, 0 },
	{ "struct zcomp_params", "dict_sz", 8, 8, 0, 0 },
	{ "struct zram_table_entry", "handle", 0, 8, 0, 0 },
	{ "struct zram_table_entry", "flags", 8, 4, 0, 0 },
	{ "struct zs_pool", "size_class", 8, 2040, 0, 0 },
	{ "struct zs_pool", "pages_allocated", 2064, 8, 0, 0 },
	{ "struct zs_pool", "stats.pages_compacted", 2072, 8, 0, 0 },
	{ "struct size_class", "size", 200, 4, 0, 0 },
	{ "struct size_class", "objs_per_zspage", 204, 4, 0, 0 },
	{ "struct size_class", "pages_per_zspage", 208, 4, 0, 0 },
	{ "struct zspage", "huge", 0, 4, 0, 1 },
	{ "struct zspage", "fullness", 0, 4, 1, 4 },
	{ "struct zspage", "class", 0, 4, 5, 9 },
	{ "struct zspage", "magic", 1, 4, 6, 8 },       /* as DWARF may say: byte 1, bit 6 */
	{ "struct zspage", "first_page", 16, 8, 0, 0 },
	{ "struct page", "flags", 0, 8, 0, 0 },
	{ "struct page", "index", 32, 8, 0, 0 },
	{ "struct page", "private", 40, 8, 0, 0 },
	{ "struct page", "page_type", 48, 4, 0, 0 },
	{ "struct swap_info_struct", "flags", 0, 8, 0, 0 },
	{ "struct swap_info_struct", "max", 0x4c, 4, 0, 0 },
	{ "struct swap_info_struct", "inuse_pages", 0x48, 4, 0, 0 },
	{ "struct swap_info_struct", "zeromap", 0x58, 8, 0, 0 },
	{ "struct swap_info_struct", "bdev", 0x100, 8, 0, 0 },
	{ "struct block_device", "bd_disk", 16, 8, 0, 0 },
	{ "struct gendisk", "disk_name", 12, 32, 0, 0 },
	{ "struct gendisk", "private_data", 88, 8, 0, 0 },
	{ "struct address_space", "i_pages", 8, 16, 0, 0 },
	{ "struct xarray", "xa_head", 8, 8, 0, 0 },
	{ "struct xa_node", "shift", 0, 1, 0, 0 },
	{ "struct xa_node", "slots", 40, 512, 0, 0 },
	{ "struct idr", "idr_rt", 0, 16, 0, 0 },
	{ "struct idr", "idr_base", 16, 4, 0, 0 },
};
static const struct { const char *type; uint64_t size; } f_sizes[] = {
	{ "struct zram", 312 }, { "struct zcomp_params", 32 }, { "struct zram_table_entry", 24 },
	{ "struct size_class", 328 }, { "struct page", F_PAGE_STRUCT },
	{ "struct swap_info_struct", 0x140 }, { "struct address_space", 192 },
	/* 6.18+ (read only from 7.1): struct swap_table { atomic_long_t
	 * entries[SWAPFILE_CLUSTER = HPAGE_PMD_NR = 512]; } on x86_64 */
	{ "struct swap_cluster_info", 48 }, { "struct swap_table", 4096 },
};
static const struct { const char *name; int64_t value; } f_enums[] = {
	{ "ZRAM_SAME", 13 }, { "ZRAM_WB", 14 }, { "ZRAM_UNDER_WB", 15 }, { "ZRAM_HUGE", 16 },
	{ "ZRAM_IDLE", 17 }, { "ZRAM_INCOMPRESSIBLE", 18 }, { "ZRAM_COMP_PRIORITY_BIT1", 19 },
	{ "ZRAM_COMP_PRIORITY_BIT2", 20 }, { "SWP_USED", 1 }, { "SWP_BLKDEV", 64 },
	{ "PG_dirty", 4 }, { "PGTY_zsmalloc", 0xf6 },
};

/* What differs in 7.3 among the members the model reads, from Debian's
 * linux-source-7.3 (7.3.4): zram_drv.h struct zram_table_entry { handle;
 * union { unsigned long __lock; struct attr { u32 flags; u32 ac_time; } } },
 * include/linux/swap.h swap_info_struct without zeromap (gone in 7.2),
 * mm/zsmalloc.c struct zspage first_zpdesc at 16 (6.14+), struct page's
 * index renamed __folio_index (include/linux/mm_types.h).  size 0: absent. */
static const struct f_type f_members_73[] = {
	{ "struct zram_table_entry", "flags", 0, 0, 0, 0 },
	{ "struct zram_table_entry", "attr.flags", 8, 4, 0, 0 },
	{ "struct swap_info_struct", "zeromap", 0, 0, 0, 0 },
	{ "struct zspage", "first_page", 0, 0, 0, 0 },
	{ "struct zspage", "first_zpdesc", 16, 8, 0, 0 },
	{ "struct page", "index", 0, 0, 0, 0 },
	{ "struct page", "__folio_index", 32, 8, 0, 0 },
	{ "struct zram", "compressed_wb", 300, 1, 0, 0 },   /* 7.1+ bool; offset of this fake */
	/* mm/swap.h 7.3.4: swap_cluster_info { spinlock_t lock; u16 count; u8 flags;
	 * u8 order; atomic_long_t *table; ... }: table at 8 */
	{ "struct swap_info_struct", "cluster_info", 0x60, 8, 0, 0 },
	{ "struct swap_cluster_info", "table", 8, 8, 0, 0 },
};
/* enum zram_pageflags of 7.1 .. 7.3 (zram_drv.h 7.1.13, 7.2.6, Debian 7.3.4;
 * ZRAM_FLAG_SHIFT = PAGE_SHIFT + 1 = 13); INT64_MIN: absent. */
static const struct { const char *name; int64_t value; } f_enums_73[] = {
	{ "ZRAM_SAME", 13 }, { "ZRAM_ENTRY_LOCK", 14 }, { "ZRAM_WB", 15 }, { "ZRAM_PP_SLOT", 16 },
	{ "ZRAM_HUGE", 17 }, { "ZRAM_IDLE", 18 }, { "ZRAM_INCOMPRESSIBLE", 19 },
	{ "ZRAM_COMP_PRIORITY_BIT1", 20 }, { "ZRAM_COMP_PRIORITY_BIT2", 21 },
	{ "ZRAM_UNDER_WB", INT64_MIN },
};

/* Where the fake puts things: physical page numbers relative to F_BASE_PFN. */
enum {
	P_MISC = 0,        /* symbols, swap_info, gendisk, bdev, zram, idr, strings */
	P_POOL = 1,        /* zs_pool (2 pages) */
	P_CLASS = 3,       /* size_class structs */
	P_TABLE = 4,       /* zram table (64 slots * 24 = 1536 bytes) */
	P_HANDLES = 5,     /* zs_handle slab */
	P_ZSPAGES = 6,     /* struct zspage objects */
	P_XA = 7,          /* swap cache xa_nodes + address_space */
	P_ZEROMAP = 8,
	P_OBJ = 10,        /* 4-page zspage of class A: pages 10..13 */
	P_HUGE = 14,       /* huge zspage: one page */
	P_CACHED = 15,     /* swap cache page */
	P_BADMAGIC = 16,   /* zsmalloc page whose zspage has a wrong magic */
	P_FILTERED = 17,   /* zspage page left out of the dump (1-page zspage, class B) */
	P_DICT = 18,
};

#define SYM_SWAP_INFO (f_va(F_BASE_PFN + P_MISC) + 0x000)
#define SYM_NR_SWAPFILES (f_va(F_BASE_PFN + P_MISC) + 0x100)
#define SYM_SWAPPER_SPACES (f_va(F_BASE_PFN + P_MISC) + 0x108)
#define SYM_NR_SWAPPER_SPACES (f_va(F_BASE_PFN + P_MISC) + 0x1e0)
#define SYM_IDR (f_va(F_BASE_PFN + P_MISC) + 0x260)
#define A_SI (f_va(F_BASE_PFN + P_MISC) + 0x300)
#define A_SI2 (f_va(F_BASE_PFN + P_MISC) + 0x440)
#define A_BDEV (f_va(F_BASE_PFN + P_MISC) + 0x580)
#define A_DISK (f_va(F_BASE_PFN + P_MISC) + 0x600)
#define A_ZRAM (f_va(F_BASE_PFN + P_MISC) + 0x700)
#define A_ALG (f_va(F_BASE_PFN + P_MISC) + 0x900)
#define A_BDEV2 (f_va(F_BASE_PFN + P_MISC) + 0x980)
#define A_DISK2 (f_va(F_BASE_PFN + P_MISC) + 0xa00)
#define A_WB_BITMAP (f_va(F_BASE_PFN + P_MISC) + 0xb00)
#define A_WB_FILE (f_va(F_BASE_PFN + P_MISC) + 0xb40)   /* struct file: its fields are not typed here */
#define WB_NR_PAGES 100u
#define WB_BLOCK 42u

static bool f_find(struct uz_kernel *k, uint64_t va, size_t len, uint8_t **p)
{
	if (va >= F_VMEMMAP) {
		if (va - F_VMEMMAP < (uint64_t)F_BASE_PFN * F_PAGE_STRUCT)
			return false;
		uint64_t off = va - F_VMEMMAP - (uint64_t)F_BASE_PFN * F_PAGE_STRUCT;
		if (off > sizeof(k->pages) || len > sizeof(k->pages) - off)
			return false;
		*p = k->pages + off;
		return true;
	}
	if (va >= F_DIRECT && va - F_DIRECT >= (uint64_t)F_BASE_PFN * F_PAGE) {
		uint64_t off = va - F_DIRECT - (uint64_t)F_BASE_PFN * F_PAGE;
		if (off > sizeof(k->mem) || len > sizeof(k->mem) - off)
			return false;
		for (uint64_t pg = off / F_PAGE; pg <= (off + (len ? len - 1 : 0)) / F_PAGE; pg++)
			if (k->excluded[pg])
				return false;
		*p = k->mem + off;
		return true;
	}
	return false;
}

struct uz_error *uz_kernel_read(struct uz_kernel *k, uint64_t vaddr, void *buf, size_t len)
{
	uint8_t *p;
	if (!f_find(k, vaddr, len, &p))
		return uz_error_create(UZ_ERR_FAULT, "0x%llx (%zu bytes) not in the dump",
				       (unsigned long long)vaddr, len);
	memcpy(buf, p, len);
	return NULL;
}
struct uz_error *uz_kernel_read_u64(struct uz_kernel *k, uint64_t vaddr, uint64_t *val)
{
	return uz_kernel_read(k, vaddr, val, 8);
}
struct uz_error *uz_kernel_read_u32(struct uz_kernel *k, uint64_t vaddr, uint32_t *val)
{
	return uz_kernel_read(k, vaddr, val, 4);
}
struct uz_error *uz_kernel_read_string(struct uz_kernel *k, uint64_t vaddr, char *buf, size_t max)
{
	for (size_t i = 0; i < max; i++) {
		UZ_TRY(uz_kernel_read(k, vaddr + i, buf + i, 1));
		if (!buf[i])
			return NULL;
	}
	buf[max - 1] = 0;
	return NULL;
}
struct uz_error *uz_kernel_pfn_to_page(struct uz_kernel *k, uint64_t pfn, uint64_t *page)
{
	(void)k;
	*page = f_page(pfn);
	return NULL;
}
struct uz_error *uz_kernel_page_to_pfn(struct uz_kernel *k, uint64_t page, uint64_t *pfn)
{
	(void)k;
	if (page < F_VMEMMAP || (page - F_VMEMMAP) % F_PAGE_STRUCT)
		return uz_error_create(UZ_ERR_FORMAT, "0x%llx is not a struct page",
				       (unsigned long long)page);
	*pfn = (page - F_VMEMMAP) / F_PAGE_STRUCT;
	return NULL;
}
struct uz_error *uz_kernel_symbol(struct uz_kernel *k, const char *name, uint64_t *addr)
{
	(void)k;
	const struct { const char *n; uint64_t a; } syms[] = {
		{ "swap_info", SYM_SWAP_INFO }, { "nr_swapfiles", SYM_NR_SWAPFILES },
		{ "swapper_spaces", SYM_SWAPPER_SPACES }, { "nr_swapper_spaces", SYM_NR_SWAPPER_SPACES },
		{ "zram_index_idr", SYM_IDR },
	};
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		if (!strcmp(syms[i].n, name)) {
			*addr = syms[i].a;
			return NULL;
		}
	return uz_error_create(UZ_ERR_NOT_FOUND, "no symbol %s", name);
}
struct uz_error *uz_kernel_type_size(struct uz_kernel *k, const char *type, uint64_t *size)
{
	(void)k;
	for (size_t i = 0; i < sizeof(f_sizes) / sizeof(f_sizes[0]); i++)
		if (!strcmp(f_sizes[i].type, type)) {
			*size = f_sizes[i].size;
			return NULL;
		}
	return uz_error_create(UZ_ERR_NOT_FOUND, "no type %s", type);
}
struct uz_error *uz_kernel_member(struct uz_kernel *k, const char *type, const char *name,
				  struct uz_member *out)
{
	for (size_t i = 0; k->v73 && i < sizeof(f_members_73) / sizeof(f_members_73[0]); i++)
		if (!strcmp(f_members_73[i].type, type) && !strcmp(f_members_73[i].member, name)) {
			if (!f_members_73[i].size)
				return uz_error_create(UZ_ERR_NOT_FOUND, "no member %s.%s", type, name);
			out->offset = f_members_73[i].offset;
			out->size = f_members_73[i].size;
			out->bit_offset = f_members_73[i].bit_off;
			out->bit_size = f_members_73[i].bit_size;
			return NULL;
		}
	for (size_t i = 0; i < sizeof(f_members) / sizeof(f_members[0]); i++)
		if (!strcmp(f_members[i].type, type) && !strcmp(f_members[i].member, name)) {
			out->offset = f_members[i].offset;
			out->size = f_members[i].size;
			out->bit_offset = f_members[i].bit_off;
			out->bit_size = f_members[i].bit_size;
			return NULL;
		}
	return uz_error_create(UZ_ERR_NOT_FOUND, "no member %s.%s", type, name);
}
struct uz_error *uz_kernel_array_len(struct uz_kernel *k, const char *type, const char *name,
				     uint64_t *len)
{
	(void)k;
	if (!type && !strcmp(name, "swap_info")) {
		*len = 27;
		return NULL;
	}
	if (type && !strcmp(type, "struct zs_pool") && !strcmp(name, "size_class")) {
		*len = 255;
		return NULL;
	}
	return uz_error_create(UZ_ERR_NOT_FOUND, "no array %s", name);
}
struct uz_error *uz_kernel_enumerator(struct uz_kernel *k, const char *name, int64_t *value)
{
	for (size_t i = 0; k->v73 && i < sizeof(f_enums_73) / sizeof(f_enums_73[0]); i++)
		if (!strcmp(f_enums_73[i].name, name)) {
			if (f_enums_73[i].value == INT64_MIN)
				return uz_error_create(UZ_ERR_NOT_FOUND, "no enumerator %s", name);
			*value = f_enums_73[i].value;
			return NULL;
		}
	for (size_t i = 0; i < sizeof(f_enums) / sizeof(f_enums[0]); i++)
		if (!strcmp(f_enums[i].name, name)) {
			*value = f_enums[i].value;
			return NULL;
		}
	return uz_error_create(UZ_ERR_NOT_FOUND, "no enumerator %s", name);
}
struct uz_dump *uz_kernel_dump(const struct uz_kernel *k) { return (struct uz_dump *)&k->dump; }
uint32_t uz_kernel_version(const struct uz_kernel *k) { return k->kv; }
uint64_t uz_kernel_page_size(const struct uz_kernel *k) { (void)k; return F_PAGE; }
unsigned uz_kernel_page_shift(const struct uz_kernel *k) { (void)k; return 12; }

uint64_t uz_dump_max_pfn(const struct uz_dump *dump) { (void)dump; return F_BASE_PFN + F_NPAGES; }
struct uz_error *uz_dump_page_state(struct uz_dump *dump, uint64_t pfn, enum uz_page_state *state)
{
	if (pfn < F_BASE_PFN || pfn >= F_BASE_PFN + F_NPAGES)
		*state = UZ_PAGE_HOLE;
	else
		*state = dump->k->excluded[pfn - F_BASE_PFN] ? UZ_PAGE_EXCLUDED : UZ_PAGE_PRESENT;
	return NULL;
}
struct uz_error *uz_dump_read_phys(struct uz_dump *dump, uint64_t paddr, void *buf, size_t len)
{
	return uz_kernel_read(dump->k, F_DIRECT + paddr, buf, len);
}
struct uz_error *uz_dump_read_page(struct uz_dump *dump, uint64_t pfn, void *buf)
{
	return uz_dump_read_phys(dump, pfn * F_PAGE, buf, F_PAGE);
}

/* ---------------- building the scene ---------------- */

static void put64(struct uz_kernel *k, uint64_t va, uint64_t v)
{
	uint8_t *p;
	if (f_find(k, va, 8, &p))
		memcpy(p, &v, 8);
}
static void put32(struct uz_kernel *k, uint64_t va, uint32_t v)
{
	uint8_t *p;
	if (f_find(k, va, 4, &p))
		memcpy(p, &v, 4);
}
static void putstr(struct uz_kernel *k, uint64_t va, const char *s)
{
	uint8_t *p;
	if (f_find(k, va, strlen(s) + 1, &p))
		memcpy(p, s, strlen(s) + 1);
}
static void put_page_struct(struct uz_kernel *k, uint64_t pfn, uint64_t flags, uint64_t index,
			    uint64_t private_, uint32_t page_type)
{
	uint8_t *p = k->pages + (pfn - F_BASE_PFN) * F_PAGE_STRUCT;
	memcpy(p + 0, &flags, 8);
	memcpy(p + 32, &index, 8);
	memcpy(p + 40, &private_, 8);
	memcpy(p + 48, &page_type, 4);
}
static uint64_t pa(unsigned rel) { return F_BASE_PFN + rel; }

/* Slots of the scene and what they hold. */
enum {
	S_TEXT = 1,        /* lz4, object 0 of class A (page 10) */
	S_STRADDLE = 2,    /* lz4, object 1 of class A: straddles pages 10-11 */
	S_SAME = 3,
	S_EMPTY = 4,
	S_HUGE = 5,
	S_WB = 6,
	S_CACHED = 7,      /* also stored in zram (stale copy): swap cache wins */
	S_ZEROMAP = 8,
	S_BADMAGIC = 9,
	S_FILTERED = 10,
	S_CORRUPT = 11,    /* object 2 of class A with a garbage stream */
	S_WRONGIDX = 12,   /* handle says object 3, whose header names another handle */
	S_NSLOTS = 64,
};

#define CLASS_A 120        /* size 32 + 16*120 = 1952 (4K): 8 objects in 4 pages */
#define CLASS_A_SIZE 1952
#define CLASS_B 10
#define CLASS_HUGE 254

struct scene {
	struct uz_kernel *k;
	uint8_t text[F_PAGE], straddle[F_PAGE], huge[F_PAGE], cached[F_PAGE];
	uint64_t fill;
};

static void text_page(uint8_t *p, unsigned seed)
{
	static const char *const words[] = { "zram ", "swap ", "page ", "object ", "class ",
					     "handle ", "zspage ", "kernel " };
	size_t off = 0;
	uint32_t x = seed * 2654435761u + 1;
	while (off < F_PAGE) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		const char *w = words[x % 8];
		for (size_t i = 0; w[i] && off < F_PAGE; i++)
			p[off++] = (uint8_t)w[i];
	}
}

/* handle slab slot i -> va */
static uint64_t handle_va(unsigned i) { return f_va(pa(P_HANDLES)) + 8ull * i; }
static uint64_t obj612(uint64_t pfn, uint32_t idx) { return (pfn << 24) | idx; }

/* Put a compressed payload for object idx of the class-A zspage. */
static void put_class_a_object(struct scene *s, unsigned idx, unsigned handle_i,
			       const uint8_t *payload, uint32_t len)
{
	struct uz_kernel *k = s->k;
	uint64_t start = (uint64_t)idx * CLASS_A_SIZE;
	uint64_t base = f_va(pa(P_OBJ));          /* pages 10..13 are contiguous here */
	put64(k, base + start, handle_va(handle_i) | 1);   /* header: handle | OBJ_ALLOCATED_TAG */
	uint8_t *p;
	if (f_find(k, base + start + 8, len, &p))
		memcpy(p, payload, len);
	put64(k, handle_va(handle_i), obj612(pa(P_OBJ) + start / F_PAGE, idx));
}

static void set_slot(struct uz_kernel *k, unsigned slot, uint64_t handle, uint32_t flags)
{
	uint64_t e = f_va(pa(P_TABLE)) + 24ull * slot;
	put64(k, e, handle);
	put32(k, e + 8, flags);
}

static uint32_t lz4_into(const uint8_t *src, uint8_t *dst, int cap)
{
	int n = LZ4_compress_default((const char *)src, (char *)dst, F_PAGE, cap);
	return n > 0 ? (uint32_t)n : 0;
}

/* Builds the whole scene; returns false if a payload does not fit (a test
 * bug, not a code bug). */
static bool build_scene(struct scene *s)
{
	struct uz_kernel *k = s->k;
	memset(k, 0, sizeof(*k));
	k->dump.k = k;
	k->kv = UZ_KV(6, 12, 107);

	/* swap areas: type 0 = zram0, type 1 = a disk "vdb" */
	put32(k, SYM_NR_SWAPFILES, 2);
	put64(k, SYM_SWAP_INFO, A_SI);
	put64(k, SYM_SWAP_INFO + 8, A_SI2);
	put64(k, A_SI + 0, 1 | 2 | 64);                       /* USED|WRITEOK|BLKDEV */
	put32(k, A_SI + 0x4c, S_NSLOTS);
	put32(k, A_SI + 0x48, 10);
	put64(k, A_SI + 0x58, f_va(pa(P_ZEROMAP)));
	put64(k, A_SI + 0x100, A_BDEV);
	put64(k, A_BDEV + 16, A_DISK);
	putstr(k, A_DISK + 12, "zram0");
	put64(k, A_DISK + 88, A_ZRAM);
	put64(k, A_SI2 + 0, 1 | 2 | 64);
	put32(k, A_SI2 + 0x4c, 1000);
	put64(k, A_SI2 + 0x100, A_BDEV2);
	put64(k, A_BDEV2 + 16, A_DISK2);
	putstr(k, A_DISK2 + 12, "vdb");
	put64(k, A_DISK2 + 88, 0);
	put64(k, f_va(pa(P_ZEROMAP)), UINT64_C(1) << S_ZEROMAP);

	/* zram_index_idr: a single entry at index 0 is kept in xa_head itself */
	put64(k, SYM_IDR + 8, A_ZRAM);

	/* struct zram */
	put64(k, A_ZRAM + 0, f_va(pa(P_TABLE)));
	put64(k, A_ZRAM + 8, f_va(pa(P_POOL)));
	put64(k, A_ZRAM + 56, A_DISK);
	put64(k, A_ZRAM + 224, (uint64_t)S_NSLOTS * F_PAGE);
	put64(k, A_ZRAM + 232, A_ALG);
	putstr(k, A_ALG, "lz4");
	/* kernel counters, set to what the scene holds (checked by the scan test) */
	put64(k, A_ZRAM + 144, 1);            /* same_pages */
	put64(k, A_ZRAM + 152, 1);            /* huge_pages */

	/* pool and classes */
	uint64_t pool = f_va(pa(P_POOL));
	uint64_t cls_a = f_va(pa(P_CLASS)), cls_b = cls_a + 328, cls_h = cls_a + 656;
	put64(k, pool + 8 + 8 * CLASS_A, cls_a);
	put64(k, pool + 8 + 8 * CLASS_B, cls_b);
	put64(k, pool + 8 + 8 * CLASS_HUGE, cls_h);
	put64(k, pool + 2064, 7);             /* pages_allocated */
	put32(k, cls_a + 200, CLASS_A_SIZE);
	put32(k, cls_a + 204, 8);
	put32(k, cls_a + 208, 4);
	put32(k, cls_b + 200, 192);
	put32(k, cls_b + 204, 21);
	put32(k, cls_b + 208, 1);
	put32(k, cls_h + 200, 4096);
	put32(k, cls_h + 204, 1);
	put32(k, cls_h + 208, 1);

	/* zspages: A (4 pages), HUGE, BADMAGIC, FILTERED (class B) */
	uint64_t zs = f_va(pa(P_ZSPAGES));
	uint64_t zs_a = zs, zs_h = zs + 64, zs_bad = zs + 128, zs_f = zs + 192;
	put32(k, zs_a, (CLASS_A << 5) | (0x58u << 14));
	put64(k, zs_a + 16, f_page(pa(P_OBJ)));
	put32(k, zs_h, 1 | (CLASS_HUGE << 5) | (0x58u << 14));
	put64(k, zs_h + 16, f_page(pa(P_HUGE)));
	put32(k, zs_bad, (CLASS_A << 5) | (0x57u << 14));
	put64(k, zs_bad + 16, f_page(pa(P_BADMAGIC)));
	put32(k, zs_f, (CLASS_B << 5) | (0x58u << 14));
	put64(k, zs_f + 16, f_page(pa(P_FILTERED)));
	const uint64_t PRIV = UINT64_C(1) << 14;   /* not used by the model; realism */
	for (unsigned i = 0; i < 4; i++)
		put_page_struct(k, pa(P_OBJ + i), i == 0 ? PRIV : 0,
				i < 3 ? f_page(pa(P_OBJ + i + 1)) : 0, zs_a,
				0xf6000000u | (uint32_t)((i * F_PAGE) % CLASS_A_SIZE ?
					CLASS_A_SIZE - (i * F_PAGE) % CLASS_A_SIZE : 0));
	put_page_struct(k, pa(P_HUGE), PRIV, handle_va(S_HUGE) | 1, zs_h, 0xf6000000u);   /* 6.1: handle | OBJ_ALLOCATED_TAG */
	put_page_struct(k, pa(P_BADMAGIC), PRIV, 0, zs_bad, 0xf6000000u);
	put_page_struct(k, pa(P_FILTERED), PRIV, 0, zs_f, 0xf6000000u);

	/* payloads */
	uint8_t buf[2 * F_PAGE];
	text_page(s->text, 1);
	text_page(s->straddle, 2);
	uint32_t n1 = lz4_into(s->text, buf, sizeof(buf));
	if (!n1 || n1 + 8 > CLASS_A_SIZE)
		return false;
	put_class_a_object(s, 0, S_TEXT, buf, n1);
	set_slot(k, S_TEXT, handle_va(S_TEXT), n1);
	/* object 2 starts at 3904: its payload straddles into page 11 */
	uint32_t n2 = lz4_into(s->straddle, buf, sizeof(buf));
	if (!n2 || n2 + 8 > CLASS_A_SIZE)
		return false;
	put_class_a_object(s, 2, S_STRADDLE, buf, n2);
	set_slot(k, S_STRADDLE, handle_va(S_STRADDLE), n2);
	/* same-filled */
	s->fill = 0x0123456789abcdefull;
	set_slot(k, S_SAME, s->fill, 1u << 13);
	/* huge: raw page, no header, the page's index holds the handle */
	for (unsigned i = 0; i < F_PAGE; i++)
		s->huge[i] = (uint8_t)(i * 7 + 3);
	memcpy(k->mem + (size_t)P_HUGE * F_PAGE, s->huge, F_PAGE);
	put64(k, handle_va(S_HUGE), obj612(pa(P_HUGE), 0));
	set_slot(k, S_HUGE, handle_va(S_HUGE), (1u << 16) | F_PAGE);
	/* written back to block 42 of a 100-block backing device (disk vdb) */
	set_slot(k, S_WB, WB_BLOCK, 1u << 14);
	put64(k, A_ZRAM + 248, A_WB_FILE);
	put64(k, A_ZRAM + 256, A_BDEV2);
	put64(k, A_ZRAM + 264, A_WB_BITMAP);
	put64(k, A_ZRAM + 272, WB_NR_PAGES);
	put64(k, A_ZRAM + 192, 1);            /* bd_count */
	put64(k, A_WB_BITMAP + (WB_BLOCK / 64) * 8, UINT64_C(1) << (WB_BLOCK % 64));
	/* cached: stale zram copy (object 3) + a newer swap cache page */
	text_page(s->cached, 3);
	uint8_t stale[F_PAGE];
	text_page(stale, 4);
	uint32_t n3 = lz4_into(stale, buf, sizeof(buf));
	if (!n3 || n3 + 8 > CLASS_A_SIZE)
		return false;
	put_class_a_object(s, 3, S_CACHED, buf, n3);
	set_slot(k, S_CACHED, handle_va(S_CACHED), n3);
	memcpy(k->mem + (size_t)P_CACHED * F_PAGE, s->cached, F_PAGE);
	put_page_struct(k, pa(P_CACHED), 0, 0, S_CACHED /* swap entry: type 0 */, 0xffffffffu);
	/* swap cache: swapper_spaces[0] -> one address_space whose xa_head is a
	 * node (shift 0) with slot S_CACHED -> the cached page */
	uint64_t as = f_va(pa(P_XA)), node = as + 256;
	put64(k, SYM_SWAPPER_SPACES, as);
	put32(k, SYM_NR_SWAPPER_SPACES, 1);
	put64(k, as + 8 + 8, node + 2);
	put64(k, node + 40 + 8 * S_CACHED, f_page(pa(P_CACHED)));
	put64(k, node + 40 + 8 * (S_CACHED + 1), 0x35);   /* a shadow entry at slot 8 */
	/* bad magic */
	put64(k, handle_va(S_BADMAGIC), obj612(pa(P_BADMAGIC), 0));
	set_slot(k, S_BADMAGIC, handle_va(S_BADMAGIC), 100);
	/* filtered zspage page */
	put64(k, handle_va(S_FILTERED), obj612(pa(P_FILTERED), 0));
	set_slot(k, S_FILTERED, handle_va(S_FILTERED), 100);
	k->excluded[P_FILTERED] = true;
	/* corrupt stream: object 4, payload of 0xff bytes */
	uint8_t junk[200];
	memset(junk, 0xff, sizeof(junk));
	put_class_a_object(s, 4, S_CORRUPT, junk, sizeof(junk));
	set_slot(k, S_CORRUPT, handle_va(S_CORRUPT), sizeof(junk));
	/* wrong index: handle claims object 5 of page 12, whose header names S_TEXT */
	put64(k, f_va(pa(P_OBJ)) + 5ull * CLASS_A_SIZE, handle_va(S_TEXT) | 1);
	put64(k, handle_va(S_WRONGIDX), obj612(pa(P_OBJ) + (5 * CLASS_A_SIZE) / F_PAGE, 5));
	set_slot(k, S_WRONGIDX, handle_va(S_WRONGIDX), 100);
	/* the kernel's own counters for this scene */
	uint64_t stored = 8, bytes = n1 + n2 + n3 + F_PAGE + 100 + 100 + sizeof(junk) + 100;
	put64(k, A_ZRAM + 168, stored + 1);   /* pages_stored = stored + same */
	put64(k, A_ZRAM + 112, bytes);
	return true;
}

static struct uz_kernel *scene_kernel(struct scene *s)
{
	s->k = calloc(1, sizeof(*s->k));
	if (!s->k || !build_scene(s)) {
		free(s->k);
		s->k = NULL;
	}
	return s->k;
}

#ifndef ZRAM_FAKE_NO_MAIN

/* ---------------- tests ---------------- */

#define SCENE(s) struct scene s; if (!scene_kernel(&s)) UT_FAIL("scene does not fit");

UT_TEST(model_finds_devices_and_areas)
{
	SCENE(s);
	struct uz_zram_model *m;
	UT_OK(uz_zram_model_open(s.k, &m));
	UT_ASSERT_EQ(uz_zram_swap_count(m), 2);
	UT_ASSERT_EQ(uz_zram_swap_kind(m, 0), UZ_SWAP_ZRAM);
	UT_ASSERT_EQ(uz_zram_swap_kind(m, 1), UZ_SWAP_BLOCK);
	UT_ASSERT_EQ(uz_zram_swap_kind(m, 2), UZ_SWAP_NONE);
	UT_ASSERT_EQ(uz_zram_swap_kind(m, 30), UZ_SWAP_NONE);
	UT_ASSERT_EQ(uz_zram_device_count(m), 1);
	const struct uz_zram_device_info *d = uz_zram_device(m, 0);
	UT_ASSERT(strcmp(d->name, "zram0") == 0);
	UT_ASSERT_EQ(d->id, 0);
	UT_ASSERT_EQ(d->nr_slots, S_NSLOTS);
	UT_ASSERT_EQ(d->swap_type, 0);
	UT_ASSERT_EQ(d->n_comps, 1);
	UT_ASSERT(d->comp_algs[0] && strcmp(d->comp_algs[0], "lz4") == 0);
	UT_ASSERT(d->codec_known[0]);
	UT_ASSERT_EQ(d->codecs[0], UZ_CODEC_LZ4);
	UT_ASSERT_EQ(d->pfn_bits, 40);        /* x86_64 MAX_POSSIBLE_PHYSMEM_BITS 52 - 12 */
	UT_ASSERT_EQ(d->mm_stat.mem_used_total, 7 * 4096);
	UT_ASSERT(uz_zram_swap_area(m, 0)->has_zeromap);
	uz_zram_model_close(m);
	free(s.k);
}

static struct uz_error *resolve(struct uz_kernel *k, uint32_t type, uint64_t off, uint8_t *page,
				struct uz_slot_result *r)
{
	struct uz_zram_model *m;
	struct uz_zram_ctx *c;
	UZ_TRY(uz_zram_model_open(k, &m));
	struct uz_error *err = uz_zram_ctx_create(m, &c);
	if (!err) {
		err = uz_zram_resolve(m, c, type, off, page, r);
		uz_zram_ctx_destroy(c);
	}
	uz_zram_model_close(m);
	return err;
}

UT_TEST(resolve_compressed_and_straddling)
{
	SCENE(s);
	uint8_t page[F_PAGE];
	struct uz_slot_result r;
	UT_OK(resolve(s.k, 0, S_TEXT, page, &r));
	UT_ASSERT_EQ(r.source, UZ_SRC_ZRAM);
	UT_ASSERT_EQ(r.codec, UZ_CODEC_LZ4);
	UT_ASSERT_EQ(r.obj_pfn, pa(P_OBJ));
	UT_ASSERT_EQ(r.obj_idx, 0);
	UT_ASSERT_EQ(r.class_size, CLASS_A_SIZE);
	UT_ASSERT(!r.straddles);
	UT_ASSERT_MEM(page, s.text, F_PAGE);
	UT_OK(resolve(s.k, 0, S_STRADDLE, page, &r));
	UT_ASSERT_EQ(r.obj_idx, 2);
	UT_ASSERT_EQ(r.obj_offset, 2 * CLASS_A_SIZE);
	UT_ASSERT(r.straddles);
	UT_ASSERT_MEM(page, s.straddle, F_PAGE);
	free(s.k);
}

UT_TEST(resolve_same_empty_huge_zeromap_swapcache)
{
	SCENE(s);
	uint8_t page[F_PAGE], want[F_PAGE];
	struct uz_slot_result r;
	UT_OK(resolve(s.k, 0, S_SAME, page, &r));
	UT_ASSERT_EQ(r.source, UZ_SRC_SAME_FILLED);
	UT_ASSERT_EQ(r.fill_word, s.fill);
	for (unsigned i = 0; i < F_PAGE; i += 8)
		memcpy(want + i, &s.fill, 8);
	UT_ASSERT_MEM(page, want, F_PAGE);
	memset(want, 0, sizeof(want));
	memset(page, 0xaa, sizeof(page));
	UT_OK(resolve(s.k, 0, S_EMPTY, page, &r));
	UT_ASSERT_EQ(r.source, UZ_SRC_EMPTY);
	UT_ASSERT_MEM(page, want, F_PAGE);
	memset(page, 0xaa, sizeof(page));
	UT_OK(resolve(s.k, 0, S_ZEROMAP, page, &r));
	UT_ASSERT_EQ(r.source, UZ_SRC_ZEROMAP);
	UT_ASSERT_MEM(page, want, F_PAGE);
	UT_OK(resolve(s.k, 0, S_HUGE, page, &r));
	UT_ASSERT_EQ(r.source, UZ_SRC_ZRAM);
	UT_ASSERT(r.huge);
	UT_ASSERT_MEM(page, s.huge, F_PAGE);
	/* cached: the swap cache page, not the (different) zram copy */
	UT_OK(resolve(s.k, 0, S_CACHED, page, &r));
	UT_ASSERT_EQ(r.source, UZ_SRC_SWAPCACHE);
	UT_ASSERT_EQ(r.swapcache_pfn, pa(P_CACHED));
	UT_ASSERT_MEM(page, s.cached, F_PAGE);
	/* cached page filtered out and clean: fall back to zram (the stale copy
	 * here stands for "the same bytes" in a real kernel) */
	s.k->excluded[P_CACHED] = true;
	UT_OK(resolve(s.k, 0, S_CACHED, page, &r));
	UT_ASSERT_EQ(r.source, UZ_SRC_ZRAM);
	UT_ASSERT(r.swapcache_filtered);
	/* ... and dirty: refuse */
	s.k->pages[P_CACHED * F_PAGE_STRUCT] |= 1u << 4;   /* PG_dirty */
	UT_ERR(resolve(s.k, 0, S_CACHED, page, &r), UZ_ERR_FAULT);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_SWAPCACHE_STALE);
	free(s.k);
}

UT_TEST(resolve_failures_are_classified)
{
	SCENE(s);
	uint8_t page[F_PAGE];
	struct uz_slot_result r;
	UT_ERR(resolve(s.k, 0, S_WB, page, &r), UZ_ERR_UNSUPPORTED);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_WRITTEN_BACK);
	UT_ERR(resolve(s.k, 0, S_BADMAGIC, page, &r), UZ_ERR_FORMAT);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_INVALID_LOCATION);
	UT_ERR(resolve(s.k, 0, S_FILTERED, page, &r), UZ_ERR_FAULT);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_METADATA_MISSING);
	UT_ERR(resolve(s.k, 0, S_CORRUPT, page, &r), UZ_ERR_DECOMPRESS);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_DECOMPRESS_FAILED);
	UT_ERR(resolve(s.k, 0, S_WRONGIDX, page, &r), UZ_ERR_FORMAT);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_INVALID_LOCATION);
	UT_ERR(resolve(s.k, 1, 5, page, &r), UZ_ERR_UNSUPPORTED);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_NOT_ZRAM);
	UT_ERR(resolve(s.k, 5, 5, page, &r), UZ_ERR_NOT_FOUND);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_NOT_SWAP);
	UT_ERR(resolve(s.k, 0, 0, page, &r), UZ_ERR_NOT_FOUND);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_OUT_OF_RANGE);
	UT_ERR(resolve(s.k, 0, S_NSLOTS, page, &r), UZ_ERR_NOT_FOUND);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_OUT_OF_RANGE);
	/* the message names the device and the slot */
	struct uz_error *err = resolve(s.k, 0, S_BADMAGIC, page, &r);
	UT_ASSERT(err && strstr(err->message, "zram0 slot 9: ") == err->message);
	UT_ASSERT(strstr(err->message, "magic 0x57"));
	uz_error_destroy(err);
	/* the object page is not a zsmalloc page */
	s.k->pages[(P_OBJ) * F_PAGE_STRUCT + 51] = 0xf5;
	UT_ERR(resolve(s.k, 0, S_TEXT, page, &r), UZ_ERR_FORMAT);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_INVALID_LOCATION);
	free(s.k);
}

/* ---- written-back slots read from a backing device image ---- */

#define TEST_TMP_PREFIX "uz-zram-test"
static char wb_dir[256];

/* Best effort at exit: a leftover temporary file fails no test. */
static void wb_cleanup(void)
{
	char p[300];
	const char *names[] = { "full.img", "short.img", "dir" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", wb_dir, names[i]);
		(void)remove(p);
	}
	(void)rmdir(wb_dir);
}

/* Writes an image of `pages` pages, block b filled with (b * 13 + i) bytes;
 * returns its path (static storage per name). */
static const char *wb_image(const char *name, unsigned pages)
{
	static char paths[2][300];
	if (!wb_dir[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(wb_dir, sizeof(wb_dir), "%s/" TEST_TMP_PREFIX "-XXXXXX", t ? t : "/tmp");
		if (!mkdtemp(wb_dir))
			return NULL;
		atexit(wb_cleanup);
		char d[300];
		snprintf(d, sizeof(d), "%s/dir", wb_dir);
		if (mkdir(d, 0700) != 0)
			return NULL;
	}
	char *path = paths[strcmp(name, "full.img") == 0 ? 0 : 1];
	snprintf(path, 300, "%s/%s", wb_dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return NULL;
	uint8_t blk[F_PAGE];
	for (unsigned b = 0; b < pages; b++) {
		for (unsigned i = 0; i < F_PAGE; i++)
			blk[i] = (uint8_t)(b * 13 + i);
		if (fwrite(blk, 1, F_PAGE, f) != F_PAGE) {
			fclose(f);
			return NULL;
		}
	}
	return fclose(f) == 0 ? path : NULL;
}

static struct uz_error *resolve_bk(struct uz_kernel *k, const char *image, uint64_t off,
				   uint8_t *page, struct uz_slot_result *r)
{
	struct uz_zram_model *m;
	struct uz_zram_ctx *c;
	UZ_TRY(uz_zram_model_open(k, &m));
	struct uz_error *err = uz_zram_attach_backing(m, "zram0", image);
	if (!err)
		err = uz_zram_ctx_create(m, &c);
	if (!err) {
		err = uz_zram_resolve(m, c, 0, off, page, r);
		uz_zram_ctx_destroy(c);
	}
	uz_zram_model_close(m);
	return err;
}

UT_TEST(written_back_slot_reads_from_backing_image)
{
	SCENE(s);
	const char *full = wb_image("full.img", WB_NR_PAGES);
	if (!full)
		UT_FAIL("cannot write a temporary image");
	uint8_t page[F_PAGE], want[F_PAGE];
	for (unsigned i = 0; i < F_PAGE; i++)
		want[i] = (uint8_t)(WB_BLOCK * 13 + i);
	struct uz_slot_result r;
	UT_OK(resolve_bk(s.k, full, S_WB, page, &r));
	UT_ASSERT_EQ(r.source, UZ_SRC_BACKING_DEV);
	UT_ASSERT_EQ(r.backing_block, WB_BLOCK);
	UT_ASSERT(!r.bitmap_unchecked);
	UT_ASSERT_MEM(page, want, F_PAGE);
	/* other slots are unaffected by the image */
	UT_OK(resolve_bk(s.k, full, S_TEXT, page, &r));
	UT_ASSERT_MEM(page, s.text, F_PAGE);

	/* what the model says about the device */
	struct uz_zram_model *m;
	UT_OK(uz_zram_model_open(s.k, &m));
	const struct uz_zram_device_info *d = uz_zram_device(m, 0);
	UT_ASSERT(strcmp(d->backing_name, "vdb") == 0);   /* no struct file types: the disk name */
	UT_ASSERT(d->backing_known);
	UT_ASSERT_EQ(d->backing_nr_pages, WB_NR_PAGES);
	UT_ASSERT(d->valid_bd_count && d->bd_count == 1);
	UT_ASSERT(d->backing_image == NULL);
	struct uz_zram_slot_stats st;
	UT_OK(uz_zram_device_scan(m, 0, &st));
	UT_ASSERT(st.backing_bitmap_read);
	UT_ASSERT_EQ(st.backing_blocks_used, 1);
	UT_ASSERT_EQ(st.written_back, 1);
	/* attach: errors at startup */
	UT_ERR(uz_zram_attach_backing(m, "zram7", full), UZ_ERR_USAGE);
	char p[300];
	snprintf(p, sizeof(p), "%s/dir", wb_dir);
	UT_ERR(uz_zram_attach_backing(m, "zram0", p), UZ_ERR_USAGE);
	snprintf(p, sizeof(p), "%s/missing.img", wb_dir);
	UT_ERR(uz_zram_attach_backing(m, "zram0", p), UZ_ERR_IO);
	UT_OK(uz_zram_attach_backing(m, "zram0", full));
	UT_ASSERT_EQ(d->backing_image_size, (uint64_t)WB_NR_PAGES * F_PAGE);
	UT_ERR(uz_zram_attach_backing(m, "zram0", full), UZ_ERR_USAGE);   /* twice */
	uz_zram_model_close(m);
	free(s.k);
}

UT_TEST(written_back_slot_is_checked_against_the_dump_and_image)
{
	SCENE(s);
	const char *full = wb_image("full.img", WB_NR_PAGES);
	const char *shrt = wb_image("short.img", WB_BLOCK);   /* ends just before the block */
	if (!full || !shrt)
		UT_FAIL("cannot write a temporary image");
	uint8_t page[F_PAGE];
	struct uz_slot_result r;
	/* truncated image: a per-page failure naming the image */
	struct uz_error *err = resolve_bk(s.k, shrt, S_WB, page, &r);
	UT_ASSERT(err && err->code == UZ_ERR_FORMAT && strstr(err->message, "past the end of the image"));
	UT_ASSERT_EQ(r.failure, UZ_FAIL_BACKING_IMAGE);
	uz_error_destroy(err);
	/* the bitmap says the block is free */
	put64(s.k, A_WB_BITMAP, 0);
	UT_ERR(resolve_bk(s.k, full, S_WB, page, &r), UZ_ERR_FORMAT);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_INCONSISTENT);
	/* bitmap not in the dump: the image is read, and the result says
	 * the block was not checked (the bitmap moves to a filtered page) */
	put64(s.k, A_WB_BITMAP, UINT64_C(1) << WB_BLOCK);
	put64(s.k, A_ZRAM + 264, f_va(pa(P_FILTERED)));
	s.k->excluded[P_FILTERED] = true;
	UT_OK(resolve_bk(s.k, full, S_WB, page, &r));
	UT_ASSERT(r.bitmap_unchecked);
	put64(s.k, A_ZRAM + 264, A_WB_BITMAP);
	/* past nr_pages, and block 0 */
	set_slot(s.k, S_WB, WB_NR_PAGES, 1u << 14);
	err = resolve_bk(s.k, full, S_WB, page, &r);
	UT_ASSERT(err && strstr(err->message, "past the 100 blocks"));
	UT_ASSERT_EQ(r.failure, UZ_FAIL_INCONSISTENT);
	uz_error_destroy(err);
	set_slot(s.k, S_WB, 0, 1u << 14);
	UT_ERR(resolve_bk(s.k, full, S_WB, page, &r), UZ_ERR_FORMAT);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_INCONSISTENT);
	/* no backing device in the dump: attaching is refused */
	put64(s.k, A_ZRAM + 248, 0);
	UT_ERR(resolve_bk(s.k, full, S_WB, page, &r), UZ_ERR_USAGE);
	free(s.k);
}

UT_TEST(scan_counts_agree_with_kernel_counters)
{
	SCENE(s);
	struct uz_zram_model *m;
	UT_OK(uz_zram_model_open(s.k, &m));
	struct uz_zram_slot_stats st;
	UT_OK(uz_zram_device_scan(m, 0, &st));
	const struct uz_zram_device_info *d = uz_zram_device(m, 0);
	UT_ASSERT_EQ(st.slots, S_NSLOTS);
	UT_ASSERT_EQ(st.stored, 8);     /* text, straddle, huge, cached, bad, filtered, corrupt, wrongidx */
	UT_ASSERT_EQ(st.same_filled, 1);
	UT_ASSERT_EQ(st.written_back, 1);
	UT_ASSERT_EQ(st.huge, 1);
	UT_ASSERT_EQ(st.huge_flag, d->mm_stat.huge_pages);
	UT_ASSERT_EQ(st.same_filled, d->mm_stat.same_pages);
	UT_ASSERT_EQ(st.empty, S_NSLOTS - 10);
	UT_ASSERT_EQ(st.zeromap, 1);
	UT_ASSERT_EQ(st.unreadable, 0);
	UT_ASSERT_EQ(st.compressed_by_prio[0], 7);
	uz_zram_model_close(m);
	free(s.k);
}

UT_TEST(filtered_table_page_counts_as_unreadable)
{
	SCENE(s);
	struct uz_zram_model *m;
	UT_OK(uz_zram_model_open(s.k, &m));
	s.k->excluded[P_TABLE] = true;
	struct uz_zram_slot_stats st;
	UT_OK(uz_zram_device_scan(m, 0, &st));
	UT_ASSERT_EQ(st.unreadable, S_NSLOTS);
	struct uz_zram_ctx *c;
	UT_OK(uz_zram_ctx_create(m, &c));
	uint8_t page[F_PAGE];
	struct uz_slot_result r;
	UT_ERR(uz_zram_resolve(m, c, 0, S_TEXT, page, &r), UZ_ERR_FAULT);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_METADATA_MISSING);
	uz_zram_ctx_destroy(c);
	uz_zram_model_close(m);
	free(s.k);
}

UT_TEST(unreadable_swap_cache_falls_back_but_not_for_empty_slots)
{
	/* The swap cache's xa_node page filtered out of the dump: stored
	 * slots still resolve (flagged), an empty slot cannot be trusted. */
	SCENE(s);
	s.k->excluded[P_XA] = true;
	uint8_t page[F_PAGE];
	struct uz_slot_result r;
	UT_OK(resolve(s.k, 0, S_TEXT, page, &r));
	UT_ASSERT_EQ(r.source, UZ_SRC_ZRAM);
	UT_ASSERT(r.swapcache_unchecked);
	UT_ASSERT_MEM(page, s.text, F_PAGE);
	UT_ERR(resolve(s.k, 0, S_EMPTY, page, &r), UZ_ERR_FAULT);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_METADATA_MISSING);
	/* zeromap filtered: a zero page still comes out as zeros (its slot is empty,
	 * but here the swap cache is readable again) */
	s.k->excluded[P_XA] = false;
	s.k->excluded[P_ZEROMAP] = true;
	uint8_t zero[F_PAGE] = { 0 };
	UT_OK(resolve(s.k, 0, S_ZEROMAP, page, &r));
	UT_ASSERT_EQ(r.source, UZ_SRC_EMPTY);
	UT_ASSERT(r.zeromap_unreadable);
	UT_ASSERT_MEM(page, zero, F_PAGE);
	free(s.k);
}

UT_TEST(old_kernel_rules_change_obj_decoding)
{
	/* The same memory read as a 6.8 kernel: obj has a tag bit, so the
	 * 6.12-encoded handles no longer validate and probing fails cleanly. */
	SCENE(s);
	s.k->kv = UZ_KV(6, 8, 0);
	struct uz_zram_model *m;
	UT_OK(uz_zram_model_open(s.k, &m));
	UT_ASSERT_EQ(uz_zram_device(m, 0)->pfn_bits, 0);
	struct uz_zram_ctx *c;
	UT_OK(uz_zram_ctx_create(m, &c));
	uint8_t page[F_PAGE];
	struct uz_slot_result r;
	UT_ERR(uz_zram_resolve(m, c, 0, S_TEXT, page, &r), UZ_ERR_FORMAT);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_INVALID_LOCATION);
	uz_zram_ctx_destroy(c);
	uz_zram_model_close(m);
	free(s.k);
}

UT_TEST(unreadable_block_device_fails_its_area_only)
{
	/* Swap type 1's struct block_device in a page the dump left out (seen
	 * on a real 7.3.4 dump filtered by a makedumpfile that does not know
	 * compound_info): the model opens, that area's entries fail with the
	 * reason, zram0's still resolve. */
	SCENE(s);
	put64(s.k, A_SI2 + 0x100, f_va(pa(P_FILTERED)) + 0x40);
	struct uz_zram_model *m;
	UT_OK(uz_zram_model_open(s.k, &m));
	const struct uz_swap_area_info *a = uz_zram_swap_area(m, 1);
	UT_ASSERT(a && a->problem && strstr(a->problem, "swap type 1 unreadable"));
	UT_ASSERT(uz_zram_swap_area(m, 0)->problem == NULL);
	UT_ASSERT_EQ(uz_zram_swap_kind(m, 0), UZ_SWAP_ZRAM);
	uz_zram_model_close(m);
	uint8_t page[F_PAGE];
	struct uz_slot_result r;
	struct uz_error *err = resolve(s.k, 1, 5, page, &r);
	UT_ASSERT(err && err->code == UZ_ERR_FAULT && strstr(err->message, "block device"));
	uz_error_destroy(err);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_METADATA_MISSING);
	UT_OK(resolve(s.k, 0, S_TEXT, page, &r));
	UT_ASSERT_MEM(page, s.text, F_PAGE);
	free(s.k);
}

/* ---- 7.3: the same scene as Debian 7.3.4 lays it out ---- */

/* obj in 7.3 (mm/zsmalloc.c location_to_obj, Debian 7.3.4): pfn << 24 |
 * class << 15 | index on x86_64 4K (_PFN_BITS 40, ZS_OBJ_CLASS_BITS 9). */
static uint64_t obj73(uint64_t pfn, uint32_t cls, uint32_t idx)
{
	return (pfn << 24) | ((uint64_t)cls << 15) | idx;
}

static void reencode73(struct uz_kernel *k, unsigned handle_i, uint32_t cls)
{
	uint8_t *p;
	uint64_t obj = 0;
	if (f_find(k, handle_va(handle_i), 8, &p))
		memcpy(&obj, p, 8);
	put64(k, handle_va(handle_i), obj73(obj >> 24, cls, (uint32_t)(obj & 0xffffff)));
}

/* The 6.12 scene turned into a 7.3.4 one: 7.3 types (f_members_73,
 * f_enums_73), obj values with the class index, flag bits moved by
 * ZRAM_ENTRY_LOCK (WB 14 -> 15, HUGE 16 -> 17). */
static void scene_to_7_3(struct scene *s)
{
	struct uz_kernel *k = s->k;
	k->kv = UZ_KV(7, 3, 4);
	k->v73 = true;
	static const struct { unsigned slot; uint32_t cls; } objs[] = {
		{ S_TEXT, CLASS_A }, { S_STRADDLE, CLASS_A }, { S_HUGE, CLASS_HUGE },
		{ S_CACHED, CLASS_A }, { S_BADMAGIC, CLASS_A }, { S_FILTERED, CLASS_B },
		{ S_CORRUPT, CLASS_A }, { S_WRONGIDX, CLASS_A },
	};
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++)
		reencode73(k, objs[i].slot, objs[i].cls);
	uint8_t *p;
	uint32_t huge_flags = (1u << 17) | F_PAGE;
	if (f_find(k, f_va(pa(P_TABLE)) + 24ull * S_HUGE + 8, 4, &p))
		memcpy(p, &huge_flags, 4);
	uint32_t wb_flags = 1u << 15;
	if (f_find(k, f_va(pa(P_TABLE)) + 24ull * S_WB + 8, 4, &p))
		memcpy(p, &wb_flags, 4);
	/* The swap cache and the zero marks: one cluster (slots 0..511), its
	 * swap table in the page 6.12 used for the zeromap.  Entries as
	 * mm/swap_table.h 7.3.4 makes them on x86_64 (SWAP_CACHE_PFN_BITS 40:
	 * flags in bits 59-63, zero flag 59, count 60-63): every slot in use a
	 * shadow with count 1, S_CACHED the cached page's PFN << 2 | 0b10,
	 * S_ZEROMAP a shadow with the zero flag. */
	uint64_t cl = f_va(pa(P_XA)), table = f_va(pa(P_ZEROMAP));
	memset(k->mem + (size_t)P_XA * F_PAGE, 0, F_PAGE);
	put64(k, A_SI + 0x60, cl);
	put64(k, cl + 8, table);
	for (unsigned i = 1; i < S_NSLOTS; i++)
		put64(k, table + 8ull * i, (UINT64_C(1) << 60) | 1);
	put64(k, table + 8ull * S_CACHED, (UINT64_C(1) << 60) | (pa(P_CACHED) << 2) | 2);
	put64(k, table + 8ull * S_ZEROMAP, (UINT64_C(1) << 60) | (UINT64_C(1) << 59) | 1);
}

UT_TEST(kernel_7_3_obj_with_class_index)
{
	SCENE(s);
	scene_to_7_3(&s);
	struct uz_zram_model *m;
	UT_OK(uz_zram_model_open(s.k, &m));
	UT_ASSERT_EQ(uz_zram_device(m, 0)->pfn_bits, 40);
	UT_ASSERT(!uz_zram_swap_area(m, 0)->has_zeromap);           /* gone in 7.2 */
	UT_ASSERT(uz_zram_swapcache_unavailable_reason(m) == NULL);   /* the swap table is read */
	struct uz_zram_ctx *c;
	UT_OK(uz_zram_ctx_create(m, &c));
	uint8_t page[F_PAGE];
	struct uz_slot_result r;
	UT_OK(uz_zram_resolve(m, c, 0, S_TEXT, page, &r));
	UT_ASSERT_EQ(r.source, UZ_SRC_ZRAM);
	UT_ASSERT_MEM(page, s.text, F_PAGE);
	UT_ASSERT_EQ(r.obj_idx, 0);
	UT_ASSERT(!r.swapcache_unchecked);
	UT_OK(uz_zram_resolve(m, c, 0, S_STRADDLE, page, &r));
	UT_ASSERT_MEM(page, s.straddle, F_PAGE);
	UT_ASSERT(r.straddles);
	UT_OK(uz_zram_resolve(m, c, 0, S_HUGE, page, &r));
	UT_ASSERT(r.huge);
	UT_ASSERT_MEM(page, s.huge, F_PAGE);
	UT_OK(uz_zram_resolve(m, c, 0, S_SAME, page, &r));
	UT_ASSERT_EQ(r.source, UZ_SRC_SAME_FILLED);
	UT_ASSERT_EQ(r.fill_word, s.fill);
	UT_ERR(uz_zram_resolve(m, c, 0, S_WB, page, &r), UZ_ERR_UNSUPPORTED);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_WRITTEN_BACK);
	UT_ASSERT_EQ(r.backing_block, WB_BLOCK);
	/* From the swap table: the cached page wins over its stale zram copy,
	 * the zero mark gives zeros, a shadow with an empty slot reads as the
	 * kernel reads it (zeros). */
	uint8_t zero[F_PAGE];
	memset(zero, 0, sizeof(zero));
	UT_OK(uz_zram_resolve(m, c, 0, S_CACHED, page, &r));
	UT_ASSERT_EQ(r.source, UZ_SRC_SWAPCACHE);
	UT_ASSERT_EQ(r.swapcache_pfn, pa(P_CACHED));
	UT_ASSERT_MEM(page, s.cached, F_PAGE);
	UT_OK(uz_zram_resolve(m, c, 0, S_ZEROMAP, page, &r));
	UT_ASSERT_EQ(r.source, UZ_SRC_ZEROMAP);
	UT_ASSERT_MEM(page, zero, F_PAGE);
	UT_OK(uz_zram_resolve(m, c, 0, S_EMPTY, page, &r));
	UT_ASSERT_EQ(r.source, UZ_SRC_EMPTY);
	UT_ASSERT_MEM(page, zero, F_PAGE);
	struct uz_error *err;
	/* the other failures keep their kinds */
	UT_ERR(uz_zram_resolve(m, c, 0, S_BADMAGIC, page, &r), UZ_ERR_FORMAT);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_INVALID_LOCATION);
	UT_ERR(uz_zram_resolve(m, c, 0, S_FILTERED, page, &r), UZ_ERR_FAULT);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_METADATA_MISSING);
	UT_ERR(uz_zram_resolve(m, c, 0, S_WRONGIDX, page, &r), UZ_ERR_FORMAT);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_INVALID_LOCATION);
	uz_zram_ctx_destroy(c);
	uz_zram_model_close(m);

	/* An obj naming another size class than its zspage's fails, naming both. */
	put64(s.k, handle_va(S_CORRUPT), obj73(pa(P_OBJ) + 1, CLASS_A + 1, 4));
	err = resolve(s.k, 0, S_CORRUPT, page, &r);
	UT_ASSERT(err && err->code == UZ_ERR_FORMAT && strstr(err->message, "naming size class 121") &&
		  strstr(err->message, "is class 120"));
	uz_error_destroy(err);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_INVALID_LOCATION);
	free(s.k);
}

/* 7.1+ compressed writeback (zram_drv.c decompress_bdev_page, 7.1.13 and
 * Debian 7.3.4): with zram->compressed_wb the block holds the slot's
 * compressed object (size and priority in the slot's flags), or the page
 * itself for a ZRAM_HUGE slot. */
UT_TEST(kernel_7_3_swap_table_unreadable)
{
	/* The swap table page filtered out: stored slots still resolve
	 * (flagged), an empty slot cannot be trusted; a free entry under a
	 * swap PTE is a lookup failure too. */
	SCENE(s);
	scene_to_7_3(&s);
	s.k->excluded[P_ZEROMAP] = true;
	uint8_t page[F_PAGE];
	struct uz_slot_result r;
	UT_OK(resolve(s.k, 0, S_TEXT, page, &r));
	UT_ASSERT(r.swapcache_unchecked);
	UT_ASSERT_MEM(page, s.text, F_PAGE);
	UT_ERR(resolve(s.k, 0, S_EMPTY, page, &r), UZ_ERR_FAULT);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_METADATA_MISSING);
	s.k->excluded[P_ZEROMAP] = false;
	put64(s.k, f_va(pa(P_ZEROMAP)) + 8ull * S_EMPTY, 0);
	struct uz_error *err = resolve(s.k, 0, S_EMPTY, page, &r);
	UT_ASSERT(err && strstr(err->message, "free slot"));
	uz_error_destroy(err);
	free(s.k);
}

/* 6.18 - 7.0 store folio pointers in the swap table, a format not read:
 * the 6.12 scene (no class bits, zeromap still there) read as 6.18.15. */
UT_TEST(kernel_6_18_swap_table_refused_per_slot)
{
	SCENE(s);
	s.k->kv = UZ_KV(6, 18, 15);
	uint8_t page[F_PAGE];
	struct uz_slot_result r;
	UT_OK(resolve(s.k, 0, S_TEXT, page, &r));
	UT_ASSERT(r.swapcache_unchecked);
	UT_ASSERT_MEM(page, s.text, F_PAGE);
	UT_OK(resolve(s.k, 0, S_ZEROMAP, page, &r));        /* si->zeromap until 7.1 */
	UT_ASSERT_EQ(r.source, UZ_SRC_ZEROMAP);
	struct uz_error *err = resolve(s.k, 0, S_EMPTY, page, &r);
	UT_ASSERT(err && err->code == UZ_ERR_UNSUPPORTED &&
		  strstr(err->message, "not supported on this kernel (6.18)") &&
		  strstr(err->message, "folio pointers"));
	uz_error_destroy(err);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_UNSUPPORTED_KERNEL);
	free(s.k);
}

UT_TEST(kernel_7_3_compressed_writeback)
{
	SCENE(s);
	scene_to_7_3(&s);
	if (!wb_image("short.img", 1))
		UT_FAIL("cannot write a temporary image");
	char path[300];
	snprintf(path, sizeof(path), "%s/cwb.img", wb_dir);
	static uint8_t img[WB_NR_PAGES * F_PAGE];
	memset(img, 0, sizeof(img));
	uint32_t n = lz4_into(s.straddle, img + (size_t)WB_BLOCK * F_PAGE, F_PAGE);
	if (!n || n >= F_PAGE)
		UT_FAIL("lz4 does not fit a block");
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(img, 1, sizeof(img), f) != sizeof(img) || fclose(f) != 0)
		UT_FAIL("cannot write %s", path);
	uint64_t e = f_va(pa(P_TABLE)) + 24ull * S_WB;
	put32(s.k, e + 8, (1u << 15) | n);                    /* ZRAM_WB | size */
	s.k->mem[(A_ZRAM + 300) - f_va(F_BASE_PFN)] = 1;     /* compressed_wb */
	uint8_t page[F_PAGE];
	struct uz_slot_result r;
	UT_OK(resolve_bk(s.k, path, S_WB, page, &r));
	UT_ASSERT_EQ(r.source, UZ_SRC_BACKING_DEV);
	UT_ASSERT(r.codec_known && r.codec == UZ_CODEC_LZ4);
	UT_ASSERT_EQ(r.comp_len, n);
	UT_ASSERT_MEM(page, s.straddle, F_PAGE);
	/* compressed_wb off: the block is the page, returned as it is */
	s.k->mem[(A_ZRAM + 300) - f_va(F_BASE_PFN)] = 0;
	UT_OK(resolve_bk(s.k, path, S_WB, page, &r));
	UT_ASSERT_MEM(page, img + (size_t)WB_BLOCK * F_PAGE, F_PAGE);
	/* ZRAM_HUGE: the block is the page even with compressed_wb */
	s.k->mem[(A_ZRAM + 300) - f_va(F_BASE_PFN)] = 1;
	memcpy(img + (size_t)WB_BLOCK * F_PAGE, s.huge, F_PAGE);
	f = fopen(path, "wb");
	if (!f || fwrite(img, 1, sizeof(img), f) != sizeof(img) || fclose(f) != 0)
		UT_FAIL("cannot write %s", path);
	put32(s.k, e + 8, (1u << 15) | (1u << 17) | F_PAGE);
	UT_OK(resolve_bk(s.k, path, S_WB, page, &r));
	UT_ASSERT_MEM(page, s.huge, F_PAGE);
	/* compressed, no ZRAM_HUGE, but a page-sized object: contradiction */
	put32(s.k, e + 8, (1u << 15) | F_PAGE);
	UT_ERR(resolve_bk(s.k, path, S_WB, page, &r), UZ_ERR_FORMAT);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_INCONSISTENT);
	(void)remove(path);
	free(s.k);
}

UT_TEST(kernel_7_3_memory_under_other_versions)
{
	SCENE(s);
	scene_to_7_3(&s);
	uint8_t page[F_PAGE];
	struct uz_slot_result r;
	/* Read with 7.2's rules (no class bits), as the 6.12-era reader did on
	 * the real 7.3.4 dump: no obj layout validates, every stored slot fails
	 * with the reason instead of a wrong page. */
	s.k->kv = UZ_KV(7, 2, 13);
	struct uz_zram_model *m;
	UT_OK(uz_zram_model_open(s.k, &m));
	UT_ASSERT_EQ(uz_zram_device(m, 0)->pfn_bits, 0);
	uz_zram_model_close(m);
	struct uz_error *err = resolve(s.k, 0, S_TEXT, page, &r);
	UT_ASSERT(err && err->code == UZ_ERR_FORMAT && strstr(err->message, "kernel 7.2"));
	uz_error_destroy(err);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_INVALID_LOCATION);

	/* A kernel newer than the newest row: zram is not read at all, and
	 * says why, naming the structures and both versions. */
	s.k->kv = UZ_KV(7, 4, 1);
	UT_OK(uz_zram_model_open(s.k, &m));
	const char *why = uz_zram_unavailable_reason(m);
	UT_ASSERT(why && strstr(why, "kernel 7.4 is newer than 7.3") && strstr(why, "zsmalloc obj"));
	err = uz_zram_require_readable(m);
	UT_ASSERT(err && err->code == UZ_ERR_UNSUPPORTED && strstr(err->message, "kernel 7.4"));
	uz_error_destroy(err);
	UT_ASSERT_EQ(uz_zram_swap_kind(m, 0), UZ_SWAP_ZRAM);    /* still classified */
	uz_zram_model_close(m);
	err = resolve(s.k, 0, S_TEXT, page, &r);
	UT_ASSERT(err && err->code == UZ_ERR_UNSUPPORTED && strstr(err->message, "kernel 7.4"));
	uz_error_destroy(err);
	UT_ASSERT_EQ(r.failure, UZ_FAIL_UNSUPPORTED_KERNEL);

	/* The 6.12 scene (objs without class) read with 7.3's rules: the class
	 * check rejects every candidate. */
	SCENE(old);
	old.k->kv = UZ_KV(7, 3, 4);
	old.k->v73 = true;
	err = resolve(old.k, 0, S_TEXT, page, &r);
	UT_ASSERT(err && strstr(err->message, "ZS_OBJ_CLASS_BITS") && strstr(err->message, "kernel 7.3"));
	uz_error_destroy(err);
	free(old.k);
	free(s.k);
}

UT_MAIN(UT_CASE(model_finds_devices_and_areas), UT_CASE(resolve_compressed_and_straddling),
	UT_CASE(resolve_same_empty_huge_zeromap_swapcache), UT_CASE(resolve_failures_are_classified),
	UT_CASE(written_back_slot_reads_from_backing_image),
	UT_CASE(written_back_slot_is_checked_against_the_dump_and_image),
	UT_CASE(scan_counts_agree_with_kernel_counters),
	UT_CASE(filtered_table_page_counts_as_unreadable),
	UT_CASE(unreadable_swap_cache_falls_back_but_not_for_empty_slots),
	UT_CASE(old_kernel_rules_change_obj_decoding),
	UT_CASE(unreadable_block_device_fails_its_area_only),
	UT_CASE(kernel_7_3_obj_with_class_index), UT_CASE(kernel_7_3_swap_table_unreadable),
	UT_CASE(kernel_6_18_swap_table_refused_per_slot), UT_CASE(kernel_7_3_compressed_writeback),
	UT_CASE(kernel_7_3_memory_under_other_versions))

#endif
