/* zram.c - the zram/zsmalloc model of a dump; see zram.h and
 * docs/zram-model.md.  Every structure offset, bitfield and flag number comes
 * from the kernel's types through lib/kernel; the rules the types cannot
 * tell are rows in zram_layout.c. */
#include "zram.h"
#include "zram_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DICT_BYTES (64u << 20)      /* larger zram dictionaries are refused */
#define PROBE_SLOTS 4                   /* stored slots used to settle _PFN_BITS */
#define TABLE_CHUNK 512                 /* table entries read at once */
#define SWAP_ADDRESS_SPACE_SHIFT 14     /* mm/swap.h 4.11-6.17: 64 MiB per address_space */
#define MAX_FOLIO_PAGES 8192            /* bound on a large folio's page count */

/* ---- small helpers ---- */

static struct uz_error *member(struct uz_kernel *k, const char *type, const char *name,
			       struct uz_member *out)
{
	return uz_error_wrap(uz_kernel_member(k, type, name, out), "%s.%s", type, name);
}

/* Optional members and enumerators: absent (UZ_ERR_NOT_FOUND) is an answer,
 * false; any other failure (out of memory, unreadable debuginfo) is kept as
 * the model's layout error, which model_open returns, so that a failure is
 * never taken for an older kernel's layout. */
static void keep_layout_error(struct uz_zram_model *m, struct uz_error *err)
{
	if (err->code == UZ_ERR_NOT_FOUND || m->layout_err)
		uz_error_destroy(err);
	else
		m->layout_err = err;
}

static bool opt_member(struct uz_zram_model *m, const char *type, const char *name,
		       struct uz_member *out)
{
	struct uz_error *err = uz_kernel_member(m->k, type, name, out);
	if (err) {
		keep_layout_error(m, err);
		memset(out, 0, sizeof(*out));
		return false;
	}
	return true;
}

static bool opt_enum(struct uz_zram_model *m, const char *name, int64_t *v)
{
	struct uz_error *err = uz_kernel_enumerator(m->k, name, v);
	if (err) {
		keep_layout_error(m, err);
		return false;
	}
	return true;
}

static bool enum_lookup(void *ctx, const char *name, int64_t *value)
{
	return opt_enum(ctx, name, value);
}

/* The layout error opt_member/opt_enum kept, handed to the caller. */
static struct uz_error *take_layout_error(struct uz_zram_model *m)
{
	struct uz_error *err = m->layout_err;
	m->layout_err = NULL;
	return err ? uz_error_wrap(err, "reading the zram/zsmalloc/swap types") : NULL;
}

/* Unsigned little-endian field of a struct read into buf. */
static bool get_field(const uint8_t *buf, size_t len, const struct uz_member *mb, uint64_t *v)
{
	if (mb->bit_size)
		return uz_bitfield_get(buf, len, mb->offset, mb->bit_offset, mb->bit_size, v);
	uint64_t sz = mb->size > 8 ? 8 : mb->size;
	if (sz == 0 || mb->offset > len || sz > len - mb->offset)
		return false;
	uint64_t x = 0;
	for (uint64_t i = 0; i < sz; i++)
		x |= (uint64_t)buf[mb->offset + i] << (8 * i);
	*v = x;
	return true;
}

static uint64_t field(const uint8_t *buf, size_t len, const struct uz_member *mb)
{
	uint64_t v = 0;
	if (!get_field(buf, len, mb, &v))
		return 0;
	return v;
}

static struct uz_error *kread_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return uz_kernel_read(ctx, addr, buf, len);
}

const char *const uz_zram_modules[] = { "zram", "zsmalloc", NULL };

const char *uz_swap_kind_name(enum uz_swap_kind k)
{
	switch (k) {
	case UZ_SWAP_NONE: return "not swap";
	case UZ_SWAP_ZRAM: return "zram";
	case UZ_SWAP_BLOCK: return "block device";
	case UZ_SWAP_FILE: return "swap file";
	}
	return "unknown";
}

const char *uz_slot_source_name(enum uz_slot_source s)
{
	switch (s) {
	case UZ_SRC_NONE: return "none";
	case UZ_SRC_ZRAM: return "zram";
	case UZ_SRC_SWAPCACHE: return "swapcache";
	case UZ_SRC_SAME_FILLED: return "same-filled";
	case UZ_SRC_ZEROMAP: return "zeromap";
	case UZ_SRC_EMPTY: return "empty";
	case UZ_SRC_BACKING_DEV: return "backing-dev";
	}
	return "unknown";
}

const char *uz_slot_failure_name(enum uz_slot_failure f)
{
	switch (f) {
	case UZ_FAIL_NONE: return "none";
	case UZ_FAIL_NOT_SWAP: return "not-swap";
	case UZ_FAIL_NOT_ZRAM: return "not-zram";
	case UZ_FAIL_OUT_OF_RANGE: return "out-of-range";
	case UZ_FAIL_WRITTEN_BACK: return "written-back";
	case UZ_FAIL_BACKING_IMAGE: return "backing-image";
	case UZ_FAIL_METADATA_MISSING: return "metadata-missing";
	case UZ_FAIL_INVALID_LOCATION: return "invalid-location";
	case UZ_FAIL_DECOMPRESS_FAILED: return "decompress-failed";
	case UZ_FAIL_UNSUPPORTED_CODEC: return "unsupported-codec";
	case UZ_FAIL_SWAPCACHE_STALE: return "swapcache-stale";
	case UZ_FAIL_INCONSISTENT: return "inconsistent";
	case UZ_FAIL_UNSUPPORTED_KERNEL: return "unsupported-kernel";
	}
	return "unknown";
}

/* ---- layout discovery ---- */

static struct uz_error *page_layout_init(struct uz_zram_model *m)
{
	struct uz_kernel *k = m->k;
	struct layout *L = &m->L;
	UZ_TRY(uz_kernel_type_size(k, "struct page", &L->page_struct_size));
	if (L->page_struct_size < 32 || L->page_struct_size > 512)
		return uz_error_create(UZ_ERR_FORMAT, "struct page is %llu bytes",
				       (unsigned long long)L->page_struct_size);
	UZ_TRY(member(k, "struct page", "flags", &L->pg_flags));
	UZ_TRY(member(k, "struct page", "private", &L->pg_private));
	if (uz_zram_quirk(UZ_QUIRK_NEXT_PAGE_IN_INDEX, m->kv)) {
		if (!opt_member(m, "struct page", "index", &L->pg_next))
			UZ_TRY(member(k, "struct page", "__folio_index", &L->pg_next));
	} else {
		UZ_TRY(member(k, "struct page", "freelist", &L->pg_next));
	}
	L->has_page_type = opt_member(m, "struct page", "page_type", &L->pg_type);
	int64_t v;
	L->sig = UZ_ZS_SIG_NONE;
	/* Asked only where they can exist: a failed enumerator lookup scans
	 * all of vmlinux's DWARF (0.7 s and ~25 MiB on 6.1). */
	bool typed = L->has_page_type && uz_zram_quirk(UZ_QUIRK_ZSMALLOC_PAGE_TYPE, m->kv);
	if (typed && opt_enum(m, "PGTY_zsmalloc", &v)) {
		L->sig = UZ_ZS_SIG_TOP_BYTE;
		L->sig_value = (uint32_t)v;
	} else if (typed && opt_enum(m, "PG_zsmalloc", &v)) {
		L->sig = UZ_ZS_SIG_PG_FLAG;
		L->sig_value = (uint32_t)v;
	}
	L->pg_dirty = opt_enum(m, "PG_dirty", &v) ? (int)v : -1;
	L->pg_owner_priv_1 = opt_enum(m, "PG_owner_priv_1", &v) ? (int)v : -1;
	return NULL;
}

static struct uz_error *zram_layout_init(struct uz_zram_model *m)
{
	struct uz_kernel *k = m->k;
	struct layout *L = &m->L;
	UZ_TRY(uz_kernel_type_size(k, "struct zram", &L->zram_size));
	UZ_TRY(member(k, "struct zram", "table", &L->zram_table));
	UZ_TRY(member(k, "struct zram", "mem_pool", &L->zram_pool));
	UZ_TRY(member(k, "struct zram", "disk", &L->zram_disk));
	UZ_TRY(member(k, "struct zram", "disksize", &L->zram_disksize));
	UZ_TRY(member(k, "struct zram", "limit_pages", &L->zram_limit_pages));
	/* <= 6.1: char compressor[]; 6.2+: const char *comp_algs[ZRAM_MAX_COMPS] */
	L->has_comp_algs = opt_member(m, "struct zram", "comp_algs", &L->zram_comp_algs);
	L->has_compressor = !L->has_comp_algs &&
			    opt_member(m, "struct zram", "compressor", &L->zram_compressor);
	if (!L->has_comp_algs && !L->has_compressor)
		return uz_error_create(UZ_ERR_NOT_FOUND,
				       "struct zram has neither comp_algs nor compressor");
	L->n_comps = 1;
	if (L->has_comp_algs) {
		uint64_t n = L->zram_comp_algs.size / 8;
		if (n < 1 || n > UZ_ZRAM_MAX_COMPS)
			return uz_error_create(UZ_ERR_FORMAT, "struct zram.comp_algs has %llu entries",
					       (unsigned long long)n);
		L->n_comps = (unsigned)n;
	}
	/* 6.12+: struct zcomp_params params[ZRAM_MAX_COMPS] {dict, dict_sz, level, ...} */
	L->has_params = opt_member(m, "struct zram", "params", &L->zram_params);
	if (L->has_params) {
		UZ_TRY(uz_kernel_type_size(k, "struct zcomp_params", &L->params_size));
		UZ_TRY(member(k, "struct zcomp_params", "dict", &L->params_dict));
		UZ_TRY(member(k, "struct zcomp_params", "dict_sz", &L->params_dict_sz));
		L->has_winbits = opt_member(m, "struct zcomp_params", "deflate.winbits",
					    &L->params_winbits);
	}
	L->has_backing_dev = opt_member(m, "struct zram", "backing_dev", &L->zram_backing_dev);
	/* 7.1+: bool compressed_wb (zram_drv.h 7.1.13; absent in 6.19.6) */
	L->has_compressed_wb = L->has_backing_dev &&
			       opt_member(m, "struct zram", "compressed_wb", &L->zram_compressed_wb);
	L->has_wb_bitmap = L->has_backing_dev &&
			   opt_member(m, "struct zram", "bdev", &L->zram_bdev) &&
			   opt_member(m, "struct zram", "bitmap", &L->zram_bitmap) &&
			   opt_member(m, "struct zram", "nr_pages", &L->zram_nr_pages);
	L->has_bd_count = opt_member(m, "struct zram", "stats.bd_count", &L->st_bd_count);
	L->has_file_path = L->has_backing_dev &&
			   opt_member(m, "struct file", "f_path.dentry", &L->file_dentry) &&
			   opt_member(m, "struct file", "f_path.mnt", &L->file_mnt) &&
			   opt_member(m, "struct dentry", "d_parent", &L->dentry_parent) &&
			   opt_member(m, "struct dentry", "d_name.name", &L->dentry_name);
	L->has_mounts = L->has_file_path &&
			opt_member(m, "struct vfsmount", "mnt_root", &L->vfsmount_root) &&
			opt_member(m, "struct mount", "mnt", &L->mount_mnt) &&
			opt_member(m, "struct mount", "mnt_parent", &L->mount_parent) &&
			opt_member(m, "struct mount", "mnt_mountpoint", &L->mount_mountpoint);
	UZ_TRY(member(k, "struct zram", "stats.compr_data_size", &L->st_compr));
	UZ_TRY(member(k, "struct zram", "stats.same_pages", &L->st_same));
	UZ_TRY(member(k, "struct zram", "stats.huge_pages", &L->st_huge));
	UZ_TRY(member(k, "struct zram", "stats.pages_stored", &L->st_stored));
	UZ_TRY(member(k, "struct zram", "stats.max_used_pages", &L->st_max_used));
	L->has_huge_since = opt_member(m, "struct zram", "stats.huge_pages_since",
				       &L->st_huge_since);

