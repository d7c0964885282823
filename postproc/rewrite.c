/* rewrite.c - plan and perform the vmcore-unzram rewrite (see rewrite.h).
 *
 * Phases, each bounded in memory by the number of zram swap PTEs (not by the
 * dump size):
 *   1. collect the distinct mms of all tasks (threads share one mm);
 *   2. walk each mm's VMAs and page tables, keeping every PTE that holds a
 *      swap entry on a zram device;
 *   3. resolve each distinct swap entry once (swap cache, zeromap, zram slot),
 *      spilling the page bytes to an unlinked temporary file;
 *   4. give each restored entry a frame above the highest RAM PFN, in
 *      (swap type, offset) order so the output is deterministic;
 *   5. stream the output: page-table pages with their PTEs rewritten, then
 *      the new frames, plus the rewrite record note.
 */
#include "rewrite.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "progress.h"
#include "vec.h"
#include "zram/zram.h"

static const char *const outcome_names[UZ_OUT_COUNT] = {
	[UZ_OUT_ZRAM] = "zram",
	[UZ_OUT_SWAPCACHE] = "swapcache",
	[UZ_OUT_SAME_FILLED] = "same-filled",
	[UZ_OUT_ZEROMAP] = "zeromap",
	[UZ_OUT_WRITTEN_BACK] = "written-back",
	[UZ_OUT_MISSING] = "missing",
	[UZ_OUT_FAILED] = "failed",
};

const char *uz_outcome_name(enum uz_outcome o)
{
	return o < UZ_OUT_COUNT ? outcome_names[o] : "?";
}

bool uz_outcome_restored(enum uz_outcome o)
{
	return o <= UZ_OUT_ZEROMAP;
}

struct mm_entry {
	uint64_t mm;
	int32_t tgid;
	char comm[16];
	bool selected;
};

/* One user PTE holding a zram swap entry. */
struct pte_hit {
	uint64_t pte_paddr;
	uint64_t old_pte;
	uint64_t new_pte;        /* 0 until a frame is assigned */
	uint64_t vaddr;
	uint64_t vm_flags;
	uint64_t vm_page_prot;
	uint64_t swap_offset;
	uint32_t swap_type;
	uint32_t mm_index;
	uint32_t slot;           /* index into run.slots */
};

/* One distinct swap entry (several PTEs share one after fork). */
struct slot {
	uint64_t offset;
	uint64_t frame;          /* PFN in the output, or UINT64_MAX */
	uint64_t spill_index;
	uint32_t type;
	uint8_t outcome;
	char source[48];         /* "zram0:1234:lz4", "swapcache:pfn=0x...", ... */
	char *why;               /* for unrestored entries */
};

struct run {
	const struct uz_rewrite_options *opts;
	struct uz_rewrite_totals *t;
	struct uz_dump *dump;
	struct uz_kernel *k;
	struct uz_zram_model *zm;
	struct uz_zram_ctx *zctx;
	uint64_t page_size;
	unsigned page_shift;
	struct vec mms;          /* struct mm_entry */
	struct vec hits;         /* struct pte_hit */
	struct vec slots;        /* struct slot */
	/* walk state */
	uint32_t cur_mm;
	struct uz_vma_info cur_vma;
	/* output state */
	int spill_fd;
	uint64_t n_restored;
	size_t *pt_order;        /* restored hits sorted by pte_paddr */
	size_t n_pt_order;
	uint64_t *pt_pfns;       /* distinct page-table PFNs */
	size_t *pt_first;        /* first index in pt_order for each pt_pfns[i] */
	size_t n_pt_pfns;
	uint64_t *frame_slot;    /* slot index of each new frame */
};

/* ---- zram model glue: the only place that knows lib/zram's API ---- */

enum type_class { TYPE_SPECIAL, TYPE_OTHER_SWAP, TYPE_ZRAM };

static enum type_class classify_swap_type(struct run *r, uint32_t type)
{
	switch (uz_zram_swap_kind(r->zm, type)) {
	case UZ_SWAP_ZRAM:
		return TYPE_ZRAM;
	case UZ_SWAP_BLOCK:
	case UZ_SWAP_FILE:
		return TYPE_OTHER_SWAP;
	case UZ_SWAP_NONE:
		break;
	}
	return TYPE_SPECIAL;
}

static const char *device_name(struct run *r, int device)
{
	const struct uz_zram_device_info *d =
		device >= 0 ? uz_zram_device(r->zm, (size_t)device) : NULL;
	return d ? d->name : "zram?";
}

/* Records how a slot was resolved (err and res from uz_zram_resolve or
 * uz_zram_decompress_deferred); per-slot failures become outcomes, only
 * errors that make the whole run meaningless are returned.  Takes err. */
