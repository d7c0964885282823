/* Unit tests for lib/dump on kdump-compressed and flattened files: reading
 * synthetic dumps with every supported compression, incomplete dumps, and
 * writing copies with pages replaced and added, compared page by page. */
#include "dump/dump.h"
#include "synth.h"
#include "ut.h"

#define TEST_TMP_PREFIX "uz-test-dump-kdump"
#include "test_dump_util.h"

#include <stdbool.h>
#include <sys/stat.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>

#define UT_VERIFY(...) do { char why_[256]; \
	if (!uz_synth_verify(__VA_ARGS__, why_, sizeof(why_))) UT_FAIL("%s", why_); } while (0)

static const struct uz_synth_range ranges_k[] = {
	{ 0x000, 0x30, UZ_SYNTH_DATA },
	{ 0x030, 0x08, UZ_SYNTH_ZERO },
	{ 0x038, 0x10, UZ_SYNTH_EXCLUDED },
	{ 0x100, 0x20, UZ_SYNTH_DATA },      /* after a hole */
	{ 0x120, 0x04, UZ_SYNTH_EXCLUDED },
	{ 0x124, 0x10, UZ_SYNTH_DATA },
};

static const enum uz_dump_compress all_compress[] = {
	UZ_COMPRESS_NONE, UZ_COMPRESS_ZLIB, UZ_COMPRESS_LZO, UZ_COMPRESS_ZSTD,
	UZ_COMPRESS_SNAPPY,
};

static void desc_init(struct uz_synth_desc *d, enum uz_dump_compress c)
{
	memset(d, 0, sizeof(*d));
	d->format = UZ_DUMP_KDUMP;
	d->arch = UZ_ARCH_X86_64;
	d->page_size = 4096;
	d->compress = c;
	d->ranges = ranges_k;
	d->n_ranges = sizeof(ranges_k) / sizeof(ranges_k[0]);
	d->seed = 11;
}

static struct uz_error *fill_patch(void *ctx, size_t index, void *page)
{
	const struct uz_page_patch *patches = ctx;
	uint8_t *p = page;
	/* Half compressible, half not, so compressed and raw storage both occur. */
	for (size_t i = 0; i < 4096; i++)
		p[i] = i < 2048 ? (uint8_t)(patches[index].pfn + i / 512)
				: (uint8_t)((patches[index].pfn * 2654435761u + i * i * 40503u) >> 7);
	return NULL;
}

UT_TEST(reads_every_compression)
{
	for (size_t i = 0; i < sizeof(all_compress) / sizeof(all_compress[0]); i++) {
		struct uz_synth_desc d;
		desc_init(&d, all_compress[i]);
		char *path = tmp_path("read.kdump");
		UT_OK(uz_synth_write(&d, path));
		struct uz_dump *dump;
		UT_OK(uz_dump_open(path, &dump));
		UT_ASSERT_EQ(uz_dump_format(dump), UZ_DUMP_KDUMP);
		UT_ASSERT_EQ(uz_dump_arch(dump), UZ_ARCH_X86_64);
		UT_ASSERT_EQ(uz_dump_max_pfn(dump), 0x134);
		uint64_t pb = 0;
		UT_ASSERT(uz_dump_phys_base(dump, &pb));
		UT_ASSERT_EQ(pb, 0x1000000);
		UT_VERIFY(&d, dump, NULL, 0, NULL, NULL);
		const void *desc;
		size_t len;
		UT_OK(uz_dump_find_note(dump, "CORE", 1, &desc, &len));
		UT_ASSERT_EQ(len, 336);
		uz_dump_close(dump);
		free(path);
	}
}

UT_TEST(reads_flattened)
{
	for (int scramble = 0; scramble < 2; scramble++)
		for (int fmt = 0; fmt < 2; fmt++) {
			struct uz_synth_desc d;
			desc_init(&d, UZ_COMPRESS_ZLIB);
			d.format = fmt ? UZ_DUMP_ELF : UZ_DUMP_KDUMP;
			d.flatten = true;
			d.flat_scramble = scramble;
			d.flat_record_size = 1000 + 3000 * (uint64_t)scramble;  /* unaligned records */
			char *path = tmp_path("read.flat");
			UT_OK(uz_synth_write(&d, path));
			struct uz_dump *dump;
			UT_OK(uz_dump_open(path, &dump));
			UT_ASSERT_EQ(uz_dump_format(dump), UZ_DUMP_FLAT);
			UT_ASSERT_EQ(uz_dump_contents_format(dump), d.format);
			UT_VERIFY(&d, dump, NULL, 0, NULL, NULL);
			uz_dump_close(dump);
			free(path);
		}
}

UT_TEST(reads_incomplete)
{
	struct uz_synth_desc d;
	desc_init(&d, UZ_COMPRESS_ZLIB);
	d.incomplete = true;
	char *path = tmp_path("incomplete.kdump"), *out = tmp_path("incomplete-out.kdump");
	UT_OK(uz_synth_write(&d, path));
	struct uz_dump *dump;
	UT_OK(uz_dump_open(path, &dump));
	UT_ASSERT(uz_dump_incomplete(dump));
	UT_VERIFY(&d, dump, NULL, 0, NULL, NULL);
	UT_ERR(uz_dump_write(dump, out, NULL, 0, NULL, NULL, NULL), UZ_ERR_UNSUPPORTED);
	uz_dump_close(dump);
	free(path);
	free(out);
}

