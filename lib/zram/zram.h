/* zram.h - the zram/zsmalloc model of one dump: every swap area, every zram
 * device, and turning a swap entry (type, offset) into the page the process
 * last saw, or an exact reason why that is impossible.
 *
 * Owns: swap_info classification (real swap vs. special entries, zram vs.
 * other block device vs. swap file), the swap cache lookup (swapper_spaces
 * XArrays, 4.20-6.17; swap tables 7.1+), the zero marks (6.12-7.1 zeromap,
 * 7.2+ swap table), zram devices (zram_index_idr and
 * swap_info->bdev->bd_disk->private_data), the zram table and its flag word,
 * zsmalloc handle -> obj -> page -> zspage -> size class -> object bytes with
 * validation at every step, choosing the codec and dictionary per slot, and
 * per-device statistics next to the kernel's own counters (mm_stat).
 * Layouts come from the kernel's types (lib/kernel); the few rules the types
 * cannot tell are version-table rows in zram_layout.c.  docs/zram-model.md
 * describes the whole path.
 *
 * Also owns reading written-back slots from an image of a device's backing
 * device that the caller attaches (uz_zram_attach_backing), checked against
 * what the dump still knows (nr_pages, the block bitmap).
 *
 * Does not own: PTE decoding and page-table walks (lib/kernel), reading the
 * dump (lib/dump), decompressing (lib/codec), zswap, rewriting anything.
 *
 * Threads: the model is read-only after uz_zram_model_open().  Each thread
 * that resolves pages needs its own struct uz_zram_ctx (decompressors and
 * scratch buffers); reads go through the struct uz_kernel, so concurrent use
 * is only as safe as that is.  Backing images are read with pread(), and
 * attached before any ctx is created.
 */
#ifndef UZ_ZRAM_H
#define UZ_ZRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../error.h"
#include "../codec/codec.h"
#include "../kernel/kernel.h"

#define UZ_ZRAM_MAX_COMPS 4      /* ZRAM_MAX_COMPS with CONFIG_ZRAM_MULTI_COMP */

struct uz_zram_model;
struct uz_zram_ctx;

/* Discover all swap areas and zram devices.  Fails only if the kernel has no
 * swap_info at all or a layout is unusable; a dump without zram gives a model
 * with zero devices. */
struct uz_error *uz_zram_model_open(struct uz_kernel *k, struct uz_zram_model **out);
/* The modules whose types the model reads when they are modules (zram.ko,
 * zsmalloc.ko), NULL-terminated: for uz_kernel_options.need_modules. */
extern const char *const uz_zram_modules[];
void uz_zram_model_close(struct uz_zram_model *m);
/* Why zram devices cannot be read (e.g. zram.ko/zsmalloc.ko types missing),
 * or NULL if they can.  Swap areas are still classified then. */
const char *uz_zram_unavailable_reason(const struct uz_zram_model *m);
/* An error (UZ_ERR_UNSUPPORTED) when a swap area is on zram but the zram
 * devices cannot be read: callers that must see every zram page (zram-keep's
 * needed set, --zram-info) then fail instead of finding no zram. */
struct uz_error *uz_zram_require_readable(const struct uz_zram_model *m);
/* Why the swap cache is not consulted (e.g. 6.18+ swap tables), or NULL. */
const char *uz_zram_swapcache_unavailable_reason(const struct uz_zram_model *m);
/* Swap PTEs resolve in order: swap cache, zero mark, zram slot.  On 6.18+
 * the swap cache and, from 7.2, the zero marks live in the per-cluster swap
 * table (swap_cluster_info.table, mm/swap_table.h).  Its 7.1+ format is
 * read; the 6.18-7.0 one (folio pointers) is not: there every result has
 * swapcache_unchecked set, and an empty zram slot (a zero page, or a page
 * whose data is only in the swap cache) fails with
 * UZ_FAIL_UNSUPPORTED_KERNEL instead of reading as zeros. */

/* ---- swap areas ---- */

enum uz_swap_kind {
	UZ_SWAP_NONE,            /* type >= nr_swapfiles, NULL or !SWP_USED: not real swap */
	UZ_SWAP_ZRAM,            /* a zram block device */
	UZ_SWAP_BLOCK,           /* another block device (data not in the dump) */
	UZ_SWAP_FILE,            /* a swap file (data not in the dump) */
};
const char *uz_swap_kind_name(enum uz_swap_kind k);