	UZ_TRY(uz_kernel_type_size(k, "struct zram_table_entry", &L->entry_size));
	UZ_TRY(member(k, "struct zram_table_entry", "handle", &L->entry_handle));
	/* flags (5.4+), value (<= 4.20), attr.flags (7.1) */
	if (!opt_member(m, "struct zram_table_entry", "flags", &L->entry_flags) &&
	    !opt_member(m, "struct zram_table_entry", "value", &L->entry_flags))
		UZ_TRY(member(k, "struct zram_table_entry", "attr.flags", &L->entry_flags));
	if (L->entry_size < 16 || L->entry_size > 256 || L->entry_flags.size > 8)
		return uz_error_create(UZ_ERR_FORMAT, "struct zram_table_entry is %llu bytes",
				       (unsigned long long)L->entry_size);
	UZ_TRY(uz_error_wrap(uz_zram_flag_layout_from_enum(enum_lookup, m, m->page_shift,
							   (unsigned)L->entry_flags.size * 8,
							   &L->flags),
			     "zram flag word"));

	/* zsmalloc */
	UZ_TRY(member(k, "struct zs_pool", "size_class", &L->pool_size_class));
	UZ_TRY(uz_kernel_type_size(k, "struct size_class", &L->cls_struct_size));
	UZ_TRY(member(k, "struct size_class", "size", &L->cls_size));
	UZ_TRY(member(k, "struct size_class", "objs_per_zspage", &L->cls_objs));
	UZ_TRY(member(k, "struct size_class", "pages_per_zspage", &L->cls_pages));
	/* zs_pool.size_class is `struct size_class *size_class[ZS_SIZE_CLASSES]`
	 * (pointers, as Debian 6.1 and 6.12 have it); an inline array of structs
	 * is told apart by the member's byte size per element. */
	uint64_t n_elems = 0;
	struct uz_error *len_err = uz_kernel_array_len(k, "struct zs_pool", "size_class", &n_elems);
	bool no_len = len_err != NULL;
	/* No usable bound (6.12's is an expression) is an answer; a failure
	 * to read the debuginfo is not. */
	if (len_err && (len_err->code == UZ_ERR_NOMEM || len_err->code == UZ_ERR_IO))
		return uz_error_wrap(len_err, "zs_pool.size_class");
	uz_error_destroy(len_err);
	if (no_len || n_elems == 0 || n_elems > L->pool_size_class.size)
		n_elems = L->pool_size_class.size / 8;   /* no usable bound: assume pointers */
	if (n_elems && L->pool_size_class.size == n_elems * 8) {
		L->size_class_ptrs = true;
	} else if (n_elems && L->pool_size_class.size == n_elems * L->cls_struct_size) {
		L->size_class_ptrs = false;
	} else {
		return uz_error_create(UZ_ERR_FORMAT,
				       "zs_pool.size_class is %llu bytes for %llu elements: neither pointers nor structs",
				       (unsigned long long)L->pool_size_class.size,
				       (unsigned long long)n_elems);
	}
	L->n_classes = n_elems;
	if (L->n_classes < 1 || L->n_classes > 4096)
		return uz_error_create(UZ_ERR_FORMAT, "zs_pool.size_class has %llu classes",
				       (unsigned long long)L->n_classes);
	L->has_pool_stats = opt_member(m, "struct zs_pool", "pages_allocated",
				       &L->pool_pages_allocated) &&
			    opt_member(m, "struct zs_pool", "stats.pages_compacted",
				       &L->pool_compacted);
	UZ_TRY(member(k, "struct zspage", "magic", &L->zs_magic));
	UZ_TRY(member(k, "struct zspage", "class", &L->zs_class));
	L->zs_has_huge = opt_member(m, "struct zspage", "huge", &L->zs_huge);
	if (!opt_member(m, "struct zspage", "first_page", &L->zs_first_page))
		UZ_TRY(member(k, "struct zspage", "first_zpdesc", &L->zs_first_page));
	L->has_lists = opt_member(m, "struct size_class", "fullness_list", &L->cls_lists) &&
		       opt_member(m, "struct zspage", "list", &L->zs_list);
	if (L->has_lists) {
		/* a list_head is 16 bytes: the array's length from its size */
		L->n_lists = L->cls_lists.size / 16;
		L->has_lists = L->n_lists >= 1 && L->n_lists <= 64 && L->cls_lists.size % 16 == 0;
	}
	const struct uz_member *zsm[] = { &L->zs_magic, &L->zs_class, &L->zs_huge, &L->zs_first_page };
	L->zs_read_len = 0;
	for (size_t i = 0; i < sizeof(zsm) / sizeof(zsm[0]); i++)
		if (zsm[i]->offset + zsm[i]->size > L->zs_read_len)
			L->zs_read_len = zsm[i]->offset + zsm[i]->size;
	if (L->zs_read_len > 256)
		return uz_error_create(UZ_ERR_FORMAT, "struct zspage fields end at byte %llu",
				       (unsigned long long)L->zs_read_len);

	if (!L->zs_has_huge && L->pg_owner_priv_1 < 0)
		return uz_error_create(UZ_ERR_NOT_FOUND,
				       "no zspage.huge and no PG_owner_priv_1: cannot tell huge objects");
	L->tag_bit = uz_zram_quirk(UZ_QUIRK_OBJ_TAG_BIT, m->kv);
	return NULL;
}

struct uz_error *uz_xa_layout_from_types(struct uz_kernel *k, struct uz_xa_layout *out, struct uz_member *xa_head)
{
	struct uz_member slots, shift;
	UZ_TRY(member(k, "struct xarray", "xa_head", xa_head));
	UZ_TRY(member(k, "struct xa_node", "shift", &shift));
	UZ_TRY(member(k, "struct xa_node", "slots", &slots));
	/* XA_CHUNK_SHIFT: 6 (4 with CONFIG_BASE_SMALL), from the slots' size. */
	uint64_t n = slots.size / 8;
	unsigned cs = 0;
	while (cs < 9 && (UINT64_C(1) << cs) < n)
		cs++;
	if ((UINT64_C(1) << cs) != n || cs < 1 || cs > 8)
		return uz_error_create(UZ_ERR_FORMAT, "xa_node.slots has %llu entries, not a power of two",
				       (unsigned long long)n);
	out->node_shift_offset = shift.offset;
	out->node_slots_offset = slots.offset;
	out->chunk_shift = cs;
	return NULL;
}

/* 7.1+ swap tables (rows UZ_QUIRK_SWAP_TABLE_PFN, _ZERO_FLAG).  Anything
 * missing leaves them unread with the reason in swapcache_why; only a
 * failure to read the types is an error. */
static struct uz_error *swap_table_layout_init(struct uz_zram_model *m)
{
	struct swap_layout *S = &m->S;
	/* SWAP_CACHE_PFN_BITS is MAX_POSSIBLE_PHYSMEM_BITS - PAGE_SHIFT, the
	 * zsmalloc _PFN_BITS: every candidate must give the same entry layout. */
	size_t nc;
	const unsigned *cand = uz_zs_physmem_bits_candidates(&nc);
	struct uz_error *err = NULL;
	for (size_t i = 0; i < nc && !err; i++) {
		struct uz_swp_tb_layout l;
		err = uz_swp_tb_layout_init(m->kv, cand[i] - m->page_shift, &l);
		if (!err && i > 0 && (l.flags_bits != S->tb.flags_bits || l.zero_flag != S->tb.zero_flag))
			err = uz_error_create(UZ_ERR_UNSUPPORTED,
					      "the swap table entry layout depends on MAX_POSSIBLE_PHYSMEM_BITS here");
		if (!err)
			S->tb = l;
	}
	if (!err && uz_zram_quirk(UZ_QUIRK_SWAP_TABLE_ZERO_FLAG, m->kv) && !S->tb.zero_flag)
		err = uz_error_create(UZ_ERR_UNSUPPORTED,
				      "zero marks in swap_cluster_info.zero_bitmap are not read");
	if (!err && !opt_member(m, "struct swap_info_struct", "cluster_info", &S->si_cluster_info))
		err = uz_error_create(UZ_ERR_NOT_FOUND, "no swap_info_struct.cluster_info");
	if (!err && !opt_member(m, "struct swap_cluster_info", "table", &S->ci_table))
		err = uz_error_create(UZ_ERR_NOT_FOUND, "no swap_cluster_info.table");
	if (!err)
		err = uz_kernel_type_size(m->k, "struct swap_cluster_info", &S->ci_size);
	if (!err)
		err = uz_kernel_type_size(m->k, "struct swap_table", &S->tb_entries);
	if (!err) {
		/* struct swap_table { atomic_long_t entries[SWAPFILE_CLUSTER]; } */
		S->tb_entries /= 8;
		if (S->tb_entries < 64 || S->tb_entries > 65536 || (S->tb_entries & (S->tb_entries - 1)))
			err = uz_error_create(UZ_ERR_FORMAT, "struct swap_table holds %llu entries",
					      (unsigned long long)S->tb_entries);
	}
	if (err) {
		snprintf(S->swapcache_why, sizeof(S->swapcache_why), "6.18+ swap tables not read: %s",
			 err->message);
		if (err->code == UZ_ERR_NOMEM || err->code == UZ_ERR_IO)
			return uz_error_wrap(err, "swap table layout");
		uz_error_destroy(err);
		return NULL;
	}
	S->swaptable = true;
	S->swapcache = true;
	return NULL;
}

static struct uz_error *swap_layout_init(struct uz_zram_model *m)
{
	struct uz_kernel *k = m->k;
	struct swap_layout *S = &m->S;
	UZ_TRY(uz_kernel_type_size(k, "struct swap_info_struct", &S->si_size));
	UZ_TRY(member(k, "struct swap_info_struct", "flags", &S->si_flags));
	UZ_TRY(member(k, "struct swap_info_struct", "bdev", &S->si_bdev));
	UZ_TRY(member(k, "struct swap_info_struct", "max", &S->si_max));
	S->has_inuse = opt_member(m, "struct swap_info_struct", "inuse_pages", &S->si_inuse);
	S->has_zeromap = opt_member(m, "struct swap_info_struct", "zeromap", &S->si_zeromap);
	int64_t v;
	/* SWP_USED is 1 in every version (kernel-facts §1.4) if the enum is not found */
	S->swp_used = opt_enum(m, "SWP_USED", &v) ? (uint64_t)v : 1;
	S->has_blkdev = opt_enum(m, "SWP_BLKDEV", &v);
	S->swp_blkdev = S->has_blkdev ? (uint64_t)v : 0;
	UZ_TRY(member(k, "struct block_device", "bd_disk", &S->bdev_disk));
	UZ_TRY(member(k, "struct gendisk", "disk_name", &S->disk_name));
	UZ_TRY(member(k, "struct gendisk", "private_data", &S->disk_private));

	/* XArray layout (the swap cache and zram_index_idr are XArrays, 4.20+). */
	struct uz_error *err = uz_xa_layout_from_types(k, &S->xa, &S->xa_head);
	if (err) {
		snprintf(S->swapcache_why, sizeof(S->swapcache_why), "%s", err->message);
		keep_layout_error(m, err);
		return NULL;
	}
	S->xa_ok = true;

