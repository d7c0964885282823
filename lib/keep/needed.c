/* needed.c - compute the pages vmcore-unzram needs (see needed.h).
 *
 * The set is an open-addressing hash table while it is built (the read
 * observer adds a PFN per page read, millions of times), then a sorted array.
 */
#include "needed.h"

#include <stdlib.h>
#include <string.h>

#include "../zram/zram.h"
#include "../zram/zram_layout.h"

/* Bound on list walks and object sizes, so corrupt pointers end in an error. */
#define MAX_LIST_NODES (UINT64_C(1) << 24)
#define MAX_OBJECT_BYTES (UINT64_C(1) << 20)

static const char *const category_names[UZ_NEED_COUNT] = {
	[UZ_NEED_ZSMALLOC] = "zsmalloc",
	[UZ_NEED_ZRAM_TABLE] = "zram-table",
	[UZ_NEED_ZS_META] = "zspage+handle",
	[UZ_NEED_PAGE_TABLE] = "page-table",
	[UZ_NEED_SWAPCACHE] = "swapcache",
	[UZ_NEED_OTHER] = "other",
};

const char *uz_need_category_name(enum uz_need_category c)
{
	return c < UZ_NEED_COUNT ? category_names[c] : "?";
}

struct uz_needed {
	/* while building: hash table, key = pfn + 1 (0 = empty) */
	uint64_t *keys;
	uint8_t *masks;
	size_t cap, used;
	bool oom;                 /* an insertion failed (reported at the end) */
	/* after building: sorted */
	uint64_t *pfns;
	uint8_t *sorted_masks;
	size_t n;
	struct uz_needed_stats stats;
};

static size_t hash_pfn(uint64_t key, size_t cap)
{
	key *= UINT64_C(0x9e3779b97f4a7c15);
	return (size_t)(key >> 17) & (cap - 1);
}

static bool grow(struct uz_needed *n)
{
	size_t cap = n->cap ? n->cap * 2 : 4096;
	uint64_t *keys = calloc(cap, sizeof(*keys));
	uint8_t *masks = calloc(cap, 1);
	if (!keys || !masks) {
		free(keys);
		free(masks);
		return false;
	}
	for (size_t i = 0; i < n->cap; i++) {
		if (!n->keys[i])
			continue;
		size_t h = hash_pfn(n->keys[i], cap);
		while (keys[h])
			h = (h + 1) & (cap - 1);
		keys[h] = n->keys[i];
		masks[h] = n->masks[i];
	}
	free(n->keys);
	free(n->masks);
	n->keys = keys;
	n->masks = masks;
	n->cap = cap;
	return true;
}

static void add_pfn(struct uz_needed *n, uint64_t pfn, enum uz_need_category c)
{
	if (n->used * 2 >= n->cap && !grow(n)) {
		n->oom = true;
		return;
	}
	uint64_t key = pfn + 1;
	size_t h = hash_pfn(key, n->cap);
	while (n->keys[h] && n->keys[h] != key)
		h = (h + 1) & (n->cap - 1);
	if (!n->keys[h]) {
		n->keys[h] = key;
		n->used++;
	}
	n->masks[h] |= (uint8_t)UZ_NEED_BIT(c);
}

static void observe_read(void *ctx, uint64_t pfn)
{
	add_pfn(ctx, pfn, UZ_NEED_OTHER);
}

/* ---- the walk ---- */

struct walk {
	struct uz_needed *n;
	struct uz_dump *dump;
	struct uz_kernel *k;
	struct uz_zram_model *zm;
	struct uz_zram_ctx *zctx;
	uint64_t page_size;
	unsigned page_shift;
	uint8_t *page;            /* scratch for resolved bytes */
	/* growing arrays */
	uint64_t *mms;
	size_t n_mms, cap_mms;
	uint64_t *entries;        /* (type << 58) | offset, see entry_key */
	size_t n_entries, cap_entries;
	uint64_t *obj_pfns;       /* object pages of resolved slots */
	size_t n_obj_pfns, cap_obj_pfns;
	/* struct sizes for the explicitly named objects (0: unknown) */
	uint64_t sz_task, sz_signal, sz_mm, sz_vma, sz_pid;
};

