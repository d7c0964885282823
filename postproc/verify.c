/* verify.c - vmcore-unzram --verify: prove that a rewritten dump says what
 * its rewrite record says, and nothing else.
 *
 * With IN and OUT, three checks, each of which must pass:
 *   1. metadata: every note but the record, the VMCOREINFO text and the
 *      format's header fields that describe the crash (not the layout) are
 *      byte-identical in IN and OUT (uz_dump_compare_metadata);
 *   2. pages: every PFN below the first added frame has the same state in
 *      both and identical bytes, except the 8-byte words the record names,
 *      which hold the recorded old value in IN and the recorded new value in
 *      OUT; exactly the recorded frames exist at and above it;
 *   3. frames: each added frame holds exactly the page its swap entry
 *      resolves to when decoded again from IN's own zram, swap-cache and
 *      same-filled data (with the kernel view: debuginfo or the dump's BTF).
 * With OUT alone (an --in-place update, whose input is gone), 2 becomes:
 * every recorded word holds its recorded new value and every added frame is
 * present; 3 decodes from OUT itself, whose zram data the rewrite never
 * touches.
 *
 * A recorded PTE that still holds its old value is reported apart: it is
 * the mark of an --in-place run stopped before it finished (lib/dump/elf.c
 * write_in_place), which running --in-place again completes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interrupt.h"
#include "progress.h"
#include "record/record.h"
#include "rewrite.h"
#include "vec.h"
#include "zram/zram.h"

struct page_tally {
	uint64_t compared, words, pending, frames, unreadable;
	uint64_t first_pending;   /* physical address of the first pending PTE */
};

/* Compare one page that the record may have touched. */
static struct uz_error *compare_page(const struct uz_record *rec, size_t *next_change,
				     uint64_t pfn, uint64_t page_size,
				     const uint8_t *in, const uint8_t *out, struct page_tally *t)
{
	uint64_t base = pfn * page_size;
	const struct uz_record_pte *c = rec->ptes.data;
	size_t i = *next_change;
	while (i < rec->ptes.len && c[i].at < base)
		i++;
	for (uint64_t off = 0; off < page_size; off += 8) {
		uint64_t a, b;
		memcpy(&a, in + off, 8);
		memcpy(&b, out + off, 8);
		if (i < rec->ptes.len && c[i].at == base + off) {
			if (a == c[i].old_pte && b == c[i].old_pte) {
				if (!t->pending++)
					t->first_pending = base + off;
			} else if (a != c[i].old_pte || b != c[i].new_pte) {
				return uz_error_create(UZ_ERR_MISMATCH,
						       "PTE at 0x%" PRIx64 ": IN has 0x%" PRIx64 ", OUT 0x%" PRIx64
						       "; the record says 0x%" PRIx64 " -> 0x%" PRIx64,
						       base + off, a, b, c[i].old_pte, c[i].new_pte);
			}
			t->words++;
			i++;
			continue;
		}
		if (a != b)
			return uz_error_create(UZ_ERR_MISMATCH,
					       "physical 0x%" PRIx64 " differs (IN 0x%" PRIx64 ", OUT 0x%" PRIx64
					       ") and the record does not name it", base + off, a, b);
	}
	*next_change = i;
	return NULL;
}

static bool readable(enum uz_page_state s)
{
	return s == UZ_PAGE_PRESENT || s == UZ_PAGE_ZERO;
}

static struct uz_error *check_added_frame(struct uz_dump *out, uint64_t pfn)
{
	enum uz_page_state st;
	UZ_TRY(uz_dump_page_state(out, pfn, &st));
	if (!readable(st))
		return uz_error_create(UZ_ERR_MISMATCH, "added frame 0x%" PRIx64 " is missing from OUT", pfn);
	return NULL;
}

/* The first PFN at or after `from` that dump holds (present or zero), or
 * UINT64_MAX. */
static struct uz_error *next_readable(struct uz_dump *d, uint64_t from, uint64_t *pfn)
{
	*pfn = from;
	struct uz_error *err = uz_dump_next_pfn(d, pfn);
	if (err && err->code == UZ_ERR_NOT_FOUND) {
		uz_error_destroy(err);
		*pfn = UINT64_MAX;
		return NULL;
	}
	return err;
}