	/* Swap cache: swapper_spaces[] of address_space arrays, XArray i_pages;
	 * from 6.18 the per-cluster swap tables. */
	if (uz_zram_quirk(UZ_QUIRK_SWAP_TABLE, m->kv))
		return swap_table_layout_init(m);
	if ((err = uz_kernel_type_size(k, "struct address_space", &S->as_size)) ||
	    (err = member(k, "struct address_space", "i_pages", &S->as_pages))) {
		snprintf(S->swapcache_why, sizeof(S->swapcache_why), "%s", err->message);
		uz_error_destroy(err);
		return NULL;
	}
	S->swapcache = true;
	return NULL;
}

/* ---- reading structures ---- */

static struct uz_error *read_struct_page(struct uz_zram_model *m, uint64_t page, uint8_t *buf)
{
	return uz_error_wrap(uz_kernel_read(m->k, page, buf, m->L.page_struct_size),
			     "struct page 0x%llx", (unsigned long long)page);
}

/* ---- swap areas and devices ---- */

static struct uz_error *read_disk(struct uz_zram_model *m, uint64_t bdev, char name[32],
				  uint64_t *private_data, uint64_t *disk_out)
{
	uint64_t disk;
	name[0] = 0;
	*private_data = 0;
	UZ_TRY(uz_kernel_read_u64(m->k, bdev + m->S.bdev_disk.offset, &disk));
	*disk_out = disk;
	if (!disk)
		return NULL;
	UZ_TRY(uz_kernel_read_string(m->k, disk + m->S.disk_name.offset, name, 32));
	return uz_kernel_read_u64(m->k, disk + m->S.disk_private.offset, private_data);
}

static struct uz_error *open_swap_areas(struct uz_zram_model *m)
{
	struct uz_kernel *k = m->k;
	uint64_t swap_info, nr_addr, max_types = 32;
	uint32_t nr;
	UZ_TRY(uz_error_wrap(uz_kernel_symbol(k, "swap_info", &swap_info), "swap areas"));
	UZ_TRY(uz_error_wrap(uz_kernel_symbol(k, "nr_swapfiles", &nr_addr), "swap areas"));
	UZ_TRY(uz_error_wrap(uz_kernel_read_u32(k, nr_addr, &nr), "reading nr_swapfiles"));
	struct uz_error *err = uz_kernel_array_len(k, NULL, "swap_info", &max_types);
	if (err) {
		uz_error_destroy(err);
		max_types = 32;    /* MAX_SWAPFILES < 2^MAX_SWAPFILES_SHIFT(5) */
	}
	if (nr > max_types)
		return uz_error_create(UZ_ERR_FORMAT, "nr_swapfiles is %u, more than swap_info[%llu]",
				       nr, (unsigned long long)max_types);
	UZ_TRY(swap_layout_init(m));
	m->n_areas = nr;
	m->areas = calloc(nr ? nr : 1, sizeof(*m->areas));
	m->apriv = calloc(nr ? nr : 1, sizeof(*m->apriv));
	if (!m->areas || !m->apriv)
		return uz_error_create(UZ_ERR_NOMEM, "swap areas");
	uint64_t spaces = 0, nr_spaces = 0;
	if (m->S.swapcache && !m->S.swaptable) {
		err = uz_kernel_symbol(k, "swapper_spaces", &spaces);
		if (!err)
			err = uz_kernel_symbol(k, "nr_swapper_spaces", &nr_spaces);
		if (err) {
			snprintf(m->S.swapcache_why, sizeof(m->S.swapcache_why), "%s", err->message);
			uz_error_destroy(err);
			m->S.swapcache = false;
		}
	}
	uint8_t *si = malloc(m->S.si_size);
	if (!si)
		return uz_error_create(UZ_ERR_NOMEM, "swap_info_struct");
	for (uint32_t t = 0; t < nr; t++) {
		struct uz_swap_area_info *a = &m->areas[t];
		a->type = t;
		a->kind = UZ_SWAP_NONE;
		a->zram_device = -1;
		uint64_t p;
		if ((err = uz_kernel_read_u64(k, swap_info + 8ull * t, &p)))
			goto fail;
		if (!p)
			continue;
		if ((err = uz_kernel_read(k, p, si, m->S.si_size)))
			goto fail;
		a->swap_info = p;
		a->flags = field(si, m->S.si_size, &m->S.si_flags);
		a->max = field(si, m->S.si_size, &m->S.si_max);
		if (m->S.has_inuse)
			a->inuse_pages = field(si, m->S.si_size, &m->S.si_inuse);
		if (!(a->flags & m->S.swp_used))
			continue;
		if (m->S.has_zeromap) {
			m->apriv[t].zeromap = field(si, m->S.si_size, &m->S.si_zeromap);
			a->has_zeromap = m->apriv[t].zeromap != 0;
		}
		uint64_t bdev = field(si, m->S.si_size, &m->S.si_bdev), disk = 0;
		a->kind = UZ_SWAP_BLOCK;
		if (m->S.has_blkdev && !(a->flags & m->S.swp_blkdev))
			a->kind = UZ_SWAP_FILE;
		if (bdev && (err = read_disk(m, bdev, a->bdev_name, &m->apriv[t].disk_private, &disk))) {
			if (err->code == UZ_ERR_NOMEM || err->code == UZ_ERR_IO) {
				err = uz_error_wrap(err, "swap type %u block device", t);
				goto fail;
			}
			/* One unreadable block_device or gendisk (a page filtered
			 * out of the dump) must not hide the other areas: keep
			 * this one with the reason; its entries fail with it. */
			snprintf(m->apriv[t].problem, sizeof(m->apriv[t].problem),
				 "block device 0x%llx of swap type %u unreadable: %s",
				 (unsigned long long)bdev, t, err->message);
			a->problem = m->apriv[t].problem;
			a->bdev_name[0] = 0;
			m->apriv[t].disk_private = 0;
			uz_error_destroy(err);
			err = NULL;
		}
		if (m->S.swaptable)
			m->apriv[t].cluster_info = field(si, m->S.si_size, &m->S.si_cluster_info);
		if (m->S.swapcache && !m->S.swaptable) {
			uint32_t n_sp = 0;
			if ((err = uz_kernel_read_u64(k, spaces + 8ull * t, &m->apriv[t].swapper_spaces)) ||
			    (err = uz_kernel_read_u32(k, nr_spaces + 4ull * t, &n_sp)))
				goto fail;
			m->apriv[t].nr_swapper_spaces = n_sp;
		}
	}
	free(si);
	return NULL;
fail:
	free(si);
	return uz_error_wrap(err, "reading swap_info");
}

struct idr_walk { uint64_t zram[MAX_DEVICES]; int id[MAX_DEVICES]; size_t n; uint32_t base; };

static struct uz_error *idr_visit(void *ctx, uint64_t index, uint64_t entry)
{
	struct idr_walk *w = ctx;
	if (w->n >= MAX_DEVICES)
		return uz_error_create(UZ_ERR_FORMAT, "more than %d zram devices", MAX_DEVICES);
	w->zram[w->n] = entry;
	w->id[w->n++] = (int)(index + w->base);
	return NULL;
}

/* Devices from zram_index_idr (static in zram.ko); false if not available. */
static bool devices_from_idr(struct uz_zram_model *m, struct idr_walk *w)
{
	struct uz_kernel *k = m->k;
	uint64_t idr, head;
	struct uz_member rt, base;
	uint32_t b = 0;
	struct uz_error *err = NULL;
	if (!m->S.xa_ok)
		return false;
	if ((err = uz_kernel_symbol(k, "zram_index_idr", &idr)) ||
	    (err = member(k, "struct idr", "idr_rt", &rt)) ||
	    (err = uz_kernel_read_u64(k, idr + rt.offset + m->S.xa_head.offset, &head))) {
		uz_error_destroy(err);
		return false;
	}
	if (opt_member(m, "struct idr", "idr_base", &base)) {
		err = uz_kernel_read_u32(k, idr + base.offset, &b);
		if (err)
			b = 0;   /* the IDR's base unreadable: ids count from 0 */
		uz_error_destroy(err);
	}
	w->base = b;
	err = uz_xa_for_each(&m->S.xa, kread_mem, k, head, 4096, idr_visit, w);
	if (err) {
		uz_error_destroy(err);
		w->n = 0;
		return false;
	}
	return true;
}

static void parse_alg(struct uz_zram_device_info *info, unsigned i, const char *name)
{
	enum uz_codec c;
	struct uz_error *err = uz_codec_from_name(name, &c);
	info->codec_known[i] = err == NULL;
	if (!err)
		info->codecs[i] = c;
	uz_error_destroy(err);
}

#define MAX_PATH_DEPTH 32

/* Prepends "/name" to the path being built backwards at buf[*pos..]. */
static struct uz_error *path_prepend(struct uz_zram_model *m, uint64_t dentry, char *buf,
				     size_t *pos)
{
	uint64_t name_ptr;
	char name[64];
	UZ_TRY(uz_kernel_read_u64(m->k, dentry + m->L.dentry_name.offset, &name_ptr));
	UZ_TRY(uz_kernel_read_string(m->k, name_ptr, name, sizeof(name)));
	size_t n = strlen(name);
	if (n + 1 > *pos)
		return uz_error_create(UZ_ERR_FORMAT, "path too long");
	*pos -= n;
	memcpy(buf + *pos, name, n);
	buf[--*pos] = '/';
	return NULL;
}

/* The path of backing_dev's struct file, as the kernel's file_path() (what
 * /sys/block/zramN/backing_dev shows) would build it: dentry names up to the
 * mount root, then across mounts to the root mount. */
static struct uz_error *backing_file_path(struct uz_zram_model *m, uint64_t file, char *out,
					  size_t out_len)
{
	const struct layout *L = &m->L;
	char buf[256];
	size_t pos = sizeof(buf) - 1;
	buf[pos] = 0;
	uint64_t dentry, mnt;
	UZ_TRY(uz_kernel_read_u64(m->k, file + L->file_dentry.offset, &dentry));
	UZ_TRY(uz_kernel_read_u64(m->k, file + L->file_mnt.offset, &mnt));
	bool top = false;
	for (int depth = 0; depth < MAX_PATH_DEPTH && !top; depth++) {
		uint64_t root = 0, parent;
		if (L->has_mounts && mnt)
			UZ_TRY(uz_kernel_read_u64(m->k, mnt + L->vfsmount_root.offset, &root));
		if (L->has_mounts && mnt && dentry == root) {
			/* struct vfsmount is embedded in struct mount */
			uint64_t mount = mnt - L->mount_mnt.offset, pmount, mp;
			UZ_TRY(uz_kernel_read_u64(m->k, mount + L->mount_parent.offset, &pmount));
			if (!pmount || pmount == mount) {
				top = true;
				break;
			}
			UZ_TRY(uz_kernel_read_u64(m->k, mount + L->mount_mountpoint.offset, &mp));
			dentry = mp;
			mnt = pmount + L->mount_mnt.offset;
			continue;
		}
		UZ_TRY(uz_kernel_read_u64(m->k, dentry + L->dentry_parent.offset, &parent));
		if (!parent || parent == dentry) {
			top = true;  /* the root of a file system not reached through mounts */
			break;
		}
		UZ_TRY(path_prepend(m, dentry, buf, &pos));
		dentry = parent;
	}
	if (!top || !buf[pos])
		return uz_error_create(UZ_ERR_FORMAT, "%s path", top ? "empty" : "too deep a");
	snprintf(out, out_len, "%s", buf + pos);
	return NULL;
}