static struct uz_error *push_u64(uint64_t **arr, size_t *len, size_t *cap, uint64_t v)
{
	if (*len == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		uint64_t *p = realloc(*arr, nc * sizeof(*p));
		if (!p)
			return uz_error_create(UZ_ERR_NOMEM, "out of memory (%zu entries)", nc);
		*arr = p;
		*cap = nc;
	}
	(*arr)[(*len)++] = v;
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static size_t sort_unique(uint64_t *a, size_t n)
{
	if (!n)
		return 0;
	qsort(a, n, sizeof(*a), cmp_u64);
	size_t out = 1;
	for (size_t i = 1; i < n; i++)
		if (a[i] != a[out - 1])
			a[out++] = a[i];
	return out;
}

/* Record the pages spanned by a kernel object [addr, addr + size).  An
 * address that does not translate is skipped: the object is then not in
 * the dump at all, and the walk that needs it reports that itself. */
static void add_object(struct walk *w, uint64_t addr, uint64_t size, enum uz_need_category c)
{
	if (!addr || !size || size > MAX_OBJECT_BYTES)
		return;
	uint64_t first = addr & ~(w->page_size - 1);
	for (uint64_t v = first; v < addr + size; v += w->page_size) {
		uint64_t paddr;
		struct uz_error *err = uz_kernel_vtop(w->k, v, &paddr);
		if (err) {
			uz_error_destroy(err);
			continue;
		}
		add_pfn(w->n, paddr >> w->page_shift, c);
	}
}

static uint64_t type_size_or_zero(struct uz_kernel *k, const char *type)
{
	uint64_t size = 0;
	struct uz_error *err = uz_kernel_type_size(k, type, &size);
	uz_error_destroy(err);
	return err ? 0 : size;
}

static struct uz_error *visit_task(void *ctx, const struct uz_task_info *t)
{
	struct walk *w = ctx;
	w->n->stats.tasks++;
	add_object(w, t->task, w->sz_task, UZ_NEED_OTHER);
	/* The thread list hangs off signal_struct (6.6+ thread_head). */
	uint64_t signal;
	struct uz_error *err = uz_kernel_read_member(w->k, t->task, "struct task_struct", "signal", &signal);
	if (!err)
		add_object(w, signal, w->sz_signal, UZ_NEED_OTHER);
	uz_error_destroy(err);
	if (!t->mm)
		return NULL;
	return push_u64(&w->mms, &w->n_mms, &w->cap_mms, t->mm);
}

/* Swap type and offset packed so that sorting orders by (type, offset). */
static uint64_t entry_key(uint32_t type, uint64_t offset)
{
	return (uint64_t)type << 58 | (offset & ((UINT64_C(1) << 58) - 1));
}

static struct uz_error *visit_pte(void *ctx, const struct uz_pte_ref *ref)
{
	struct walk *w = ctx;
	add_pfn(w->n, ref->pte_paddr >> w->page_shift, UZ_NEED_PAGE_TABLE);
	struct uz_pte_info info;
	uz_kernel_pte_decode(w->k, ref->pte, &info);
	if (info.kind != UZ_PTE_SWAP || uz_zram_swap_kind(w->zm, info.swap_type) != UZ_SWAP_ZRAM)
		return NULL;
	w->n->stats.zram_swap_ptes++;
	return push_u64(&w->entries, &w->n_entries, &w->cap_entries,
			entry_key(info.swap_type, info.swap_offset));
}

static struct uz_error *collect_vma(void *ctx, const struct uz_vma_info *vma)
{
	struct walk *w = ctx;
	w->n->stats.vmas++;
	add_object(w, vma->vma, w->sz_vma, UZ_NEED_OTHER);
	return NULL;
}

struct vma_list {
	struct uz_vma_info *v;
	size_t n, cap;
	struct walk *w;
};

static struct uz_error *push_vma(void *ctx, const struct uz_vma_info *vma)
{
	struct vma_list *l = ctx;
	UZ_TRY(collect_vma(l->w, vma));
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		struct uz_vma_info *p = realloc(l->v, nc * sizeof(*p));
		if (!p)
			return uz_error_create(UZ_ERR_NOMEM, "out of memory (%zu VMAs)", nc);
		l->v = p;
		l->cap = nc;
	}
	l->v[l->n++] = *vma;
	return NULL;
}

/* ---- what a debugger reads to reach a process's memory ---- */

/* Reads of the pid IDR walk are recorded: those are its nodes. */
static struct uz_error *recording_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct walk *w = ctx;
	add_object(w, addr, len, UZ_NEED_OTHER);
	return uz_kernel_read(w->k, addr, buf, len);
}

static struct uz_error *visit_pid(void *ctx, uint64_t index, uint64_t entry)
{
	struct walk *w = ctx;
	(void)index;
	add_object(w, entry, w->sz_pid, UZ_NEED_OTHER);
	return NULL;
}

