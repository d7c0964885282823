/* bench-decomp - decompression throughput of lib/zram against the raw
 * libraries, on the compressed objects of a real dump (make bench).
 *
 *   bench-decomp [--vmlinux VMLINUX] [-d DEBUGDIR] [--max N] DUMP
 *
 * Walks every zram swap device's slots with deferral on, so uz_zram_resolve
 * hands back each object's compressed bytes without decompressing; keeps up
 * to N objects (default 200000) in memory, then times on one thread
 *   (a) uz_zram_decompress_deferred over all of them, and
 *   (b) the library call itself (LZ4_decompress_safe, ZSTD_decompressDCtx,
 *       lzo1x_decompress_safe) on the same objects,
 * and prints one line per codec:
 *   codec lz4 objects N bytes B ours MB/s raw MB/s ratio R
 * (MB/s of decompressed output; ratio = ours / raw, the target is >= 0.8).
 * lzo-rle, deflate and 842 have no separate raw call here: "n/a".  Both
 * paths must produce the same page, else exit 1: a benchmark of wrong
 * output would be meaningless.
 */
#define _POSIX_C_SOURCE 200809L
#include "dump/dump.h"
#include "kernel/kernel.h"
#include "zram/zram.h"

#include <inttypes.h>
#include <lz4.h>
#include <lzo1x.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

struct object {
	struct uz_slot_result res;
	unsigned char *bytes;
};

struct codec_set {
	struct object *objs;
	size_t n, cap;
	uint64_t comp_bytes;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench-decomp [--vmlinux VMLINUX] [-d DEBUGDIR] [--max N] DUMP\n");
	return 2;
}

static bool has_raw_call(enum uz_codec c)
{
	return c == UZ_CODEC_LZ4 || c == UZ_CODEC_LZ4HC || c == UZ_CODEC_ZSTD || c == UZ_CODEC_LZO;
}

/* One pass of the library call over every object; false if one failed or
 * did not fill exactly one page. */
static bool raw_pass(const struct codec_set *s, enum uz_codec c, ZSTD_DCtx *dctx,
		     unsigned char *page, size_t page_size)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct object *o = &s->objs[i];
		switch (c) {
		case UZ_CODEC_LZ4:
		case UZ_CODEC_LZ4HC:
			if (LZ4_decompress_safe((const char *)o->bytes, (char *)page, (int)o->res.comp_len,
						(int)page_size) != (int)page_size)
				return false;
			break;
		case UZ_CODEC_ZSTD:
			if (ZSTD_decompressDCtx(dctx, page, page_size, o->bytes, o->res.comp_len) != page_size)
				return false;
			break;
		case UZ_CODEC_LZO: {
			lzo_uint out_len = page_size;
			if (lzo1x_decompress_safe(o->bytes, o->res.comp_len, page, &out_len, NULL) != LZO_E_OK ||
			    out_len != page_size)
				return false;
			break;
		}
		default:
			return false;
		}
	}
	return true;
}

static struct uz_error *ours_pass(struct uz_zram_ctx *ctx, struct codec_set *s, unsigned char *page)
{
	for (size_t i = 0; i < s->n; i++) {
		struct uz_error *err = uz_zram_decompress_deferred(ctx, &s->objs[i].res, s->objs[i].bytes, page);
		if (err)
			return err;
	}
	return NULL;
}

/* Best of `rounds` passes, each repeated until it has run >= 0.3 s, so that
 * a small set still gives a stable number; returns seconds per pass. */
#define ROUNDS 3
#define MIN_PASS_SECONDS 0.3

static int bench_codec(struct uz_zram_ctx *ctx, enum uz_codec c, struct codec_set *s, size_t page_size)
{
	unsigned char *page = malloc(page_size), *check = malloc(page_size);
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	int rc = 0;
	if (!page || !check || !dctx) {
		fprintf(stderr, "bench-decomp: out of memory\n");
		rc = 1;
		goto out;
	}
	/* Same bytes from both paths, object by object. */
	bool raw = has_raw_call(c);
	for (size_t i = 0; i < s->n; i++) {
		struct uz_error *err = uz_zram_decompress_deferred(ctx, &s->objs[i].res, s->objs[i].bytes, page);
		if (err) {
			fprintf(stderr, "bench-decomp: %s object %zu: %s\n", uz_codec_name(c), i, err->message);
			uz_error_destroy(err);
			rc = 1;
			goto out;
		}
		struct codec_set one = { &s->objs[i], 1, 1, 0 };
		if (raw && (!raw_pass(&one, c, dctx, check, page_size) || memcmp(page, check, page_size) != 0)) {
			fprintf(stderr, "bench-decomp: %s object %zu (slot %" PRIu64 "): library and lib/zram disagree\n",
				uz_codec_name(c), i, s->objs[i].res.slot);
			rc = 1;
			goto out;
		}
	}
	double best_ours = 1e30, best_raw = 1e30;
	for (int r = 0; r < ROUNDS; r++) {
		int reps = 0;
		double t0 = now(), t1;
		do {
			struct uz_error *err = ours_pass(ctx, s, page);
			if (err) {
				fprintf(stderr, "bench-decomp: %s: %s\n", uz_codec_name(c), err->message);
				uz_error_destroy(err);
				rc = 1;
				goto out;
			}
			reps++;
			t1 = now();
		} while (t1 - t0 < MIN_PASS_SECONDS);
		if ((t1 - t0) / reps < best_ours)
			best_ours = (t1 - t0) / reps;
		if (!raw)
			continue;
		reps = 0;
		t0 = now();
		do {
			raw_pass(s, c, dctx, page, page_size);
			reps++;
			t1 = now();
		} while (t1 - t0 < MIN_PASS_SECONDS);
		if ((t1 - t0) / reps < best_raw)
			best_raw = (t1 - t0) / reps;
	}
	double out_mb = (double)s->n * (double)page_size / 1e6;
	printf("codec %s objects %zu comp_bytes %" PRIu64 " ours %.0f MB/s", uz_codec_name(c), s->n,
	       s->comp_bytes, out_mb / best_ours);
	if (raw)
		printf(" raw %.0f MB/s ratio %.2f\n", out_mb / best_raw, best_raw / best_ours);
	else
		printf(" raw n/a ratio n/a\n");
out:
	ZSTD_freeDCtx(dctx);
	free(page);
	free(check);
	return rc;
}