static struct uz_error *record_result(struct run *r, struct slot *s, struct uz_error *err,
				      const struct uz_slot_result *rp)
{
	const struct uz_slot_result res = *rp;
	if (!err) {
		switch (res.source) {
		case UZ_SRC_SWAPCACHE:
			s->outcome = UZ_OUT_SWAPCACHE;
			snprintf(s->source, sizeof(s->source), "swapcache:pfn=0x%" PRIx64, res.swapcache_pfn);
			break;
		case UZ_SRC_SAME_FILLED:
			s->outcome = UZ_OUT_SAME_FILLED;
			snprintf(s->source, sizeof(s->source), "%s:%" PRIu64 ":same=0x%" PRIx64,
				 device_name(r, res.device), s->offset, res.fill_word);
			break;
		case UZ_SRC_ZEROMAP:
			s->outcome = UZ_OUT_ZEROMAP;
			snprintf(s->source, sizeof(s->source), "zeromap:%" PRIu64, s->offset);
			break;
		case UZ_SRC_EMPTY:
			/* An empty slot reads as zeros, exactly as the kernel would
			 * return it. */
			s->outcome = UZ_OUT_SAME_FILLED;
			snprintf(s->source, sizeof(s->source), "%s:%" PRIu64 ":empty",
				 device_name(r, res.device), s->offset);
			break;
		case UZ_SRC_ZRAM:
		default:
			s->outcome = UZ_OUT_ZRAM;
			snprintf(s->source, sizeof(s->source), "%s:%" PRIu64 ":%s",
				 device_name(r, res.device), s->offset,
				 res.huge ? "huge" : res.codec_known ? uz_codec_name(res.codec) : "?");
			break;
		}
		return NULL;
	}
	switch (res.failure) {
	case UZ_FAIL_WRITTEN_BACK:
		s->outcome = UZ_OUT_WRITTEN_BACK;
		break;
	case UZ_FAIL_METADATA_MISSING:
	case UZ_FAIL_SWAPCACHE_STALE:
		s->outcome = UZ_OUT_MISSING;
		break;
	default:
		if (err->code == UZ_ERR_NOMEM || err->code == UZ_ERR_IO)
			return err;
		s->outcome = err->code == UZ_ERR_FAULT ? UZ_OUT_MISSING : UZ_OUT_FAILED;
		break;
	}
	s->why = strdup(err->message);
	uz_error_destroy(err);
	if (!s->why)
		return uz_error_create(UZ_ERR_NOMEM, "out of memory");
	return NULL;
}

/* ---- phase 1: mms ---- */

static bool task_selected(const struct uz_rewrite_options *o, const struct uz_task_info *t)
{
	if (!o->n_pids && !o->n_comms)
		return true;
	for (size_t i = 0; i < o->n_pids; i++)
		if (o->pids[i] == t->tgid || o->pids[i] == t->pid)
			return true;
	for (size_t i = 0; i < o->n_comms; i++)
		if (strncmp(o->comms[i], t->comm, sizeof(t->comm)) == 0)
			return true;
	return false;
}

static struct uz_error *collect_task(void *ctx, const struct uz_task_info *task)
{
	struct run *r = ctx;
	r->t->tasks++;
	if (!task->mm)
		return NULL;
	struct mm_entry e = { .mm = task->mm, .tgid = task->tgid,
			      .selected = task_selected(r->opts, task) };
	memcpy(e.comm, task->comm, sizeof(e.comm));
	e.comm[sizeof(e.comm) - 1] = '\0';
	return vec_push(&r->mms, &e);
}

static int cmp_mm(const void *a, const void *b)
{
	const struct mm_entry *x = a, *y = b;
	if (x->mm != y->mm)
		return x->mm < y->mm ? -1 : 1;
	/* The thread-group leader names the mm. */
	return (x->tgid > y->tgid) - (x->tgid < y->tgid);
}

static struct uz_error *collect_mms(struct run *r)
{
	UZ_TRY(uz_error_wrap(uz_kernel_for_each_task(r->k, collect_task, r), "listing tasks"));
	if (r->mms.len == 0)
		return NULL;
	qsort(r->mms.data, r->mms.len, sizeof(struct mm_entry), cmp_mm);
	struct mm_entry *m = r->mms.data;
	size_t out = 0;
	for (size_t i = 0; i < r->mms.len; i++) {
		if (out && m[out - 1].mm == m[i].mm) {
			m[out - 1].selected |= m[i].selected;
			continue;
		}
		m[out++] = m[i];
	}
	r->mms.len = out;
	r->t->mms = out;
	return NULL;
}

/* ---- phase 2: page tables ---- */