UT_TEST(write_without_changes_is_byte_identical)
{
	struct uz_synth_desc d;
	desc_init(&d, UZ_COMPRESS_LZO);
	char *in = tmp_path("same-in.kdump"), *out = tmp_path("same-out.kdump");
	UT_OK(uz_synth_write(&d, in));
	struct uz_dump *dump;
	UT_OK(uz_dump_open(in, &dump));
	UT_OK(uz_dump_write(dump, out, NULL, 0, NULL, NULL, NULL));
	uz_dump_close(dump);
	uint8_t *a, *b;
	size_t alen, blen;
	UT_ASSERT(read_file(in, &a, &alen) && read_file(out, &b, &blen));
	UT_ASSERT_EQ(alen, blen);
	UT_ASSERT_MEM(a, b, alen);
	free(a);
	free(b);
	free(in);
	free(out);
}

/* Replace pages (including a shared zero page) and add pages far enough
 * above the end that the bitmaps grow; with a note. */
static void roundtrip(struct ut_state *ut_, enum uz_dump_compress c, bool flatten,
		      enum uz_dump_compress out_c)
{
	struct uz_synth_desc d;
	desc_init(&d, c);
	d.flatten = flatten;
	char *in = tmp_path("rt-in.kdump"), *out = tmp_path("rt-out.kdump");
	UT_OK(uz_synth_write(&d, in));
	static const struct uz_page_patch patches[] = {
		{ 0x000 }, { 0x02f }, { 0x031 }, { 0x110 }, { 0x133 },
		{ 0x134 }, { 0x135 }, { 0x9000 }, { 0x9001 },
	};
	size_t n = sizeof(patches) / sizeof(patches[0]);
	struct uz_dump *dump;
	UT_OK(uz_dump_open(in, &dump));
	struct uz_dump_write_options opts;
	uz_dump_write_options_init(dump, &opts);
	UT_ASSERT_EQ(opts.format, UZ_DUMP_KDUMP);
	UT_ASSERT_EQ(opts.compress, c);
	opts.compress = out_c;
	static const char desc[] = "kdump rewrite record";
	opts.note_name = "VMCOREUNZRAM";
	opts.note_type = 1;
	opts.note_desc = desc;
	opts.note_desc_len = sizeof(desc);
	UT_OK(uz_dump_write(dump, out, patches, n, fill_patch, (void *)patches, &opts));
	uz_dump_close(dump);

	UT_OK(uz_dump_open(out, &dump));
	UT_ASSERT_EQ(uz_dump_format(dump), UZ_DUMP_KDUMP);
	UT_ASSERT_EQ(uz_dump_max_pfn(dump), 0x9002);
	UT_VERIFY(&d, dump, patches, n, fill_patch, (void *)patches);
	const void *nd;
	size_t nlen;
	UT_OK(uz_dump_find_note(dump, "VMCOREUNZRAM", 1, &nd, &nlen));
	UT_ASSERT_EQ(nlen, sizeof(desc));
	UT_ASSERT_MEM(nd, desc, sizeof(desc));
	UT_OK(uz_dump_find_note(dump, "CORE", 1, &nd, &nlen));
	UT_ASSERT(strstr(uz_dump_vmcoreinfo(dump), "OSRELEASE=6.1.0-synthetic"));
	uint64_t pb;
	UT_ASSERT(uz_dump_phys_base(dump, &pb) && pb == 0x1000000);
	uz_dump_close(dump);
	free(in);
	free(out);
}

UT_TEST(write_patched_every_compression)
{
	for (size_t i = 0; i < sizeof(all_compress) / sizeof(all_compress[0]); i++)
		roundtrip(ut_, all_compress[i], false, all_compress[i]);
}

UT_TEST(write_patched_other_compression)
{
	roundtrip(ut_, UZ_COMPRESS_ZLIB, false, UZ_COMPRESS_ZSTD);
	roundtrip(ut_, UZ_COMPRESS_NONE, false, UZ_COMPRESS_LZO);
	roundtrip(ut_, UZ_COMPRESS_SNAPPY, false, UZ_COMPRESS_ZLIB);
	roundtrip(ut_, UZ_COMPRESS_LZO, false, UZ_COMPRESS_SNAPPY);
}

UT_TEST(write_patched_from_flattened)
{
	roundtrip(ut_, UZ_COMPRESS_ZSTD, true, UZ_COMPRESS_ZSTD);
}

/* size_note ends right after the last note's descriptor, its padding cut
 * off (the fuzzer's ELF case, here in the kdump sub-header): the note added
 * after it must start 4-aligned, and every note must read back. */
