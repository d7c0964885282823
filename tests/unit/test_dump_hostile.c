/* Unit tests for lib/dump on truncated, corrupted and hostile inputs: each
 * must give a clear error of the right kind (and, under ASan/UBSan, no
 * finding); plus a deterministic mutation sweep over synthetic dumps. */
#include "dump/dump.h"
#include "synth.h"
#include "ut.h"

#define TEST_TMP_PREFIX "uz-test-dump-hostile"
#include "test_dump_util.h"

#include <stdbool.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len)
		abort();
	fclose(f);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const struct uz_synth_range ranges_h[] = {
	{ 0x00, 0x20, UZ_SYNTH_DATA },
	{ 0x20, 0x04, UZ_SYNTH_ZERO },
	{ 0x24, 0x04, UZ_SYNTH_EXCLUDED },
	{ 0x28, 0x08, UZ_SYNTH_DATA },
};

static struct uz_synth_desc make_desc(enum uz_dump_format f, enum uz_dump_compress c)
{
	struct uz_synth_desc d = { 0 };
	d.format = f;
	d.arch = UZ_ARCH_X86_64;
	d.page_size = 4096;
	d.compress = c;
	d.ranges = ranges_h;
	d.n_ranges = sizeof(ranges_h) / sizeof(ranges_h[0]);
	d.seed = 3;
	return d;
}

/* Open path expecting failure with code; message must contain substr. */
static bool open_fails(const char *path, int code, const char *substr, char *why, size_t n)
{
	struct uz_dump *dump = NULL;
	struct uz_error *err = uz_dump_open(path, &dump);
	if (!err) {
		snprintf(why, n, "open succeeded");
		uz_dump_close(dump);
		return false;
	}
	bool ok = (int)err->code == code && (!substr || strstr(err->message, substr));
	if (!ok)
		snprintf(why, n, "code %d message '%s'", err->code, err->message);
	uz_error_destroy(err);
	return ok;
}

#define UT_OPEN_FAILS(path, code, substr) do { char w_[512]; \
	if (!open_fails(path, code, substr, w_, sizeof(w_))) UT_FAIL("%s: %s", #code, w_); } while (0)

/* Read every page of an opened dump; returns the first error (owned by caller). */
static struct uz_error *read_all(struct uz_dump *dump, uint64_t limit)
{
	uint8_t *page = malloc(uz_dump_page_size(dump));
	struct uz_error *err = NULL;
	for (uint64_t pfn = 0; pfn < uz_dump_max_pfn(dump) && pfn < limit && !err; pfn++) {
		enum uz_page_state st;
		if ((err = uz_dump_page_state(dump, pfn, &st)))
			break;
		if (st == UZ_PAGE_PRESENT || st == UZ_PAGE_ZERO)
			err = uz_dump_read_page(dump, pfn, page);
	}
	free(page);
	return err;
}

UT_TEST(rejects_non_dumps)
{
	char *p = tmp_path("junk");
	spit(p, "", 0);
	UT_OPEN_FAILS(p, UZ_ERR_FORMAT, "too small");
	spit(p, "hello world, this is not a dump at all", 38);
	UT_OPEN_FAILS(p, UZ_ERR_FORMAT, "not a vmcore");
	uint8_t elf32[64] = { 0x7f, 'E', 'L', 'F', 1, 1, 1 };
	spit(p, elf32, sizeof(elf32));
	UT_OPEN_FAILS(p, UZ_ERR_UNSUPPORTED, "ELF32 dumps are not supported yet");
	uint8_t be[64] = { 0x7f, 'E', 'L', 'F', 2, 2, 1 };
	spit(p, be, sizeof(be));
	UT_OPEN_FAILS(p, UZ_ERR_UNSUPPORTED, "big-endian");
	char *missing = tmp_path("does-not-exist");
	UT_ERR(uz_dump_open(missing, &(struct uz_dump *){ NULL }), UZ_ERR_IO);
	free(missing);
	free(p);
}

UT_TEST(elf_truncated_and_bad_headers)
{
	struct uz_synth_desc d = make_desc(UZ_DUMP_ELF, UZ_COMPRESS_NONE);
	char *p = tmp_path("elf"), *q = tmp_path("elf-bad");
	UT_OK(uz_synth_write(&d, p));
	uint8_t *f;
	size_t len;
	UT_ASSERT(read_file(p, &f, &len));
	uint8_t *g = malloc(len);

	spit(q, f, len / 2);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "truncated");
	spit(q, f, 100);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "program header table");

	memcpy(g, f, len);
	put_le64(g + 32, UINT64_MAX - 8);   /* e_phoff */
	spit(q, g, len);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "program header table");

	memcpy(g, f, len);
	g[56] = 0xfe;   /* e_phnum = 0xfffe */
	g[57] = 0xff;
	spit(q, g, len);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "program header table");

	/* The first note's namesz far too large. */
	memcpy(g, f, len);
	uint64_t note_off = get_le64(g + 64 + 8);
	put_le32(g + note_off, 0x7fffffff);
	spit(q, g, len);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "name size");

	/* PT_LOAD (program header 2: after PT_NOTE and kernel text) filesz > memsz. */
	memcpy(g, f, len);
	uint8_t *ph = g + 64 + 2 * 56;
	put_le64(ph + 32, get_le64(ph + 40) + 4096);
	spit(q, g, len);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "p_filesz");

	/* PT_LOAD offset wrapping around. */
	memcpy(g, f, len);
	put_le64(ph + 8, UINT64_MAX - 100);
	spit(q, g, len);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "past the end");

	/* Physical range beyond 52 bits. */
	memcpy(g, f, len);
	put_le64(ph + 24, 1ull << 60);
	spit(q, g, len);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "52 bits");

	/* Overlapping segments (same file bytes, two physical ranges) still read. */
	memcpy(g, f, len);
	memcpy(g + 64 + 3 * 56 + 8, ph + 8, 8);
	spit(q, g, len);
	struct uz_dump *dump;
	UT_OK(uz_dump_open(q, &dump));
	struct uz_error *err = read_all(dump, 1 << 20);
	UT_ASSERT(err == NULL);
	uz_dump_close(dump);
	free(g);
	free(f);
	free(p);
	free(q);
}