static struct uz_error *visit_pte(void *ctx, const struct uz_pte_ref *ref)
{
	struct run *r = ctx;
	struct uz_pte_info info;
	uz_kernel_pte_decode(r->k, ref->pte, &info);
	if (info.kind != UZ_PTE_SWAP)
		return NULL;
	switch (classify_swap_type(r, info.swap_type)) {
	case TYPE_SPECIAL:
		r->t->special_ptes++;
		return NULL;
	case TYPE_OTHER_SWAP:
		r->t->non_zram_swap_ptes++;
		return NULL;
	case TYPE_ZRAM:
		break;
	}
	struct pte_hit h = {
		.pte_paddr = ref->pte_paddr,
		.old_pte = ref->pte,
		.vaddr = ref->vaddr,
		.vm_flags = r->cur_vma.vm_flags,
		.vm_page_prot = r->cur_vma.vm_page_prot,
		.swap_offset = info.swap_offset,
		.swap_type = info.swap_type,
		.mm_index = r->cur_mm,
	};
	return vec_push(&r->hits, &h);
}

static struct uz_error *collect_vma(void *ctx, const struct uz_vma_info *vma)
{
	struct vec *vmas = ctx;
	return vec_push(vmas, vma);
}

static struct uz_error *walk_mms(struct run *r)
{
	struct progress p;
	progress_start(&p, r->opts->quiet, "walking page tables", r->mms.len);
	struct vec vmas;
	vec_init(&vmas, sizeof(struct uz_vma_info));
	struct uz_error *err = NULL;
	for (size_t i = 0; i < r->mms.len && !err; i++) {
		struct mm_entry *m = vec_at(&r->mms, i);
		progress_update(&p, i);
		if (!m->selected)
			continue;
		vmas.len = 0;
		err = uz_kernel_for_each_vma(r->k, m->mm, collect_vma, &vmas);
		r->cur_mm = (uint32_t)i;
		for (size_t j = 0; j < vmas.len && !err; j++) {
			r->cur_vma = *(struct uz_vma_info *)vec_at(&vmas, j);
			err = uz_kernel_walk_ptes(r->k, m->mm, r->cur_vma.start, r->cur_vma.end,
						  visit_pte, r);
		}
		err = uz_error_wrap(err, "process %d (%s), mm 0x%" PRIx64, m->tgid, m->comm, m->mm);
	}
	progress_finish(&p);
	vec_free(&vmas);
	return err;
}

/* ---- phase 3: distinct entries and resolution ---- */

static int cmp_hit_entry(const void *a, const void *b, void *ctx)
{
	const struct pte_hit *h = ctx;
	const struct pte_hit *x = &h[*(const size_t *)a], *y = &h[*(const size_t *)b];
	if (x->swap_type != y->swap_type)
		return x->swap_type < y->swap_type ? -1 : 1;
	if (x->swap_offset != y->swap_offset)
		return x->swap_offset < y->swap_offset ? -1 : 1;
	return (x->pte_paddr > y->pte_paddr) - (x->pte_paddr < y->pte_paddr);
}

static struct uz_error *build_slots(struct run *r)
{
	size_t n = r->hits.len;
	if (!n)
		return NULL;
	size_t *order = malloc(n * sizeof(*order));
	if (!order)
		return uz_error_create(UZ_ERR_NOMEM, "out of memory sorting %zu PTEs", n);
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), cmp_hit_entry, r->hits.data);
	struct pte_hit *h = r->hits.data;
	struct uz_error *err = NULL;
	for (size_t i = 0; i < n && !err; i++) {
		struct pte_hit *x = &h[order[i]];
		struct slot *last = r->slots.len ? vec_at(&r->slots, r->slots.len - 1) : NULL;
		if (!last || last->type != x->swap_type || last->offset != x->swap_offset) {
			struct slot s = { .offset = x->swap_offset, .type = x->swap_type,
					  .frame = UINT64_MAX, .outcome = UZ_OUT_FAILED };
			err = vec_push(&r->slots, &s);
		}
		x->slot = (uint32_t)(r->slots.len - 1);
	}
	free(order);
	return err;
}

static struct uz_error *spill_write(struct run *r, uint64_t index, const void *page)
{
	off_t off = (off_t)(index * r->page_size);
	ssize_t n = pwrite(r->spill_fd, page, r->page_size, off);
	if (n != (ssize_t)r->page_size)
		return uz_error_errno(n < 0 ? errno : EIO, "writing restored page %" PRIu64 " to the spill file", index);
	return NULL;
}

static struct uz_error *spill_read(struct run *r, uint64_t index, void *page)
{
	off_t off = (off_t)(index * r->page_size);
	ssize_t n = pread(r->spill_fd, page, r->page_size, off);
	if (n != (ssize_t)r->page_size)
		return uz_error_errno(n < 0 ? errno : EIO, "reading restored page %" PRIu64 " from the spill file", index);
	return NULL;
}