UT_TEST(write_after_notes_cut_short)
{
	struct uz_synth_desc d;
	desc_init(&d, UZ_COMPRESS_ZLIB);
	char *in = tmp_path("cut-in.kdump"), *out = tmp_path("cut-out.kdump");
	/* The default VMCOREINFO, lengthened to 3 mod 4: one byte of padding. */
	UT_OK(uz_synth_write(&d, in));
	struct uz_dump *dump;
	UT_OK(uz_dump_open(in, &dump));
	char vmci[1024];
	snprintf(vmci, sizeof(vmci), "%s", uz_dump_vmcoreinfo(dump));
	uz_dump_close(dump);
	while (strlen(vmci) % 4 != 3)
		strcat(vmci, "\n");
	d.vmcoreinfo = vmci;
	UT_OK(uz_synth_write(&d, in));
	uint8_t *f;
	size_t len;
	UT_ASSERT(read_file(in, &f, &len));
	size_t bs = f[428] | (size_t)f[429] << 8 | (size_t)f[430] << 16;
	uint64_t size_note = 0;
	for (int i = 7; i >= 0; i--)
		size_note = size_note << 8 | f[bs + 56 + i];
	UT_ASSERT_EQ(size_note % 4, 0);
	size_note--;   /* the padding byte */
	for (int i = 0; i < 8; i++)
		f[bs + 56 + i] = (uint8_t)(size_note >> (8 * i));
	FILE *o = fopen(in, "wb");
	UT_ASSERT(o && fwrite(f, 1, len, o) == len && fclose(o) == 0);
	free(f);

	static const struct uz_page_patch patches[] = { { 0x001 }, { 0x9000 } };
	UT_OK(uz_dump_open(in, &dump));
	struct uz_dump_write_options opts;
	uz_dump_write_options_init(dump, &opts);
	static const char desc[] = "kdump rewrite record";
	opts.note_name = "VMCOREUNZRAM";
	opts.note_type = 1;
	opts.note_desc = desc;
	opts.note_desc_len = sizeof(desc);
	UT_OK(uz_dump_write(dump, out, patches, 2, fill_patch, (void *)patches, &opts));
	uz_dump_close(dump);
	UT_OK(uz_dump_open(out, &dump));
	UT_VERIFY(&d, dump, patches, 2, fill_patch, (void *)patches);
	const void *nd;
	size_t nlen;
	UT_OK(uz_dump_find_note(dump, "VMCOREUNZRAM", 1, &nd, &nlen));
	UT_ASSERT_EQ(nlen, sizeof(desc));
	UT_ASSERT_MEM(nd, desc, sizeof(desc));
	UT_OK(uz_dump_find_note(dump, "CORE", 1, &nd, &nlen));
	UT_ASSERT(strstr(uz_dump_vmcoreinfo(dump), "OSRELEASE=6.1.0-synthetic"));
	uz_dump_close(dump);
	free(in);
	free(out);
}

UT_TEST(write_in_place_request_falls_back)
{
	struct uz_synth_desc d;
	desc_init(&d, UZ_COMPRESS_ZLIB);
	char *in = tmp_path("inplace.kdump");
	UT_OK(uz_synth_write(&d, in));
	struct uz_dump *dump;
	UT_OK(uz_dump_open(in, &dump));
	struct uz_dump_write_options opts;
	uz_dump_write_options_init(dump, &opts);
	bool fell_back = false;
	opts.in_place = true;
	opts.fell_back = &fell_back;
	struct uz_page_patch add[] = { { 0x200 } };
	UT_OK(uz_dump_write(dump, in, add, 1, fill_patch, add, &opts));
	UT_ASSERT(fell_back);
	uz_dump_close(dump);
	UT_OK(uz_dump_open(in, &dump));
	UT_VERIFY(&d, dump, add, 1, fill_patch, add);
	uz_dump_close(dump);
	free(in);
}

UT_TEST(write_rejects_excluded_page)
{
	struct uz_synth_desc d;
	desc_init(&d, UZ_COMPRESS_ZLIB);
	char *in = tmp_path("excl.kdump"), *out = tmp_path("excl-out.kdump");
	UT_OK(uz_synth_write(&d, in));
	struct uz_dump *dump;
	UT_OK(uz_dump_open(in, &dump));
	struct uz_page_patch excl[] = { { 0x40 } };
	UT_ERR(uz_dump_write(dump, out, excl, 1, fill_patch, excl, NULL), UZ_ERR_USAGE);
	UT_ASSERT(access(out, F_OK) != 0);
	uz_dump_close(dump);
	free(in);
	free(out);
}

/* Conversion patches: replace a data and a zero page, extend the last run,
 * add a run far above. */
static const struct uz_page_patch conv_patches[] = {
	{ 0x001 }, { 0x031 }, { 0x134 }, { 0x135 }, { 0x9000 }, { 0x9001 },
};
#define N_CONV_PATCHES (sizeof(conv_patches) / sizeof(conv_patches[0]))

/* Write in with opts.format = to (and compress), reopen, check every page
 * against d (converted expectations), the note and VMCOREINFO. */