/* Offsets in a synthetic kdump (4 KiB blocks): header block 0, sub-header
 * block 1, bitmaps blocks 2-3, descriptors from block 4. */
#define KD_DESC 0x4000

UT_TEST(kdump_truncated_and_bad_headers)
{
	struct uz_synth_desc d = make_desc(UZ_DUMP_KDUMP, UZ_COMPRESS_ZLIB);
	char *p = tmp_path("kd"), *q = tmp_path("kd-bad");
	UT_OK(uz_synth_write(&d, p));
	uint8_t *f;
	size_t len;
	UT_ASSERT(read_file(p, &f, &len));
	uint8_t *g = malloc(len);

	spit(q, f, 300);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "kdump header truncated");
	spit(q, f, 0x2800);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "truncated");
	spit(q, f, KD_DESC + 100);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "descriptor table");

	memcpy(g, f, len);
	put_le32(g + 428, 3000);   /* block_size */
	spit(q, g, len);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "block_size");

	memcpy(g, f, len);
	put_le64(g + 4096 + 96, 1ull << 45);   /* max_mapnr_64 */
	spit(q, g, len);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "max_mapnr");

	memcpy(g, f, len);
	put_le64(g + 4096 + 96, 4096 * 8 + 1);   /* more PFNs than the bitmap holds */
	spit(q, g, len);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "too small");

	memcpy(g, f, len);
	put_le32(g + 436, 0xfffffffe);   /* bitmap_blocks */
	spit(q, g, len);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "past the end");

	memcpy(g, f, len);
	put_le32(g + 4096 + 12, 1);   /* split */
	spit(q, g, len);
	UT_OPEN_FAILS(q, UZ_ERR_UNSUPPORTED, "split");

	memcpy(g, f, len);
	put_le64(g + 4096 + 56, 1ull << 40);   /* size_note */
	spit(q, g, len);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "notes");

	/* 2nd bitmap claiming every page dumped: the descriptors do not fit. */
	memcpy(g, f, len);
	memset(g + 0x3000, 0xff, 0x1000);
	put_le64(g + 4096 + 96, 0x8000);
	spit(q, g, len);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "descriptor table");
	free(g);
	free(f);
	free(p);
	free(q);
}

/* Snappy blocks with a lying length header or cut short must fail cleanly,
 * never write past the page. */