static struct uz_error *verify_pages(struct uz_dump *in, struct uz_dump *out, const struct uz_record *rec,
				     struct page_tally *t, bool quiet)
{
	uint64_t ps = uz_dump_page_size(in);
	if (uz_dump_page_size(out) != ps)
		return uz_error_create(UZ_ERR_MISMATCH, "page sizes differ: IN %" PRIu64 ", OUT %" PRIu64,
				       ps, uz_dump_page_size(out));
	if (rec->first_frame < uz_dump_max_pfn(in))
		return uz_error_create(UZ_ERR_MISMATCH, "record's first frame 0x%" PRIx64 " is below IN's last PFN 0x%" PRIx64,
				       rec->first_frame, uz_dump_max_pfn(in));
	uint8_t *a = malloc(ps), *b = malloc(ps);
	if (!a || !b) {
		free(a);
		free(b);
		return uz_error_create(UZ_ERR_NOMEM, "out of memory");
	}
	struct uz_error *err = NULL;
	uint64_t end = rec->first_frame + rec->n_frames;
	if (uz_dump_max_pfn(out) > end)
		end = uz_dump_max_pfn(out);
	size_t next_change = 0;
	struct progress p;
	progress_start(&p, "vmcore-unzram", quiet, "verifying pages", end);
	/* Only PFNs readable in either dump are visited (a corrupt segment size
	 * can make the PFN range astronomically large while few pages exist);
	 * a page readable in one and not the other is still a mismatch. */
	uint64_t next_in = 0, next_out = 0, visited = 0;
	for (uint64_t pfn = 0; pfn < end && !err; pfn++) {
		if (next_in < pfn)
			err = next_readable(in, pfn, &next_in);
		if (!err && next_out < pfn)
			err = next_readable(out, pfn, &next_out);
		if (err)
			break;
		pfn = next_in < next_out ? next_in : next_out;
		if (pfn >= end)
			break;
		if (!(visited++ & 0xfff)) {
			progress_update(&p, pfn);
			if ((err = uz_interrupt_check()))
				break;
		}
		enum uz_page_state sa = UZ_PAGE_HOLE, sb;
		if (pfn < uz_dump_max_pfn(in))
			err = uz_dump_page_state(in, pfn, &sa);
		if (!err)
			err = uz_dump_page_state(out, pfn, &sb);
		if (err)
			break;
		if (pfn >= rec->first_frame && pfn < rec->first_frame + rec->n_frames) {
			if (!readable(sb))
				err = uz_error_create(UZ_ERR_MISMATCH, "added frame 0x%" PRIx64 " is missing from OUT", pfn);
			t->frames++;
			continue;
		}
		/* A zero page may legitimately be stored either way. */
		if (sa != sb && !(readable(sa) && readable(sb))) {
			err = uz_error_create(UZ_ERR_MISMATCH, "PFN 0x%" PRIx64 " has state %d in IN but %d in OUT",
					      pfn, (int)sa, (int)sb);
			break;
		}
		if (!readable(sa))
			continue;
		err = uz_dump_read_page(in, pfn, a);
		if (err && (err->code == UZ_ERR_FORMAT || err->code == UZ_ERR_DECOMPRESS)) {
			/* Unreadable in IN (a broken kdump descriptor, corrupt page
			 * data): the writer copies it as it is, or unreadable, and
			 * it must be unreadable in OUT too. */
			uz_error_destroy(err);
			err = uz_dump_read_page(out, pfn, b);
			if (!err) {
				err = uz_error_create(UZ_ERR_MISMATCH, "PFN 0x%" PRIx64 " is unreadable in IN but not in OUT", pfn);
				break;
			}
			uz_error_destroy(err);
			err = NULL;
			t->unreadable++;
			continue;
		}
		if (!err)
			err = uz_dump_read_page(out, pfn, b);
		if (!err)
			err = compare_page(rec, &next_change, pfn, ps, a, b, t);
		t->compared++;
	}
	progress_finish(&p);
	if (!err && t->frames != rec->n_frames)
		err = uz_error_create(UZ_ERR_MISMATCH, "the record names %" PRIu64 " added frames from 0x%" PRIx64
				      " but OUT holds %" PRIu64 " of them", rec->n_frames, rec->first_frame, t->frames);
	if (!err && t->words != rec->ptes.len)
		err = uz_error_create(UZ_ERR_MISMATCH, "the record names %zu PTEs but only %" PRIu64 " were found in present pages",
				      rec->ptes.len, t->words);
	free(a);
	free(b);
	return err;
}

