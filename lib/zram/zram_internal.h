/* zram_internal.h - what the files of lib/zram share: the layout read from
 * the kernel's types, and the model's and context's inner structs.
 *
 * Owns: nothing new; zram.c fills these in (uz_zram_model_open) and
 * zspool.c walks a pool with them.  Not a public interface.
 */
#ifndef UZ_ZRAM_INTERNAL_H
#define UZ_ZRAM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "zram.h"
#include "zram_layout.h"

#define MAX_DEVICES 256

/* ---- the layout, all from types ---- */

struct layout {
	/* struct zram */
	uint64_t zram_size;
	struct uz_member zram_table, zram_pool, zram_disk, zram_disksize, zram_limit_pages;
	struct uz_member zram_compressor, zram_comp_algs, zram_params, zram_backing_dev;
	bool has_compressor, has_comp_algs, has_params, has_backing_dev;
	/* CONFIG_ZRAM_WRITEBACK: bdev, bitmap, nr_pages, stats.bd_count */
	struct uz_member zram_bdev, zram_bitmap, zram_nr_pages, st_bd_count;
	bool has_wb_bitmap, has_bd_count;
	struct uz_member zram_compressed_wb;   /* 7.1+ */
	bool has_compressed_wb;
	/* backing_dev's path: struct file -> path -> dentry/vfsmount -> mount */
	struct uz_member file_dentry, file_mnt, dentry_parent, dentry_name;
	struct uz_member vfsmount_root, mount_mnt, mount_parent, mount_mountpoint;
	bool has_file_path, has_mounts;
	unsigned n_comps;
	uint64_t params_size;
	struct uz_member params_dict, params_dict_sz, params_winbits;
	bool has_winbits;
	struct uz_member st_compr, st_same, st_huge, st_huge_since, st_stored, st_max_used;
	bool has_huge_since;
	/* struct zram_table_entry */
	uint64_t entry_size;
	struct uz_member entry_handle, entry_flags;
	struct uz_zram_flag_layout flags;
	/* zsmalloc */
	struct uz_member pool_size_class, pool_pages_allocated, pool_compacted;
	bool has_pool_stats;
	bool size_class_ptrs;
	uint64_t n_classes;
	struct uz_member cls_size, cls_objs, cls_pages;
	uint64_t cls_struct_size;
	struct uz_member zs_magic, zs_class, zs_huge, zs_first_page;
	bool zs_has_huge;
	/* the pool's lists of zspages (zspool.c): size_class.fullness_list[],
	 * zspage.list; absent, the pool cannot be walked (lookups still work) */
	struct uz_member cls_lists, zs_list;
	uint64_t n_lists;
	bool has_lists;
	uint64_t zs_read_len;
	/* struct page */
	uint64_t page_struct_size;
	struct uz_member pg_flags, pg_private, pg_next, pg_type;
	bool has_page_type;
	enum uz_zs_page_sig sig;
	uint32_t sig_value;
	int pg_dirty, pg_owner_priv_1;
	bool tag_bit;
};

struct swap_layout {
	uint64_t si_size;
	struct uz_member si_flags, si_bdev, si_max, si_inuse, si_zeromap;
	bool has_zeromap, has_inuse;
	uint64_t swp_used, swp_blkdev;
	bool has_blkdev;
	struct uz_member bdev_disk, disk_name, disk_private;
	/* swap cache */
	bool swapcache;                 /* usable */
	char swapcache_why[160];        /* why not, if !swapcache */
	uint64_t as_size;
	struct uz_member as_pages, xa_head;
	struct uz_xa_layout xa;
	bool xa_ok;
	/* 7.1+ swap cache and (7.2+) zero marks: the per-cluster swap table
	 * (si->cluster_info[offset / n].table[offset % n], mm/swap.h) */
	bool swaptable;
	struct uz_member si_cluster_info, ci_table;
	uint64_t ci_size;               /* sizeof(struct swap_cluster_info) */
	uint64_t tb_entries;            /* SWAPFILE_CLUSTER: sizeof(struct swap_table) / 8 */
	struct uz_swp_tb_layout tb;
};

struct device {
	struct uz_zram_device_info info;
	char algs[UZ_ZRAM_MAX_COMPS][64];
	void *dict[UZ_ZRAM_MAX_COMPS];
	struct uz_zs_obj_layout obj;
	bool obj_ok;
	char obj_why[320];              /* why obj_ok is false */
	char problem[256];              /* why the device cannot be read at all */
	int backing_fd;                 /* attached image, -1 if none */
	char *backing_path;
};

struct area_priv {
	uint64_t disk_private;
	uint64_t zeromap;
	uint64_t swapper_spaces;        /* struct address_space * array, 0 if none */
	uint32_t nr_swapper_spaces;
	uint64_t cluster_info;          /* 7.1+ struct swap_cluster_info array, 0 if none */
	char problem[256];              /* see uz_swap_area_info.problem */
};

struct uz_zram_model {
	struct uz_kernel *k;
	struct uz_dump *dump;
	uint32_t kv;
	uint64_t page_size;
	unsigned page_shift;
	bool have_zram;                 /* zram/zsmalloc types usable */
	bool zram_kernel_unsupported;   /* refused by uz_zram_check_kernel_version */
	char zram_why[1024];
	struct layout L;
	struct swap_layout S;
	struct uz_swap_area_info *areas;
	struct area_priv *apriv;
	uint32_t n_areas;
	struct device *devs;
	size_t n_devs;
	struct uz_error *layout_err;    /* see keep_layout_error */
};

struct uz_zram_ctx {
	struct uz_zram_model *m;
	struct uz_decompressor **dec;   /* n_devs * UZ_ZRAM_MAX_COMPS */
	uint8_t *obj;                   /* page_size scratch for a straddling object */
	char swapcache_why[256];        /* last swap-cache lookup failure */
	bool defer;                     /* return compressed bytes, see uz_zram_ctx_set_defer */
};

#endif