static void convert(struct ut_state *ut_, const struct uz_synth_desc *d,
		    const char *in, const char *out, enum uz_dump_format to,
		    enum uz_dump_compress c, struct uz_dump **result)
{
	struct uz_dump *dump;
	*result = NULL;
	UT_OK(uz_dump_open(in, &dump));
	struct uz_dump_write_options opts;
	uz_dump_write_options_init(dump, &opts);
	opts.format = to;
	opts.compress = c;
	static const char desc[] = "converted";
	opts.note_name = "VMCOREUNZRAM";
	opts.note_type = 1;
	opts.note_desc = desc;
	opts.note_desc_len = sizeof(desc);
	UT_OK(uz_dump_write(dump, out, conv_patches, N_CONV_PATCHES, fill_patch,
			    (void *)conv_patches, &opts));
	uz_dump_close(dump);
	UT_OK(uz_dump_open(out, &dump));
	UT_ASSERT_EQ(uz_dump_format(dump), to);
	UT_ASSERT_EQ(uz_dump_max_pfn(dump), 0x9002);
	struct uz_synth_desc e = *d;
	e.expect_converted = true;
	UT_VERIFY(&e, dump, conv_patches, N_CONV_PATCHES, fill_patch, (void *)conv_patches);
	const void *nd;
	size_t nlen;
	UT_OK(uz_dump_find_note(dump, "VMCOREUNZRAM", 1, &nd, &nlen));
	UT_ASSERT_EQ(nlen, sizeof(desc));
	UT_ASSERT_MEM(nd, desc, sizeof(desc));
	/* Two PRSTATUS notes (synth default nr_cpus), in order. */
	size_t cursor = 0, cpus = 0;
	struct uz_dump_note note;
	struct uz_error *err;
	while (!(err = uz_dump_next_note(dump, &cursor, &note)))
		cpus += !strcmp(note.name, "CORE") && note.type == 1;
	UT_ASSERT_EQ(err->code, UZ_ERR_NOT_FOUND);
	uz_error_destroy(err);
	UT_ASSERT_EQ(cpus, 2);
	UT_ASSERT(strstr(uz_dump_vmcoreinfo(dump), "OSRELEASE=6.1.0-synthetic"));
	*result = dump;
}

UT_TEST(convert_kdump_to_elf)
{
	for (int flat = 0; flat < 2; flat++) {
		struct uz_synth_desc d;
		desc_init(&d, flat ? UZ_COMPRESS_ZSTD : UZ_COMPRESS_SNAPPY);
		d.flatten = flat;
		char *in = tmp_path("k2e-in.kdump"), *out = tmp_path("k2e-out.elf");
		UT_OK(uz_synth_write(&d, in));
		struct uz_dump *dump;
		convert(ut_, &d, in, out, UZ_DUMP_ELF, UZ_COMPRESS_NONE, &dump);
		UT_ASSERT(dump);
		/* Runs of present pages: 0x000-0x037 (data, zero), 0x100-0x11f,
		 * 0x124-0x135 (extended by two patches), 0x9000-0x9001; then the
		 * kernel-text view of what lies in [phys_base, phys_base + 1 GiB)
		 * (phys_base 16 MiB): the added run. */
		static const struct uz_dump_segment want[] = {
			{ 0x000000, 0, 0x38000, 0x38000 }, { 0x100000, 0, 0x20000, 0x20000 },
			{ 0x124000, 0, 0x12000, 0x12000 }, { 0x9000000, 0, 0x2000, 0x2000 },
			{ 0x9000000, 0xffffffff88000000ull, 0x2000, 0x2000 },
		};
		UT_ASSERT_EQ(uz_dump_segment_count(dump), 5);
		for (size_t i = 0; i < 5; i++) {
			struct uz_dump_segment s;
			UT_ASSERT(uz_dump_segment(dump, i, &s));
			UT_ASSERT_EQ(s.paddr, want[i].paddr);
			UT_ASSERT_EQ(s.memsz, want[i].memsz);
			UT_ASSERT_EQ(s.filesz, want[i].filesz);
			UT_ASSERT_EQ(s.vaddr, want[i].vaddr);
		}
		uz_dump_close(dump);
		free(in);
		free(out);
	}
}

/* An x86_64 kdump whose phys_base lies in RAM gets kernel-text segments
 * (virtual 0xffffffff80000000 + paddr - phys_base) sharing the RAM bytes. */
UT_TEST(convert_kdump_to_elf_kernel_text)
{
	static const struct uz_synth_range ranges[] = {
		{ 0x0ff0, 0x20, UZ_SYNTH_DATA },   /* phys_base 16 MiB = PFN 0x1000 */
	};
	struct uz_synth_desc d;
	desc_init(&d, UZ_COMPRESS_ZLIB);
	d.ranges = ranges;
	d.n_ranges = 1;
	char *in = tmp_path("k2t-in.kdump"), *out = tmp_path("k2t-out.elf");
	UT_OK(uz_synth_write(&d, in));
	struct uz_dump *dump;
	UT_OK(uz_dump_open(in, &dump));
	struct uz_dump_write_options opts;
	uz_dump_write_options_init(dump, &opts);
	opts.format = UZ_DUMP_ELF;
	UT_OK(uz_dump_write(dump, out, NULL, 0, NULL, NULL, &opts));
	uz_dump_close(dump);
	UT_OK(uz_dump_open(out, &dump));
	UT_ASSERT_EQ(uz_dump_segment_count(dump), 2);
	struct uz_dump_segment s;
	UT_ASSERT(uz_dump_segment(dump, 1, &s));
	UT_ASSERT_EQ(s.paddr, 0x1000000);
	UT_ASSERT_EQ(s.vaddr, 0xffffffff80000000ull);
	UT_ASSERT_EQ(s.memsz, 0x10000);
	struct uz_synth_desc e = d;
	e.expect_converted = true;
	UT_VERIFY(&e, dump, NULL, 0, NULL, NULL);
	uz_dump_close(dump);
	free(in);
	free(out);
}