struct uz_swap_area_info {
	uint32_t type;
	enum uz_swap_kind kind;
	uint64_t swap_info;      /* struct swap_info_struct * */
	uint64_t flags;          /* si->flags */
	uint64_t max;            /* si->max: slots including the header slot 0 */
	uint64_t inuse_pages;    /* si->inuse_pages */
	char bdev_name[32];      /* gendisk disk_name, "" if unknown */
	int zram_device;         /* index into uz_zram_device(), or -1 */
	bool has_zeromap;        /* 6.12+ si->zeromap */
	const char *problem;     /* NULL, or why its block device / gendisk could not
				    be read (filtered out of the dump...): then kind
				    is UZ_SWAP_BLOCK only by default, and its entries
				    fail with this reason */
};

/* Number of swap types the kernel has had (nr_swapfiles). */
uint32_t uz_zram_swap_count(const struct uz_zram_model *m);
/* NULL for type >= uz_zram_swap_count(). */
const struct uz_swap_area_info *uz_zram_swap_area(const struct uz_zram_model *m, uint32_t type);
/* UZ_SWAP_NONE for out-of-range types (migration/device/hwpoison/marker). */
enum uz_swap_kind uz_zram_swap_kind(const struct uz_zram_model *m, uint32_t type);

/* ---- zram devices ---- */

/* The kernel's own counters (struct zram_stats + pool), as in
 * /sys/block/zramN/mm_stat; `valid` false for counters the kernel lacks. */
struct uz_zram_mm_stat {
	uint64_t orig_data_size;     /* pages_stored << PAGE_SHIFT */
	uint64_t compr_data_size;
	uint64_t mem_used_total;     /* pool pages_allocated << PAGE_SHIFT */
	uint64_t mem_limit;          /* limit_pages << PAGE_SHIFT */
	uint64_t mem_used_max;       /* max_used_pages << PAGE_SHIFT */
	uint64_t same_pages;
	uint64_t pages_compacted;
	uint64_t huge_pages;
	uint64_t huge_pages_since;
	uint64_t pages_stored;
	bool valid_pool;             /* mem_used_total, pages_compacted */
	bool valid_huge_since;
};

struct uz_zram_device_info {
	char name[32];               /* "zram0" (gendisk disk_name) */
	int id;                      /* N of zramN from zram_index_idr, -1 if unknown */
	uint64_t zram;               /* struct zram * */
	uint64_t table;              /* struct zram_table_entry * (vmalloc) */
	uint64_t pool;               /* struct zs_pool * */
	uint64_t disksize;           /* bytes; 0 = not initialised */
	uint64_t nr_slots;           /* disksize / PAGE_SIZE */
	unsigned n_comps;            /* entries of comp_algs[] (1 or 4) */
	const char *comp_algs[UZ_ZRAM_MAX_COMPS];  /* NULL where unset */
	bool codec_known[UZ_ZRAM_MAX_COMPS];
	enum uz_codec codecs[UZ_ZRAM_MAX_COMPS];
	size_t dict_len[UZ_ZRAM_MAX_COMPS];        /* 6.12+ params[prio].dict_sz */
	int deflate_winbits[UZ_ZRAM_MAX_COMPS];    /* 6.18+ params, else 0 */
	uint64_t backing_dev;        /* struct file * of the writeback device, 0 if none */
	/* CONFIG_ZRAM_WRITEBACK (zram_drv.h 6.1, 6.12): struct zram bdev,
	 * bitmap, nr_pages; valid only when backing_dev != 0. */
	char backing_name[128];      /* path of backing_dev as far as the dump tells
					("/dev/vdb"), or its disk name; "" if unknown */
	uint64_t backing_bdev;       /* struct block_device * */
	uint64_t backing_bitmap;     /* unsigned long *: bit set = block in use */
	uint64_t backing_nr_pages;   /* device size in pages when it was attached */
	bool backing_known;          /* bitmap and nr_pages read from the types */
	bool compressed_wb;          /* 7.1+ zram->compressed_wb: written-back blocks hold
					the compressed object, not the page */
	uint64_t bd_count;           /* stats.bd_count: blocks in use, per the kernel */
	bool valid_bd_count;
	/* The image attached with uz_zram_attach_backing, or NULL. */
	const char *backing_image;
	uint64_t backing_image_size; /* bytes */
	int swap_type;               /* -1 if not used as swap */
	unsigned pfn_bits;           /* zsmalloc _PFN_BITS found by probing, 0 if unknown */
	const char *problem;         /* NULL, or why the device cannot be read (its
					struct zram not in the dump...); then only
					name, id, zram and swap_type are valid */
	struct uz_zram_mm_stat mm_stat;
};

size_t uz_zram_device_count(const struct uz_zram_model *m);
const struct uz_zram_device_info *uz_zram_device(const struct uz_zram_model *m, size_t i);

