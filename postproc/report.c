/* report.c - what vmcore-unzram tells its user: the summary on stderr and
 * the JSON report (--report), both from the run's tables (rewrite_internal.h).
 * Where a restored page came from is worked out here, when printed, by
 * resolving its slot again (the tables keep 16 bytes per slot). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "rewrite_internal.h"

static const char *device_name(struct run *r, int device)
{
	const struct uz_zram_device_info *d =
		device >= 0 ? uz_zram_device(r->zm, (size_t)device) : NULL;
	return d ? d->name : "zram?";
}

/* Where a restored slot's page came from, as the report says it:
 * "zram0:1234:lz4", "swapcache:pfn=0x...", "zram0:7:same=0x...", ... */
static const char *slot_source(struct run *r, const struct slot *s, char *buf, size_t size)
{
	int device = -1;
	for (size_t d = 0; d < uz_zram_device_count(r->zm); d++)
		if (uz_zram_device(r->zm, d)->swap_type == (int)s->type)
			device = (int)d;
	const char *dev = device_name(r, device);
	struct uz_slot_result res;
	memset(&res, 0, sizeof(res));
	if (s->src == UZ_SRC_SWAPCACHE || s->src == UZ_SRC_SAME_FILLED || s->src == UZ_SRC_BACKING_DEV) {
		/* Deferred: no decompression; the bytes land in a batch buffer, free now. */
		uz_error_destroy(uz_zram_resolve(r->zm, r->zctx, s->type, s->offset, r->batch[0]->src, &res));
	}
	switch (s->src) {
	case UZ_SRC_SWAPCACHE:
		snprintf(buf, size, "swapcache:pfn=0x%" PRIx64, res.swapcache_pfn);
		break;
	case UZ_SRC_SAME_FILLED:
		snprintf(buf, size, "%s:%" PRIu64 ":same=0x%" PRIx64, dev, s->offset, res.fill_word);
		break;
	case UZ_SRC_ZEROMAP:
		snprintf(buf, size, "zeromap:%" PRIu64, s->offset);
		break;
	case UZ_SRC_BACKING_DEV:
		snprintf(buf, size, "%s:%" PRIu64 ":backing-dev:%" PRIu64, dev, s->offset, res.backing_block);
		break;
	case UZ_SRC_EMPTY:
		snprintf(buf, size, "%s:%" PRIu64 ":empty", dev, s->offset);
		break;
	default:
		snprintf(buf, size, "%s:%" PRIu64 ":%s", dev, s->offset,
			 (s->codec & SLOT_HUGE) ? "huge" :
			 (s->codec & SLOT_CODEC_KNOWN) ? uz_codec_name((enum uz_codec)(s->codec & 0x3f)) : "?");
		break;
	}
	return buf;
}

/* How far a restored page can be trusted, for the report.  zram keeps no
 * checksum of a page (and the kernel's zstd writes no content checksum), so
 * a compressed page is "decoded-unverifiable": the stream's structure, end
 * and exact page length were checked, but a changed literal byte decodes
 * without complaint.  A huge (uncompressed) slot or a swap-cache page is
 * copied as it is ("copied-unverifiable"); a same-filled or zero-map page is
 * one word the kernel keeps in its metadata ("exact"). */
static const char *slot_integrity(const struct slot *s)
{
	switch (s->src) {
	case UZ_SRC_SAME_FILLED:
	case UZ_SRC_ZEROMAP:
	case UZ_SRC_EMPTY:
		return "exact";
	case UZ_SRC_SWAPCACHE:
	case UZ_SRC_BACKING_DEV:
		return "copied-unverifiable";
	default:
		return (s->codec & SLOT_HUGE) ? "copied-unverifiable" : "decoded-unverifiable";
	}
}

static int cmp_why(const void *key, const void *elem)
{
	uint32_t k = *(const uint32_t *)key, e = ((const struct why_entry *)elem)->slot;
	return (k > e) - (k < e);
}

