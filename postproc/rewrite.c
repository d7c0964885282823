/* rewrite.c - plan and perform the vmcore-unzram rewrite (see rewrite.h).
 *
 * Phases, each bounded in memory by the number of zram swap PTEs (not by the
 * dump size):
 *   1. collect the distinct mms of all tasks (threads share one mm);
 *   2. walk each mm's VMAs and page tables, keeping every PTE that holds a
 *      swap entry on a zram device;
 *   3. resolve each distinct swap entry (swap cache, zeromap, zram slot) for
 *      its outcome only;
 *   4. give each restored entry a frame above the highest RAM PFN, in
 *      (swap type, offset) order so the output is deterministic;
 *   5. stream the output: page-table pages with their PTEs rewritten, then
 *      the new frames, decoded a second time batch by batch as the writer
 *      asks for them, plus the rewrite record note.
 * Memory per zram swap PTE: 16 bytes (struct pte_hit) plus 16 per distinct
 * swap entry (struct slot) and about 10 in the record.
 * The decoding threads are decode_pool.c; the summary and the JSON report
 * are report.c; the tables they share are in rewrite_internal.h.
 */
#include "rewrite_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "interrupt.h"

/* With VMCOREUNZRAM_TIMES in the environment, the wall and CPU seconds of
 * each phase and the peak RSS so far, on stderr (docs/bench.md). */
static void phase_mark(struct run *r, const char *phase)
{
	if (!r->times)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	if (r->last_mark > 0)
		fprintf(stderr, "vmcore-unzram: %-16s %7.3f s wall %7.3f s CPU, max RSS so far %ld MiB\n",
			phase, now - r->last_mark, cpu - r->last_cpu, ru.ru_maxrss >> 10);
	r->last_mark = now;
	r->last_cpu = cpu;
}

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

/* Records how a slot was resolved (err and res from uz_zram_resolve or
 * uz_zram_decompress_deferred); per-slot failures become outcomes, only
 * errors that make the whole run meaningless are returned.  Takes err. */