static struct uz_error *open_spill(struct run *r)
{
	/* Next to the output: same file system, so space is where the user
	 * asked for it, not in a small /tmp. */
	const char *out = r->opts->out_path;
	const char *slash = strrchr(out, '/');
	char templ[4096];
	int len = slash ? (int)(slash - out) : 1;
	snprintf(templ, sizeof(templ), "%.*s/.vmcore-unzram-spill-XXXXXX", len, slash ? out : ".");
	r->spill_fd = mkstemp(templ);
	if (r->spill_fd < 0)
		return uz_error_errno(errno, "creating a temporary file %s", templ);
	unlink(templ);
	return NULL;
}

/* Slots resolved per batch: reading
 * is sequential (the dump and kernel view are not thread-safe), decoding a
 * batch is spread over the threads.  Memory: 2 pages per batch entry. */
#define RESOLVE_BATCH 512

struct batch_item {
	struct uz_slot_result res;
	struct uz_error *err;
};

struct decode_job {
	struct uz_zram_ctx *ctx;
	struct batch_item *items;
	const uint8_t *src;       /* compressed bytes, one page-size stride per item */
	uint8_t *pages;           /* decoded pages */
	size_t first, stride, n;
	uint64_t page_size;
};

static void *decode_worker(void *arg)
{
	struct decode_job *j = arg;
	for (size_t i = j->first; i < j->n; i += j->stride) {
		struct batch_item *it = &j->items[i];
		if (!it->err && it->res.deferred)
			it->err = uz_zram_decompress_deferred(j->ctx, &it->res, j->src + i * j->page_size,
							      j->pages + i * j->page_size);
	}
	return NULL;
}

static int thread_count(const struct uz_rewrite_options *o)
{
	long n = o->threads > 0 ? o->threads : sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > 64)
		n = 64;
	return (int)n;
}

/* Reads a batch of slots on this thread, decodes it on nthreads threads
 * (this one included; with one thread, all here), records it in order. */
static struct uz_error *resolve_batched(struct run *r, struct progress *p, int nthreads)
{
	struct uz_error *err = NULL;
	uint64_t ps = r->page_size;
	struct batch_item *items = calloc(RESOLVE_BATCH, sizeof(*items));
	uint8_t *src = malloc(RESOLVE_BATCH * ps), *pages = malloc(RESOLVE_BATCH * ps);
	struct uz_zram_ctx **ctxs = calloc((size_t)nthreads, sizeof(*ctxs));
	struct decode_job *jobs = calloc((size_t)nthreads, sizeof(*jobs));
	pthread_t *tids = calloc((size_t)nthreads, sizeof(*tids));
	bool *created = calloc((size_t)nthreads, sizeof(*created));
	if (!items || !src || !pages || !ctxs || !jobs || !tids || !created)
		err = uz_error_create(UZ_ERR_NOMEM, "out of memory for %d decompression threads", nthreads);
	for (int t = 0; t < nthreads && !err; t++)
		err = uz_zram_ctx_create(r->zm, &ctxs[t]);
	if (!err)
		uz_zram_ctx_set_defer(r->zctx, true);
	for (size_t base = 0; base < r->slots.len && !err; base += RESOLVE_BATCH) {
		size_t n = r->slots.len - base < RESOLVE_BATCH ? r->slots.len - base : RESOLVE_BATCH;
		progress_update(p, base);
		for (size_t i = 0; i < n; i++) {
			struct slot *s = vec_at(&r->slots, base + i);
			items[i].err = uz_zram_resolve(r->zm, r->zctx, s->type, s->offset, src + i * ps, &items[i].res);
			if (!items[i].err && !items[i].res.deferred)
				memcpy(pages + i * ps, src + i * ps, ps);
		}
		/* Thread t decodes items t, t + nthreads, ...; this thread is 0. */
		for (int t = 0; t < nthreads; t++)
			jobs[t] = (struct decode_job){ ctxs[t], items, src, pages, (size_t)t, (size_t)nthreads, n, ps };
		for (int t = 1; t < nthreads; t++) {
			created[t] = pthread_create(&tids[t], NULL, decode_worker, &jobs[t]) == 0;
			if (!created[t])
				decode_worker(&jobs[t]);   /* no thread: do its share here */
		}
		decode_worker(&jobs[0]);
		for (int t = 1; t < nthreads; t++)
			if (created[t])
				pthread_join(tids[t], NULL);
		/* Record in slot order, so the output is the same for any -j. */
		for (size_t i = 0; i < n; i++) {
			struct slot *s = vec_at(&r->slots, base + i);
			struct uz_error *e = record_result(r, s, items[i].err, &items[i].res);
			items[i].err = NULL;
			if (e) {
				if (!err)
					err = e;
				else
					uz_error_destroy(e);
				continue;
			}
			if (!err && uz_outcome_restored(s->outcome)) {
				s->spill_index = r->n_restored++;
				err = spill_write(r, s->spill_index, pages + i * ps);
			}
		}
	}
	uz_zram_ctx_set_defer(r->zctx, false);
	for (int t = 0; ctxs && t < nthreads; t++)
		if (ctxs[t])
			uz_zram_ctx_destroy(ctxs[t]);
	free(ctxs);
	free(jobs);
	free(tids);
	free(created);
	free(items);
	free(src);
	free(pages);
	return err;
}