static bool keep_object(struct codec_set *s, const struct uz_slot_result *res, const unsigned char *bytes)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct object *objs = realloc(s->objs, cap * sizeof(*objs));
		if (!objs)
			return false;
		s->objs = objs;
		s->cap = cap;
	}
	unsigned char *copy = malloc(res->comp_len);
	if (!copy)
		return false;
	memcpy(copy, bytes, res->comp_len);
	s->objs[s->n].res = *res;
	s->objs[s->n].bytes = copy;
	s->n++;
	s->comp_bytes += res->comp_len;
	return true;
}

int main(int argc, char **argv)
{
	struct uz_kernel_options opts = { 0 };
	const char *dump_path = NULL;
	size_t max_objects = 200000;
	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "--vmlinux") || !strcmp(argv[i], "-k")) && i + 1 < argc)
			opts.vmlinux = argv[++i];
		else if (!strcmp(argv[i], "-d") && i + 1 < argc)
			opts.debuginfo_dir = argv[++i];
		else if (!strcmp(argv[i], "--max") && i + 1 < argc)
			max_objects = strtoull(argv[++i], NULL, 0);
		else if (argv[i][0] != '-' && !dump_path)
			dump_path = argv[i];
		else
			return usage();
	}
	if (!dump_path || max_objects == 0)
		return usage();
	if (lzo_init() != LZO_E_OK) {
		fprintf(stderr, "bench-decomp: lzo_init failed\n");
		return 1;
	}
	struct uz_dump *dump = NULL;
	struct uz_kernel *k = NULL;
	struct uz_zram_model *m = NULL;
	struct uz_zram_ctx *ctx = NULL;
	struct codec_set sets[UZ_CODEC_COUNT];
	memset(sets, 0, sizeof(sets));
	unsigned char *page = NULL;
	int rc = 0;
	struct uz_error *err = uz_dump_open(dump_path, &dump);
	if (!err)
		err = uz_kernel_open(dump, &opts, &k);
	if (!err)
		err = uz_zram_model_open(k, &m);
	if (!err)
		err = uz_zram_ctx_create(m, &ctx);
	if (err) {
		fprintf(stderr, "bench-decomp: %s\n", err->message);
		rc = uz_error_exit_code(err);
		uz_error_destroy(err);
		goto out;
	}
	size_t page_size = (size_t)uz_kernel_page_size(k);
	page = malloc(page_size);
	if (!page) {
		rc = 1;
		goto out;
	}
	uz_zram_ctx_set_defer(ctx, true);
	/* Spread the budget over the swap devices, so that one large device
	 * does not leave the others unmeasured. */
	size_t n_swap_devices = 0;
	for (size_t i = 0; i < uz_zram_device_count(m); i++) {
		const struct uz_zram_device_info *d = uz_zram_device(m, i);
		n_swap_devices += d->swap_type >= 0 && !d->problem && d->disksize;
	}
	size_t per_device = n_swap_devices ? max_objects / n_swap_devices : 0;
	size_t total = 0, failed = 0;
	double t_collect = now();
	for (size_t i = 0; i < uz_zram_device_count(m); i++) {
		const struct uz_zram_device_info *d = uz_zram_device(m, i);
		if (d->swap_type < 0 || d->problem || !d->disksize)
			continue;
		size_t kept = 0;
		for (uint64_t slot = 1; slot < d->nr_slots && kept < per_device; slot++) {
			struct uz_slot_result res;
			err = uz_zram_resolve(m, ctx, (uint32_t)d->swap_type, slot, page, &res);
			if (err) {
				uz_error_destroy(err);
				failed++;
				continue;
			}
			if (!res.deferred || res.codec >= UZ_CODEC_COUNT)
				continue;
			if (!keep_object(&sets[res.codec], &res, page)) {
				fprintf(stderr, "bench-decomp: out of memory after %zu objects\n", total);
				rc = 1;
				goto out;
			}
			kept++;
			total++;
		}
	}
	printf("collected %zu compressed objects in %.1f s (%zu slots failed to resolve)\n", total,
	       now() - t_collect, failed);
	for (int c = 0; c < UZ_CODEC_COUNT; c++)
		if (sets[c].n && bench_codec(ctx, (enum uz_codec)c, &sets[c], page_size))
			rc = 1;
out:
	for (int c = 0; c < UZ_CODEC_COUNT; c++) {
		for (size_t i = 0; i < sets[c].n; i++)
			free(sets[c].objs[i].bytes);
		free(sets[c].objs);
	}
	free(page);
	uz_zram_ctx_destroy(ctx);
	uz_zram_model_close(m);
	uz_kernel_close(k);
	uz_dump_close(dump);
	return rc;
}
