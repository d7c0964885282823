/* Unit tests for lib/dump on kdump-compressed and flattened files: reading
 * synthetic dumps with every supported compression, incomplete dumps, and
 * writing copies with pages replaced and added, compared page by page. */
#include "dump/dump.h"
#include "dump/synth.h"
#include "ut.h"

#include <stdbool.h>
#include <sys/stat.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

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

static char tmp_dir[256];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The scratch directory goes away with the test binary. */
static void remove_tmp_dir(void)
{
	if (tmp_dir[0])
		nftw(tmp_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static char *tmp_path(const char *name)
{
	char *dir = tmp_dir;
	if (!dir[0]) {
		atexit(remove_tmp_dir);
		const char *t = getenv("TMPDIR");
		snprintf(dir, sizeof(tmp_dir), "%s/uz-test-dump-kdump-XXXXXX", t ? t : "/tmp");
		if (!mkdtemp(dir))
			abort();
	}
	char *p;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
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

static bool read_file(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	*data = malloc(*len + 1);
	bool ok = *data && fread(*data, 1, *len, f) == *len;
	fclose(f);
	return ok;
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
}

UT_TEST(write_patched_from_flattened)
{
	roundtrip(ut_, UZ_COMPRESS_ZSTD, true, UZ_COMPRESS_ZSTD);
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

UT_MAIN(UT_CASE(reads_every_compression), UT_CASE(reads_flattened), UT_CASE(reads_incomplete),
	UT_CASE(write_without_changes_is_byte_identical), UT_CASE(write_patched_every_compression),
	UT_CASE(write_patched_other_compression), UT_CASE(write_patched_from_flattened),
	UT_CASE(write_in_place_request_falls_back), UT_CASE(write_rejects_excluded_page))