UT_TEST(kdump_bad_snappy_pages_fail_on_read)
{
	struct uz_synth_desc d = make_desc(UZ_DUMP_KDUMP, UZ_COMPRESS_SNAPPY);
	char *p = tmp_path("kds"), *q = tmp_path("kds-bad");
	UT_OK(uz_synth_write(&d, p));
	uint8_t *f;
	size_t len;
	UT_ASSERT(read_file(p, &f, &len));
	uint8_t *g = malloc(len);
	uint8_t page[4096];
	const uint8_t *desc1 = f + KD_DESC + 24;
	uint64_t off = get_le64(desc1);
	uint32_t size = get_le32(desc1 + 8);
	UT_ASSERT_EQ(get_le32(desc1 + 12), 0x4);
	UT_ASSERT(off + size <= len && size > 4);
	/* The snappy length varint of a 4096-byte page is 0x80 0x20. */
	UT_ASSERT_EQ(f[off], 0x80);
	UT_ASSERT_EQ(f[off + 1], 0x20);
	struct {
		const char *what;
		const char *msg;
	} cases[] = {
		{ "declares 8192 bytes", "8192 bytes declared" },
		{ "declares 4095 bytes", "4095 bytes declared" },
		{ "bad varint", "bad length header" },
		{ "cut short", "snappy page data is corrupt" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(g, f, len);
		uint8_t *data = g + off;
		switch (i) {
		case 0: data[1] = 0x40; break;
		case 1: data[0] = 0xff; data[1] = 0x1f; break;
		case 2: memset(data, 0xff, size < 6 ? size : 6); break;
		case 3: put_le32(g + KD_DESC + 24 + 8, size - 3); break;
		}
		spit(q, g, len);
		struct uz_dump *dump;
		UT_OK(uz_dump_open(q, &dump));
		UT_OK(uz_dump_read_page(dump, 0, page));
		struct uz_error *err = uz_dump_read_page(dump, 1, page);
		if (!err)
			UT_FAIL("case %s: read succeeded", cases[i].what);
		if (err->code != UZ_ERR_DECOMPRESS || !strstr(err->message, cases[i].msg))
			UT_FAIL("case %s: code %d message '%s'", cases[i].what, err->code, err->message);
		uz_error_destroy(err);
		uz_dump_close(dump);
	}
	free(g);
	free(f);
	free(p);
	free(q);
}

static struct uz_error *fill_zero_page(void *ctx, size_t index, void *page)
{
	(void)ctx;
	(void)index;
	memset(page, 0, 4096);
	return NULL;
}

UT_TEST(kdump_bad_descriptors_fail_on_read)
{
	struct uz_synth_desc d = make_desc(UZ_DUMP_KDUMP, UZ_COMPRESS_ZLIB);
	char *p = tmp_path("kd2"), *q = tmp_path("kd2-bad"), *o = tmp_path("kd2-out");
	UT_OK(uz_synth_write(&d, p));
	uint8_t *f;
	size_t len;
	UT_ASSERT(read_file(p, &f, &len));
	uint8_t *g = malloc(len);
	uint8_t page[4096];
	struct {
		size_t field;
		uint64_t value;
		int size;
		int code;
		const char *msg;
	} cases[] = {
		{ 0, UINT64_MAX - 10, 8, UZ_ERR_FORMAT, "past the end" },
		{ 0, 100, 8, UZ_ERR_FORMAT, "before the page data" },
		{ 8, 0, 4, UZ_ERR_FORMAT, "size 0" },
		{ 8, 5000, 4, UZ_ERR_FORMAT, "larger than a page" },
		{ 12, 0x3, 4, UZ_ERR_FORMAT, "several compression flags" },
		{ 12, 0x4, 4, UZ_ERR_DECOMPRESS, "snappy" },   /* zlib bytes read as snappy */
		{ 12, 0x2, 4, UZ_ERR_DECOMPRESS, "lzo" },   /* zlib bytes read as lzo */
		{ 12, 0x0, 4, UZ_ERR_FORMAT, "uncompressed" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(g, f, len);
		/* Descriptor of PFN 1 (PFN 0 is the first dumped page). */
		uint8_t *desc = g + KD_DESC + 24;
		if (cases[i].size == 8)
			put_le64(desc + cases[i].field, cases[i].value);
		else
			put_le32(desc + cases[i].field, (uint32_t)cases[i].value);
		spit(q, g, len);
		struct uz_dump *dump;
		UT_OK(uz_dump_open(q, &dump));
		UT_OK(uz_dump_read_page(dump, 0, page));
		struct uz_error *err = uz_dump_read_page(dump, 1, page);
		if (!err)
			UT_FAIL("case %zu: read succeeded", i);
		if ((int)err->code != cases[i].code || !strstr(err->message, cases[i].msg))
			UT_FAIL("case %zu: code %d message '%s'", i, err->code, err->message);
		uz_error_destroy(err);
		/* The writer validates the descriptors it copies, too: a broken
		 * one costs its page only (issue 13, defect 7), both in a plain
		 * copy and in a rewrite that adds a page, and is counted. */
		if (cases[i].code == UZ_ERR_FORMAT && i < 5) {
			for (int rewrite = 0; rewrite < 2; rewrite++) {
				struct uz_dump_write_stats stats;
				memset(&stats, 0, sizeof(stats));
				struct uz_dump_write_options wo;
				uz_dump_write_options_init(dump, &wo);
				wo.stats = &stats;
				struct uz_page_patch added = { uz_dump_max_pfn(dump) + 16 };
				err = uz_dump_write(dump, o, &added, rewrite ? 1 : 0, rewrite ? fill_zero_page : NULL,
						    NULL, &wo);
				if (err)
					UT_FAIL("case %zu, rewrite %d: write failed: %s", i, rewrite, err->message);
				UT_ASSERT(stats.broken_pages == 1);
				struct uz_dump *copy;
				UT_OK(uz_dump_open(o, &copy));
				UT_OK(uz_dump_read_page(copy, 0, page));
				UT_ERR(uz_dump_read_page(copy, 1, page), UZ_ERR_FORMAT);
				if (rewrite)
					UT_OK(uz_dump_read_page(copy, added.pfn, page));
				uz_dump_close(copy);
				unlink(o);
			}
		}
		uz_dump_close(dump);
	}
	free(g);
	free(f);
	free(p);
	free(q);
	free(o);
}

UT_TEST(flattened_truncated_and_bad_records)
{
	struct uz_synth_desc d = make_desc(UZ_DUMP_KDUMP, UZ_COMPRESS_LZO);
	d.flatten = true;
	char *p = tmp_path("flat"), *q = tmp_path("flat-bad");
	UT_OK(uz_synth_write(&d, p));
	uint8_t *f;
	size_t len;
	UT_ASSERT(read_file(p, &f, &len));
	spit(q, f, len - 16);   /* no end marker */
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "no end marker");
	spit(q, f, len - 100);   /* last record's data cut */
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "out of range");
	uint8_t *g = malloc(len);
	memcpy(g, f, len);
	g[4096 + 8] = 0x80;   /* first record: negative size */
	spit(q, g, len);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "out of range");
	memcpy(g, f, len);
	g[23] = 2;   /* type */
	spit(q, g, len);
	UT_OPEN_FAILS(q, UZ_ERR_FORMAT, "type");
	free(g);
	free(f);
	free(p);
	free(q);
}