UT_TEST(convert_elf_to_kdump_every_compression)
{
	for (size_t i = 0; i < sizeof(all_compress) / sizeof(all_compress[0]); i++) {
		struct uz_synth_desc d;
		desc_init(&d, UZ_COMPRESS_NONE);
		d.format = UZ_DUMP_ELF;
		d.flavour = i % 2 ? UZ_SYNTH_ELF_QEMU : UZ_SYNTH_ELF_KERNEL;
		char *in = tmp_path("e2k-in.elf"), *out = tmp_path("e2k-out.kdump");
		UT_OK(uz_synth_write(&d, in));
		struct uz_dump *dump;
		convert(ut_, &d, in, out, UZ_DUMP_KDUMP, all_compress[i], &dump);
		UT_ASSERT(dump);
		struct uz_dump_write_options o;
		uz_dump_write_options_init(dump, &o);
		UT_ASSERT_EQ(o.compress, all_compress[i]);
		uint64_t pb = 1;
		UT_ASSERT(uz_dump_phys_base(dump, &pb));
		UT_ASSERT_EQ(pb, 0);   /* NUMBER(phys_base)=0 in the synthetic VMCOREINFO */
		/* Back to ELF: the same pages again (patches are already in). */
		char *back = tmp_path("e2k-back.elf");
		struct uz_dump_write_options ob;
		uz_dump_write_options_init(dump, &ob);
		ob.format = UZ_DUMP_ELF;
		UT_OK(uz_dump_write(dump, back, NULL, 0, NULL, NULL, &ob));
		uz_dump_close(dump);
		UT_OK(uz_dump_open(back, &dump));
		struct uz_synth_desc e = d;
		e.expect_converted = true;
		UT_VERIFY(&e, dump, conv_patches, N_CONV_PATCHES, fill_patch, (void *)conv_patches);
		uz_dump_close(dump);
		free(in);
		free(out);
		free(back);
	}
}

/* Zero pages share one stored zero page, as makedumpfile writes them: the
 * output is smaller than with each zero page stored raw. */
UT_TEST(convert_elf_to_kdump_shares_zero_page)
{
	static const struct uz_synth_range ranges[] = {
		{ 0x00, 0x04, UZ_SYNTH_DATA },
		{ 0x04, 0x40, UZ_SYNTH_ZERO },
		{ 0x44, 0x04, UZ_SYNTH_DATA },
	};
	struct uz_synth_desc d;
	desc_init(&d, UZ_COMPRESS_NONE);
	d.format = UZ_DUMP_ELF;
	d.ranges = ranges;
	d.n_ranges = 3;
	char *in = tmp_path("z-in.elf"), *out = tmp_path("z-out.kdump");
	UT_OK(uz_synth_write(&d, in));
	struct uz_dump *dump;
	UT_OK(uz_dump_open(in, &dump));
	struct uz_dump_write_options opts;
	uz_dump_write_options_init(dump, &opts);
	opts.format = UZ_DUMP_KDUMP;
	opts.compress = UZ_COMPRESS_NONE;
	UT_OK(uz_dump_write(dump, out, NULL, 0, NULL, NULL, &opts));
	uz_dump_close(dump);
	struct stat st;
	UT_ASSERT(stat(out, &st) == 0);
	/* header + sub-header/notes + 2 bitmap blocks + descriptors (72 * 24)
	 * + 1 shared zero page + 8 data pages: under 16 pages in all. */
	UT_ASSERT(st.st_size < 16 * 4096);
	UT_ASSERT(st.st_size >= 9 * 4096);
	UT_OK(uz_dump_open(out, &dump));
	struct uz_synth_desc e = d;
	e.expect_converted = true;
	UT_VERIFY(&e, dump, NULL, 0, NULL, NULL);
	uz_dump_close(dump);
	free(in);
	free(out);
}