/* OUT alone: every recorded word holds its new value (or, pending, its
 * old one) and every added frame is there. */
static struct uz_error *verify_self(struct uz_dump *out, const struct uz_record *rec, struct page_tally *t)
{
	const struct uz_record_pte *c = rec->ptes.data;
	for (size_t i = 0; i < rec->ptes.len; i++) {
		uint64_t v;
		UZ_TRY(uz_error_wrap(uz_dump_read_phys(out, c[i].at, &v, 8), "recorded PTE %zu", i));
		if (v == c[i].old_pte) {
			if (!t->pending++)
				t->first_pending = c[i].at;
		} else if (v != c[i].new_pte) {
			return uz_error_create(UZ_ERR_MISMATCH,
					       "PTE at 0x%" PRIx64 " holds 0x%" PRIx64 "; the record says 0x%" PRIx64
					       " -> 0x%" PRIx64, c[i].at, v, c[i].old_pte, c[i].new_pte);
		}
		t->words++;
	}
	for (uint64_t pfn = rec->first_frame; pfn < rec->first_frame + rec->n_frames; pfn++) {
		UZ_TRY(check_added_frame(out, pfn));
		t->frames++;
	}
	return NULL;
}

struct frame_tally {
	uint64_t checked, not_rechecked;
	const char *why_not;   /* of the first frame not re-checked */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* 3: decode every added frame again from `src` (IN, or OUT itself) and
 * compare it with OUT's copy.  Each distinct frame once (PTEs that share a
 * swap entry after fork share its frame). */
static struct uz_error *verify_frames(struct uz_dump *src, struct uz_dump *out, const struct uz_record *rec,
				      const struct uz_verify_options *o, struct frame_tally *ft)
{
	struct uz_kernel *k = NULL;
	struct uz_zram_model *m = NULL;
	struct uz_zram_ctx *ctx = NULL;
	uint64_t ps = uz_dump_page_size(out);
	uint8_t *want = malloc(ps), *have = malloc(ps);
	/* (frame, index of its first PTE), sorted by frame. */
	uint64_t *order = malloc((rec->ptes.len ? rec->ptes.len : 1) * 2 * sizeof(uint64_t));
	struct uz_error *err = NULL;
	if (!want || !have || !order)
		err = uz_error_create(UZ_ERR_NOMEM, "out of memory");
	if (!err)
		err = uz_error_wrap(uz_kernel_open(src, &o->kernel, &k), "re-decoding the added frames needs the kernel view");
	if (!err)
		err = uz_zram_model_open(k, &m);
	for (size_t i = 0; !err && i < o->n_backing; i++)
		err = uz_error_wrap(uz_zram_attach_backing(m, o->backing_devs[i], o->backing_images[i]), "--backing-dev");
	if (!err)
		err = uz_zram_ctx_create(m, &ctx);
	const struct uz_record_pte *c = rec->ptes.data;
	for (size_t i = 0; !err && i < rec->ptes.len; i++) {
		struct uz_pte_info info;
		uz_kernel_pte_decode(k, c[i].new_pte, &info);
		if (info.kind != UZ_PTE_PRESENT || info.pfn < rec->first_frame ||
		    info.pfn >= rec->first_frame + rec->n_frames)
			err = uz_error_create(UZ_ERR_MISMATCH,
					      "recorded new PTE 0x%" PRIx64 " at 0x%" PRIx64 " does not map an added frame",
					      c[i].new_pte, c[i].at);
		order[2 * i] = info.pfn;
		order[2 * i + 1] = i;
	}
	if (!err)
		qsort(order, rec->ptes.len, 2 * sizeof(uint64_t), cmp_u64);
	for (size_t i = 0; !err && i < rec->ptes.len; i++) {
		if (i && order[2 * i] == order[2 * (i - 1)])
			continue;
		if ((err = uz_interrupt_check()))
			break;
		uint64_t pfn = order[2 * i];
		const struct uz_record_pte *p = &c[order[2 * i + 1]];
		struct uz_pte_info info;
		uz_kernel_pte_decode(k, p->old_pte, &info);
		if (info.kind != UZ_PTE_SWAP) {
			err = uz_error_create(UZ_ERR_MISMATCH, "recorded old PTE 0x%" PRIx64 " at 0x%" PRIx64 " is not a swap entry",
					      p->old_pte, p->at);
			break;
		}
		struct uz_slot_result res;
		memset(&res, 0, sizeof(res));
		struct uz_error *re = uz_zram_resolve(m, ctx, info.swap_type, info.swap_offset, want, &res);
		if (re && p->outcome == UZ_OUT_BACKING_DEV && res.failure == UZ_FAIL_WRITTEN_BACK) {
			/* Written back: only an image of the backing device has it. */
			if (!ft->not_rechecked++)
				ft->why_not = "read from --backing-dev, which was not given to --verify";
			uz_error_destroy(re);
			continue;
		}
		if (re) {
			err = uz_error_wrap(re, "added frame 0x%" PRIx64 " (swap type %u offset %" PRIu64 ")",
					    pfn, info.swap_type, info.swap_offset);
			break;
		}
		if ((err = uz_dump_read_page(out, pfn, have)))
			break;
		if (memcmp(want, have, ps) != 0) {
			size_t at = 0;
			while (want[at] == have[at])
				at++;
			err = uz_error_create(UZ_ERR_MISMATCH,
					      "added frame 0x%" PRIx64 " differs at byte %zu from swap type %u offset %" PRIu64
					      " decoded again (%s)", pfn, at, info.swap_type, info.swap_offset,
					      uz_slot_source_name(res.source));
			break;
		}
		ft->checked++;
	}
	if (ctx)
		uz_zram_ctx_destroy(ctx);
	if (m)
		uz_zram_model_close(m);
	if (k)
		uz_kernel_close(k);
	free(want);
	free(have);
	free(order);
	return err;
}