/* Notes followed by a few stray bytes (found by fuzzing): the extra note
 * must go after the last whole note so that it can be found again. */
UT_TEST(extra_note_after_stray_note_bytes)
{
	enum uz_dump_format fmts[] = { UZ_DUMP_ELF, UZ_DUMP_KDUMP };
	for (size_t k = 0; k < 2; k++) {
		struct uz_synth_desc d = make_desc(fmts[k], UZ_COMPRESS_ZLIB);
		char *p = tmp_path("stray"), *q = tmp_path("stray-in"), *o = tmp_path("stray-out");
		UT_OK(uz_synth_write(&d, p));
		uint8_t *f;
		size_t len;
		UT_ASSERT(read_file(p, &f, &len));
		/* ELF: PT_NOTE p_filesz (the bytes after the notes are page
		 * padding); kdump: size_note (the sub-header block has room). */
		size_t field = k == 0 ? 64 + 32 : 4096 + 56;
		uint64_t size = get_le64(f + field);
		uint64_t first = k == 0 ? get_le64(f + 64 + 8) : get_le64(f + 4096 + 48);
		memset(f + first + size, 0x77, 5);
		put_le64(f + field, size + 5);
		spit(q, f, len);
		struct uz_dump *dump;
		UT_OK(uz_dump_open(q, &dump));
		struct uz_dump_write_options opts;
		uz_dump_write_options_init(dump, &opts);
		opts.note_name = "VMCOREUNZRAM";
		opts.note_type = 7;
		opts.note_desc = "abc";
		opts.note_desc_len = 3;
		UT_OK(uz_dump_write(dump, o, NULL, 0, NULL, NULL, &opts));
		uz_dump_close(dump);
		UT_OK(uz_dump_open(o, &dump));
		const void *desc;
		size_t dlen;
		UT_OK(uz_dump_find_note(dump, "VMCOREUNZRAM", 7, &desc, &dlen));
		UT_ASSERT_EQ(dlen, 3);
		UT_ASSERT_MEM(desc, "abc", 3);
		UT_OK(uz_dump_find_note(dump, "VMCOREINFO", 0, &desc, &dlen));
		uz_dump_close(dump);
		free(f);
		free(p);
		free(q);
		free(o);
	}
}