/* Attach an image (regular file or block device, read-only) of the backing
 * device of zram device `device` ("zram5").  From then on uz_zram_resolve
 * reads that device's written-back slots from byte block * PAGE_SIZE of the
 * image (zram_drv.c 6.1/6.12: bi_sector = blk_idx * (PAGE_SIZE >> 9), page
 * stored uncompressed).  Fails with UZ_ERR_USAGE if the device is unknown,
 * has no backing device in the dump, already has an image, or the image is
 * neither a regular file nor a block device; UZ_ERR_IO if it cannot be
 * opened.  A short image is accepted: blocks past its end fail one by one
 * (backing_image_size against backing_nr_pages tells the caller). */
struct uz_error *uz_zram_attach_backing(struct uz_zram_model *m, const char *device,
					const char *path);

/* The kernel's XArray node layout (struct xa_node: shift, slots; struct
 * xarray: xa_head), from its types, checked (the slots a power of two), for
 * uz_xa_for_each and uz_xa_load (zram_layout.h).  The one place that reads
 * it: the swap cache, zram_index_idr and zram-keep's pid IDR walk use it. */
struct uz_xa_layout;
struct uz_error *uz_xa_layout_from_types(struct uz_kernel *k, struct uz_xa_layout *out, struct uz_member *xa_head);

/* ---- walking a pool ---- */

/* One zspage of a pool, as uz_zram_for_each_zspage finds it. */
struct uz_zspage_info {
	uint64_t size_class;          /* struct size_class * it is listed under */
	uint64_t size_class_bytes;    /* sizeof(struct size_class) */
	uint64_t zspage;              /* struct zspage * (slab memory) */
	uint64_t zspage_bytes;        /* of struct zspage that the model reads */
	uint64_t pages_per_zspage;    /* the class's */
	uint64_t pfns[64];            /* its pages, first to last */
	unsigned n_pages;
};
typedef struct uz_error *uz_zspage_fn(void *ctx, const struct uz_zspage_info *z);
/* Calls fn for every zspage on every fullness list of every size class of
 * device `device`'s zsmalloc pool (zspool.c), each size class once (merged
 * classes share one struct).  For zram-keep: the pages a reader of the pool
 * needs.  Fails on a list that does not end, a page that cannot be
 * translated, or unreadable memory, naming the class and the pool. */
struct uz_error *uz_zram_for_each_zspage(struct uz_zram_model *m, size_t device, uz_zspage_fn *fn, void *ctx);

/* ---- resolving a swap entry ---- */

enum uz_slot_source {
	UZ_SRC_NONE,             /* failure */
	UZ_SRC_ZRAM,             /* decompressed (or copied, if huge) from zsmalloc */
	UZ_SRC_SWAPCACHE,        /* a page in the swap cache (authoritative) */
	UZ_SRC_SAME_FILLED,      /* zram same-filled slot: fill_word repeated */
	UZ_SRC_ZEROMAP,          /* 6.12+ si->zeromap bit: zero page, never in zram */
	UZ_SRC_EMPTY,            /* zram slot empty: the kernel reads it as zeros */
	UZ_SRC_BACKING_DEV,      /* written-back slot read from the attached image */
};
const char *uz_slot_source_name(enum uz_slot_source s);

enum uz_slot_failure {
	UZ_FAIL_NONE,
	UZ_FAIL_NOT_SWAP,            /* special entry or unused type (§1.4) */
	UZ_FAIL_NOT_ZRAM,            /* swap area is a disk or file, data not in RAM */
	UZ_FAIL_OUT_OF_RANGE,        /* offset 0 (header) or past the device/area */
	UZ_FAIL_WRITTEN_BACK,        /* slot was written back to zram's backing device
					and no image of it is attached */
	UZ_FAIL_BACKING_IMAGE,       /* the attached image cannot supply the block
					(past its end, read error) */
	UZ_FAIL_METADATA_MISSING,    /* a page we need is not in the dump (filtered) */
	UZ_FAIL_INVALID_LOCATION,    /* a decoded location failed validation */
	UZ_FAIL_DECOMPRESS_FAILED,   /* codec rejected the stream */
	UZ_FAIL_UNSUPPORTED_CODEC,   /* algorithm name unknown to lib/codec */
	UZ_FAIL_SWAPCACHE_STALE,     /* dirty swap-cache page filtered out; zram copy is stale */
	UZ_FAIL_INCONSISTENT,        /* zram table entry contradicts itself */
	UZ_FAIL_UNSUPPORTED_KERNEL,  /* the answer lies in a structure of this kernel
					version that is not read (6.18+ swap table) */
};
const char *uz_slot_failure_name(enum uz_slot_failure f);