static void le_put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t le_get(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static bool write_bytes(const char *path, const uint8_t *p, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return false;
	bool ok = fwrite(p, 1, len, f) == len;
	return fclose(f) == 0 && ok;
}

/* Make the file of a makedumpfile --split set holding [start, end) from a
 * whole kdump file, laid out as makedumpfile 1.7.2 writes them: same
 * header and bitmaps, split flag and range in the sub-header, the full
 * descriptor table with only the range's descriptors filled in. */
static bool make_split_part(const uint8_t *whole, size_t len, uint64_t start, uint64_t end,
			    const char *path)
{
	uint8_t *g = malloc(len);
	if (!g)
		return false;
	memcpy(g, whole, len);
	uint64_t bs = le_get(g + 428, 4), sub = le_get(g + 432, 4), bm_blocks = le_get(g + 436, 4);
	uint64_t bm_len = bm_blocks / 2 * bs;
	const uint8_t *bm2 = g + (1 + sub) * bs + bm_len;
	uint8_t *descs = g + (1 + sub) * bs + 2 * bm_len;
	uint8_t *kh = g + bs;
	le_put(kh + 12, 1, 4);          /* split */
	le_put(kh + 16, start, 8);      /* start_pfn */
	le_put(kh + 24, end, 8);        /* end_pfn */
	le_put(kh + 80, start, 8);      /* start_pfn_64 */
	le_put(kh + 88, end, 8);        /* end_pfn_64 */
	uint64_t index = 0;
	for (uint64_t pfn = 0; pfn < bm_len * 8; pfn++) {
		if (!(bm2[pfn / 8] >> (pfn % 8) & 1))
			continue;
		if (pfn < start || pfn >= end)
			memset(descs + index * 24, 0, 24);
		index++;
	}
	bool ok = write_bytes(path, g, len);
	free(g);
	return ok;
}

UT_TEST(split_set_reads_as_one_dump)
{
	struct uz_synth_desc d;
	desc_init(&d, UZ_COMPRESS_ZLIB);
	char *whole = tmp_path("split-whole.kdump");
	UT_OK(uz_synth_write(&d, whole));
	uint8_t *f;
	size_t len;
	UT_ASSERT(read_file(whole, &f, &len));
	char *p[3] = { tmp_path("split-1"), tmp_path("split-2"), tmp_path("split-3") };
	/* Boundaries inside data, at an excluded page and in the last run. */
	static const uint64_t cut[4] = { 0, 0x20, 0x3c, 0x134 };
	for (int i = 0; i < 3; i++)
		UT_ASSERT(make_split_part(f, len, cut[i], cut[i + 1], p[i]));

	/* One file alone through uz_dump_open: refused with a hint. */
	struct uz_dump *dump;
	struct uz_error *err = uz_dump_open(p[1], &dump);
	UT_ASSERT(err && err->code == UZ_ERR_UNSUPPORTED && strstr(err->message, "uz_dump_open_split"));
	uz_error_destroy(err);

	/* Any order. */
	const char *order[3] = { p[2], p[0], p[1] };
	UT_OK(uz_dump_open_split(order, 3, &dump));
	UT_ASSERT_EQ(uz_dump_max_pfn(dump), 0x134);
	UT_VERIFY(&d, dump, NULL, 0, NULL, NULL);
	/* Written as one kdump file (patched, recompressed) and as ELF. */
	static const struct uz_page_patch patches[] = { { 0x001 }, { 0x030 }, { 0x200 } };
	char *one = tmp_path("split-one.kdump"), *elf = tmp_path("split-one.elf");
	struct uz_dump_write_options opts;
	uz_dump_write_options_init(dump, &opts);
	opts.compress = UZ_COMPRESS_LZO;
	UT_OK(uz_dump_write(dump, one, patches, 3, fill_patch, (void *)patches, &opts));
	opts.format = UZ_DUMP_ELF;
	UT_OK(uz_dump_write(dump, elf, patches, 3, fill_patch, (void *)patches, &opts));
	uz_dump_close(dump);
	struct uz_synth_desc e = d;
	e.expect_converted = true;   /* excluded pages: holes (one file written afresh) */
	UT_OK(uz_dump_open(one, &dump));
	UT_VERIFY(&e, dump, patches, 3, fill_patch, (void *)patches);
	uz_dump_close(dump);
	UT_OK(uz_dump_open(elf, &dump));
	UT_VERIFY(&e, dump, patches, 3, fill_patch, (void *)patches);
	uz_dump_close(dump);

	/* A lone split file: the pages of the other files are EXCLUDED. */
	UT_OK(uz_dump_open_split((const char *const *)&p[1], 1, &dump));
	enum uz_page_state st;
	UT_OK(uz_dump_page_state(dump, 0x10, &st));
	UT_ASSERT_EQ(st, UZ_PAGE_EXCLUDED);
	UT_OK(uz_dump_page_state(dump, 0x21, &st));
	UT_ASSERT_EQ(st, UZ_PAGE_PRESENT);
	uint64_t next = 0;
	UT_OK(uz_dump_next_pfn(dump, &next));
	UT_ASSERT_EQ(next, 0x20);
	uint8_t page[4096];
	err = uz_dump_read_page(dump, 0x100, page);
	UT_ASSERT(err && err->code == UZ_ERR_FAULT);
	uz_error_destroy(err);
	/* Written out, it keeps only its own pages (0x20-0x37). */
	uz_dump_write_options_init(dump, &opts);
	UT_OK(uz_dump_write(dump, one, NULL, 0, NULL, NULL, &opts));
	uz_dump_close(dump);
	UT_OK(uz_dump_open(one, &dump));
	UT_OK(uz_dump_page_state(dump, 0x10, &st));
	UT_ASSERT_EQ(st, UZ_PAGE_HOLE);
	next = 0;
	UT_OK(uz_dump_next_pfn(dump, &next));
	UT_ASSERT_EQ(next, 0x20);
	UT_OK(uz_dump_read_page(dump, 0x21, page));
	uint8_t want[4096];
	uz_synth_page(d.seed, 0x21, 4096, want);
	UT_ASSERT_MEM(page, want, 4096);
	next = 0x38;
	err = uz_dump_next_pfn(dump, &next);
	UT_ASSERT(err && err->code == UZ_ERR_NOT_FOUND);
	uz_error_destroy(err);
	uz_dump_close(dump);
	free(one);
	free(elf);

	/* Incomplete or inconsistent sets. */
	const char *missing[2] = { p[0], p[2] };
	err = uz_dump_open_split(missing, 2, &dump);
	UT_ASSERT(err && err->code == UZ_ERR_FORMAT && strstr(err->message, "a file is missing"));
	uz_error_destroy(err);
	const char *no_first[2] = { p[1], p[2] };
	err = uz_dump_open_split(no_first, 2, &dump);
	UT_ASSERT(err && err->code == UZ_ERR_FORMAT && strstr(err->message, "no file starts at PFN 0"));
	uz_error_destroy(err);
	const char *twice[4] = { p[0], p[1], p[1], p[2] };
	err = uz_dump_open_split(twice, 4, &dump);
	UT_ASSERT(err && err->code == UZ_ERR_FORMAT && strstr(err->message, "overlap"));
	uz_error_destroy(err);
	const char *plain[2] = { p[0], whole };
	err = uz_dump_open_split(plain, 2, &dump);
	UT_ASSERT(err && err->code == UZ_ERR_FORMAT && strstr(err->message, "not a split dump file"));
	uz_error_destroy(err);
	/* A file of another dump (different max_mapnr). */
	static const struct uz_synth_range other_ranges[] = { { 0, 0x200, UZ_SYNTH_DATA } };
	struct uz_synth_desc o = d;
	o.ranges = other_ranges;
	o.n_ranges = 1;
	char *other = tmp_path("split-other.kdump"), *other_part = tmp_path("split-other-2");
	UT_OK(uz_synth_write(&o, other));
	uint8_t *of;
	size_t olen;
	UT_ASSERT(read_file(other, &of, &olen));
	UT_ASSERT(make_split_part(of, olen, 0x20, 0x200, other_part));
	const char *mixed[2] = { p[0], other_part };
	err = uz_dump_open_split(mixed, 2, &dump);
	UT_ASSERT(err && err->code == UZ_ERR_FORMAT && strstr(err->message, "does not belong"));
	uz_error_destroy(err);
	free(of);
	free(other);
	free(other_part);
	for (int i = 0; i < 3; i++)
		free(p[i]);
	free(f);
	free(whole);
}

/* uz_dump_open("-"): a flattened dump arriving through a pipe (spooled) and
 * a plain file redirected to standard input (used in place). */
UT_TEST(open_stdin_pipe_and_file)
{
	struct uz_synth_desc d;
	desc_init(&d, UZ_COMPRESS_ZLIB);
	d.flatten = true;
	d.flat_scramble = true;
	char *path = tmp_path("stdin.flat");
	UT_OK(uz_synth_write(&d, path));
	uint8_t *f;
	size_t len;
	UT_ASSERT(read_file(path, &f, &len));
	int saved = dup(STDIN_FILENO);
	UT_ASSERT(saved >= 0);
	for (int mode = 0; mode < 2; mode++) {
		int fds[2] = { -1, -1 };
		pid_t child = -1;
		if (mode == 0) {
			UT_ASSERT(pipe(fds) == 0);
			child = fork();
			UT_ASSERT(child >= 0);
			if (child == 0) {   /* writer: the whole file in small pieces */
				close(fds[0]);
				for (size_t off = 0; off < len;) {
					size_t n = len - off < 1000 ? len - off : 1000;
					ssize_t w = write(fds[1], f + off, n);
					if (w <= 0)
						_exit(1);
					off += (size_t)w;
				}
				_exit(0);
			}
			close(fds[1]);
			UT_ASSERT(dup2(fds[0], STDIN_FILENO) == STDIN_FILENO);
			close(fds[0]);
		} else {
			int fd = open(path, O_RDONLY);
			UT_ASSERT(fd >= 0);
			UT_ASSERT(dup2(fd, STDIN_FILENO) == STDIN_FILENO);
			close(fd);
		}
		struct uz_dump *dump;
		struct uz_error *err = uz_dump_open("-", &dump);
		dup2(saved, STDIN_FILENO);
		if (child > 0) {
			int status;
			UT_ASSERT(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
				  WEXITSTATUS(status) == 0);
		}
		UT_OK(err);
		UT_ASSERT_EQ(uz_dump_format(dump), UZ_DUMP_FLAT);
		UT_ASSERT_EQ(uz_dump_contents_format(dump), UZ_DUMP_KDUMP);
		UT_VERIFY(&d, dump, NULL, 0, NULL, NULL);
		uz_dump_close(dump);
	}
	close(saved);
	/* A pipe carrying something that is not a dump fails cleanly. */
	int fds[2];
	UT_ASSERT(pipe(fds) == 0);
	UT_ASSERT(write(fds[1], "not a dump at all", 17) == 17);
	close(fds[1]);
	saved = dup(STDIN_FILENO);
	dup2(fds[0], STDIN_FILENO);
	close(fds[0]);
	struct uz_dump *dump;
	struct uz_error *err = uz_dump_open("-", &dump);
	dup2(saved, STDIN_FILENO);
	close(saved);
	UT_ASSERT(err && err->code == UZ_ERR_FORMAT);
	uz_error_destroy(err);
	free(f);
	free(path);
}

/* zram-keep's case: pages the input filtered out (EXCLUDED) or never
 * described (holes below max_mapnr) come back, at the start, middle and end
 * of excluded runs and around a 2nd-bitmap chunk boundary (32768 PFNs), next
 * to a replaced and an added page; every other page is unchanged. */
UT_TEST(write_fills_missing_pages)
{
	static const struct uz_synth_range ranges[] = {
		{ 0x0000, 0x30, UZ_SYNTH_DATA },
		{ 0x0030, 0x10, UZ_SYNTH_EXCLUDED },
		{ 0x0100, 0x20, UZ_SYNTH_DATA },          /* after a hole */
		{ 0x0120, 0x7ef0, UZ_SYNTH_EXCLUDED },    /* across the chunk boundary 0x8000 */
		{ 0x8010, 0x08, UZ_SYNTH_DATA },
	};
	static const struct uz_page_patch patches[] = {
		{ 0x0000 },                        /* replaced */
		{ 0x0030 }, { 0x0036 }, { 0x003f }, /* excluded: first, middle, last */
		{ 0x0050 }, { 0x00ff },             /* holes */
		{ 0x7fff }, { 0x8000 }, { 0x800f }, /* excluded, each side of the boundary */
		{ 0x8017 },                        /* replaced, last page */
		{ 0x9000 },                        /* added above max_mapnr */
	};
	size_t n = sizeof(patches) / sizeof(patches[0]);
	for (size_t ci = 0; ci < 2; ci++) {
		struct uz_synth_desc d;
		desc_init(&d, ci ? UZ_COMPRESS_ZSTD : UZ_COMPRESS_NONE);
		d.ranges = ranges;
		d.n_ranges = sizeof(ranges) / sizeof(ranges[0]);
		char *in = tmp_path("fill-in.kdump"), *out = tmp_path("fill-out.kdump");
		UT_OK(uz_synth_write(&d, in));
		struct uz_dump *dump;
		UT_OK(uz_dump_open(in, &dump));
		struct uz_dump_write_options opts;
		uz_dump_write_options_init(dump, &opts);
		/* Without the option the same patches are a caller error. */
		UT_ERR(uz_dump_write(dump, out, patches, n, fill_patch, (void *)patches, &opts),
		       UZ_ERR_USAGE);
		opts.fill_missing = true;
		UT_OK(uz_dump_write(dump, out, patches, n, fill_patch, (void *)patches, &opts));
		uz_dump_close(dump);
		UT_OK(uz_dump_open(out, &dump));
		UT_VERIFY(&d, dump, patches, n, fill_patch, (void *)patches);
		uz_dump_close(dump);
		free(in);
		free(out);
	}
}

/* zram-keep keeps a flattened FILTERED flattened (-F output to a pipe): the
 * flattened output reads back as the same dump, and `-` means stdout. */
UT_TEST(write_flattened_output)
{
	struct uz_synth_desc d;
	desc_init(&d, UZ_COMPRESS_ZLIB);
	d.flatten = true;
	char *in = tmp_path("flat-in.kdump"), *out = tmp_path("flat-out.kdump");
	UT_OK(uz_synth_write(&d, in));
	static const struct uz_page_patch patches[] = { { 0x003 }, { 0x038 }, { 0x0a0 }, { 0x9000 } };
	size_t n = sizeof(patches) / sizeof(patches[0]);
	struct uz_dump *dump;
	UT_OK(uz_dump_open(in, &dump));
	UT_ASSERT_EQ(uz_dump_format(dump), UZ_DUMP_FLAT);
	struct uz_dump_write_options opts;
	uz_dump_write_options_init(dump, &opts);
	opts.fill_missing = true;
	opts.flattened = true;
	UT_OK(uz_dump_write(dump, out, patches, n, fill_patch, (void *)patches, &opts));
	opts.flattened = false;
	UT_ERR(uz_dump_write(dump, "-", patches, n, fill_patch, (void *)patches, &opts), UZ_ERR_USAGE);
	uz_dump_close(dump);
	UT_OK(uz_dump_open(out, &dump));
	UT_ASSERT_EQ(uz_dump_format(dump), UZ_DUMP_FLAT);
	UT_ASSERT_EQ(uz_dump_contents_format(dump), UZ_DUMP_KDUMP);
	UT_VERIFY(&d, dump, patches, n, fill_patch, (void *)patches);
	uz_dump_close(dump);
	struct stat st;
	UT_ASSERT(stat(out, &st) == 0 && (st.st_mode & 0777) == 0600);
	free(in);
	free(out);
}

UT_MAIN(UT_CASE(open_stdin_pipe_and_file), UT_CASE(write_flattened_output),
	UT_CASE(write_fills_missing_pages),
	UT_CASE(split_set_reads_as_one_dump),
	UT_CASE(convert_kdump_to_elf), UT_CASE(convert_kdump_to_elf_kernel_text),
	UT_CASE(convert_elf_to_kdump_every_compression), UT_CASE(convert_elf_to_kdump_shares_zero_page),
	UT_CASE(reads_every_compression), UT_CASE(reads_flattened), UT_CASE(reads_incomplete),
	UT_CASE(write_without_changes_is_byte_identical), UT_CASE(write_patched_every_compression),
	UT_CASE(write_patched_other_compression), UT_CASE(write_patched_from_flattened),
	UT_CASE(write_in_place_request_falls_back), UT_CASE(write_rejects_excluded_page),
	UT_CASE(write_after_notes_cut_short))