/* Backing device of a zram device (CONFIG_ZRAM_WRITEBACK); nothing here is
 * fatal: a name or bitmap the dump lacks only leaves it unknown. */
static void open_backing(struct uz_zram_model *m, const uint8_t *z, struct uz_zram_device_info *info)
{
	const struct layout *L = &m->L;
	if (!info->backing_dev)
		return;
	if (L->has_wb_bitmap) {
		info->backing_bdev = field(z, L->zram_size, &L->zram_bdev);
		info->backing_bitmap = field(z, L->zram_size, &L->zram_bitmap);
		info->backing_nr_pages = field(z, L->zram_size, &L->zram_nr_pages);
		info->backing_known = info->backing_bitmap != 0;
	}
	if (L->has_bd_count) {
		info->bd_count = field(z, L->zram_size, &L->st_bd_count);
		info->valid_bd_count = true;
	}
	struct uz_error *err = L->has_file_path
		? backing_file_path(m, info->backing_dev, info->backing_name, sizeof(info->backing_name))
		: uz_error_create(UZ_ERR_NOT_FOUND, "no struct file layout");
	if (!err)
		return;
	uz_error_destroy(err);
	info->backing_name[0] = 0;
	uint64_t disk, priv;
	char name[32];
	if (info->backing_bdev) {
		err = read_disk(m, info->backing_bdev, name, &priv, &disk);
		if (!err && name[0])
			snprintf(info->backing_name, sizeof(info->backing_name), "%s", name);
		uz_error_destroy(err);
	}
}

static struct uz_error *open_device(struct uz_zram_model *m, uint64_t zram, int id,
				    struct device *d)
{
	struct uz_kernel *k = m->k;
	struct layout *L = &m->L;
	struct uz_zram_device_info *info = &d->info;
	uint8_t *z = malloc(L->zram_size);
	if (!z)
		return uz_error_create(UZ_ERR_NOMEM, "struct zram");
	struct uz_error *err = uz_kernel_read(k, zram, z, L->zram_size);
	if (err) {
		free(z);
		return uz_error_wrap(err, "struct zram 0x%llx", (unsigned long long)zram);
	}
	info->zram = zram;
	info->id = id;
	info->swap_type = -1;
	info->table = field(z, L->zram_size, &L->zram_table);
	info->pool = field(z, L->zram_size, &L->zram_pool);
	info->disksize = field(z, L->zram_size, &L->zram_disksize);
	info->nr_slots = info->disksize / m->page_size;
	uint64_t disk = field(z, L->zram_size, &L->zram_disk), priv = 0;
	if (disk) {
		if ((err = uz_kernel_read_string(k, disk + m->S.disk_name.offset, info->name, 32)) ||
		    (err = uz_kernel_read_u64(k, disk + m->S.disk_private.offset, &priv)))
			goto out;
		if (priv != zram) {
			err = uz_error_create(UZ_ERR_FORMAT,
					      "struct zram 0x%llx: its gendisk points to 0x%llx, not back to it",
					      (unsigned long long)zram, (unsigned long long)priv);
			goto out;
		}
	}
	if (!info->name[0])
		snprintf(info->name, sizeof(info->name), "zram%d", id);
	info->n_comps = L->n_comps;
	for (unsigned i = 0; i < L->n_comps; i++) {
		if (L->has_compressor) {
			uint64_t n = L->zram_compressor.size < sizeof(d->algs[0]) ?
				     L->zram_compressor.size : sizeof(d->algs[0]) - 1;
			memcpy(d->algs[0], z + L->zram_compressor.offset, n);
			d->algs[0][n] = 0;
		} else {
			uint64_t p;
			memcpy(&p, z + L->zram_comp_algs.offset + 8ull * i, 8);
			if (!p)
				continue;
			if ((err = uz_kernel_read_string(k, p, d->algs[i], sizeof(d->algs[i]))))
				goto out;
		}
		if (!d->algs[i][0])
			continue;
		info->comp_algs[i] = d->algs[i];
		parse_alg(info, i, d->algs[i]);
		if (L->has_params) {
			uint64_t po = L->zram_params.offset + L->params_size * i;
			struct uz_member pd = L->params_dict, pz = L->params_dict_sz;
			pd.offset += po;
			pz.offset += po;
			uint64_t dict = field(z, L->zram_size, &pd), dsz = field(z, L->zram_size, &pz);
			if (L->has_winbits) {
				struct uz_member pw = L->params_winbits;
				pw.offset += po;
				int32_t wb = (int32_t)(uint32_t)field(z, L->zram_size, &pw);
				/* ZCOMP_PARAM_NOT_SET (S32_MIN) means the default */
				info->deflate_winbits[i] = wb == INT32_MIN ? 0 : wb;
			}
			if (dict && dsz) {
				if (dsz > MAX_DICT_BYTES) {
					err = uz_error_create(UZ_ERR_UNSUPPORTED,
							      "%s dictionary of %llu bytes is too large",
							      info->name, (unsigned long long)dsz);
					goto out;
				}
				d->dict[i] = malloc(dsz);
				if (!d->dict[i]) {
					err = uz_error_create(UZ_ERR_NOMEM, "zram dictionary");
					goto out;
				}
				if ((err = uz_kernel_read(k, dict, d->dict[i], dsz))) {
					err = uz_error_wrap(err, "%s priority %u dictionary", info->name, i);
					goto out;
				}
				info->dict_len[i] = dsz;
			}
		}
	}
	if (L->has_backing_dev)
		info->backing_dev = field(z, L->zram_size, &L->zram_backing_dev);
	if (L->has_compressed_wb)
		info->compressed_wb = field(z, L->zram_size, &L->zram_compressed_wb) != 0;
	open_backing(m, z, info);
	struct uz_zram_mm_stat *st = &info->mm_stat;
	st->pages_stored = field(z, L->zram_size, &L->st_stored);
	st->orig_data_size = st->pages_stored << m->page_shift;
	st->compr_data_size = field(z, L->zram_size, &L->st_compr);
	st->mem_limit = field(z, L->zram_size, &L->zram_limit_pages) << m->page_shift;
	st->mem_used_max = field(z, L->zram_size, &L->st_max_used) << m->page_shift;
	st->same_pages = field(z, L->zram_size, &L->st_same);
	st->huge_pages = field(z, L->zram_size, &L->st_huge);
	if (L->has_huge_since) {
		st->huge_pages_since = field(z, L->zram_size, &L->st_huge_since);
		st->valid_huge_since = true;
	}
	if (L->has_pool_stats && info->pool) {
		/* The pool's counters are optional: a filtered pool page only
		 * leaves mem_used unknown. */
		uint64_t pa, pc;
		struct uz_error *perr = uz_kernel_read_u64(k, info->pool + L->pool_pages_allocated.offset, &pa);
		if (!perr)
			perr = uz_kernel_read_u64(k, info->pool + L->pool_compacted.offset, &pc);
		if (!perr) {
			st->mem_used_total = pa << m->page_shift;
			st->pages_compacted = pc;
			st->valid_pool = true;
		}
		uz_error_destroy(perr);
	}
out:
	free(z);
	return err;
}

/* ---- locating a zsmalloc object ---- */

struct located {
	uint64_t obj_pfn;
	uint32_t idx;
	struct uz_zs_class cls;
	bool huge;
	struct uz_zs_obj_span span;
	uint64_t data_pfn[2];           /* pages holding the payload */
};

/* A failure of one step: which kind and the error. */
struct step_err {
	enum uz_slot_failure kind;
	struct uz_error *err;
};

static struct step_err step(enum uz_slot_failure kind, struct uz_error *err)
{
	struct step_err s = { kind, err };
	return s;
}

static enum uz_slot_failure read_kind(const struct uz_error *err)
{
	return err->code == UZ_ERR_FAULT ? UZ_FAIL_METADATA_MISSING : UZ_FAIL_INVALID_LOCATION;
}

/* Follow handle -> obj -> page -> zspage -> class, validate every step, and
 * compute where the payload of `size` bytes is. */