struct uz_slot_result {
	enum uz_slot_source source;
	enum uz_slot_failure failure;    /* UZ_FAIL_NONE on success */
	int device;                      /* index into uz_zram_device(), -1 if none */
	uint64_t slot;                   /* zram index (= swap offset) */
	bool codec_known;
	enum uz_codec codec;             /* ZRAM, compressed */
	unsigned prio;
	uint32_t comp_len;               /* object size from the table */
	bool huge;                       /* stored uncompressed (size == PAGE_SIZE) */
	uint64_t fill_word;              /* SAME_FILLED */
	uint64_t swapcache_page;         /* struct page * of the cached (sub)page, 0 if none */
	uint64_t swapcache_pfn;
	bool swapcache_filtered;         /* cached page clean but not in the dump: used zram */
	bool swapcache_unchecked;        /* swap-cache lookup failed (metadata filtered):
					    answered from the zram slot, which holds the
					    same bytes unless empty (then we fail) */
	bool zeromap_unreadable;         /* zeromap word filtered out: went by the zram slot
					    (same bytes: a zeromap page has an empty slot) */
	uint64_t handle;                 /* zsmalloc handle; block index if written back */
	uint64_t backing_block;          /* written back: block on the backing device */
	bool bitmap_unchecked;           /* written back: the bitmap word was not in the
					    dump, so "block in use" was not checked */
	uint64_t obj_pfn;                /* page where the object starts */
	uint32_t obj_idx;
	uint32_t obj_offset;             /* object start within obj_pfn's page */
	uint32_t class_size;
	bool straddles;                  /* payload continues in the next page */
	bool deferred;                   /* compressed bytes returned, see uz_zram_ctx_set_defer */
};

/* Per-thread state: decompressors (created lazily per device and priority)
 * and scratch buffers. */
struct uz_error *uz_zram_ctx_create(struct uz_zram_model *m, struct uz_zram_ctx **out);
void uz_zram_ctx_destroy(struct uz_zram_ctx *ctx);

/* Resolve swap entry (type, offset) to page_size bytes in `page`.  Order:
 * swap cache, then zeromap (6.12+), then the zram slot.  On failure returns
 * an error ("zram0 slot 1234: ...": device, slot and why) and res->failure
 * says which kind; `page` is then unspecified.  res may not be NULL. */
struct uz_error *uz_zram_resolve(struct uz_zram_model *m, struct uz_zram_ctx *ctx,
				 uint32_t swap_type, uint64_t offset, void *page,
				 struct uz_slot_result *res);

/* Split resolution, for decompressing on several threads.  With deferral on,
 * uz_zram_resolve of a compressed slot stops after reading the object: it
 * puts the res->comp_len compressed bytes at the start of `page` and sets
 * res->deferred.  uz_zram_decompress_deferred then turns them into the page;
 * it reads nothing from the dump and touches only `ctx` and the model's
 * immutable device data, so each thread may run it with its own ctx while
 * another thread goes on resolving.  src and page must not overlap. */
void uz_zram_ctx_set_defer(struct uz_zram_ctx *ctx, bool defer);
struct uz_error *uz_zram_decompress_deferred(struct uz_zram_ctx *ctx, struct uz_slot_result *res,
					     const void *src, void *page);

/* ---- statistics ---- */

struct uz_zram_slot_stats {
	uint64_t slots;              /* slots scanned (= nr_slots) */
	uint64_t empty;
	uint64_t same_filled;
	uint64_t same_filled_zero;   /* same-filled with fill word 0 */
	uint64_t written_back;
	uint64_t stored;             /* zsmalloc objects (compressed + huge) */
	uint64_t huge;               /* stored with size == PAGE_SIZE */
	uint64_t huge_flag;          /* ZRAM_HUGE set (kernel's huge_pages counts these) */
	uint64_t compressed_by_prio[UZ_ZRAM_MAX_COMPS];  /* stored, not huge, by priority */
	uint64_t stored_bytes;       /* sum of sizes of stored objects (= compr_data_size) */
	uint64_t inconsistent;
	uint64_t unreadable;         /* slots whose table page is not in the dump */
	uint64_t backing_blocks_used;   /* bits set in the backing bitmap */
	bool backing_bitmap_read;       /* false: no backing device or bitmap not in the dump */
	uint64_t zeromap;            /* swap-side zeromap bits (6.12+), if swap */
};

/* Walk the whole table of device i.  Unreadable table pages are counted, not
 * fatal.  Cost: one pass over nr_slots table entries. */
struct uz_error *uz_zram_device_scan(struct uz_zram_model *m, size_t i,
				     struct uz_zram_slot_stats *out);

#endif