struct uz_error *uz_rewrite_verify(const struct uz_verify_options *o)
{
	struct uz_dump *in = NULL, *out = NULL;
	struct uz_record rec;
	memset(&rec, 0, sizeof(rec));
	vec_init(&rec.ptes, sizeof(struct uz_record_pte));
	struct page_tally t;
	memset(&t, 0, sizeof(t));
	struct frame_tally ft = { 0, 0, NULL };
	uint64_t notes = 0;
	struct uz_error *err = uz_dump_open(o->out_path, &out);
	if (!err && o->in_path)
		err = uz_dump_open(o->in_path, &in);
	if (!err) {
		err = uz_record_read(out, &rec);
		if (err && err->code == UZ_ERR_NOT_FOUND)
			err = uz_error_wrap(err, "%s has no vmcore-unzram record", o->out_path);
	}
	if (!err && in)
		err = uz_error_wrap(uz_dump_compare_metadata(in, out, UZ_RECORD_NOTE_NAME, &notes), "metadata");
	if (!err)
		err = in ? verify_pages(in, out, &rec, &t, o->quiet) : verify_self(out, &rec, &t);
	if (!err && t.pending)
		err = uz_error_create(UZ_ERR_MISMATCH,
				      "an --in-place update was cut short: %" PRIu64 " of %zu recorded PTEs (the first at 0x%" PRIx64
				      ") still hold their old values; run 'vmcore-unzram --in-place %s' again to complete it",
				      t.pending, rec.ptes.len, t.first_pending, o->out_path);
	if (!err)
		err = verify_frames(in ? in : out, out, &rec, o, &ft);
	if (!err && !o->quiet) {
		if (in)
			fprintf(stderr, "vmcore-unzram: verified: metadata identical (%" PRIu64 " notes); %" PRIu64
				" pages identical but for %" PRIu64 " recorded PTEs; %" PRIu64 " added frames present, ",
				notes, t.compared, t.words, t.frames);
		else
			fprintf(stderr, "vmcore-unzram: verified on its own: %" PRIu64 " recorded PTEs in place; %" PRIu64
				" added frames present, ", t.words, t.frames);
		if (t.unreadable)
			fprintf(stderr, "%" PRIu64 " pages unreadable in both, ", t.unreadable);
		fprintf(stderr, "%" PRIu64 " decoded again and identical", ft.checked);
		if (ft.not_rechecked)
			fprintf(stderr, ", %" PRIu64 " not re-checked (%s)", ft.not_rechecked, ft.why_not);
		fputc('\n', stderr);
	}
	err = in ? uz_error_wrap(err, "verify %s against %s", o->out_path, o->in_path)
		 : uz_error_wrap(err, "verify %s", o->out_path);
	uz_record_free(&rec);
	if (out)
		uz_dump_close(out);
	if (in)
		uz_dump_close(in);
	return err;
}