static struct step_err locate(struct uz_zram_model *m, const struct device *d,
			      const struct uz_zs_obj_layout *ol, uint64_t handle,
			      uint32_t size, struct located *out)
{
	struct uz_kernel *k = m->k;
	const struct layout *L = &m->L;
	uint8_t pg[512], zs[256];
	uint64_t obj, pfn, page, zspage;
	struct uz_error *err;
	memset(out, 0, sizeof(*out));
	if ((err = uz_kernel_read_u64(k, handle, &obj)))
		return step(read_kind(err), uz_error_wrap(err, "zsmalloc handle 0x%llx",
							  (unsigned long long)handle));
	uint32_t obj_class;
	uz_zs_obj_decode_class(ol, obj, &pfn, &obj_class, &out->idx);
	out->obj_pfn = pfn;
	if (pfn == 0 || pfn >= uz_dump_max_pfn(m->dump))
		return step(UZ_FAIL_INVALID_LOCATION,
			    uz_error_create(UZ_ERR_FORMAT, "handle 0x%llx holds obj 0x%llx: pfn 0x%llx is outside memory",
					    (unsigned long long)handle, (unsigned long long)obj,
					    (unsigned long long)pfn));
	if ((err = uz_kernel_pfn_to_page(k, pfn, &page)) || (err = read_struct_page(m, page, pg)))
		return step(read_kind(err), uz_error_wrap(err, "object page pfn 0x%llx",
							  (unsigned long long)pfn));
	size_t pl = L->page_struct_size;
	if (L->sig != UZ_ZS_SIG_NONE) {
		uint32_t pt = (uint32_t)field(pg, pl, &L->pg_type);
		if (!uz_zs_page_type_matches(L->sig, L->sig_value, pt))
			return step(UZ_FAIL_INVALID_LOCATION,
				    uz_error_create(UZ_ERR_FORMAT, "pfn 0x%llx is not a zsmalloc page (page_type 0x%08x)",
						    (unsigned long long)pfn, pt));
	}
	zspage = field(pg, pl, &L->pg_private);
	if (!zspage || (err = uz_kernel_read(k, zspage, zs, L->zs_read_len)))
		return step(zspage ? read_kind(err) : UZ_FAIL_INVALID_LOCATION,
			    zspage ? uz_error_wrap(err, "zspage 0x%llx of pfn 0x%llx",
						   (unsigned long long)zspage, (unsigned long long)pfn)
				   : uz_error_create(UZ_ERR_FORMAT, "pfn 0x%llx has no zspage",
						     (unsigned long long)pfn));
	uint64_t magic = field(zs, L->zs_read_len, &L->zs_magic);
	uint64_t cidx = field(zs, L->zs_read_len, &L->zs_class);
	if (magic != UZ_ZS_MAGIC)
		return step(UZ_FAIL_INVALID_LOCATION,
			    uz_error_create(UZ_ERR_FORMAT, "zspage 0x%llx (pfn 0x%llx) has magic 0x%llx, expected 0x%x",
					    (unsigned long long)zspage, (unsigned long long)pfn,
					    (unsigned long long)magic, UZ_ZS_MAGIC));
	if (cidx >= L->n_classes)
		return step(UZ_FAIL_INVALID_LOCATION,
			    uz_error_create(UZ_ERR_FORMAT, "zspage 0x%llx has class %llu of %llu",
					    (unsigned long long)zspage, (unsigned long long)cidx,
					    (unsigned long long)L->n_classes));
	/* 7.3+: the obj names its size class too (location_to_obj() encodes
	 * zspage->class), a check of the whole decoding. */
	if (ol->class_bits && obj_class != cidx)
		return step(UZ_FAIL_INVALID_LOCATION,
			    uz_error_create(UZ_ERR_FORMAT,
					    "handle 0x%llx holds obj 0x%llx naming size class %u, but its zspage 0x%llx (pfn 0x%llx) is class %llu",
					    (unsigned long long)handle, (unsigned long long)obj, obj_class,
					    (unsigned long long)zspage, (unsigned long long)pfn,
					    (unsigned long long)cidx));
	if (L->zs_has_huge)
		out->huge = field(zs, L->zs_read_len, &L->zs_huge) != 0;
	else   /* 4.8-5.16: PG_owner_priv_1 on the page ("PageHugeObject") */
		out->huge = (field(pg, pl, &L->pg_flags) >> L->pg_owner_priv_1) & 1;
	/* class */
	uint64_t cls_addr;
	if (L->size_class_ptrs) {
		if ((err = uz_kernel_read_u64(k, d->info.pool + L->pool_size_class.offset + 8 * cidx,
					      &cls_addr)))
			return step(read_kind(err), uz_error_wrap(err, "size class %llu",
								  (unsigned long long)cidx));
	} else {
		cls_addr = d->info.pool + L->pool_size_class.offset + L->cls_struct_size * cidx;
	}
	uint8_t cb[512];
	uint64_t cl = L->cls_struct_size < sizeof(cb) ? L->cls_struct_size : sizeof(cb);
	if (!cls_addr || (err = uz_kernel_read(k, cls_addr, cb, cl)))
		return step(cls_addr ? read_kind(err) : UZ_FAIL_INVALID_LOCATION,
			    cls_addr ? uz_error_wrap(err, "size class %llu", (unsigned long long)cidx)
				     : uz_error_create(UZ_ERR_FORMAT, "size class %llu is NULL",
						       (unsigned long long)cidx));
	out->cls.size = (uint32_t)field(cb, cl, &L->cls_size);
	out->cls.objs_per_zspage = (uint32_t)field(cb, cl, &L->cls_objs);
	out->cls.pages_per_zspage = (uint32_t)field(cb, cl, &L->cls_pages);
	if ((err = uz_zs_object_span(&out->cls, m->page_size, out->idx, out->huge, size, &out->span)))
		return step(UZ_FAIL_INVALID_LOCATION,
			    uz_error_wrap(err, "object %u of pfn 0x%llx (class %llu)", out->idx,
					  (unsigned long long)pfn, (unsigned long long)cidx));
	/* Walk the zspage from its first page: the obj page must sit at the
	 * position the index says, and gives the following pages. */
	uint64_t first = field(zs, L->zs_read_len, &L->zs_first_page);
	uint64_t chain[UZ_ZS_MAX_PAGES];
	uint32_t n = out->cls.pages_per_zspage;
	uint64_t cur = first;
	for (uint32_t i = 0; i < n; i++) {
		if (!cur)
			return step(UZ_FAIL_INVALID_LOCATION,
				    uz_error_create(UZ_ERR_FORMAT, "zspage 0x%llx ends after %u of %u pages",
						    (unsigned long long)zspage, i, n));
		chain[i] = cur;
		if (i + 1 == n)
			break;
		if ((err = read_struct_page(m, cur, pg)))
			return step(read_kind(err), err);
		if (field(pg, pl, &L->pg_private) != zspage)
			return step(UZ_FAIL_INVALID_LOCATION,
				    uz_error_create(UZ_ERR_FORMAT, "page %u of zspage 0x%llx belongs to zspage 0x%llx",
						    i, (unsigned long long)zspage,
						    (unsigned long long)field(pg, pl, &L->pg_private)));
		cur = field(pg, pl, &L->pg_next);
	}
	if (chain[out->span.page_in_zspage] != page)
		return step(UZ_FAIL_INVALID_LOCATION,
			    uz_error_create(UZ_ERR_FORMAT, "object %u belongs in page %u of zspage 0x%llx, but pfn 0x%llx is not that page",
					    out->idx, out->span.page_in_zspage,
					    (unsigned long long)zspage, (unsigned long long)pfn));
	uint32_t dp = out->span.page_in_zspage + out->span.data_page;
	for (uint32_t i = 0; i < 2; i++) {
		if (i == 1 && !out->span.second_len)
			break;
		if ((err = uz_kernel_page_to_pfn(k, chain[dp + i], &out->data_pfn[i])))
			return step(UZ_FAIL_INVALID_LOCATION, err);
	}
	/* The object knows its owner: huge pages keep the handle in the next
	 * field (page->index), other objects start with handle | OBJ_ALLOCATED_TAG. */
	if (out->huge) {
		if ((err = read_struct_page(m, page, pg)))
			return step(read_kind(err), err);
		/* obj_malloc stores handle | OBJ_ALLOCATED_TAG there (seen on 6.1) */
		uint64_t owner = field(pg, pl, &L->pg_next);
		if ((owner & ~UINT64_C(1)) != handle)
			return step(UZ_FAIL_INVALID_LOCATION,
				    uz_error_create(UZ_ERR_FORMAT, "huge object page pfn 0x%llx belongs to handle 0x%llx, not 0x%llx",
						    (unsigned long long)pfn, (unsigned long long)owner,
						    (unsigned long long)handle));
	} else {
		/* Class sizes are multiples of 16, so the 8-byte header never
		 * straddles in a real pool; skip the check if it would. */
		uint64_t hdr = handle;
		if (out->span.obj_offset + 8 <= m->page_size &&
		    (err = uz_dump_read_phys(m->dump, pfn * m->page_size + out->span.obj_offset, &hdr, 8)))
			return step(read_kind(err), uz_error_wrap(err, "object header"));
		if ((hdr & ~UINT64_C(1)) != handle)
			return step(UZ_FAIL_INVALID_LOCATION,
				    uz_error_create(UZ_ERR_FORMAT, "object %u at pfn 0x%llx+0x%x is owned by 0x%llx, not handle 0x%llx",
						    out->idx, (unsigned long long)pfn, out->span.obj_offset,
						    (unsigned long long)hdr, (unsigned long long)handle));
	}
	return step(UZ_FAIL_NONE, NULL);
}

/* Read the payload described by loc into buf (size bytes). */
static struct step_err read_payload(struct uz_zram_model *m, const struct located *loc,
				    uint8_t *buf)
{
	struct uz_error *err = uz_dump_read_phys(m->dump, loc->data_pfn[0] * m->page_size +
						 loc->span.data_offset, buf, loc->span.first_len);
	if (!err && loc->span.second_len)
		err = uz_dump_read_phys(m->dump, loc->data_pfn[1] * m->page_size,
					buf + loc->span.first_len, loc->span.second_len);
	if (err)
		return step(read_kind(err), uz_error_wrap(err, "object data"));
	return step(UZ_FAIL_NONE, NULL);
}

/* Settle _PFN_BITS for a device by decoding a few stored slots with each
 * candidate and keeping the one under which all of them validate. */
static struct uz_error *probe_obj_layout(struct uz_zram_model *m, struct device *d)
{
	uint64_t handles[PROBE_SLOTS];
	uint32_t sizes[PROBE_SLOTS];
	size_t n = 0;
	uint64_t es = m->L.entry_size;
	uint8_t *chunk = malloc(TABLE_CHUNK * es);
	if (!chunk)
		return uz_error_create(UZ_ERR_NOMEM, "zram table chunk");
	for (uint64_t s = 0; s < d->info.nr_slots && n < PROBE_SLOTS; s += TABLE_CHUNK) {
		uint64_t cnt = d->info.nr_slots - s < TABLE_CHUNK ? d->info.nr_slots - s : TABLE_CHUNK;
		struct uz_error *err = uz_kernel_read(m->k, d->info.table + s * es, chunk, cnt * es);
		if (err) {
			uz_error_destroy(err);
			continue;
		}
		for (uint64_t i = 0; i < cnt && n < PROBE_SLOTS; i++) {
			const uint8_t *e = chunk + i * es;
			struct uz_zram_slot sl;
			uz_zram_slot_decode(&m->L.flags, m->page_size, field(e, es, &m->L.entry_handle),
					    field(e, es, &m->L.entry_flags), &sl);
			if (sl.kind == UZ_SLOT_STORED) {
				handles[n] = sl.handle;
				sizes[n++] = sl.size;
			}
		}
	}
	free(chunk);
	if (n == 0) {
		snprintf(d->obj_why, sizeof(d->obj_why), "no readable stored slot to settle _PFN_BITS");
		return NULL;    /* nothing stored: nothing to resolve either */
	}
	size_t nc;
	const unsigned *cand = uz_zs_physmem_bits_candidates(&nc);
	char last[160] = "";
	for (size_t c = 0; c < 2 * nc; c++) {
		/* each _PFN_BITS candidate with each ZS_OBJ_CLASS_BITS value the
		 * version allows (7.3+: 9, or 0 where the chain size decides) */
		unsigned class_bits[2];
		size_t ncb = uz_zs_obj_class_bits(m->kv, cand[c / 2] - m->page_shift, m->page_shift,
						  class_bits);
		if (c % 2 >= ncb)
			continue;
		struct uz_zs_obj_layout ol;
		struct uz_error *err = uz_zs_obj_layout_init_class(cand[c / 2], m->page_shift,
								   m->L.tag_bit ? 1 : 0,
								   class_bits[c % 2], &ol);
		if (err) {
			uz_error_destroy(err);
			continue;
		}
		size_t ok = 0;
		for (size_t i = 0; i < n; i++) {
			struct located loc;
			struct step_err se = locate(m, d, &ol, handles[i], sizes[i], &loc);
			if (se.err) {
				snprintf(last, sizeof(last), "%s", se.err->message);
				uz_error_destroy(se.err);
				if (se.kind == UZ_FAIL_METADATA_MISSING)
					continue;   /* says nothing about the candidate */
				ok = 0;
				break;
			}
			ok++;
		}
		if (ok > 0) {
			d->obj = ol;
			d->obj_ok = true;
			d->info.pfn_bits = ol.pfn_bits;
			return NULL;
		}
	}
	/* Not fatal for the model: every slot of this device will say why. */
	snprintf(d->obj_why, sizeof(d->obj_why),
		 "no zsmalloc obj layout (_PFN_BITS%s) for kernel %u.%u gives valid objects (last: %s)",
		 uz_zram_quirk(UZ_QUIRK_OBJ_CLASS_INDEX, m->kv) ? ", ZS_OBJ_CLASS_BITS" : "",
		 m->kv >> 16, (m->kv >> 8) & 0xff, last);
	return NULL;
}

/* ---- open / close ---- */