static struct uz_error *resolve_slots(struct run *r)
{
	struct progress p;
	progress_start(&p, r->opts->quiet, "restoring pages", r->slots.len);
	struct uz_error *err = resolve_batched(r, &p, thread_count(r->opts));
	progress_finish(&p);
	return err;
}

/* ---- phase 4: frames and PTEs ---- */

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static struct uz_error *assign_frames(struct run *r)
{
	/* Above every PFN the dump or the kernel knows of, 2 MiB-aligned so
	 * that a debugger's large-page reads never mix RAM and added frames. */
	uint64_t top = uz_dump_max_pfn(r->dump);
	uint64_t addr, kernel_max_pfn;
	/* The kernel's max_pfn is only a cross-check: a dump may describe less
	 * than all RAM, and added frames must not collide with any of it. */
	struct uz_error *e = uz_kernel_symbol(r->k, "max_pfn", &addr);
	if (!e)
		e = uz_kernel_read_u64(r->k, addr, &kernel_max_pfn);
	if (!e && kernel_max_pfn > top)
		top = kernel_max_pfn;
	uz_error_destroy(e);
	uint64_t first = align_up(top, (2u << 20) >> r->page_shift);
	r->t->first_frame = first;
	if (r->n_restored) {
		r->frame_slot = malloc(r->n_restored * sizeof(*r->frame_slot));
		if (!r->frame_slot)
			return uz_error_create(UZ_ERR_NOMEM, "out of memory");
	}
	uint64_t next = 0;
	for (size_t i = 0; i < r->slots.len; i++) {
		struct slot *s = vec_at(&r->slots, i);
		if (!uz_outcome_restored(s->outcome))
			continue;
		r->frame_slot[next] = i;
		s->frame = first + next++;
	}
	r->t->frames_added = next;
	return NULL;
}

static int cmp_hit_pte(const void *a, const void *b, void *ctx)
{
	const struct pte_hit *h = ctx;
	uint64_t x = h[*(const size_t *)a].pte_paddr, y = h[*(const size_t *)b].pte_paddr;
	return (x > y) - (x < y);
}

static struct uz_error *plan_ptes(struct run *r)
{
	struct pte_hit *h = r->hits.data;
	r->pt_order = malloc((r->hits.len ? r->hits.len : 1) * sizeof(*r->pt_order));
	if (!r->pt_order)
		return uz_error_create(UZ_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < r->hits.len; i++) {
		struct slot *s = vec_at(&r->slots, h[i].slot);
		r->t->ptes[s->outcome]++;
		if (!uz_outcome_restored(s->outcome))
			continue;
		h[i].new_pte = uz_kernel_pte_make_present(r->k, s->frame, h[i].vm_flags, h[i].vm_page_prot);
		r->pt_order[r->n_pt_order++] = i;
	}
	for (size_t i = 0; i < r->slots.len; i++)
		r->t->entries[((struct slot *)vec_at(&r->slots, i))->outcome]++;
	qsort_r(r->pt_order, r->n_pt_order, sizeof(size_t), cmp_hit_pte, h);
	for (size_t i = 1; i < r->n_pt_order; i++)
		if (h[r->pt_order[i]].pte_paddr == h[r->pt_order[i - 1]].pte_paddr)
			return uz_error_create(UZ_ERR_FORMAT,
					       "PTE at physical 0x%" PRIx64 " was reached twice (page tables shared between mms?)",
					       h[r->pt_order[i]].pte_paddr);
	r->pt_pfns = malloc((r->n_pt_order ? r->n_pt_order : 1) * sizeof(*r->pt_pfns));
	r->pt_first = malloc((r->n_pt_order ? r->n_pt_order : 1) * sizeof(*r->pt_first));
	if (!r->pt_pfns || !r->pt_first)
		return uz_error_create(UZ_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < r->n_pt_order; i++) {
		uint64_t pfn = h[r->pt_order[i]].pte_paddr >> r->page_shift;
		if (r->n_pt_pfns && r->pt_pfns[r->n_pt_pfns - 1] == pfn)
			continue;
		r->pt_pfns[r->n_pt_pfns] = pfn;
		r->pt_first[r->n_pt_pfns++] = i;
	}
	r->t->pt_pages_changed = r->n_pt_pfns;
	return NULL;
}