static struct uz_error *record_result(struct run *r, size_t slot_index, struct uz_error *err,
				      const struct uz_slot_result *rp)
{
	struct slot *s = vec_at(&r->slots, slot_index);
	const struct uz_slot_result res = *rp;
	if (!err) {
		s->src = (uint8_t)res.source;
		switch (res.source) {
		case UZ_SRC_SWAPCACHE:
			s->outcome = UZ_OUT_SWAPCACHE;
			break;
		case UZ_SRC_SAME_FILLED:
			s->outcome = UZ_OUT_SAME_FILLED;
			break;
		case UZ_SRC_ZEROMAP:
			s->outcome = UZ_OUT_ZEROMAP;
			break;
		case UZ_SRC_BACKING_DEV:
			s->outcome = UZ_OUT_BACKING_DEV;
			break;
		case UZ_SRC_EMPTY:
			/* An empty slot reads as zeros, exactly as the kernel would
			 * return it. */
			s->outcome = UZ_OUT_SAME_FILLED;
			break;
		case UZ_SRC_ZRAM:
		default:
			s->outcome = UZ_OUT_ZRAM;
			s->src = UZ_SRC_ZRAM;
			s->codec = (uint8_t)(((unsigned)res.codec & 0x3f) | (res.huge ? SLOT_HUGE : 0) |
					     (res.codec_known ? SLOT_CODEC_KNOWN : 0));
			break;
		}
		return NULL;
	}
	switch (res.failure) {
	case UZ_FAIL_WRITTEN_BACK:
		s->outcome = UZ_OUT_WRITTEN_BACK;
		break;
	case UZ_FAIL_BACKING_IMAGE:      /* the --backing-dev image lacks the block */
		s->outcome = UZ_OUT_FAILED;
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
	struct why_entry w = { (uint32_t)slot_index, strdup(err->message) };
	uz_error_destroy(err);
	if (!w.why)
		return uz_error_create(UZ_ERR_NOMEM, "out of memory");
	struct uz_error *e = vec_push(&r->whys, &w);
	if (e)
		free(w.why);
	return e;
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
	r->t->mms = 0;
	for (size_t i = 0; i < out; i++)
		r->t->mms += m[i].selected;
	if ((r->opts->n_pids || r->opts->n_comms) && !r->t->mms)
		return uz_error_create(UZ_ERR_NOT_FOUND,
				       "no process of the dump matches %s (%" PRIu64 " tasks, %zu with user memory; --ps lists them)",
				       r->opts->n_pids && r->opts->n_comms ? "--pid or --comm" : r->opts->n_pids ? "--pid" : "--comm",
				       r->t->tasks, out);
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
	switch (info.swap_type > UINT8_MAX ? TYPE_SPECIAL : classify_swap_type(r, info.swap_type)) {
	case TYPE_SPECIAL:
		r->t->special_ptes++;
		return NULL;
	case TYPE_OTHER_SWAP:
		r->t->non_zram_swap_ptes++;
		return NULL;
	case TYPE_ZRAM:
		break;
	}
	if (r->hits.len >= UINT32_MAX)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "more than %" PRIu32 " zram swap PTEs", UINT32_MAX);
	if (r->cur_vma_index == UINT32_MAX) {
		struct vma_entry v = { r->cur_vma.vm_flags, r->cur_vma.vm_page_prot, r->cur_mm };
		UZ_TRY(vec_push(&r->vmas, &v));
		r->cur_vma_index = (uint32_t)(r->vmas.len - 1);
	}
	uint64_t pt_pfn = ref->pte_paddr >> r->page_shift;
	uint32_t index = (uint32_t)((ref->pte_paddr & (r->page_size - 1)) / 8);
	uint64_t base = ref->vaddr - (uint64_t)index * r->page_size;
	const struct segment *last = r->segs.len ? vec_at(&r->segs, r->segs.len - 1) : NULL;
	if (!last || last->pt_pfn != pt_pfn || last->vma != r->cur_vma_index || last->vaddr_base != base) {
		struct segment sg = { pt_pfn, base, r->cur_vma_index, (uint32_t)r->hits.len };
		UZ_TRY(vec_push(&r->segs, &sg));
	}
	struct pte_hit h = { .old_pte = ref->pte, .index = index };
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
	progress_start(&p, "vmcore-unzram", r->opts->quiet, "walking page tables", r->mms.len);
	struct vec vmas;
	vec_init(&vmas, sizeof(struct uz_vma_info));
	struct uz_error *err = NULL;
	for (size_t i = 0; i < r->mms.len && !err; i++) {
		struct mm_entry *m = vec_at(&r->mms, i);
		progress_update(&p, i);
		if (!m->selected)
			continue;
		if ((err = uz_interrupt_check()))
			break;
		vmas.len = 0;
		err = uz_kernel_for_each_vma(r->k, m->mm, collect_vma, &vmas);
		r->cur_mm = (uint32_t)i;
		for (size_t j = 0; j < vmas.len && !err; j++) {
			r->cur_vma = *(struct uz_vma_info *)vec_at(&vmas, j);
			r->cur_vma_index = UINT32_MAX;
			err = uz_kernel_walk_ptes(r->k, m->mm, r->cur_vma.start, r->cur_vma.end,
						  visit_pte, r);
		}
		err = uz_error_wrap(err, "process %d (%s), mm 0x%" PRIx64, m->tgid, m->comm, m->mm);
	}
	progress_finish(&p);
	vec_free(&vmas);
	return err;
}

uint64_t hit_new_pte(struct run *r, const struct segment *sg, const struct slot *s)
{
	const struct vma_entry *v = vec_at(&r->vmas, sg->vma);
	return uz_kernel_pte_make_present(r->k, r->t->first_frame + s->rank, v->vm_flags, v->vm_page_prot);
}


/* ---- phase 3: distinct entries and resolution ---- */

struct entry_key {
	uint64_t offset;
	uint32_t type;
	uint32_t hit;
};

