/* zraminfo - test helper for lib/zram: list the swap areas and zram devices
 * of a dump with slot statistics next to the kernel's own counters, resolve
 * swap entries, and check a fixture manifest page by page.
 *
 *   zraminfo [-k VMLINUX] [-d DEBUGDIR] DUMP                 devices + stats
 *   zraminfo [...] DUMP -e TYPE:OFFSET [-e ...] [-x]        resolve entries (-x: hex dump)
 *   zraminfo [...] DUMP -m MANIFEST.tsv                     check a manifest
 *
 * Counts must agree with mm_stat (exit 1 if not); in manifest mode every page
 * expected in zram or the swap cache must come back byte-exact (exit 1 if
 * not).  Expected bytes are regenerated with tests/vm/pagegen.h.
 */
#include "dump/dump.h"
#include "kernel/kernel.h"
#include "zram/zram.h"
#include "../vm/pagegen.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
	fprintf(stderr, "usage: zraminfo [-k VMLINUX] [-d DEBUGDIR] DUMP [-e TYPE:OFFSET]... [-x] [-m MANIFEST]\n");
	return 2;
}

static int print_devices(struct uz_zram_model *m)
{
	int bad = 0;
	const char *why = uz_zram_unavailable_reason(m);
	if (why)
		printf("zram devices unreadable: %s\n", why);
	why = uz_zram_swapcache_unavailable_reason(m);
	if (why)
		printf("swap cache not consulted: %s\n", why);
	for (uint32_t t = 0; t < uz_zram_swap_count(m); t++) {
		const struct uz_swap_area_info *a = uz_zram_swap_area(m, t);
		if (a->kind == UZ_SWAP_NONE)
			continue;
		printf("swap %u: %s %s max %" PRIu64 " inuse %" PRIu64 " device %d%s\n", t,
		       uz_swap_kind_name(a->kind), a->bdev_name, a->max, a->inuse_pages,
		       a->zram_device, a->has_zeromap ? " zeromap" : "");
	}
	for (size_t i = 0; i < uz_zram_device_count(m); i++) {
		const struct uz_zram_device_info *d = uz_zram_device(m, i);
		printf("%s: id %d disksize %" PRIu64 " slots %" PRIu64 " swap %d pfn_bits %u algs",
		       d->name, d->id, d->disksize, d->nr_slots, d->swap_type, d->pfn_bits);
		for (unsigned j = 0; j < d->n_comps; j++)
			printf(" %s%s", d->comp_algs[j] ? d->comp_algs[j] : "-",
			       d->dict_len[j] ? "+dict" : "");
		printf("%s\n", d->backing_dev ? " backing_dev" : "");
		if (d->problem) {
			printf("  unreadable: %s\n", d->problem);
			continue;
		}
		const struct uz_zram_mm_stat *k = &d->mm_stat;
		printf("  mm_stat %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		       " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", k->orig_data_size, k->compr_data_size,
		       k->mem_used_total, k->mem_limit, k->mem_used_max, k->same_pages,
		       k->pages_compacted, k->huge_pages, k->huge_pages_since);
		if (!d->disksize)
			continue;
		struct uz_zram_slot_stats s;
		struct uz_error *err = uz_zram_device_scan(m, i, &s);
		if (err) {
			printf("  scan failed: %s\n", err->message);
			uz_error_destroy(err);
			bad = 1;
			continue;
		}
		printf("  slots: empty %" PRIu64 " same %" PRIu64 " (zero %" PRIu64 ") wb %" PRIu64
		       " stored %" PRIu64 " (huge %" PRIu64 ", prio0 %" PRIu64 ") bytes %" PRIu64
		       " inconsistent %" PRIu64 " unreadable %" PRIu64 " zeromap %" PRIu64 "\n",
		       s.empty, s.same_filled, s.same_filled_zero, s.written_back, s.stored, s.huge,
		       s.compressed_by_prio[0], s.stored_bytes, s.inconsistent, s.unreadable, s.zeromap);
		bool ok = s.stored + s.same_filled + s.written_back == k->pages_stored &&
			  s.same_filled == k->same_pages && s.stored_bytes == k->compr_data_size &&
			  s.huge_flag == k->huge_pages;
		printf("  counts vs kernel: %s (stored+same+wb %" PRIu64 "/%" PRIu64 ", same %" PRIu64 "/%" PRIu64
		       ", bytes %" PRIu64 "/%" PRIu64 ", huge %" PRIu64 "/%" PRIu64 ")\n",
		       ok ? "MATCH" : "DIFF", s.stored + s.same_filled + s.written_back, k->pages_stored, s.same_filled,
		       k->same_pages, s.stored_bytes, k->compr_data_size, s.huge_flag, k->huge_pages);
		if (!ok && !s.unreadable)
			bad = 1;
	}
	return bad;
}

static void print_result(uint32_t type, uint64_t off, const struct uz_slot_result *r,
			 const struct uz_error *err)
{
	printf("%u:%" PRIu64 " ", type, off);
	if (err) {
		printf("FAIL %s: %s\n", uz_slot_failure_name(r->failure), err->message);
		return;
	}
	printf("%s", uz_slot_source_name(r->source));
	if (r->source == UZ_SRC_ZRAM)
		printf(" %s len %u%s pfn 0x%" PRIx64 " idx %u off %u class %u%s",
		       r->huge ? "huge" : uz_codec_name(r->codec), r->comp_len, "", r->obj_pfn,
		       r->obj_idx, r->obj_offset, r->class_size, r->straddles ? " straddles" : "");
	if (r->source == UZ_SRC_SAME_FILLED)
		printf(" 0x%016" PRIx64, r->fill_word);
	if (r->source == UZ_SRC_SWAPCACHE)
		printf(" pfn 0x%" PRIx64, r->swapcache_pfn);
	if (r->swapcache_filtered)
		printf(" (clean swap-cache page filtered)");
	printf("\n");
}