/* ---- phase 5: output ---- */

static struct uz_error *fill_patch(void *ctx, size_t index, void *page)
{
	struct run *r = ctx;
	if (index >= r->n_pt_pfns)
		return spill_read(r, ((struct slot *)vec_at(&r->slots, r->frame_slot[index - r->n_pt_pfns]))->spill_index, page);
	uint64_t pfn = r->pt_pfns[index];
	UZ_TRY(uz_error_wrap(uz_dump_read_page(r->dump, pfn, page), "reading page table page 0x%" PRIx64, pfn));
	size_t end = index + 1 < r->n_pt_pfns ? r->pt_first[index + 1] : r->n_pt_order;
	const struct pte_hit *h = r->hits.data;
	for (size_t i = r->pt_first[index]; i < end; i++) {
		const struct pte_hit *x = &h[r->pt_order[i]];
		uint64_t off = x->pte_paddr & (r->page_size - 1);
		uint64_t cur;
		memcpy(&cur, (char *)page + off, 8);
		if (cur != x->old_pte)
			return uz_error_create(UZ_ERR_FORMAT,
					       "PTE at 0x%" PRIx64 " changed between reads (0x%" PRIx64 " then 0x%" PRIx64 ")",
					       x->pte_paddr, x->old_pte, cur);
		memcpy((char *)page + off, &x->new_pte, 8);
	}
	return NULL;
}

static void sanitize_comm(char *dst, const char *src)
{
	size_t i = 0;
	for (; src[i] && i < 15; i++)
		dst[i] = (src[i] > ' ' && src[i] < 0x7f) ? src[i] : '_';
	if (!i)
		dst[i++] = '-';
	dst[i] = '\0';
}

/* The record: a text note so that `strings` or readelf shows it too.  One
 * line per rewritten PTE gives everything needed to undo the rewrite. */
static struct uz_error *build_record(struct run *r, char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);
	if (!f)
		return uz_error_errno(errno, "building the rewrite record");
	fprintf(f, "vmcore-unzram %s record 1\n", UZ_VERSION);
	fprintf(f, "frames 0x%" PRIx64 " %" PRIu64 "\n", r->t->first_frame, r->t->frames_added);
	const struct pte_hit *h = r->hits.data;
	for (size_t i = 0; i < r->n_pt_order; i++) {
		const struct pte_hit *x = &h[r->pt_order[i]];
		const struct mm_entry *m = vec_at(&r->mms, x->mm_index);
		const struct slot *s = vec_at(&r->slots, x->slot);
		char comm[16];
		sanitize_comm(comm, m->comm);
		fprintf(f, "pte %d %s mm=0x%" PRIx64 " vaddr=0x%" PRIx64 " at=0x%" PRIx64
			" old=0x%" PRIx64 " new=0x%" PRIx64 " %s %s\n",
			m->tgid, comm, m->mm, x->vaddr, x->pte_paddr, x->old_pte, x->new_pte,
			uz_outcome_name(s->outcome), s->source);
	}
	if (fclose(f) != 0)
		return uz_error_errno(errno, "building the rewrite record");
	return NULL;
}

static struct uz_error *write_output(struct run *r)
{
	size_t n = r->n_pt_pfns + r->n_restored;
	struct uz_page_patch *patches = malloc((n ? n : 1) * sizeof(*patches));
	if (!patches)
		return uz_error_create(UZ_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < r->n_pt_pfns; i++)
		patches[i].pfn = r->pt_pfns[i];
	for (size_t i = 0; i < r->n_restored; i++)
		patches[r->n_pt_pfns + i].pfn = r->t->first_frame + i;
	char *record = NULL;
	size_t record_len = 0;
	struct uz_error *err = build_record(r, &record, &record_len);
	if (!err) {
		struct uz_dump_write_options wo = r->opts->write;
		if (!r->opts->format_given || !r->opts->compress_given) {
			struct uz_dump_write_options defaults;
			uz_dump_write_options_init(r->dump, &defaults);
			if (!r->opts->format_given)
				wo.format = defaults.format;
			if (!r->opts->compress_given)
				wo.compress = defaults.compress;
		}
		wo.note_name = UZ_RECORD_NOTE_NAME;
		wo.note_type = UZ_RECORD_NOTE_TYPE;
		wo.note_desc = record;
		wo.note_desc_len = record_len;
		bool fell_back = false;
		wo.fell_back = &fell_back;
		err = uz_dump_write(r->dump, r->opts->out_path, patches, n, fill_patch, r, &wo);
		err = uz_error_wrap(err, "writing %s", r->opts->out_path);
		if (!err && wo.in_place && !r->opts->quiet)
			fprintf(stderr, "vmcore-unzram: %s\n", fell_back
				? "--in-place: the file has no room for another program header before its data, so it was rewritten whole"
				: "--in-place: appended the new frames and patched the page tables in place");
	}
	free(record);
	free(patches);
	return err;
}