struct uz_error *uz_zram_model_open(struct uz_kernel *k, struct uz_zram_model **out)
{
	*out = NULL;
	struct uz_zram_model *m = calloc(1, sizeof(*m));
	if (!m)
		return uz_error_create(UZ_ERR_NOMEM, "zram model");
	m->k = k;
	m->dump = uz_kernel_dump(k);
	m->kv = uz_kernel_version(k);
	m->page_size = uz_kernel_page_size(k);
	m->page_shift = uz_kernel_page_shift(k);
	struct uz_error *err = NULL;
	if (m->page_size != (UINT64_C(1) << m->page_shift) || m->page_shift < 12 || m->page_shift > 16) {
		err = uz_error_create(UZ_ERR_UNSUPPORTED, "page size %llu",
				      (unsigned long long)m->page_size);
		goto fail;
	}
	if ((err = page_layout_init(m)) || (err = take_layout_error(m)) || (err = open_swap_areas(m)) ||
	    (err = take_layout_error(m)))
		goto fail;
	/* A kernel newer than the newest row (or of unknown version) may
	 * have changed what no type tells: its zram is refused, not guessed. */
	err = uz_zram_check_kernel_version(m->kv);
	m->zram_kernel_unsupported = err != NULL;
	if (!err)
		err = zram_layout_init(m);
	if (!err && (err = take_layout_error(m)))
		goto fail;
	if (err) {
		/* No zram types (module debuginfo missing, or no zram at all):
		 * keep the swap areas; zram slots then fail with the reason. */
		snprintf(m->zram_why, sizeof(m->zram_why), "%s", err->message);
		uz_error_destroy(err);
		err = NULL;
		for (uint32_t t = 0; t < m->n_areas; t++)
			if (m->areas[t].kind == UZ_SWAP_BLOCK &&
			    strncmp(m->areas[t].bdev_name, "zram", 4) == 0)
				m->areas[t].kind = UZ_SWAP_ZRAM;
		*out = m;
		return NULL;
	}
	m->have_zram = true;
	struct idr_walk w;
	memset(&w, 0, sizeof(w));
	(void)devices_from_idr(m, &w);
	/* Also every swap area on a "zram*" disk that the IDR did not list:
	 * a filtered or damaged IDR node must not hide a device swap uses. */
	for (uint32_t t = 0; t < m->n_areas && w.n < MAX_DEVICES; t++) {
		const struct uz_swap_area_info *a = &m->areas[t];
		if (a->kind != UZ_SWAP_BLOCK || strncmp(a->bdev_name, "zram", 4) != 0 ||
		    !m->apriv[t].disk_private)
			continue;
		bool listed = false;
		for (size_t i = 0; i < w.n && !listed; i++)
			listed = w.zram[i] == m->apriv[t].disk_private;
		if (!listed) {
			w.zram[w.n] = m->apriv[t].disk_private;
			w.id[w.n++] = atoi(a->bdev_name + 4);
		}
	}
	m->devs = calloc(w.n ? w.n : 1, sizeof(*m->devs));
	if (!m->devs) {
		err = uz_error_create(UZ_ERR_NOMEM, "zram devices");
		goto fail;
	}
	for (size_t i = 0; i < w.n; i++) {
		struct device *d = &m->devs[m->n_devs];
		d->backing_fd = -1;
		if ((err = open_device(m, w.zram[i], w.id[i], d))) {
			/* One unreadable device (e.g. its struct zram filtered out
			 * of the dump) must not hide the others: keep it with the
			 * reason, its slots fail with it. */
			if (err->code == UZ_ERR_NOMEM)
				goto fail;
			snprintf(d->problem, sizeof(d->problem), "%s", err->message);
			d->info.problem = d->problem;
			uz_error_destroy(err);
			err = NULL;
			d->info.zram = w.zram[i];
			d->info.id = w.id[i];
			d->info.swap_type = -1;
			d->info.nr_slots = 0;
			d->info.table = d->info.pool = 0;
		}
		m->n_devs++;
		for (uint32_t t = 0; t < m->n_areas; t++) {
			if (m->areas[t].kind != UZ_SWAP_NONE && m->apriv[t].disk_private == w.zram[i]) {
				m->areas[t].kind = UZ_SWAP_ZRAM;
				m->areas[t].zram_device = (int)(m->n_devs - 1);
				d->info.swap_type = (int)t;
				if (!d->info.name[0])
					snprintf(d->info.name, sizeof(d->info.name), "%s", m->areas[t].bdev_name);
			}
		}
		if (!d->info.name[0])
			snprintf(d->info.name, sizeof(d->info.name), "zram%d", w.id[i]);
		if (d->info.table && d->info.pool && (err = probe_obj_layout(m, d)))
			goto fail;
	}
	*out = m;
	return NULL;
fail:
	uz_zram_model_close(m);
	return uz_error_wrap(err, "zram model");
}

void uz_zram_model_close(struct uz_zram_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_devs; i++) {
		for (unsigned j = 0; j < UZ_ZRAM_MAX_COMPS; j++)
			free(m->devs[i].dict[j]);
		if (m->devs[i].backing_fd >= 0)
			close(m->devs[i].backing_fd);
		free(m->devs[i].backing_path);
	}
	free(m->devs);
	uz_error_destroy(m->layout_err);
	free(m->areas);
	free(m->apriv);
	free(m);
}

const char *uz_zram_unavailable_reason(const struct uz_zram_model *m)
{
	return m->have_zram ? NULL : m->zram_why;
}

struct uz_error *uz_zram_require_readable(const struct uz_zram_model *m)
{
	const char *why = uz_zram_unavailable_reason(m);
	for (uint32_t t = 0; why && t < m->n_areas; t++)
		if (m->areas[t].kind == UZ_SWAP_ZRAM)
			return uz_error_create(UZ_ERR_UNSUPPORTED,
					       "swap area %u is on zram, but the zram devices cannot be read: %s",
					       t, why);
	return NULL;
}

const char *uz_zram_swapcache_unavailable_reason(const struct uz_zram_model *m)
{
	return m->S.swapcache ? NULL : m->S.swapcache_why;
}

uint32_t uz_zram_swap_count(const struct uz_zram_model *m) { return m->n_areas; }

const struct uz_swap_area_info *uz_zram_swap_area(const struct uz_zram_model *m, uint32_t type)
{
	return type < m->n_areas ? &m->areas[type] : NULL;
}

enum uz_swap_kind uz_zram_swap_kind(const struct uz_zram_model *m, uint32_t type)
{
	return type < m->n_areas ? m->areas[type].kind : UZ_SWAP_NONE;
}

size_t uz_zram_device_count(const struct uz_zram_model *m) { return m->n_devs; }

const struct uz_zram_device_info *uz_zram_device(const struct uz_zram_model *m, size_t i)
{
	return i < m->n_devs ? &m->devs[i].info : NULL;
}

/* ---- backing device images ---- */