static int kind_from_name(const char *n)
{
	for (int i = 1; i <= 5; i++)
		if (strcmp(pagegen_kind_names[i], n) == 0)
			return i;
	return -1;
}

struct tally { const char *expect; int total, ok, mismatch, failed; };

static int check_manifest(struct uz_zram_model *m, struct uz_zram_ctx *ctx, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return 1;
	}
	struct tally t[8] = { { "zram", 0, 0, 0, 0 }, { "zram-huge", 0, 0, 0, 0 },
			      { "zram-same", 0, 0, 0, 0 }, { "swapcache", 0, 0, 0, 0 },
			      { "writeback", 0, 0, 0, 0 }, { "zeromap", 0, 0, 0, 0 },
			      { "other", 0, 0, 0, 0 } };
	char line[1024];
	unsigned char got[4096], want[4096];
	int bad = 0;
	while (fgets(line, sizeof(line), f)) {
		char *col[16];
		int n = 0;
		line[strcspn(line, "\n")] = 0;
		for (char *p = line; n < 16; ) {
			col[n++] = p;
			char *tab = strchr(p, '\t');
			if (!tab)
				break;
			*tab = 0;
			p = tab + 1;
		}
		if (n < 16 || strcmp(col[9], "swap") != 0)
			continue;
		uint32_t type = (uint32_t)strtoul(col[10], NULL, 0);
		uint64_t off = strtoull(col[11], NULL, 0);
		int kind = kind_from_name(col[8]);
		const char *expect = col[13];
		struct tally *ty = &t[6];
		for (int i = 0; i < 6; i++)
			if (strcmp(t[i].expect, expect) == 0)
				ty = &t[i];
		ty->total++;
		pagegen_fill(want, col[5], (uint32_t)strtoul(col[6], NULL, 0),
			     (uint32_t)strtoul(col[7], NULL, 0), (uint32_t)kind,
			     strtoull(col[4], NULL, 0));
		struct uz_slot_result r;
		struct uz_error *err = uz_zram_resolve(m, ctx, type, off, got, &r);
		if (err) {
			ty->failed++;
			if (strcmp(expect, "writeback") != 0 || r.failure != UZ_FAIL_WRITTEN_BACK) {
				printf("%s %s %s: ", expect, col[5], col[6]);
				print_result(type, off, &r, err);
				bad = 1;
			}
			uz_error_destroy(err);
			continue;
		}
		if (memcmp(got, want, sizeof(got)) != 0) {
			ty->mismatch++;
			printf("MISMATCH %s %s %s: ", expect, col[5], col[6]);
			print_result(type, off, &r, NULL);
			bad = 1;
			continue;
		}
		ty->ok++;
	}
	fclose(f);
	for (int i = 0; i < 7; i++)
		if (t[i].total)
			printf("manifest %-10s %4d pages: %4d exact, %d mismatched, %d failed\n",
			       t[i].expect, t[i].total, t[i].ok, t[i].mismatch, t[i].failed);
	return bad;
}

int main(int argc, char **argv)
{
	struct uz_kernel_options opts = { 0 };
	const char *dump_path = NULL, *manifest = NULL;
	const char *entries[64];
	int n_entries = 0;
	bool hex = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-k") && i + 1 < argc)
			opts.vmlinux = argv[++i];
		else if (!strcmp(argv[i], "-d") && i + 1 < argc)
			opts.debuginfo_dir = argv[++i];
		else if (!strcmp(argv[i], "-e") && i + 1 < argc && n_entries < 64)
			entries[n_entries++] = argv[++i];
		else if (!strcmp(argv[i], "-m") && i + 1 < argc)
			manifest = argv[++i];
		else if (!strcmp(argv[i], "-x"))
			hex = true;
		else if (argv[i][0] != '-' && !dump_path)
			dump_path = argv[i];
		else
			return usage();
	}
	if (!dump_path)
		return usage();
	struct uz_dump *dump = NULL;
	struct uz_kernel *k = NULL;
	struct uz_zram_model *m = NULL;
	struct uz_zram_ctx *ctx = NULL;
	struct uz_error *err = uz_dump_open(dump_path, &dump);
	if (!err)
		err = uz_kernel_open(dump, &opts, &k);
	if (!err)
		err = uz_zram_model_open(k, &m);
	if (!err)
		err = uz_zram_ctx_create(m, &ctx);
	int rc = 0;
	if (err) {
		fprintf(stderr, "zraminfo: %s\n", err->message);
		rc = uz_error_exit_code(err);
		uz_error_destroy(err);
		goto out;
	}
	if (n_entries == 0 && !manifest)
		rc = print_devices(m);
	for (int i = 0; i < n_entries; i++) {
		unsigned long type;
		unsigned long long off;
		if (sscanf(entries[i], "%lu:%llu", &type, &off) != 2) {
			rc = usage();
			goto out;
		}
		static unsigned char page[65536];
		struct uz_slot_result r;
		err = uz_zram_resolve(m, ctx, (uint32_t)type, off, page, &r);
		print_result((uint32_t)type, off, &r, err);
		if (err) {
			uz_error_destroy(err);
			rc = 1;
		} else if (hex) {
			for (int j = 0; j < 256; j++)
				printf("%02x%s", page[j], j % 32 == 31 ? "\n" : "");
		}
	}
	if (manifest)
		rc = check_manifest(m, ctx, manifest);
out:
	uz_zram_ctx_destroy(ctx);
	uz_zram_model_close(m);
	uz_kernel_close(k);
	uz_dump_close(dump);
	return rc;
}