/* The init pid namespace's IDR and its struct pids: how drgn's find_task
 * and crash's pid table reach a task by its PID. */
static void add_pid_idr(struct walk *w)
{
	struct uz_xa_layout xl;
	struct uz_member idr, rt, head;
	uint64_t ns;
	struct uz_error *err = uz_kernel_symbol(w->k, "init_pid_ns", &ns);
	if (!err)
		err = uz_xa_layout_from_types(w->k, &xl, &head);
	if (!err)
		err = uz_kernel_member(w->k, "struct pid_namespace", "idr", &idr);
	if (!err)
		err = uz_kernel_member(w->k, "struct idr", "idr_rt", &rt);
	uint64_t root = 0;
	if (!err)
		err = uz_kernel_read_u64(w->k, ns + idr.offset + rt.offset + head.offset, &root);
	if (!err)
		err = uz_xa_for_each(&xl, recording_read, w, root, 1u << 16, visit_pid, w);
	/* Best effort: the rewrite itself does not need it. */
	uz_error_destroy(err);
}

static struct uz_error *walk_page_tables(struct walk *w)
{
	UZ_TRY(uz_error_wrap(uz_kernel_for_each_task(w->k, visit_task, w), "listing tasks"));
	w->n_mms = sort_unique(w->mms, w->n_mms);
	w->n->stats.mms = w->n_mms;
	struct vma_list l = { .w = w };
	struct uz_error *err = NULL;
	for (size_t i = 0; i < w->n_mms && !err; i++) {
		add_object(w, w->mms[i], w->sz_mm, UZ_NEED_OTHER);
		l.n = 0;
		err = uz_kernel_for_each_vma(w->k, w->mms[i], push_vma, &l);
		for (size_t j = 0; j < l.n && !err; j++)
			err = uz_kernel_walk_ptes(w->k, w->mms[i], l.v[j].start, l.v[j].end, visit_pte, w);
		err = uz_error_wrap(err, "mm 0x%llx", (unsigned long long)w->mms[i]);
	}
	free(l.v);
	return err;
}

/* Resolve one swap entry and record what the result names.  Failures are
 * counted: the set is then as complete as the dump allows. */
static struct uz_error *resolve_entry(struct walk *w, uint32_t type, uint64_t offset)
{
	struct uz_slot_result res;
	memset(&res, 0, sizeof(res));
	struct uz_error *err = uz_zram_resolve(w->zm, w->zctx, type, offset, w->page, &res);
	w->n->stats.entries_resolved++;
	if (err) {
		enum uz_error_code code = err->code;
		uz_error_destroy(err);
		if (code == UZ_ERR_NOMEM)
			return uz_error_create(UZ_ERR_NOMEM, "out of memory resolving swap entry %u:%llu",
					       type, (unsigned long long)offset);
		w->n->stats.entries_failed++;
		return NULL;
	}
	if (res.swapcache_pfn && res.source == UZ_SRC_SWAPCACHE)
		add_pfn(w->n, res.swapcache_pfn, UZ_NEED_SWAPCACHE);
	if (res.source == UZ_SRC_ZRAM) {
		add_pfn(w->n, res.obj_pfn, UZ_NEED_ZSMALLOC);
		UZ_TRY(push_u64(&w->obj_pfns, &w->n_obj_pfns, &w->cap_obj_pfns, res.obj_pfn));
		add_object(w, res.handle, 8, UZ_NEED_ZS_META);
	}
	return NULL;
}

static struct uz_error *resolve_all(struct walk *w)
{
	w->n_entries = sort_unique(w->entries, w->n_entries);
	for (size_t i = 0; i < w->n_entries; i++)
		UZ_TRY(resolve_entry(w, (uint32_t)(w->entries[i] >> 58),
				     w->entries[i] & ((UINT64_C(1) << 58) - 1)));
	/* Every stored slot of every zram swap device, referenced by a PTE or
	 * not (shmem, or a PTE in a page table we could not read): the kept
	 * dump then answers for the whole device. */
	for (size_t d = 0; d < uz_zram_device_count(w->zm); d++) {
		const struct uz_zram_device_info *dev = uz_zram_device(w->zm, d);
		if (dev->problem || dev->swap_type < 0)
			continue;
		for (uint64_t s = 1; s < dev->nr_slots; s++) {
			uint64_t key = entry_key((uint32_t)dev->swap_type, s);
			if (bsearch(&key, w->entries, w->n_entries, sizeof(key), cmp_u64))
				continue;
			UZ_TRY(resolve_entry(w, (uint32_t)dev->swap_type, s));
		}
	}
	return NULL;
}

