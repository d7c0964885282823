/* fuzz_dump.h - the harness shared by fuzz_dump_elf.c and fuzz_dump_kdump.c.
 *
 * An input is used in one of two ways:
 *  - raw: when it starts with a dump signature ("\x7fELF", "KDUMP   ",
 *    "makedumpfile"), it is the dump file itself;
 *  - patch mode: otherwise byte 0 picks a small synthetic dump (synth.h),
 *    bytes 1-2 an optional truncation, and each further 3 bytes are
 *    (offset high, offset low, value) overwrites in its first 64 KiB, so the
 *    fuzzer reaches deep into valid structures without a corpus.
 * The dump is put in a memfd and opened through /proc/self/fd; every page is
 * read, the PFNs iterated, and a copy written with one page replaced, one
 * added and a note (to a temporary directory, tmpfs if there is one).
 */
#ifndef UZ_FUZZ_DUMP_H
#define UZ_FUZZ_DUMP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dump/dump.h"
#include "synth.h"

struct fuzz_seed {
	uint8_t *data;
	size_t len;
};

static const struct uz_synth_range fuzz_ranges[] = {
	{ 0x0, 0x3, UZ_SYNTH_DATA },
	{ 0x3, 0x1, UZ_SYNTH_ZERO },
	{ 0x4, 0x1, UZ_SYNTH_EXCLUDED },
	{ 0x5, 0x2, UZ_SYNTH_DATA },
	{ 0x7, 0x1, UZ_SYNTH_ZERO },
};

static char fuzz_dir_path[256];

static void fuzz_dir_remove(void)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/out", fuzz_dir_path);
	unlink(path);
	rmdir(fuzz_dir_path);
}

static const char *fuzz_dir(void)
{
	char *dir = fuzz_dir_path;
	if (!dir[0]) {
		atexit(fuzz_dir_remove);
		const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
		snprintf(dir, sizeof(fuzz_dir_path), "%s/uz-fuzz-dump-XXXXXX", base ? base : "/tmp");
		if (!mkdtemp(dir))
			abort();
	}
	return dir;
}

static struct fuzz_seed fuzz_make_seed(const struct uz_synth_desc *d)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/seed", fuzz_dir());
	struct uz_error *err = uz_synth_write(d, path);
	if (err)
		abort();
	FILE *f = fopen(path, "rb");
	struct fuzz_seed s = { 0 };
	if (!f)
		abort();
	fseek(f, 0, SEEK_END);
	s.len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	s.data = malloc(s.len);
	if (!s.data || fread(s.data, 1, s.len, f) != s.len)
		abort();
	fclose(f);
	unlink(path);
	return s;
}

static struct uz_error *fuzz_fill_any(void *ctx, size_t index, void *page)
{
	const struct uz_dump *dump = ctx;
	memset(page, (int)(0x40 + index), uz_dump_page_size(dump));
	return NULL;
}

/* A write that succeeded must have made a dump that opens again. */
static void fuzz_check_written(struct uz_error *write_err, const char *path)
{
	if (!write_err) {
		struct uz_dump *again;
		struct uz_error *err = uz_dump_open(path, &again);
		if (err) {
			fprintf(stderr, "written dump %s does not open: %s\n", path, err->message);
			abort();
		}
		uz_dump_close(again);
	}
	uz_error_destroy(write_err);
}

static void fuzz_exercise(const uint8_t *data, size_t size)
{
	/* UZ_FUZZ_KEEP=FILE: save the dump being exercised (patch mode builds
	 * it in memory), to reproduce a crash outside the fuzzer. */
	const char *keep = getenv("UZ_FUZZ_KEEP");
	FILE *kf = keep ? fopen(keep, "wb") : NULL;
	if (kf) {
		fwrite(data, 1, size, kf);
		fclose(kf);
	}
	int fd = memfd_create("fuzz-dump", 0);
	if (fd < 0)
		abort();
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, data + done, size - done);
		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct uz_dump *dump;
	struct uz_error *err = uz_dump_open(path, &dump);
	if (err) {
		if (!err->message || !*err->message)
			abort();
		uz_error_destroy(err);
		close(fd);
		return;
	}
	uint64_t ps = uz_dump_page_size(dump);
	uint8_t *page = malloc(ps);
	uint64_t first_present = UINT64_MAX;
	for (uint64_t pfn = 0; pfn < uz_dump_max_pfn(dump) && pfn < 4096; pfn++) {
		enum uz_page_state st;
		if ((err = uz_dump_page_state(dump, pfn, &st))) {
			uz_error_destroy(err);
			continue;
		}
		if (st == UZ_PAGE_PRESENT && first_present == UINT64_MAX)
			first_present = pfn;
		uz_error_destroy(uz_dump_read_page(dump, pfn, page));
	}
	uint64_t pfn = 0;
	for (int i = 0; i < 4096; i++, pfn++)
		if ((err = uz_dump_next_pfn(dump, &pfn)))
			break;
	uz_error_destroy(err);
	uint8_t buf[64];
	uz_error_destroy(uz_dump_read_phys(dump, ps - 8, buf, sizeof(buf)));
	size_t cursor = 0;
	struct uz_dump_note note;
	while (!(err = uz_dump_next_note(dump, &cursor, &note)))
		;
	uz_error_destroy(err);

	char out[300];
	snprintf(out, sizeof(out), "%s/out", fuzz_dir());
	struct uz_page_patch patches[2];
	size_t n = 0;
	if (first_present != UINT64_MAX)
		patches[n++].pfn = first_present;
	patches[n++].pfn = uz_dump_max_pfn(dump) + 1;
	struct uz_dump_write_options opts;
	uz_dump_write_options_init(dump, &opts);
	opts.note_name = "FUZZ";
	opts.note_desc = "desc";
	opts.note_desc_len = 4;
	err = uz_dump_write(dump, out, patches, n, fuzz_fill_any, dump, &opts);
	fuzz_check_written(err, out);
	unlink(out);
	/* In place, on the memory file itself (ELF; where there is no room the
	 * writer falls back to a temporary file next to /proc/self/fd/N, which
	 * fails: fine).  What it wrote must open again. */
	if (uz_dump_format(dump) == UZ_DUMP_ELF) {
		opts.in_place = true;
		err = uz_dump_write(dump, path, patches, n, fuzz_fill_any, dump, &opts);
		fuzz_check_written(err, path);
	}
	free(page);
	uz_dump_close(dump);
	close(fd);
}

/* Patch mode (see the top of this file). */
static void fuzz_patch_mode(const struct fuzz_seed *seeds, size_t n_seeds,
			    const uint8_t *data, size_t size)
{
	if (size < 3)
		return;
	const struct fuzz_seed *s = &seeds[data[0] % n_seeds];
	uint8_t *buf = malloc(s->len);
	memcpy(buf, s->data, s->len);
	size_t len = s->len;
	size_t cut = (size_t)data[1] << 8 | data[2];
	if (cut & 0x8000)
		len = (cut & 0x7fff) * 8 < len ? (cut & 0x7fff) * 8 : len;
	for (size_t i = 3; i + 3 <= size; i += 3) {
		size_t at = (size_t)data[i] << 8 | data[i + 1];
		if (at < len)
			buf[at] = data[i + 2];
	}
	fuzz_exercise(buf, len);
	free(buf);
}

#endif