static const char *slot_why(const struct run *r, uint32_t slot)
{
	const struct why_entry *w = bsearch(&slot, r->whys.data, r->whys.len, sizeof(struct why_entry), cmp_why);
	return w ? w->why : NULL;
}


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
	json_key(j, "input_pages_unreadable"); json_uint(j, t->broken_pages);
	json_end_object(j);
}

struct uz_error *rewrite_write_report(struct run *r)
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
	json_key(&j, "types"); json_string(&j, uz_kernel_types_source(r->k));
	json_totals(&j, r->t);
	json_key(&j, "ptes");
	json_begin_array(&j);
	const struct pte_hit *h = r->hits.data;
	size_t seg = 0;
	for (size_t i = 0; i < r->hits.len; i++) {
		seg = seg_of_hit(r, i, seg);
		const struct segment *sg = vec_at(&r->segs, seg);
		const struct vma_entry *v = vec_at(&r->vmas, sg->vma);
		const struct mm_entry *m = vec_at(&r->mms, v->mm_index);
		const struct slot *s = vec_at(&r->slots, h[i].slot);
		json_begin_object(&j);
		json_key(&j, "pid"); json_int(&j, m->tgid);
		json_key(&j, "comm"); json_string(&j, m->comm);
		json_key(&j, "mm"); json_hex(&j, m->mm);
		json_key(&j, "vaddr"); json_hex(&j, hit_vaddr(r, sg, &h[i]));
		json_key(&j, "pte_paddr"); json_hex(&j, hit_paddr(r, sg, &h[i]));
		json_key(&j, "old_pte"); json_hex(&j, h[i].old_pte);
		json_key(&j, "swap_type"); json_uint(&j, s->type);
		json_key(&j, "swap_offset"); json_uint(&j, s->offset);
		json_key(&j, "outcome"); json_string(&j, uz_outcome_name(s->outcome));
		if (uz_outcome_restored(s->outcome)) {
			char source[64];
			json_key(&j, "new_pte"); json_hex(&j, hit_new_pte(r, sg, s));
			json_key(&j, "frame_pfn"); json_hex(&j, r->t->first_frame + s->rank);
			json_key(&j, "source"); json_string(&j, slot_source(r, s, source, sizeof(source)));
			json_key(&j, "integrity"); json_string(&j, slot_integrity(s));
		} else {
			const char *why = slot_why(r, h[i].slot);
			json_key(&j, "why"); json_string(&j, why ? why : "");
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

void rewrite_print_summary(const struct run *r)
{
	const struct uz_rewrite_totals *t = r->t;
	uint64_t restored = 0, total = 0;
	for (int o = 0; o < UZ_OUT_COUNT; o++) {
		total += t->ptes[o];
		if (uz_outcome_restored(o))
			restored += t->ptes[o];
	}
	fprintf(stderr, "vmcore-unzram: %" PRIu64 " of %" PRIu64 " zram swap PTEs restored "
		"(%" PRIu64 " process%s, %" PRIu64 " new frames from PFN 0x%" PRIx64 ", %" PRIu64 " page-table pages changed)\n",
		restored, total, t->mms, t->mms == 1 ? "" : "es", t->frames_added, t->first_frame, t->pt_pages_changed);
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
		for (size_t i = 0; i < r->whys.len; i++) {
			const struct why_entry *w = vec_at(&r->whys, i);
			const struct slot *s = vec_at(&r->slots, w->slot);
			if (s->outcome != o)
				continue;
			fprintf(stderr, "  not restored (%s), e.g. swap type %u offset %" PRIu64 ": %s", uz_outcome_name(o),
				s->type, s->offset, w->why);
			if (t->entries[o] > 1)
				fprintf(stderr, " (and %" PRIu64 " more swap entries)", t->entries[o] - 1);
			fputc('\n', stderr);
			break;
		}
	}
}

