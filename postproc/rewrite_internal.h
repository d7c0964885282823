/* rewrite_internal.h - what the files of vmcore-unzram's rewrite share:
 * the run's tables (one entry per zram swap PTE, per page-table segment, per
 * VMA with hits, per distinct swap entry), and the small accessors that turn
 * a hit back into addresses.
 *
 * Owns: nothing new.  rewrite.c builds the tables and writes the output;
 * report.c prints the summary and writes the JSON report from them;
 * decode_pool.c decompresses batches for rewrite.c.
 */
#ifndef UZ_REWRITE_INTERNAL_H
#define UZ_REWRITE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "decode_pool.h"
#include "progress.h"
#include "rewrite.h"
#include "vec.h"
#include "zram/zram.h"

struct mm_entry {
	uint64_t mm;
	int32_t tgid;
	char comm[16];
	bool selected;
};

/* Slots resolved per batch: reading is sequential (the dump and kernel view
 * are not thread-safe) and overlaps the decoding of the previous batch on
 * the other threads.  Memory: two batches of 2 pages per entry (2 MiB). */
#define RESOLVE_BATCH 128

struct batch {
	struct batch_item items[RESOLVE_BATCH];
	size_t slot[RESOLVE_BATCH];   /* slot index of each item */
	size_t n;
	uint8_t *src, *pages;         /* RESOLVE_BATCH pages each: read, decoded */
};

/* One user PTE holding a zram swap entry.  There is one per swapped page, so
 * it is kept to 16 bytes: its page-table page, virtual address and VMA come
 * from its segment. */
struct pte_hit {
	uint64_t old_pte;
	uint32_t slot;           /* index into run.slots */
	uint32_t index;          /* entry index within its page-table page */
};

/* Consecutive hits (walk order) in one page-table page and one VMA. */
struct segment {
	uint64_t pt_pfn;
	uint64_t vaddr_base;     /* virtual address entry 0 of the page would map */
	uint32_t vma;            /* index into run.vmas */
	uint32_t first;          /* first hit; the next segment's first ends it */
};

/* A VMA holding at least one hit. */
struct vma_entry {
	uint64_t vm_flags, vm_page_prot;
	uint32_t mm_index;
};

enum { SLOT_HUGE = 0x40, SLOT_CODEC_KNOWN = 0x80 };

/* One distinct swap entry (several PTEs share one after fork): 16 bytes.
 * Its source text ("zram0:1234:lz4", ...) is made when printed
 * (slot_source), resolving the slot again for the details not kept here. */
struct slot {
	uint64_t offset;
	uint32_t rank;           /* restored: its frame is first_frame + rank */
	uint8_t type;
	uint8_t outcome;
	uint8_t src;             /* enum uz_slot_source */
	uint8_t codec;           /* enum uz_codec (low 6 bits) | SLOT_HUGE | SLOT_CODEC_KNOWN */
};

/* Why an entry was not restored; few, kept apart from the slots. */
struct why_entry {
	uint32_t slot;
	char *why;
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
	struct vec hits;         /* struct pte_hit, walk order */
	struct vec segs;         /* struct segment, walk order */
	struct vec vmas;         /* struct vma_entry */
	struct vec slots;        /* struct slot, by (type, offset) */
	struct vec whys;         /* struct why_entry, by slot */
	/* walk state */
	uint32_t cur_mm;
	struct uz_vma_info cur_vma;
	uint32_t cur_vma_index;  /* UINT32_MAX until the current VMA has a hit */
	/* resolution: batches of slots read here and decoded on the pool;
	 * batch[cur] is the one being recorded or served, the other the next */
	struct decode_pool *pool;
	struct batch *batch[2];
	int cur;
	/* output state */
	uint64_t n_restored;
	uint32_t *seg_order;     /* segments sorted by page-table PFN */
	uint64_t *pt_pfns;       /* distinct page-table PFNs with restored hits */
	size_t *pt_first;        /* first index in seg_order for each pt_pfns[i] */
	size_t n_pt_pfns;
	/* frames produced for the writer: batch holds ranks [batch_rank, +batch_n) */
	size_t next_slot;        /* next slot to look at for a restored one */
	uint64_t batch_rank;
	size_t batch_n;
	bool frames_started;     /* pass 2 begun (a batch is current or decoding) */
	bool times;              /* -v or VMCOREUNZRAM_TIMES: print each phase's time */
	struct progress write_progress;
	double last_mark, last_cpu;
};


/* Segment of hit i (segments are in hit order). */
static inline size_t seg_of_hit(const struct run *r, size_t hit, size_t guess)
{
	const struct segment *sg = r->segs.data;
	if (guess < r->segs.len && sg[guess].first <= hit &&
	    (guess + 1 == r->segs.len || sg[guess + 1].first > hit))
		return guess;
	size_t lo = 0, hi = r->segs.len;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (sg[mid].first <= hit)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static inline size_t seg_end(const struct run *r, size_t seg)
{
	return seg + 1 < r->segs.len ? ((const struct segment *)vec_at(&r->segs, seg + 1))->first : r->hits.len;
}

static inline uint64_t hit_paddr(const struct run *r, const struct segment *sg, const struct pte_hit *h)
{
	return (sg->pt_pfn << r->page_shift) + (uint64_t)h->index * 8;
}

static inline uint64_t hit_vaddr(const struct run *r, const struct segment *sg, const struct pte_hit *h)
{
	return sg->vaddr_base + (uint64_t)h->index * r->page_size;
}

/* The present PTE a restored hit gets (the VMA's permissions, the slot's frame). */
uint64_t hit_new_pte(struct run *r, const struct segment *sg, const struct slot *s);

/* report.c */
struct uz_error *rewrite_write_report(struct run *r);
void rewrite_print_summary(const struct run *r);

#endif