/* ---- report ---- */

static void json_totals(struct json *j, const struct uz_rewrite_totals *t)
{
	json_key(j, "totals");
	json_begin_object(j);
	json_key(j, "tasks"); json_uint(j, t->tasks);
	json_key(j, "mms"); json_uint(j, t->mms);
	json_key(j, "zram_swap_ptes");
	json_begin_object(j);
	for (int o = 0; o < UZ_OUT_COUNT; o++) {
		json_key(j, uz_outcome_name(o));
		json_uint(j, t->ptes[o]);
	}
	json_end_object(j);
	json_key(j, "zram_swap_entries");
	json_begin_object(j);
	for (int o = 0; o < UZ_OUT_COUNT; o++) {
		json_key(j, uz_outcome_name(o));
		json_uint(j, t->entries[o]);
	}
	json_end_object(j);
	json_key(j, "non_zram_swap_ptes"); json_uint(j, t->non_zram_swap_ptes);
	json_key(j, "special_ptes"); json_uint(j, t->special_ptes);
	json_key(j, "frames_added"); json_uint(j, t->frames_added);
	json_key(j, "first_frame_pfn"); json_hex(j, t->first_frame);
	json_key(j, "page_table_pages_changed"); json_uint(j, t->pt_pages_changed);
	json_end_object(j);
}

static struct uz_error *write_report(struct run *r)
{
	const char *path = r->opts->report_path;
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (!f)
		return uz_error_errno(errno, "opening report %s", path);
	struct json j;
	json_init(&j, f);
	json_begin_object(&j);
	json_key(&j, "tool"); json_string(&j, "vmcore-unzram");
	json_key(&j, "version"); json_string(&j, UZ_VERSION);
	json_key(&j, "input"); json_string(&j, r->opts->in_path);
	json_key(&j, "output"); json_string(&j, r->opts->out_path);
	json_key(&j, "kernel"); json_string(&j, uz_kernel_release(r->k));
	json_totals(&j, r->t);
	json_key(&j, "ptes");
	json_begin_array(&j);
	const struct pte_hit *h = r->hits.data;
	for (size_t i = 0; i < r->hits.len; i++) {
		const struct mm_entry *m = vec_at(&r->mms, h[i].mm_index);
		const struct slot *s = vec_at(&r->slots, h[i].slot);
		json_begin_object(&j);
		json_key(&j, "pid"); json_int(&j, m->tgid);
		json_key(&j, "comm"); json_string(&j, m->comm);
		json_key(&j, "mm"); json_hex(&j, m->mm);
		json_key(&j, "vaddr"); json_hex(&j, h[i].vaddr);
		json_key(&j, "pte_paddr"); json_hex(&j, h[i].pte_paddr);
		json_key(&j, "old_pte"); json_hex(&j, h[i].old_pte);
		json_key(&j, "swap_type"); json_uint(&j, h[i].swap_type);
		json_key(&j, "swap_offset"); json_uint(&j, h[i].swap_offset);
		json_key(&j, "outcome"); json_string(&j, uz_outcome_name(s->outcome));
		if (uz_outcome_restored(s->outcome)) {
			json_key(&j, "new_pte"); json_hex(&j, h[i].new_pte);
			json_key(&j, "frame_pfn"); json_hex(&j, s->frame);
			json_key(&j, "source"); json_string(&j, s->source);
		} else {
			json_key(&j, "why"); json_string(&j, s->why ? s->why : "");
		}
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
	bool ok = json_finish(&j);
	if (f != stdout && fclose(f) != 0)
		ok = false;
	if (!ok)
		return uz_error_create(UZ_ERR_IO, "writing report %s failed", path);
	return NULL;
}

static void print_summary(const struct run *r)
{
	const struct uz_rewrite_totals *t = r->t;
	uint64_t restored = 0, total = 0;
	for (int o = 0; o < UZ_OUT_COUNT; o++) {
		total += t->ptes[o];
		if (uz_outcome_restored(o))
			restored += t->ptes[o];
	}
	fprintf(stderr, "vmcore-unzram: %" PRIu64 " of %" PRIu64 " zram swap PTEs restored "
		"(%" PRIu64 " processes, %" PRIu64 " new frames from PFN 0x%" PRIx64 ", %" PRIu64 " page-table pages changed)\n",
		restored, total, t->mms, t->frames_added, t->first_frame, t->pt_pages_changed);
	for (int o = 0; o < UZ_OUT_COUNT; o++)
		if (t->ptes[o])
			fprintf(stderr, "  %-13s %10" PRIu64 " PTEs %10" PRIu64 " swap entries\n",
				uz_outcome_name(o), t->ptes[o], t->entries[o]);
	if (t->non_zram_swap_ptes)
		fprintf(stderr, "  %" PRIu64 " PTEs swapped to non-zram devices left as they are\n", t->non_zram_swap_ptes);
	/* Say why with one example per category; --report lists them all. */
	for (int o = 0; o < UZ_OUT_COUNT; o++) {
		if (uz_outcome_restored(o) || !t->entries[o])
			continue;
		for (size_t i = 0; i < r->slots.len; i++) {
			const struct slot *s = vec_at(&r->slots, i);
			if (s->outcome != o || !s->why)
				continue;
			fprintf(stderr, "  not restored (%s), e.g. swap type %u offset %" PRIu64 ": %s", uz_outcome_name(o),
				s->type, s->offset, s->why);
			if (t->entries[o] > 1)
				fprintf(stderr, " (and %" PRIu64 " more swap entries)", t->entries[o] - 1);
			fputc('\n', stderr);
			break;
		}
	}
}

/* ---- driver ---- */

static void run_free(struct run *r)
{
	for (size_t i = 0; i < r->slots.len; i++)
		free(((struct slot *)vec_at(&r->slots, i))->why);
	vec_free(&r->slots);
	vec_free(&r->hits);
	vec_free(&r->mms);
	free(r->pt_order);
	free(r->pt_pfns);
	free(r->pt_first);
	free(r->frame_slot);
	if (r->spill_fd >= 0)
		close(r->spill_fd);
	if (r->zctx)
		uz_zram_ctx_destroy(r->zctx);
	if (r->zm)
		uz_zram_model_close(r->zm);
	if (r->k)
		uz_kernel_close(r->k);
	if (r->dump)
		uz_dump_close(r->dump);
}

struct uz_error *uz_rewrite_run(const struct uz_rewrite_options *opts,
				struct uz_rewrite_totals *totals)
{
	struct run r;
	memset(&r, 0, sizeof(r));
	memset(totals, 0, sizeof(*totals));
	r.opts = opts;
	r.t = totals;
	r.spill_fd = -1;
	vec_init(&r.mms, sizeof(struct mm_entry));
	vec_init(&r.hits, sizeof(struct pte_hit));
	vec_init(&r.slots, sizeof(struct slot));