/* Deterministic mutation sweep: nothing may crash, hang or leak. */
UT_TEST(mutation_sweep)
{
	struct uz_synth_desc descs[4] = {
		make_desc(UZ_DUMP_ELF, UZ_COMPRESS_NONE),
		make_desc(UZ_DUMP_ELF, UZ_COMPRESS_NONE),
		make_desc(UZ_DUMP_KDUMP, UZ_COMPRESS_ZLIB),
		make_desc(UZ_DUMP_KDUMP, UZ_COMPRESS_ZSTD),
	};
	descs[1].flavour = UZ_SYNTH_ELF_QEMU;
	descs[3].flatten = true;
	descs[3].flat_record_size = 1500;
	char *p = tmp_path("mut"), *q = tmp_path("mut-bad"), *o = tmp_path("mut-out");
	uint64_t x = 0x1234567;
	unsigned opened = 0, failed = 0;
	for (size_t k = 0; k < 4; k++) {
		UT_OK(uz_synth_write(&descs[k], p));
		uint8_t *f;
		size_t len;
		UT_ASSERT(read_file(p, &f, &len));
		uint8_t *g = malloc(len);
		for (int iter = 0; iter < 300; iter++) {
			memcpy(g, f, len);
			int flips = 1 + iter % 4;
			for (int i = 0; i < flips; i++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				/* Mostly the metadata at the front, sometimes anywhere. */
				size_t span = (x >> 40) % 4 ? (len < 0x6000 ? len : 0x6000) : len;
				size_t at = (size_t)(x % span);
				g[at] = (x >> 32) % 3 ? (uint8_t)(x >> 24) : (uint8_t)(g[at] ^ 0x80);
			}
			size_t cut = (x >> 50) % 8 == 0 ? (size_t)((x >> 20) % len) : len;
			spit(q, g, cut);
			struct uz_dump *dump;
			struct uz_error *err = uz_dump_open(q, &dump);
			if (err) {
				failed++;
				UT_ASSERT(err->message && *err->message);
				uz_error_destroy(err);
				continue;
			}
			opened++;
			uz_error_destroy(read_all(dump, 1 << 16));
			uint64_t pfn = 0;
			for (int i = 0; i < 100000; i++) {
				err = uz_dump_next_pfn(dump, &pfn);
				if (err)
					break;
				pfn++;
			}
			uz_error_destroy(err);
			struct uz_page_patch add[] = { { uz_dump_max_pfn(dump) + 1 } };
			struct uz_dump_write_options opts;
			uz_dump_write_options_init(dump, &opts);
			opts.note_name = "X";
			err = uz_dump_write(dump, o, add, 1, NULL, NULL, &opts);   /* no fill: usage */
			uz_error_destroy(err);
			err = uz_dump_write(dump, o, NULL, 0, NULL, NULL, &opts);
			uz_error_destroy(err);
			/* And converted to the other format (snappy for kdump); every
			 * third case, to bound the fsyncs. */
			if (iter % 3 == 0) {
				opts.format = opts.format == UZ_DUMP_ELF ? UZ_DUMP_KDUMP : UZ_DUMP_ELF;
				opts.compress = UZ_COMPRESS_SNAPPY;
				err = uz_dump_write(dump, o, NULL, 0, NULL, NULL, &opts);
				uz_error_destroy(err);
			}
			uz_dump_close(dump);
		}
		free(g);
		free(f);
	}
	/* The sweep exercised both outcomes. */
	UT_ASSERT(opened > 50);
	UT_ASSERT(failed > 50);
	free(p);
	free(q);
	free(o);
}

UT_MAIN(UT_CASE(rejects_non_dumps), UT_CASE(elf_truncated_and_bad_headers),
	UT_CASE(kdump_truncated_and_bad_headers), UT_CASE(kdump_bad_descriptors_fail_on_read),
	UT_CASE(kdump_bad_snappy_pages_fail_on_read),
	UT_CASE(flattened_truncated_and_bad_records), UT_CASE(extra_note_after_stray_note_bytes),
	UT_CASE(mutation_sweep))