struct uz_error *uz_zram_attach_backing(struct uz_zram_model *m, const char *device,
					const char *path)
{
	struct device *d = NULL;
	for (size_t i = 0; i < m->n_devs && !d; i++)
		if (strcmp(m->devs[i].info.name, device) == 0)
			d = &m->devs[i];
	if (!d)
		return uz_error_create(UZ_ERR_USAGE, "%s: no such zram device in the dump%s", device,
				       m->have_zram ? "" : " (zram devices unreadable)");
	if (d->info.problem)
		return uz_error_create(UZ_ERR_USAGE, "%s: device unreadable: %s", device, d->info.problem);
	if (!d->info.backing_dev)
		return uz_error_create(UZ_ERR_USAGE, "%s has no backing device in the dump%s", device,
				       m->L.has_backing_dev ? "" : " (kernel built without CONFIG_ZRAM_WRITEBACK)");
	if (d->backing_fd >= 0)
		return uz_error_create(UZ_ERR_USAGE, "%s: a backing device image is already given (%s)",
				       device, d->backing_path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return uz_error_errno(errno, "%s backing device image %s", device, path);
	struct stat st;
	struct uz_error *err = NULL;
	off_t end = -1;
	if (fstat(fd, &st) != 0)
		err = uz_error_errno(errno, "%s backing device image %s", device, path);
	else if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		err = uz_error_create(UZ_ERR_USAGE,
				      "%s backing device image %s is neither a regular file nor a block device",
				      device, path);
	else if ((end = lseek(fd, 0, SEEK_END)) < 0)   /* st_size is 0 for block devices */
		err = uz_error_errno(errno, "%s backing device image %s: size", device, path);
	if (!err && !(d->backing_path = strdup(path)))
		err = uz_error_create(UZ_ERR_NOMEM, "out of memory");
	if (err) {
		close(fd);
		return err;
	}
	d->backing_fd = fd;
	d->info.backing_image = d->backing_path;
	d->info.backing_image_size = (uint64_t)end;
	return NULL;
}

/* Checks a written-back slot's block against what the kernel recorded and
 * reads it from the attached image.  Block 0 is never handed out
 * (alloc_block_bdev starts at 1 "to confuse zram.handle = 0", 6.1 and
 * 6.12); a block at or past nr_pages, or whose bitmap bit is clear (free),
 * cannot hold this slot's page. */
static struct uz_error *read_backing(struct uz_zram_model *m, const struct device *d,
				     uint64_t blk, void *page, struct uz_slot_result *res)
{
	const struct uz_zram_device_info *info = &d->info;
	uint64_t ps = m->page_size;
	if (blk == 0) {
		res->failure = UZ_FAIL_INCONSISTENT;
		return uz_error_create(UZ_ERR_FORMAT, "written back to block 0, which zram never allocates");
	}
	if (info->backing_known) {
		if (blk >= info->backing_nr_pages) {
			res->failure = UZ_FAIL_INCONSISTENT;
			return uz_error_create(UZ_ERR_FORMAT,
					       "written back to block %llu, past the %llu blocks the kernel recorded for %s",
					       (unsigned long long)blk, (unsigned long long)info->backing_nr_pages,
					       info->backing_name[0] ? info->backing_name : "the backing device");
		}
		uint64_t word;
		struct uz_error *err = uz_kernel_read_u64(m->k, info->backing_bitmap + (blk / 64) * 8, &word);
		if (err) {
			/* The image is still the only copy: read it, but say so. */
			uz_error_destroy(err);
			res->bitmap_unchecked = true;
		} else if (!((word >> (blk % 64)) & 1)) {
			res->failure = UZ_FAIL_INCONSISTENT;
			return uz_error_create(UZ_ERR_FORMAT,
					       "written back to block %llu, which the backing device's bitmap says is free",
					       (unsigned long long)blk);
		}
	}
	if (blk > (UINT64_MAX - ps) / ps || (blk + 1) * ps > info->backing_image_size) {
		res->failure = UZ_FAIL_BACKING_IMAGE;
		return uz_error_create(UZ_ERR_FORMAT,
				       "block %llu (bytes %llu..%llu) is past the end of the image %s (%llu bytes)",
				       (unsigned long long)blk, (unsigned long long)(blk * ps),
				       (unsigned long long)(blk * ps + ps - 1), info->backing_image,
				       (unsigned long long)info->backing_image_size);
	}
	uint8_t *p = page;
	for (uint64_t done = 0; done < ps;) {
		ssize_t n = pread(d->backing_fd, p + done, ps - done, (off_t)(blk * ps + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			res->failure = UZ_FAIL_BACKING_IMAGE;
			return uz_error_create(UZ_ERR_FORMAT, "reading block %llu of the image %s: %s",
					       (unsigned long long)blk, info->backing_image,
					       n < 0 ? strerror(errno) : "unexpected end of file");
		}
		done += (uint64_t)n;
	}
	return NULL;
}

/* ---- per-thread context ---- */

struct uz_error *uz_zram_ctx_create(struct uz_zram_model *m, struct uz_zram_ctx **out)
{
	*out = NULL;
	struct uz_zram_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return uz_error_create(UZ_ERR_NOMEM, "zram context");
	c->m = m;
	c->dec = calloc(m->n_devs * UZ_ZRAM_MAX_COMPS + 1, sizeof(*c->dec));
	c->obj = malloc(m->page_size);
	if (!c->dec || !c->obj) {
		uz_zram_ctx_destroy(c);
		return uz_error_create(UZ_ERR_NOMEM, "zram context");
	}
	*out = c;
	return NULL;
}

void uz_zram_ctx_destroy(struct uz_zram_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->dec)
		for (size_t i = 0; i < ctx->m->n_devs * UZ_ZRAM_MAX_COMPS; i++)
			uz_decompressor_destroy(ctx->dec[i]);
	free(ctx->dec);
	free(ctx->obj);
	free(ctx);
}

/* ---- resolve ---- */

static struct uz_error *fail(struct uz_slot_result *res, enum uz_slot_failure kind,
			     const char *where, struct uz_error *err)
{
	res->failure = kind;
	res->source = UZ_SRC_NONE;
	return uz_error_wrap(err, "%s slot %llu", where, (unsigned long long)res->slot);
}

static void fill_words(void *page, uint64_t page_size, uint64_t word)
{
	uint8_t *p = page;
	for (uint64_t i = 0; i < page_size; i += 8)
		memcpy(p + i, &word, 8);
}

/* Swap cache: returns true with the page read into `page`, false to go on
 * (with res->swapcache_filtered set if a clean cached page was filtered). */
static struct uz_error *cached_folio(struct uz_zram_model *m, uint32_t type, uint64_t offset,
				     uint64_t e, void *page, struct uz_slot_result *res, bool *done);

/* 7.1+: the swap table entry of (type, offset): *folio the cached folio's
 * struct page, or 0; *zero the zero mark (7.2+). */
static struct uz_error *swap_table_lookup(struct uz_zram_model *m, uint32_t type, uint64_t offset,
					  uint64_t *folio, bool *zero)
{
	const struct swap_layout *S = &m->S;
	uint64_t ci = m->apriv[type].cluster_info, table, raw;
	*folio = 0;
	*zero = false;
	if (!ci)
		return uz_error_create(UZ_ERR_FORMAT, "swap type %u has no cluster_info", type);
	uint64_t cluster = offset / S->tb_entries;
	UZ_TRY(uz_error_wrap(uz_kernel_read_u64(m->k, ci + cluster * S->ci_size + S->ci_table.offset, &table),
			     "swap cluster %llu", (unsigned long long)cluster));
	if (!table)
		return uz_error_create(UZ_ERR_FORMAT, "swap cluster %llu has no swap table (slot not in use)",
				       (unsigned long long)cluster);
	UZ_TRY(uz_error_wrap(uz_kernel_read_u64(m->k, table + (offset % S->tb_entries) * 8, &raw),
			     "swap table of cluster %llu", (unsigned long long)cluster));
	struct uz_swp_tb tb;
	uz_swp_tb_decode(&S->tb, raw, &tb);
	switch (tb.kind) {
	case UZ_SWP_TB_SHADOW:
		*zero = tb.zero;
		return NULL;
	case UZ_SWP_TB_CACHED:
		*zero = tb.zero;
		return uz_kernel_pfn_to_page(m->k, tb.pfn, folio);
	case UZ_SWP_TB_FREE:
	case UZ_SWP_TB_POINTER:
	case UZ_SWP_TB_BAD:
		break;
	}
	return uz_error_create(UZ_ERR_FORMAT, "swap table entry 0x%llx of a swap PTE is %s",
			       (unsigned long long)raw,
			       tb.kind == UZ_SWP_TB_FREE ? "a free slot" : "not a slot in use");
}

static struct uz_error *try_swapcache(struct uz_zram_model *m, uint32_t type, uint64_t offset,
				      void *page, struct uz_slot_result *res, bool *done, bool *zero)
{
	*done = false;
	*zero = false;
	const struct area_priv *ap = &m->apriv[type];
	uint64_t e;
	if (m->S.swaptable) {
		UZ_TRY(swap_table_lookup(m, type, offset, &e, zero));
		if (!e)
			return NULL;
		return cached_folio(m, type, offset, e, page, res, done);
	}
	if (!m->S.swapcache || !ap->swapper_spaces)
		return NULL;
	uint64_t space_idx = offset >> SWAP_ADDRESS_SPACE_SHIFT;
	if (space_idx >= ap->nr_swapper_spaces)
		return NULL;
	uint64_t as = ap->swapper_spaces + space_idx * m->S.as_size;
	uint64_t head;
	UZ_TRY(uz_kernel_read_u64(m->k, as + m->S.as_pages.offset + m->S.xa_head.offset, &head));
	uint64_t key = offset;
	if (uz_zram_quirk(UZ_QUIRK_SWAPCACHE_MASKED_KEY, m->kv))
		key &= (UINT64_C(1) << SWAP_ADDRESS_SPACE_SHIFT) - 1;
	UZ_TRY(uz_xa_load(&m->S.xa, kread_mem, m->k, head, key, &e));
	if (!e || uz_xa_is_value(e))
		return NULL;      /* absent, or a workingset shadow */
	return cached_folio(m, type, offset, e, page, res, done);
}

/* e is the swap-cache folio (head page) holding (type, offset): find the
 * subpage for this offset and read it, or say why not. */
static struct uz_error *cached_folio(struct uz_zram_model *m, uint32_t type, uint64_t offset,
				     uint64_t e, void *page, struct uz_slot_result *res, bool *done)
{
	uint8_t pg[512];
	size_t pl = m->L.page_struct_size ? m->L.page_struct_size : 64;
	UZ_TRY(uz_error_wrap(uz_kernel_read(m->k, e, pg, pl), "swap-cache folio 0x%llx",
			     (unsigned long long)e));
	unsigned ts = uz_swp_type_shift(m->kv);
	uint64_t swp = field(pg, pl, &m->L.pg_private);
	uint64_t head_off = swp & ((UINT64_C(1) << ts) - 1);
	if ((swp >> ts) != type || offset < head_off || offset - head_off >= MAX_FOLIO_PAGES)
		return uz_error_create(UZ_ERR_FORMAT,
				       "swap-cache folio 0x%llx holds swap entry 0x%llx, not type %u offset %llu",
				       (unsigned long long)e, (unsigned long long)swp, type,
				       (unsigned long long)offset);
	uint64_t sub = e + (offset - head_off) * m->L.page_struct_size, pfn;
	UZ_TRY(uz_kernel_page_to_pfn(m->k, sub, &pfn));
	res->swapcache_page = sub;
	res->swapcache_pfn = pfn;
	enum uz_page_state st;
	UZ_TRY(uz_dump_page_state(m->dump, pfn, &st));
	if (st == UZ_PAGE_PRESENT || st == UZ_PAGE_ZERO) {
		UZ_TRY(uz_dump_read_page(m->dump, pfn, page));
		res->source = UZ_SRC_SWAPCACHE;
		*done = true;
		return NULL;
	}
	uint64_t flags = field(pg, pl, &m->L.pg_flags);
	if (m->L.pg_dirty < 0 || ((flags >> m->L.pg_dirty) & 1)) {
		res->failure = UZ_FAIL_SWAPCACHE_STALE;
		return uz_error_create(UZ_ERR_FAULT,
				       "the swap cache holds a %s page (pfn 0x%llx) that the dump left out; the swap slot copy may be older",
				       m->L.pg_dirty < 0 ? "possibly dirty" : "dirty",
				       (unsigned long long)pfn);
	}
	res->swapcache_filtered = true;
	return NULL;
}

/* The compressed object of slot `sl` is in ctx->obj: pick the slot's
 * algorithm and decompress it into `page`, or hand it back deferred. */
static struct uz_error *decompress_slot(struct uz_zram_ctx *ctx, const struct device *d,
					const struct uz_zram_slot *sl, const char *where, void *page,
					struct uz_slot_result *res)
{
	if (sl->prio >= d->info.n_comps || !d->info.comp_algs[sl->prio])
		return fail(res, UZ_FAIL_INCONSISTENT, where,
			    uz_error_create(UZ_ERR_FORMAT, "priority %u has no algorithm", sl->prio));
	if (!d->info.codec_known[sl->prio])
		return fail(res, UZ_FAIL_UNSUPPORTED_CODEC, where,
			    uz_error_create(UZ_ERR_UNSUPPORTED, "algorithm \"%s\" is not supported",
					    d->info.comp_algs[sl->prio]));
	res->codec_known = true;
	res->codec = d->info.codecs[sl->prio];
	if (ctx->defer) {
		/* Compressed objects are always shorter than a page (equal
		 * means huge, handled by the callers), so they fit the
		 * caller's page. */
		memcpy(page, ctx->obj, sl->size);
		res->deferred = true;
		return NULL;
	}
	return uz_zram_decompress_deferred(ctx, res, ctx->obj, page);
}

struct uz_error *uz_zram_resolve(struct uz_zram_model *m, struct uz_zram_ctx *ctx,
				 uint32_t swap_type, uint64_t offset, void *page,
				 struct uz_slot_result *res)
{
	memset(res, 0, sizeof(*res));
	res->device = -1;
	res->slot = offset;
	char where[48];
	snprintf(where, sizeof(where), "swap type %u", swap_type);
	if (swap_type >= m->n_areas || m->areas[swap_type].kind == UZ_SWAP_NONE)
		return fail(res, UZ_FAIL_NOT_SWAP, where,
			    uz_error_create(UZ_ERR_NOT_FOUND,
					    "not a swap area in use (nr_swapfiles %u): a migration, device, hwpoison or marker entry",
					    m->n_areas));
	const struct uz_swap_area_info *a = &m->areas[swap_type];
	if (a->bdev_name[0])
		snprintf(where, sizeof(where), "%s", a->bdev_name);
	if (a->problem)
		return fail(res, UZ_FAIL_METADATA_MISSING, where,
			    uz_error_create(UZ_ERR_FAULT, "%s", a->problem));
	if (offset == 0 || offset >= a->max)
		return fail(res, UZ_FAIL_OUT_OF_RANGE, where,
			    uz_error_create(UZ_ERR_NOT_FOUND, "offset outside 1..%llu of the swap area",
					    (unsigned long long)(a->max ? a->max - 1 : 0)));
	bool done, tb_zero = false;
	struct uz_error *err = try_swapcache(m, swap_type, offset, page, res, &done, &tb_zero);
	if (err && res->failure == UZ_FAIL_SWAPCACHE_STALE)
		return fail(res, res->failure, where, uz_error_wrap(err, "swap cache"));
	if (err) {
		/* The lookup itself failed (an xa_node filtered out of the
		 * dump...).  A swap PTE whose page is still in the swap cache is
		 * a page under reclaim or readahead; its zram slot is then either
		 * the same bytes or empty.  Go on with the slot and refuse only
		 * the empty case below. */
		res->swapcache_unchecked = true;
		snprintf(ctx->swapcache_why, sizeof(ctx->swapcache_why), "%s", err->message);
		uz_error_destroy(err);
		err = NULL;
		done = false;
	}
	if (done)
		return NULL;
	/* 7.2+: a zero page is marked in its swap table entry, its zram slot
	 * empty (mm/page_io.c swap_zeromap_folio_set -> __swap_table_set_zero). */
	if (tb_zero) {
		memset(page, 0, m->page_size);
		res->source = UZ_SRC_ZEROMAP;
		return NULL;
	}
	/* 6.18 - 7.0: the swap cache is the per-cluster swap table in a format
	 * not read (UZ_QUIRK_SWAP_TABLE without _PFN), or its types are
	 * missing.  A written slot still holds the page's bytes (see above);
	 * an empty one is decided below. */
	bool swap_table = uz_zram_quirk(UZ_QUIRK_SWAP_TABLE, m->kv) && !m->S.swaptable;
	if (swap_table)
		res->swapcache_unchecked = true;
	if (a->has_zeromap) {
		uint64_t word;
		err = uz_kernel_read_u64(m->k, m->apriv[swap_type].zeromap + (offset / 64) * 8, &word);
		if (err) {
			/* Not fatal: a set bit means "zeros, zram slot empty", a
			 * clear bit means "read the zram slot", and an empty zram
			 * slot reads as zeros too.  So the zram slot alone gives
			 * the right bytes; only the label may differ. */
			uz_error_destroy(err);
			res->zeromap_unreadable = true;
			word = 0;
		}
		if ((word >> (offset % 64)) & 1) {
			memset(page, 0, m->page_size);
			res->source = UZ_SRC_ZEROMAP;
			return NULL;
		}
	}
	if (a->kind != UZ_SWAP_ZRAM)
		return fail(res, UZ_FAIL_NOT_ZRAM, where,
			    uz_error_create(UZ_ERR_UNSUPPORTED, "swap area is a %s, its data is not in the dump",
					    uz_swap_kind_name(a->kind)));
	if (m->zram_kernel_unsupported)
		return fail(res, UZ_FAIL_UNSUPPORTED_KERNEL, where,
			    uz_error_create(UZ_ERR_UNSUPPORTED, "zram device not read: %s", m->zram_why));
	if (!m->have_zram || a->zram_device < 0)
		return fail(res, UZ_FAIL_METADATA_MISSING, where,
			    uz_error_create(UZ_ERR_NOT_FOUND, "zram device not readable: %s",
					    m->zram_why[0] ? m->zram_why : "not found among zram devices"));
	struct device *d = &m->devs[a->zram_device];
	res->device = a->zram_device;
	if (d->info.problem)
		return fail(res, UZ_FAIL_METADATA_MISSING, where,
			    uz_error_create(UZ_ERR_FAULT, "device unreadable: %s", d->info.problem));
	if (offset >= d->info.nr_slots)
		return fail(res, UZ_FAIL_OUT_OF_RANGE, where,
			    uz_error_create(UZ_ERR_NOT_FOUND, "past the %llu slots of the device",
					    (unsigned long long)d->info.nr_slots));
	uint8_t e[256];
	uint64_t es = m->L.entry_size;
	if ((err = uz_kernel_read(m->k, d->info.table + offset * es, e, es)))
		return fail(res, read_kind(err), where, uz_error_wrap(err, "zram table entry"));
	struct uz_zram_slot sl;
	uz_zram_slot_decode(&m->L.flags, m->page_size, field(e, es, &m->L.entry_handle),
			    field(e, es, &m->L.entry_flags), &sl);
	res->prio = sl.prio;
	res->comp_len = sl.size;
	res->handle = sl.handle;
	switch (sl.kind) {
	case UZ_SLOT_EMPTY:
		/* A live swap entry with an empty slot (and no zeromap bit) is
		 * a page whose write-out had not finished: the data is in the
		 * swap cache.  Only if we looked there is "zeros" the answer. */
		if (swap_table)
			return fail(res, UZ_FAIL_UNSUPPORTED_KERNEL, where,
				    uz_error_create(UZ_ERR_UNSUPPORTED,
						    "not supported on this kernel (%u.%u): the zram slot is empty, so the page is a zero page or in the swap cache, which 6.18+ kernels keep in the swap table (swap_cluster_info.table, mm/swap_table.h): %s",
						    m->kv >> 16, (m->kv >> 8) & 0xff, m->S.swapcache_why));
		if (res->swapcache_unchecked)
			return fail(res, UZ_FAIL_METADATA_MISSING, where,
				    uz_error_create(UZ_ERR_FAULT,
						    "zram slot empty and the swap cache, where the page then is, is unreadable: %s",
						    ctx->swapcache_why));
		memset(page, 0, m->page_size);
		res->source = UZ_SRC_EMPTY;
		return NULL;
	case UZ_SLOT_SAME:
		fill_words(page, m->page_size, sl.fill_word);
		res->fill_word = sl.fill_word;
		res->source = UZ_SRC_SAME_FILLED;
		return NULL;
	case UZ_SLOT_WRITTEN_BACK:
		res->backing_block = sl.handle;
		if (d->backing_fd < 0)
			return fail(res, UZ_FAIL_WRITTEN_BACK, where,
				    uz_error_create(UZ_ERR_UNSUPPORTED,
						    "written back to the backing device%s%s (block %llu), not in RAM; no image of it given",
						    d->info.backing_name[0] ? " " : "", d->info.backing_name,
						    (unsigned long long)sl.handle));
		if ((err = read_backing(m, d, sl.handle, page, res)))
			return fail(res, res->failure, where, err);
		res->source = UZ_SRC_BACKING_DEV;
		if (!d->info.compressed_wb || sl.huge_flag)
			return NULL;
		/* 7.1+ compressed writeback (zram_drv.c decompress_bdev_page,
		 * 7.1.13 and Debian 7.3.4): the block holds the slot's
		 * compressed object, its size and priority still in the slot's
		 * flags; a ZRAM_HUGE slot's block is the page itself. */
		if (sl.size == 0 || sl.size >= m->page_size)
			return fail(res, UZ_FAIL_INCONSISTENT, where,
				    uz_error_create(UZ_ERR_FORMAT,
						    "written back compressed (compressed_wb) with size %u and no ZRAM_HUGE",
						    sl.size));
		memcpy(ctx->obj, page, sl.size);
		return decompress_slot(ctx, d, &sl, where, page, res);
	case UZ_SLOT_INCONSISTENT:
		return fail(res, UZ_FAIL_INCONSISTENT, where,
			    uz_error_create(UZ_ERR_FORMAT, "table entry handle 0x%llx with size %u",
					    (unsigned long long)sl.handle, sl.size));
	case UZ_SLOT_STORED:
		break;
	}
	if (!d->obj_ok)
		return fail(res, UZ_FAIL_INVALID_LOCATION, where,
			    uz_error_create(UZ_ERR_FORMAT, "zsmalloc obj layout unknown: %s", d->obj_why));
	struct located loc;
	struct step_err se = locate(m, d, &d->obj, sl.handle, sl.size, &loc);
	res->obj_pfn = loc.obj_pfn;
	res->obj_idx = loc.idx;
	res->obj_offset = loc.span.obj_offset;
	res->class_size = loc.cls.size;
	res->straddles = loc.span.second_len != 0 || loc.span.data_page != 0;
	if (se.err)
		return fail(res, se.kind, where, se.err);
	res->huge = sl.size == m->page_size;
	uint8_t *dst = res->huge ? page : ctx->obj;
	se = read_payload(m, &loc, dst);
	if (se.err)
		return fail(res, se.kind, where, se.err);
	res->source = UZ_SRC_ZRAM;
	if (res->huge)
		return NULL;
	return decompress_slot(ctx, d, &sl, where, page, res);
}

void uz_zram_ctx_set_defer(struct uz_zram_ctx *ctx, bool defer)
{
	ctx->defer = defer;
}

struct uz_error *uz_zram_decompress_deferred(struct uz_zram_ctx *ctx, struct uz_slot_result *res,
					     const void *src, void *page)
{
	struct uz_zram_model *m = ctx->m;
	const struct device *d = &m->devs[res->device];
	const char *where = d->info.name;
	res->deferred = false;
	struct uz_error *err;
	struct uz_decompressor **dec = &ctx->dec[(size_t)res->device * UZ_ZRAM_MAX_COMPS + res->prio];
	if (!*dec) {
		struct uz_codec_params p = { d->dict[res->prio], d->info.dict_len[res->prio],
					     d->info.deflate_winbits[res->prio] };
		if ((err = uz_decompressor_create(res->codec, &p, dec)))
			return fail(res, UZ_FAIL_UNSUPPORTED_CODEC, where, err);
	}
	if ((err = uz_decompress(*dec, src, res->comp_len, page, m->page_size))) {
		res->source = UZ_SRC_NONE;
		return fail(res, UZ_FAIL_DECOMPRESS_FAILED, where, err);
	}
	return NULL;
}

/* ---- statistics ---- */

struct uz_error *uz_zram_device_scan(struct uz_zram_model *m, size_t i,
				     struct uz_zram_slot_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (i >= m->n_devs)
		return uz_error_create(UZ_ERR_NOT_FOUND, "no zram device %zu", i);
	struct device *d = &m->devs[i];
	if (d->info.problem)
		return uz_error_create(UZ_ERR_FAULT, "%s: device unreadable: %s", d->info.name,
				       d->info.problem);
	uint64_t es = m->L.entry_size;
	uint8_t *chunk = malloc(TABLE_CHUNK * es);
	if (!chunk)
		return uz_error_create(UZ_ERR_NOMEM, "zram table chunk");
	out->slots = d->info.nr_slots;
	for (uint64_t s = 0; s < d->info.nr_slots; s += TABLE_CHUNK) {
		uint64_t cnt = d->info.nr_slots - s < TABLE_CHUNK ? d->info.nr_slots - s : TABLE_CHUNK;
		bool readable[TABLE_CHUNK];
		struct uz_error *err = uz_kernel_read(m->k, d->info.table + s * es, chunk, cnt * es);
		for (uint64_t j = 0; j < cnt; j++)
			readable[j] = err == NULL;
		if (err) {
			/* Entry by entry: part of the chunk may be in the dump. */
			uz_error_destroy(err);
			for (uint64_t j = 0; j < cnt; j++) {
				err = uz_kernel_read(m->k, d->info.table + (s + j) * es, chunk + j * es, es);
				readable[j] = err == NULL;
				uz_error_destroy(err);
			}
		}
		for (uint64_t j = 0; j < cnt; j++) {
			const uint8_t *e = chunk + j * es;
			if (!readable[j]) {
				out->unreadable++;
				continue;
			}
			struct uz_zram_slot sl;
			uz_zram_slot_decode(&m->L.flags, m->page_size, field(e, es, &m->L.entry_handle),
					    field(e, es, &m->L.entry_flags), &sl);
			switch (sl.kind) {
			case UZ_SLOT_EMPTY: out->empty++; break;
			case UZ_SLOT_SAME:
				out->same_filled++;
				if (sl.fill_word == 0)
					out->same_filled_zero++;
				break;
			case UZ_SLOT_WRITTEN_BACK: out->written_back++; break;
			case UZ_SLOT_INCONSISTENT: out->inconsistent++; break;
			case UZ_SLOT_STORED:
				out->stored++;
				out->stored_bytes += sl.size;
				if (sl.size == m->page_size)
					out->huge++;
				else if (sl.prio < UZ_ZRAM_MAX_COMPS)
					out->compressed_by_prio[sl.prio]++;
				break;
			}
			if (sl.kind == UZ_SLOT_STORED && sl.huge_flag)
				out->huge_flag++;
		}
	}
	free(chunk);
	if (d->info.backing_known) {
		/* Blocks in use, to set beside the written-back slots and bd_count. */
		uint64_t words = (d->info.backing_nr_pages + 63) / 64, used = 0;
		struct uz_error *err = NULL;
		for (uint64_t w = 0; w < words && !err; w++) {
			uint64_t v;
			err = uz_kernel_read_u64(m->k, d->info.backing_bitmap + w * 8, &v);
			if (!err && w == words - 1 && d->info.backing_nr_pages % 64)
				v &= (UINT64_C(1) << (d->info.backing_nr_pages % 64)) - 1;
			if (!err)
				used += (uint64_t)__builtin_popcountll(v);
		}
		out->backing_bitmap_read = err == NULL;
		out->backing_blocks_used = err ? 0 : used;
		uz_error_destroy(err);
	}
	/* zeromap of the swap area on this device (6.12+) */
	int t = d->info.swap_type;
	if (t >= 0 && m->areas[t].has_zeromap) {
		uint64_t words = (m->areas[t].max + 63) / 64;
		for (uint64_t w = 0; w < words; w++) {
			uint64_t v;
			struct uz_error *err = uz_kernel_read_u64(m->k, m->apriv[t].zeromap + w * 8, &v);
			if (err) {
				uz_error_destroy(err);
				continue;
			}
			if (w == words - 1 && m->areas[t].max % 64)
				v &= (UINT64_C(1) << (m->areas[t].max % 64)) - 1;
			out->zeromap += (uint64_t)__builtin_popcountll(v);
		}
	}
	return NULL;
}