	struct uz_error *err = uz_dump_open(opts->in_path, &r.dump);
	if (!err) {
		const void *desc;
		size_t len;
		struct uz_error *found = uz_dump_find_note(r.dump, UZ_RECORD_NOTE_NAME, UZ_RECORD_NOTE_TYPE, &desc, &len);
		if (!found)
			err = uz_error_create(UZ_ERR_USAGE,
					      "%s was already processed by vmcore-unzram (it has a %s note); run it on the original dump",
					      opts->in_path, UZ_RECORD_NOTE_NAME);
		uz_error_destroy(found);
	}
	if (!err)
		err = uz_kernel_open(r.dump, &opts->kernel, &r.k);
	if (!err) {
		r.page_size = uz_kernel_page_size(r.k);
		r.page_shift = uz_kernel_page_shift(r.k);
		err = uz_error_wrap(uz_zram_model_open(r.k, &r.zm), "reading zram devices");
	}
	if (!err)
		err = uz_zram_ctx_create(r.zm, &r.zctx);
	if (!err)
		err = collect_mms(&r);
	if (!err)
		err = walk_mms(&r);
	if (!err)
		err = build_slots(&r);
	if (!err)
		err = open_spill(&r);
	if (!err)
		err = resolve_slots(&r);
	if (!err)
		err = assign_frames(&r);
	if (!err)
		err = plan_ptes(&r);
	if (!err && opts->strict) {
		uint64_t bad = 0;
		for (int o = 0; o < UZ_OUT_COUNT; o++)
			if (!uz_outcome_restored(o))
				bad += totals->ptes[o];
		if (bad)
			err = uz_error_create(UZ_ERR_FAULT, "--strict: %" PRIu64 " zram swap PTEs could not be restored", bad);
	}
	if (!err)
		err = write_output(&r);
	if (!err && opts->report_path)
		err = write_report(&r);
	if (!opts->quiet && r.k && (!err || opts->strict))
		print_summary(&r);
	run_free(&r);
	return err;
}