/* ---- zram devices: tables and pools ---- */

/* The pool's structure is walked by lib/zram (zspool.c), the one place that
 * knows it; here only what each zspage costs is recorded. */
static struct uz_error *add_zspage(void *ctx, const struct uz_zspage_info *z)
{
	struct walk *w = ctx;
	add_object(w, z->size_class, z->size_class_bytes, UZ_NEED_OTHER);
	add_object(w, z->zspage, z->zspage_bytes, UZ_NEED_ZS_META);
	for (unsigned i = 0; i < z->n_pages; i++)
		add_pfn(w->n, z->pfns[i], UZ_NEED_ZSMALLOC);
	w->n->stats.zspages++;
	return NULL;
}

static struct uz_error *walk_devices(struct walk *w)
{
	uint64_t zram_size = type_size_or_zero(w->k, "struct zram");
	uint64_t entry_size = type_size_or_zero(w->k, "struct zram_table_entry");
	uint64_t pool_size = type_size_or_zero(w->k, "struct zs_pool");
	for (size_t d = 0; d < uz_zram_device_count(w->zm); d++) {
		const struct uz_zram_device_info *dev = uz_zram_device(w->zm, d);
		if (dev->problem || !dev->disksize)
			continue;
		add_object(w, dev->zram, zram_size, UZ_NEED_OTHER);
		/* The table is vmalloc: translate it page by page. */
		uint64_t table_bytes = dev->nr_slots * (entry_size ? entry_size : 16);
		for (uint64_t off = 0; off < table_bytes; off += w->page_size) {
			uint64_t paddr;
			struct uz_error *err = uz_kernel_vtop(w->k, dev->table + off, &paddr);
			if (err) {
				uz_error_destroy(err);
				continue;
			}
			add_pfn(w->n, paddr >> w->page_shift, UZ_NEED_ZRAM_TABLE);
		}
		if (dev->pool) {
			add_object(w, dev->pool, pool_size, UZ_NEED_OTHER);
			UZ_TRY(uz_zram_for_each_zspage(w->zm, d, add_zspage, w));
		}
	}
	return NULL;
}

/* swap_info_struct, and the block_device and gendisk behind it: telling a
 * zram swap device from another reads all three (lib/zram read_disk). */
static void add_swap_areas(struct walk *w)
{
	uint64_t size = type_size_or_zero(w->k, "struct swap_info_struct");
	uint64_t bdev_size = type_size_or_zero(w->k, "struct block_device");
	uint64_t disk_size = type_size_or_zero(w->k, "struct gendisk");
	for (uint32_t t = 0; t < uz_zram_swap_count(w->zm); t++) {
		const struct uz_swap_area_info *a = uz_zram_swap_area(w->zm, t);
		if (!a || !a->swap_info)
			continue;
		add_object(w, a->swap_info, size, UZ_NEED_OTHER);
		uint64_t bdev = 0, disk = 0;
		struct uz_error *err = uz_kernel_read_member(w->k, a->swap_info, "struct swap_info_struct",
							     "bdev", &bdev);
		if (!err && bdev) {
			add_object(w, bdev, bdev_size, UZ_NEED_OTHER);
			err = uz_kernel_read_member(w->k, bdev, "struct block_device", "bd_disk", &disk);
			if (!err && disk)
				add_object(w, disk, disk_size, UZ_NEED_OTHER);
		}
		uz_error_destroy(err);
	}
}

/* The sorted array from the hash table. */
static struct uz_error *finish(struct walk *w)
{
	struct uz_needed *n = w->n;
	if (n->oom)
		return uz_error_create(UZ_ERR_NOMEM, "out of memory recording needed pages");
	n->pfns = malloc((n->used ? n->used : 1) * sizeof(*n->pfns));
	n->sorted_masks = malloc(n->used ? n->used : 1);
	if (!n->pfns || !n->sorted_masks)
		return uz_error_create(UZ_ERR_NOMEM, "out of memory (%zu needed pages)", n->used);
	for (size_t i = 0; i < n->cap; i++)
		if (n->keys[i])
			n->pfns[n->n++] = n->keys[i] - 1;
	qsort(n->pfns, n->n, sizeof(*n->pfns), cmp_u64);
	for (size_t i = 0; i < n->n; i++) {
		uint64_t key = n->pfns[i] + 1;
		size_t h = hash_pfn(key, n->cap);
		while (n->keys[h] != key)
			h = (h + 1) & (n->cap - 1);
		n->sorted_masks[i] = n->masks[h];
	}
	free(n->keys);
	free(n->masks);
	n->keys = NULL;
	n->masks = NULL;
	return NULL;
}