static int cmp_entry_key(const void *a, const void *b)
{
	const struct entry_key *x = a, *y = b;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return (x->hit > y->hit) - (x->hit < y->hit);
}

static struct uz_error *build_slots(struct run *r)
{
	size_t n = r->hits.len;
	if (!n)
		return NULL;
	struct entry_key *keys = malloc(n * sizeof(*keys));
	if (!keys)
		return uz_error_create(UZ_ERR_NOMEM, "out of memory sorting %zu PTEs", n);
	struct pte_hit *h = r->hits.data;
	for (size_t i = 0; i < n; i++) {
		struct uz_pte_info info;
		uz_kernel_pte_decode(r->k, h[i].old_pte, &info);
		keys[i] = (struct entry_key){ info.swap_offset, info.swap_type, (uint32_t)i };
	}
	qsort(keys, n, sizeof(*keys), cmp_entry_key);
	struct uz_error *err = NULL;
	for (size_t i = 0; i < n && !err; i++) {
		const struct slot *last = r->slots.len ? vec_at(&r->slots, r->slots.len - 1) : NULL;
		if (!last || last->type != keys[i].type || last->offset != keys[i].offset) {
			struct slot s = { .offset = keys[i].offset, .type = (uint8_t)keys[i].type,
					  .outcome = UZ_OUT_FAILED };
			err = vec_push(&r->slots, &s);
		}
		h[keys[i].hit].slot = (uint32_t)(r->slots.len - 1);
	}
	free(keys);
	return err;
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

/* Reads the slots listed in b->slot on this thread; after batch_decode and
 * pool_wait, b->pages holds each slot's page and b->items its result. */
static void batch_read(struct run *r, struct batch *b)
{
	uint64_t ps = r->page_size;
	for (size_t i = 0; i < b->n; i++) {
		const struct slot *s = vec_at(&r->slots, b->slot[i]);
		b->items[i].err = uz_zram_resolve(r->zm, r->zctx, s->type, s->offset, b->src + i * ps, &b->items[i].res);
		if (!b->items[i].err && !b->items[i].res.deferred)
			memcpy(b->pages + i * ps, b->src + i * ps, ps);
	}
}

static void batch_decode(struct run *r, struct batch *b)
{
	decode_pool_start(r->pool, b->items, b->src, b->pages, b->n, r->page_size);
}

static struct uz_error *batches_create(struct run *r)
{
	for (int i = 0; i < 2; i++) {
		struct batch *b = calloc(1, sizeof(*b));
		r->batch[i] = b;
		if (!b || !(b->src = malloc(RESOLVE_BATCH * r->page_size)) ||
		    !(b->pages = malloc(RESOLVE_BATCH * r->page_size)))
			return uz_error_create(UZ_ERR_NOMEM, "out of memory");
	}
	return decode_pool_create(r->zm, thread_count(r->opts), &r->pool);
}

static void batches_free(struct run *r)
{
	/* A batch may still be decoding (an error ended the run early). */
	if (r->pool)
		decode_pool_wait(r->pool);
	decode_pool_destroy(r->pool);
	for (int i = 0; i < 2; i++) {
		struct batch *b = r->batch[i];
		if (!b)
			continue;
		for (size_t j = 0; j < b->n; j++)
			uz_error_destroy(b->items[j].err);
		free(b->src);
		free(b->pages);
		free(b);
	}
}

/* Pass 1: the outcome of every slot.  The pages are not kept (a spill file
 * of every restored page cost more than decoding them again): pass 2
 * (next_frames) decodes the restored ones again, in frame order, while the
 * writer asks for them. */
static struct uz_error *resolve_slots(struct run *r)
{
	struct progress p;
	progress_start(&p, "vmcore-unzram", r->opts->quiet, "restoring pages", r->slots.len);
	struct uz_error *err = batches_create(r);
	if (!err)
		uz_zram_ctx_set_defer(r->zctx, true);
	size_t next = 0;      /* first slot not yet read */
	int decoding = -1;    /* batch the pool is decoding */
	/* This thread reads a batch while the pool decodes the previous one,
	 * then records that one (in slot order, so the output is the same for
	 * any -j) while the pool decodes the new one. */
	for (;;) {
		int fill = decoding < 0 ? 0 : !decoding;
		struct batch *nb = r->batch[fill];
		nb->n = 0;
		if (!err)
			err = uz_interrupt_check();
		for (; !err && next < r->slots.len && nb->n < RESOLVE_BATCH; next++)
			nb->slot[nb->n++] = next;
		progress_update(&p, next);
		batch_read(r, nb);
		if (decoding >= 0)
			decode_pool_wait(r->pool);
		if (nb->n)
			batch_decode(r, nb);
		if (decoding >= 0) {
			struct batch *done = r->batch[decoding];
			for (size_t i = 0; i < done->n; i++) {
				struct uz_error *e = record_result(r, done->slot[i], done->items[i].err,
								   &done->items[i].res);
				done->items[i].err = NULL;
				if (e && !err)
					err = e;
				else
					uz_error_destroy(e);
			}
			done->n = 0;
		}
		if (!nb->n)
			break;
		decoding = fill;
	}
	progress_finish(&p);
	return err;
}

/* Collects the next restored slots (from r->next_slot on) into b. */
static void next_restored(struct run *r, struct batch *b)
{
	b->n = 0;
	for (; r->next_slot < r->slots.len && b->n < RESOLVE_BATCH; r->next_slot++)
		if (uz_outcome_restored(((struct slot *)vec_at(&r->slots, r->next_slot))->outcome))
			b->slot[b->n++] = r->next_slot;
}

/* Pass 2: the current batch was served; makes the one being decoded
 * current (ranks r->batch_rank + r->batch_n on), reading the one after it
 * into the free buffer meanwhile.  The same bytes as pass 1 give the same
 * result; anything else means the input changed under us. */
static struct uz_error *next_frames(struct run *r)
{
	struct batch *freeb = r->batch[r->cur], *dec = r->batch[!r->cur];
	if (!r->frames_started) {
		next_restored(r, dec);
		batch_read(r, dec);
		batch_decode(r, dec);
		r->frames_started = true;
	}
	next_restored(r, freeb);
	batch_read(r, freeb);
	decode_pool_wait(r->pool);
	if (freeb->n)
		batch_decode(r, freeb);
	r->cur = !r->cur;
	r->batch_rank += r->batch_n;
	r->batch_n = dec->n;
	struct uz_error *err = NULL;
	for (size_t i = 0; i < dec->n; i++) {
		struct uz_error *e = dec->items[i].err;
		dec->items[i].err = NULL;
		if (e && !err) {
			const struct slot *s = vec_at(&r->slots, dec->slot[i]);
			err = uz_error_wrap(e, "swap type %u offset %" PRIu64 " resolved once but not twice",
					    s->type, s->offset);
		} else {
			uz_error_destroy(e);
		}
	}
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
	uint32_t next = 0;
	for (size_t i = 0; i < r->slots.len; i++) {
		struct slot *s = vec_at(&r->slots, i);
		if (uz_outcome_restored(s->outcome))
			s->rank = next++;
	}
	r->n_restored = next;
	r->t->frames_added = next;
	return NULL;
}

static int cmp_seg(const void *a, const void *b, void *ctx)
{
	const struct segment *sg = ctx;
	const struct segment *x = &sg[*(const uint32_t *)a], *y = &sg[*(const uint32_t *)b];
	if (x->pt_pfn != y->pt_pfn)
		return x->pt_pfn < y->pt_pfn ? -1 : 1;
	return (x->first > y->first) - (x->first < y->first);
}

static struct uz_error *plan_ptes(struct run *r)
{
	const struct pte_hit *h = r->hits.data;
	for (size_t i = 0; i < r->hits.len; i++)
		r->t->ptes[((struct slot *)vec_at(&r->slots, h[i].slot))->outcome]++;
	for (size_t i = 0; i < r->slots.len; i++)
		r->t->entries[((struct slot *)vec_at(&r->slots, i))->outcome]++;
	size_t ns = r->segs.len;
	r->seg_order = malloc((ns ? ns : 1) * sizeof(*r->seg_order));
	r->pt_pfns = malloc((ns ? ns : 1) * sizeof(*r->pt_pfns));
	r->pt_first = malloc((ns ? ns : 1) * sizeof(*r->pt_first));
	if (!r->seg_order || !r->pt_pfns || !r->pt_first)
		return uz_error_create(UZ_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < ns; i++)
		r->seg_order[i] = (uint32_t)i;
	const struct segment *sg = r->segs.data;
	qsort_r(r->seg_order, ns, sizeof(uint32_t), cmp_seg, r->segs.data);
	for (size_t i = 0; i < ns;) {
		/* One page-table page: its segments, entries strictly increasing. */
		size_t j = i;
		bool restored = false;
		int64_t prev = -1;
		for (; j < ns && sg[r->seg_order[j]].pt_pfn == sg[r->seg_order[i]].pt_pfn; j++) {
			size_t s = r->seg_order[j];
			for (size_t k = sg[s].first; k < seg_end(r, s); k++) {
				if ((int64_t)h[k].index <= prev)
					return uz_error_create(UZ_ERR_FORMAT,
							       "PTE at physical 0x%" PRIx64 " was reached twice (page tables shared between mms?)",
							       hit_paddr(r, &sg[s], &h[k]));
				prev = h[k].index;
				restored |= uz_outcome_restored(((struct slot *)vec_at(&r->slots, h[k].slot))->outcome);
			}
		}
		if (restored) {
			r->pt_pfns[r->n_pt_pfns] = sg[r->seg_order[i]].pt_pfn;
			r->pt_first[r->n_pt_pfns++] = i;
		}
		i = j;
	}
	r->t->pt_pages_changed = r->n_pt_pfns;
	return NULL;
}

/* ---- phase 5: output ---- */

/* Pass 2 from the first frame on (also when the writer starts over). */
static void frames_restart(struct run *r)
{
	decode_pool_wait(r->pool);
	for (int i = 0; i < 2; i++) {
		for (size_t j = 0; j < r->batch[i]->n; j++) {
			uz_error_destroy(r->batch[i]->items[j].err);
			r->batch[i]->items[j].err = NULL;
		}
		r->batch[i]->n = 0;
	}
	r->next_slot = 0;
	r->batch_rank = r->batch_n = 0;
	r->frames_started = false;
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


static struct uz_error *fill_patch(void *ctx, size_t index, void *page)
{
	struct run *r = ctx;
	progress_update(&r->write_progress, index + 1);
	if (index >= r->n_pt_pfns) {
		uint64_t rank = index - r->n_pt_pfns;
		if (!r->frames_started || rank < r->batch_rank)
			frames_restart(r);
		while (rank >= r->batch_rank + r->batch_n) {
			if (rank >= r->n_restored)
				return uz_error_create(UZ_ERR_USAGE, "frame %" PRIu64 " asked for but only %" PRIu64 " restored",
						       rank, r->n_restored);
			UZ_TRY(next_frames(r));
		}
		memcpy(page, r->batch[r->cur]->pages + (rank - r->batch_rank) * r->page_size, r->page_size);
		return NULL;
	}
	uint64_t pfn = r->pt_pfns[index];
	UZ_TRY(uz_error_wrap(uz_dump_read_page(r->dump, pfn, page), "reading page table page 0x%" PRIx64, pfn));
	size_t end = index + 1 < r->n_pt_pfns ? r->pt_first[index + 1] : r->segs.len;
	const struct pte_hit *h = r->hits.data;
	for (size_t i = r->pt_first[index]; i < end && i < r->segs.len; i++) {
		const struct segment *sg = vec_at(&r->segs, r->seg_order[i]);
		if (sg->pt_pfn != pfn)
			break;
		for (size_t k = sg->first; k < seg_end(r, r->seg_order[i]); k++) {
			const struct slot *s = vec_at(&r->slots, h[k].slot);
			if (!uz_outcome_restored(s->outcome))
				continue;
			uint64_t off = (uint64_t)h[k].index * 8, cur;
			memcpy(&cur, (char *)page + off, 8);
			if (cur != h[k].old_pte)
				return uz_error_create(UZ_ERR_FORMAT,
						       "PTE at 0x%" PRIx64 " changed between reads (0x%" PRIx64 " then 0x%" PRIx64 ")",
						       hit_paddr(r, sg, &h[k]), h[k].old_pte, cur);
			uint64_t nw = hit_new_pte(r, sg, s);
			memcpy((char *)page + off, &nw, 8);
		}
	}
	return NULL;
}

/* The record (format 2, lib/record): totals, the mm table and one entry per
 * rewritten PTE in physical order. */
static struct uz_error *build_record(struct run *r, struct uz_record_writer *w)
{
	uint64_t n_ptes = 0;
	for (int o = 0; o < UZ_OUT_COUNT; o++)
		if (uz_outcome_restored(o))
			n_ptes += r->t->ptes[o];
	uz_record_begin(w, r->t->first_frame, r->t->frames_added, r->mms.len, n_ptes);
	for (size_t i = 0; i < r->mms.len; i++) {
		const struct mm_entry *m = vec_at(&r->mms, i);
		char comm[16] = { 0 };
		sanitize_comm(comm, m->comm);
		uz_record_add_mm(w, m->mm, m->tgid, comm);
	}
	const struct pte_hit *h = r->hits.data;
	for (size_t i = 0; i < r->segs.len; i++) {
		const struct segment *sg = vec_at(&r->segs, r->seg_order[i]);
		const struct vma_entry *v = vec_at(&r->vmas, sg->vma);
		for (size_t k = sg->first; k < seg_end(r, r->seg_order[i]); k++) {
			const struct slot *s = vec_at(&r->slots, h[k].slot);
			if (!uz_outcome_restored(s->outcome))
				continue;
			struct uz_record_pte p = { .at = hit_paddr(r, sg, &h[k]), .old_pte = h[k].old_pte,
						   .new_pte = hit_new_pte(r, sg, s), .vaddr = hit_vaddr(r, sg, &h[k]),
						   .mm_index = v->mm_index, .outcome = s->outcome };
			uz_record_add_pte(w, &p);
		}
	}
	const void *data;
	size_t len;
	return uz_record_finish(w, &data, &len);
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
	struct uz_record_writer record;
	struct uz_error *err = build_record(r, &record);
	if (!err) {
		struct uz_dump_write_options wo = r->opts->write;
		if (!r->opts->format_given || !r->opts->compress_given) {
			struct uz_dump_write_options defaults;
			uz_dump_write_options_init(r->dump, &defaults);
			if (!r->opts->format_given)
				wo.format = defaults.format;
			/* The pages this run adds (and every page of a conversion) in
			 * lzo unless -c says otherwise: 5x faster than zlib on the 6.1
			 * fixture's 196k pages (0.41 s against 2.21 s of CPU, zstd 1.36 s,
			 * snappy 0.40 s), and read by every reader that reads kdump files
			 * here (Debian's crash 8.0.2 and 9.0.2, libkdumpfile under drgn,
			 * makedumpfile 1.7.x all link liblzo2).  Compression is per page,
			 * so the input's pages keep theirs.  An uncompressed input stays
			 * uncompressed. */
			if (!r->opts->compress_given)
				wo.compress = defaults.compress == UZ_COMPRESS_NONE ? UZ_COMPRESS_NONE : UZ_COMPRESS_LZO;
		}
		wo.note_name = UZ_RECORD_NOTE_NAME;
		wo.note_type = UZ_RECORD_NOTE_TYPE;
		wo.note_desc = record.data;
		wo.note_desc_len = record.len;
		bool fell_back = false;
		wo.fell_back = &fell_back;
		struct uz_dump_write_stats stats;
		memset(&stats, 0, sizeof(stats));
		wo.stats = &stats;
		progress_start(&r->write_progress, "vmcore-unzram", r->opts->quiet, "writing", n);
		err = uz_dump_write(r->dump, r->opts->out_path, patches, n, fill_patch, r, &wo);
		progress_finish(&r->write_progress);
		r->t->broken_pages = stats.broken_pages;
		if (!err && stats.broken_pages && !r->opts->quiet)
			fprintf(stderr, "vmcore-unzram: warning: %" PRIu64 " page%s of %s could not be read and stay%s unreadable in the output (first: %s)\n",
				stats.broken_pages, stats.broken_pages == 1 ? "" : "s", r->opts->in_path,
				stats.broken_pages == 1 ? "s" : "", stats.first_broken_why);
		if (!err && wo.in_place && !r->opts->quiet)
			fprintf(stderr, "vmcore-unzram: %s\n",
				!fell_back ? "--in-place: appended the new frames and patched the page tables in place"
				: uz_dump_format(r->dump) != UZ_DUMP_ELF
				? "--in-place: a kdump-compressed file cannot grow in place (its page data follows the bitmaps and descriptors that would grow), so it was rewritten whole, safely through a temporary file"
				: "--in-place: the file has no room for another program header before its data, so it was rewritten whole, safely through a temporary file");
	}
	uz_record_writer_free(&record);
	free(patches);
	return err;
}

/* ---- driver ---- */

/* --in-place on a dump that already has a record: an earlier --in-place run
 * that stopped after writing its record and frames (lib/dump/elf.c,
 * write_in_place, step 3) left some recorded PTEs with their old values.
 * Writes the recorded new value into each of those; a dump whose PTEs all
 * hold their new values is simply done. */
static struct uz_error *complete_in_place(struct run *r)
{
	const char *path = r->opts->in_path;
	struct uz_record rec;
	struct uz_error *err = uz_error_wrap(uz_record_read(r->dump, &rec), "%s", path);
	struct vec todo;
	vec_init(&todo, sizeof(struct uz_word_patch));
	const struct uz_record_pte *c = rec.ptes.data;
	for (size_t i = 0; !err && i < rec.ptes.len; i++) {
		uint64_t v;
		err = uz_error_wrap(uz_dump_read_phys(r->dump, c[i].at, &v, 8), "recorded PTE at 0x%" PRIx64, c[i].at);
		if (!err && v == c[i].old_pte)
			err = vec_push(&todo, &(struct uz_word_patch){ c[i].at, c[i].new_pte });
		else if (!err && v != c[i].new_pte)
			err = uz_error_create(UZ_ERR_MISMATCH,
					      "%s: the PTE at 0x%" PRIx64 " holds 0x%" PRIx64 ", neither the recorded old value 0x%" PRIx64
					      " nor the new 0x%" PRIx64 "; the dump changed after vmcore-unzram ran", path, c[i].at, v,
					      c[i].old_pte, c[i].new_pte);
	}
	if (!err && !todo.len)
		err = uz_error_create(UZ_ERR_USAGE,
				      "%s was already processed by vmcore-unzram, completely (vmcore-unzram --verify %s checks it)",
				      path, path);
	if (!err)
		err = uz_dump_patch_words(r->dump, path, todo.data, todo.len);
	if (!err && !r->opts->quiet)
		fprintf(stderr, "vmcore-unzram: %s: completed an --in-place update that was cut short: "
			"%zu of %zu recorded PTEs written now\n", path, todo.len, rec.ptes.len);
	vec_free(&todo);
	uz_record_free(&rec);
	return err;
}

static void run_free(struct run *r)
{
	for (size_t i = 0; i < r->whys.len; i++)
		free(((struct why_entry *)vec_at(&r->whys, i))->why);
	vec_free(&r->whys);
	vec_free(&r->slots);
	vec_free(&r->hits);
	vec_free(&r->segs);
	vec_free(&r->vmas);
	vec_free(&r->mms);
	free(r->seg_order);
	free(r->pt_pfns);
	free(r->pt_first);
	batches_free(r);
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
	r.times = opts->verbose || getenv("VMCOREUNZRAM_TIMES") != NULL;
	phase_mark(&r, "start");
	vec_init(&r.mms, sizeof(struct mm_entry));
	vec_init(&r.hits, sizeof(struct pte_hit));
	vec_init(&r.slots, sizeof(struct slot));
	vec_init(&r.segs, sizeof(struct segment));
	vec_init(&r.vmas, sizeof(struct vma_entry));
	vec_init(&r.whys, sizeof(struct why_entry));

	struct uz_error *err = uz_dump_open(opts->in_path, &r.dump);
	if (!err) {
		const void *desc;
		size_t len;
		struct uz_error *found = uz_dump_find_note(r.dump, UZ_RECORD_NOTE_NAME, UZ_RECORD_NOTE_TYPE, &desc, &len);
		if (!found && opts->write.in_place) {
			err = complete_in_place(&r);
			run_free(&r);
			return err;
		}
		if (!found)
			err = uz_error_create(UZ_ERR_USAGE,
					      "%s was already processed by vmcore-unzram (it has a %s note); run it on the original dump",
					      opts->in_path, UZ_RECORD_NOTE_NAME);
		uz_error_destroy(found);
	}
	if (!err)
		err = uz_kernel_open(r.dump, &opts->kernel, &r.k);
	if (!err && !opts->quiet)
		fprintf(stderr, "vmcore-unzram: kernel %s, types from %s\n", uz_kernel_release(r.k),
			uz_kernel_types_source(r.k));
	phase_mark(&r, "kernel_open");
	if (!err) {
		r.page_size = uz_kernel_page_size(r.k);
		r.page_shift = uz_kernel_page_shift(r.k);
		err = uz_error_wrap(uz_zram_model_open(r.k, &r.zm), "reading zram devices");
	}
	phase_mark(&r, "zram_model_open");
	for (size_t i = 0; !err && i < opts->n_backing; i++) {
		err = uz_error_wrap(uz_zram_attach_backing(r.zm, opts->backing_devs[i], opts->backing_images[i]),
				    "--backing-dev");
		for (size_t d = 0; !err && !opts->quiet && d < uz_zram_device_count(r.zm); d++) {
			/* A size other than the one the kernel saw hints at the wrong disk. */
			const struct uz_zram_device_info *z = uz_zram_device(r.zm, d);
			if (strcmp(z->name, opts->backing_devs[i]) == 0 && z->backing_known &&
			    z->backing_image_size != z->backing_nr_pages * r.page_size)
				fprintf(stderr, "vmcore-unzram: warning: %s is %" PRIu64 " bytes, the kernel recorded %" PRIu64
					" for %s's backing device %s\n", z->backing_image, z->backing_image_size,
					z->backing_nr_pages * r.page_size, z->name, z->backing_name);
		}
	}
	if (!err)
		err = uz_zram_ctx_create(r.zm, &r.zctx);
	if (!err)
		err = collect_mms(&r);
	phase_mark(&r, "collect_mms");
	if (!err)
		err = walk_mms(&r);
	phase_mark(&r, "walk_mms");
	if (!err)
		err = build_slots(&r);
	phase_mark(&r, "build_slots");
	if (!err)
		err = resolve_slots(&r);
	phase_mark(&r, "resolve_slots");
	if (!err)
		err = assign_frames(&r);
	phase_mark(&r, "assign_frames");
	if (!err)
		err = plan_ptes(&r);
	phase_mark(&r, "plan_ptes");
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
	phase_mark(&r, "write_output");
	if (!err && opts->report_path)
		err = rewrite_write_report(&r);
	if (!opts->quiet && r.k && (!err || opts->strict))
		rewrite_print_summary(&r);
	run_free(&r);
	return err;
}