struct uz_error *uz_needed_compute(struct uz_dump *dump, const struct uz_kernel_options *kopts,
				   struct uz_needed **out)
{
	*out = NULL;
	struct uz_needed *n = calloc(1, sizeof(*n));
	if (!n || !grow(n)) {
		free(n);
		return uz_error_create(UZ_ERR_NOMEM, "out of memory");
	}
	struct walk w = { .n = n, .dump = dump };
	uz_dump_set_read_observer(dump, observe_read, n);
	n->stats.reads_observed = true;
	struct uz_error *err = uz_kernel_open(dump, kopts, &w.k);
	if (!err) {
		w.page_size = uz_kernel_page_size(w.k);
		w.page_shift = uz_kernel_page_shift(w.k);
		w.sz_task = type_size_or_zero(w.k, "struct task_struct");
		w.sz_signal = type_size_or_zero(w.k, "struct signal_struct");
		w.sz_mm = type_size_or_zero(w.k, "struct mm_struct");
		w.sz_vma = type_size_or_zero(w.k, "struct vm_area_struct");
		w.sz_pid = type_size_or_zero(w.k, "struct pid");
		w.page = malloc(w.page_size);
		if (!w.page)
			err = uz_error_create(UZ_ERR_NOMEM, "out of memory");
	}
	if (!err)
		err = uz_error_wrap(uz_zram_model_open(w.k, &w.zm), "reading zram devices");
	if (!err)
		err = uz_zram_require_readable(w.zm);   /* else the set would only look complete */
	if (!err)
		err = uz_zram_ctx_create(w.zm, &w.zctx);
	if (!err) {
		add_swap_areas(&w);
		add_pid_idr(&w);
		err = walk_page_tables(&w);
	}
	if (!err)
		err = resolve_all(&w);
	/* The list walk runs last, so that an object page of a resolved slot
	 * that it does not reach stands out (counted below). */
	if (!err) {
		w.n_obj_pfns = sort_unique(w.obj_pfns, w.n_obj_pfns);
		/* Clear the ZSMALLOC bit the resolution set, let the walk set it
		 * again, and count the object pages it did not reach. */
		for (size_t i = 0; i < w.n_obj_pfns; i++) {
			uint64_t key = w.obj_pfns[i] + 1;
			size_t h = hash_pfn(key, n->cap);
			while (n->keys[h] && n->keys[h] != key)
				h = (h + 1) & (n->cap - 1);
			if (n->keys[h])
				n->masks[h] &= (uint8_t)~UZ_NEED_BIT(UZ_NEED_ZSMALLOC);
		}
		err = walk_devices(&w);
		for (size_t i = 0; !err && i < w.n_obj_pfns; i++) {
			uint64_t key = w.obj_pfns[i] + 1;
			size_t h = hash_pfn(key, n->cap);
			while (n->keys[h] && n->keys[h] != key)
				h = (h + 1) & (n->cap - 1);
			if (n->keys[h] && !(n->masks[h] & UZ_NEED_BIT(UZ_NEED_ZSMALLOC))) {
				n->stats.obj_pages_off_lists++;
				n->masks[h] |= (uint8_t)UZ_NEED_BIT(UZ_NEED_ZSMALLOC);
			}
		}
	}
	uz_dump_set_read_observer(dump, NULL, NULL);
	if (!err)
		err = finish(&w);
	if (w.zctx)
		uz_zram_ctx_destroy(w.zctx);
	if (w.zm)
		uz_zram_model_close(w.zm);
	if (w.k)
		uz_kernel_close(w.k);
	free(w.page);
	free(w.mms);
	free(w.entries);
	free(w.obj_pfns);
	if (err) {
		uz_needed_free(n);
		return err;
	}
	*out = n;
	return NULL;
}

void uz_needed_free(struct uz_needed *n)
{
	if (!n)
		return;
	free(n->keys);
	free(n->masks);
	free(n->pfns);
	free(n->sorted_masks);
	free(n);
}

size_t uz_needed_count(const struct uz_needed *n) { return n->n; }
uint64_t uz_needed_pfn(const struct uz_needed *n, size_t i) { return i < n->n ? n->pfns[i] : 0; }
unsigned uz_needed_mask(const struct uz_needed *n, size_t i) { return i < n->n ? n->sorted_masks[i] : 0; }
const struct uz_needed_stats *uz_needed_stats(const struct uz_needed *n) { return &n->stats; }
