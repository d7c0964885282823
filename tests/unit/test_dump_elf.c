/* Unit tests for lib/dump on ELF vmcores: reading synthetic /proc/vmcore-
 * and QEMU-style dumps, and writing copies with pages replaced and added
 * (streaming and in place), compared page by page with what synth.c wrote. */
#include "dump/dump.h"
#include "synth.h"
#include "ut.h"

#define TEST_TMP_PREFIX "uz-test-dump-elf"
#include "test_dump_util.h"

#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

/* Verify an opened dump against its description (see synth.h). */
#define UT_VERIFY(...) do { char why_[256]; \
	if (!uz_synth_verify(__VA_ARGS__, why_, sizeof(why_))) UT_FAIL("%s", why_); } while (0)

static const struct uz_synth_range ranges_a[] = {
	{ 0x00, 0x10, UZ_SYNTH_DATA },
	{ 0x10, 0x04, UZ_SYNTH_ZERO },       /* zero fill at a segment's end */
	{ 0x20, 0x06, UZ_SYNTH_DATA },
	{ 0x26, 0x03, UZ_SYNTH_EXCLUDED },   /* a hole between two segments */
	{ 0x29, 0x02, UZ_SYNTH_ZERO },       /* written zeros inside a segment */
	{ 0x2b, 0x05, UZ_SYNTH_DATA },
};

static void desc_init(struct uz_synth_desc *d, enum uz_synth_elf_flavour flavour)
{
	memset(d, 0, sizeof(*d));
	d->format = UZ_DUMP_ELF;
	d->arch = UZ_ARCH_X86_64;
	d->page_size = 4096;
	d->flavour = flavour;
	d->ranges = ranges_a;
	d->n_ranges = sizeof(ranges_a) / sizeof(ranges_a[0]);
	d->seed = 7;
}

/* Patched page contents: independent of the synth data. */
static struct uz_error *fill_patch(void *ctx, size_t index, void *page)
{
	const struct uz_page_patch *patches = ctx;
	uint8_t *p = page;
	for (size_t i = 0; i < 4096; i++)
		p[i] = (uint8_t)(0xc3 ^ (patches[index].pfn * 31 + i * 7));
	return NULL;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int count_notes(struct uz_dump *dump, const char *name, uint32_t type)
{
	size_t cursor = 0;
	struct uz_dump_note note;
	struct uz_error *err;
	int n = 0;
	while (!(err = uz_dump_next_note(dump, &cursor, &note)))
		if (strcmp(note.name, name) == 0 && note.type == type)
			n++;
	int code = err->code;
	uz_error_destroy(err);
	return code == UZ_ERR_NOT_FOUND ? n : -1;
}

UT_TEST(reads_kernel_style_elf)
{
	struct uz_synth_desc d;
	desc_init(&d, UZ_SYNTH_ELF_KERNEL);
	char *path = tmp_path("kernel.elf");
	UT_OK(uz_synth_write(&d, path));
	struct uz_dump *dump;
	UT_OK(uz_dump_open(path, &dump));
	UT_ASSERT_EQ(uz_dump_format(dump), UZ_DUMP_ELF);
	UT_ASSERT_EQ(uz_dump_arch(dump), UZ_ARCH_X86_64);
	UT_ASSERT_EQ(uz_dump_max_pfn(dump), 0x30);
	UT_ASSERT(!uz_dump_incomplete(dump));
	UT_VERIFY(&d, dump, NULL, 0, NULL, NULL);
	UT_ASSERT_EQ(count_notes(dump, "CORE", 1), 2);
	/* kernel text + 3 RAM segments, in program-header order */
	UT_ASSERT_EQ(uz_dump_segment_count(dump), 4);
	struct uz_dump_segment seg;
	UT_ASSERT(uz_dump_segment(dump, 0, &seg));
	UT_ASSERT_EQ(seg.vaddr, 0xffffffff81000000ull);
	UT_ASSERT(uz_dump_segment(dump, 1, &seg));
	UT_ASSERT_EQ(seg.vaddr, 0xffff888000000000ull);
	UT_ASSERT_EQ(seg.memsz, 0x14 * 4096);
	UT_ASSERT_EQ(seg.filesz, 0x10 * 4096);
	uint64_t pb;
	UT_ASSERT(!uz_dump_phys_base(dump, &pb));
	/* read_phys across a page boundary */
	uint8_t buf[64], want[8192];
	UT_OK(uz_dump_read_phys(dump, 0x3000 - 32, buf, sizeof(buf)));
	uz_synth_page(7, 2, 4096, want);
	uz_synth_page(7, 3, 4096, want + 4096);
	UT_ASSERT_MEM(buf, want + 4096 - 32, 64);
	UT_ERR(uz_dump_read_phys(dump, 0x26000, buf, 8), UZ_ERR_FAULT);
	uz_dump_close(dump);
	free(path);
}

UT_TEST(reads_qemu_style_elf)
{
	struct uz_synth_desc d;
	desc_init(&d, UZ_SYNTH_ELF_QEMU);
	char *path = tmp_path("qemu.elf");
	UT_OK(uz_synth_write(&d, path));
	struct uz_dump *dump;
	UT_OK(uz_dump_open(path, &dump));
	UT_VERIFY(&d, dump, NULL, 0, NULL, NULL);
	struct uz_dump_segment seg;
	UT_ASSERT(uz_dump_segment(dump, 0, &seg));
	UT_ASSERT_EQ(seg.vaddr, 0);
	uz_dump_close(dump);
	free(path);
}

UT_TEST(reads_aarch64_64k_pages)
{
	struct uz_synth_desc d;
	desc_init(&d, UZ_SYNTH_ELF_KERNEL);
	d.arch = UZ_ARCH_AARCH64;
	d.page_size = 65536;
	char *path = tmp_path("arm64.elf");
	UT_OK(uz_synth_write(&d, path));
	struct uz_dump *dump;
	UT_OK(uz_dump_open(path, &dump));
	UT_ASSERT_EQ(uz_dump_arch(dump), UZ_ARCH_AARCH64);
	UT_ASSERT_EQ(uz_dump_page_size(dump), 65536);
	UT_VERIFY(&d, dump, NULL, 0, NULL, NULL);
	uz_dump_close(dump);
	free(path);
}

UT_TEST(write_without_changes_is_byte_identical)
{
	enum uz_synth_elf_flavour fl[] = { UZ_SYNTH_ELF_KERNEL, UZ_SYNTH_ELF_QEMU };
	for (size_t i = 0; i < 2; i++) {
		struct uz_synth_desc d;
		desc_init(&d, fl[i]);
		char *in = tmp_path("same-in.elf"), *out = tmp_path("same-out.elf");
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
		struct stat st;
		UT_ASSERT(stat(out, &st) == 0);
		UT_ASSERT_EQ(st.st_mode & 0777, 0600);
		free(a);
		free(b);
		free(in);
		free(out);
	}
}

/* Move the notes of a kernel-flavour file to right after the program header
 * table, leaving the slack before the page-aligned data after them. */
static bool pack_notes(const char *path)
{
	uint8_t *f;
	size_t len;
	if (!read_file(path, &f, &len))
		return false;
	size_t phnum = f[56] | (size_t)f[57] << 8;
	uint64_t noff = le64(f + 64 + 8), nsz = le64(f + 64 + 32), table_end = 64 + phnum * 56;
	memmove(f + table_end, f + noff, nsz);
	memset(f + table_end + nsz, 0, noff - table_end);
	for (int i = 0; i < 8; i++)
		f[64 + 8 + i] = (uint8_t)(table_end >> (8 * i));
	FILE *o = fopen(path, "wb");
	bool ok = o && fwrite(f, 1, len, o) == len;
	ok = o && fclose(o) == 0 && ok;
	free(f);
	return ok;
}

/* Make the last note's padding fall outside the PT_NOTE segment: p_filesz
 * ends right after its descriptor, whose size is made not a multiple of 4
 * (a fuzzer found this: the note appended after it started unaligned). */
static bool cut_note_padding(const char *path)
{
	uint8_t *f;
	size_t len;
	if (!read_file(path, &f, &len))
		return false;
	uint64_t noff = le64(f + 64 + 8), nsz = le64(f + 64 + 32), pos = 0, last = 0;
	while (pos + 12 <= nsz) {
		uint32_t namesz = le32(f + noff + pos), descsz = le32(f + noff + pos + 4);
		if (!namesz && !descsz)
			break;
		last = pos;
		pos += 12 + ((namesz + 3) & ~3u) + ((descsz + 3) & ~3u);
	}
	uint32_t namesz = le32(f + noff + last), descsz = le32(f + noff + last + 4);
	bool ok = pos > 0 && descsz > 1;
	if (ok) {
		if (descsz % 4 == 0)
			put_le32(f + noff + last + 4, --descsz);
		uint64_t end = last + 12 + ((namesz + 3) & ~3u) + descsz;   /* unaligned */
		for (int i = 0; i < 8; i++)
			f[64 + 32 + i] = (uint8_t)(end >> (8 * i));
	}
	FILE *o = ok ? fopen(path, "wb") : NULL;
	ok = o && fwrite(f, 1, len, o) == len;
	ok = o && fclose(o) == 0 && ok;
	free(f);
	return ok;
}

enum roundtrip_flags {
	RT_IN_PLACE = 1,
	RT_WANT_FALLBACK = 2,    /* in place must fall back to a rewrite */
	RT_PACKED_NOTES = 4,     /* pack_notes */
	RT_CUT_PADDING = 8,      /* cut_note_padding */
};

/* Replace pages (one of them duplicated by the kernel-text segment), add two
 * runs of pages above the end and a note; read back every page. */
static void roundtrip(struct ut_state *ut_, enum uz_synth_elf_flavour flavour, unsigned flags)
{
	bool in_place = flags & RT_IN_PLACE, want_fell_back = flags & RT_WANT_FALLBACK;
	bool packed_notes = flags & RT_PACKED_NOTES;
	struct uz_synth_desc d;
	desc_init(&d, flavour);
	char *in = tmp_path("rt-in.elf"), *out = tmp_path("rt-out.elf");
	UT_OK(uz_synth_write(&d, in));
	if (packed_notes)
		UT_ASSERT(pack_notes(in));
	if (flags & RT_CUT_PADDING)
		UT_ASSERT(cut_note_padding(in));
	uint8_t *orig;
	size_t orig_len;
	UT_ASSERT(read_file(in, &orig, &orig_len));
	static const struct uz_page_patch patches[] = {
		{ 0x01 }, { 0x0f }, { 0x2c }, { 0x40 }, { 0x41 }, { 0x42 }, { 0x50 },
	};
	size_t n = sizeof(patches) / sizeof(patches[0]);
	struct uz_dump *dump;
	UT_OK(uz_dump_open(in, &dump));
	struct uz_dump_write_options opts;
	uz_dump_write_options_init(dump, &opts);
	static const char desc[] = "rewrite record";
	opts.note_name = "VMCOREUNZRAM";
	opts.note_type = 0x555a;
	opts.note_desc = desc;
	opts.note_desc_len = sizeof(desc);
	bool fell_back = !want_fell_back;
	opts.in_place = in_place;
	opts.fell_back = &fell_back;
	UT_OK(uz_dump_write(dump, in_place ? in : out, patches, n, fill_patch, (void *)patches, &opts));
	UT_ASSERT_EQ(fell_back, want_fell_back);
	uz_dump_close(dump);

	const char *result = in_place ? in : out;
	UT_OK(uz_dump_open(result, &dump));
	UT_VERIFY(&d, dump, patches, n, fill_patch, (void *)patches);
	const void *nd;
	size_t nlen;
	UT_OK(uz_dump_find_note(dump, "VMCOREUNZRAM", 0x555a, &nd, &nlen));
	UT_ASSERT_EQ(nlen, sizeof(desc));
	UT_ASSERT_MEM(nd, desc, sizeof(desc));
	UT_ASSERT_EQ(count_notes(dump, "CORE", 1), 2);
	UT_ASSERT(strstr(uz_dump_vmcoreinfo(dump), "OSRELEASE=6.1.0-synthetic"));
	/* Two added runs -> two added PT_LOADs after the original ones. */
	size_t base = flavour == UZ_SYNTH_ELF_KERNEL ? 4 : 3;   /* kernel text + 3 RAM */
	UT_ASSERT_EQ(uz_dump_segment_count(dump), base + 2);
	struct uz_dump_segment seg;
	UT_ASSERT(uz_dump_segment(dump, base, &seg));
	UT_ASSERT_EQ(seg.paddr, 0x40000);
	UT_ASSERT_EQ(seg.memsz, 3 * 4096);
	UT_ASSERT_EQ(seg.vaddr, flavour == UZ_SYNTH_ELF_KERNEL ? 0xffff888000040000ull : 0);
	UT_ASSERT(uz_dump_segment(dump, base + 1, &seg));
	UT_ASSERT_EQ(seg.paddr, 0x50000);
	uz_dump_close(dump);

	/* Layout rules for crash: table where it was, PT_NOTE first, and the
	 * original notes unchanged in front of the new one.  In place, the
	 * original notes stay whole (maybe slid forward, still before every
	 * segment's data) and the new note has its own PT_NOTE, the last
	 * header, at a physical address above every segment. */
	uint8_t *res;
	size_t res_len;
	UT_ASSERT(read_file(result, &res, &res_len));
	UT_ASSERT_EQ(le64(res + 32), le64(orig + 32));
	uint64_t phoff = le64(res + 32);
	UT_ASSERT_EQ(res[phoff], 4);   /* PT_NOTE */
	uint64_t old_noff = le64(orig + phoff + 8), old_nsz = le64(orig + phoff + 32);
	uint64_t new_noff = le64(res + phoff + 8), new_nsz = le64(res + phoff + 32);
	UT_ASSERT(new_noff + new_nsz <= res_len);
	UT_ASSERT_MEM(res + new_noff, orig + old_noff, old_nsz);
	size_t phnum = res[56] | (size_t)res[57] << 8;
	if (in_place && !want_fell_back) {
		/* They slid forward exactly when packed right after the table. */
		UT_ASSERT_EQ(new_noff != old_noff, packed_notes);
		UT_ASSERT_EQ(new_nsz, old_nsz);
		const uint8_t *last = res + phoff + (phnum - 1) * 56;
		UT_ASSERT_EQ(last[0], 4);   /* PT_NOTE */
		UT_ASSERT_EQ(le64(last + 32), 12 + 16 + ((sizeof(desc) + 3) & ~(size_t)3));   /* "VMCOREUNZRAM\0" padded to 16 */
		for (size_t i = 1; i + 1 < phnum; i++) {
			const uint8_t *ph = res + phoff + i * 56;
			UT_ASSERT(le64(ph + 24) + le64(ph + 40) <= le64(last + 24));
			UT_ASSERT(new_noff + new_nsz <= le64(ph + 8));
		}
	} else {
		UT_ASSERT(new_nsz > old_nsz);
	}
	if (flavour == UZ_SYNTH_ELF_QEMU) {
		/* QEMU's section name table moved with the data and is still found. */
		uint64_t shoff = le64(res + 40);
		uint64_t str_off = le64(res + shoff + 64 + 24);
		UT_ASSERT(str_off + 11 <= res_len);
		UT_ASSERT_MEM(res + str_off, "\0.shstrtab", 11);
		UT_ASSERT(str_off != le64(orig + shoff + 64 + 24));   /* it did move */
	}
	free(res);
	free(orig);
	free(in);
	free(out);
}

UT_TEST(write_patched_kernel_style)
{
	roundtrip(ut_, UZ_SYNTH_ELF_KERNEL, 0);
}

UT_TEST(write_patched_qemu_style)
{
	roundtrip(ut_, UZ_SYNTH_ELF_QEMU, 0);
}

UT_TEST(write_in_place_when_room)
{
	/* /proc/vmcore layout leaves page padding after the table and notes. */
	roundtrip(ut_, UZ_SYNTH_ELF_KERNEL, RT_IN_PLACE);
}

UT_TEST(write_in_place_slides_notes_after_the_table)
{
	/* Notes right after the table, slack after them: they move forward. */
	roundtrip(ut_, UZ_SYNTH_ELF_KERNEL, RT_IN_PLACE | RT_PACKED_NOTES);
}

UT_TEST(write_in_place_falls_back_without_room)
{
	roundtrip(ut_, UZ_SYNTH_ELF_QEMU, RT_IN_PLACE | RT_WANT_FALLBACK);
}

UT_TEST(write_after_notes_cut_short)
{
	/* The last note's padding lies past p_filesz: the new note must still
	 * start 4-aligned, streaming and in place. */
	roundtrip(ut_, UZ_SYNTH_ELF_KERNEL, RT_CUT_PADDING);
	roundtrip(ut_, UZ_SYNTH_ELF_KERNEL, RT_IN_PLACE | RT_CUT_PADDING);
}

UT_TEST(write_rejects_bad_patches)
{
	struct uz_synth_desc d;
	desc_init(&d, UZ_SYNTH_ELF_KERNEL);
	char *in = tmp_path("bad.elf"), *out = tmp_path("bad-out.elf");
	UT_OK(uz_synth_write(&d, in));
	struct uz_dump *dump;
	UT_OK(uz_dump_open(in, &dump));
	struct uz_page_patch unsorted[] = { { 0x05 }, { 0x02 } };
	UT_ERR(uz_dump_write(dump, out, unsorted, 2, fill_patch, unsorted, NULL), UZ_ERR_USAGE);
	struct uz_page_patch hole[] = { { 0x18 } };
	UT_ERR(uz_dump_write(dump, out, hole, 1, fill_patch, hole, NULL), UZ_ERR_USAGE);
	struct uz_page_patch zero_fill[] = { { 0x11 } };
	UT_ERR(uz_dump_write(dump, out, zero_fill, 1, fill_patch, zero_fill, NULL),
	       UZ_ERR_UNSUPPORTED);
	UT_ASSERT(access(out, F_OK) != 0);   /* nothing left behind */
	uz_dump_close(dump);
	free(in);
	free(out);
}

/* zram-keep's case on makedumpfile -E output: pages in a zero-fill tail
 * (first, middle and last of it, and a run) and in a hole come back as
 * data; the zero-fill segment is split around them; in place too. */
static void fill_missing(struct ut_state *ut_, enum uz_synth_elf_flavour flavour, bool in_place)
{
	static const struct uz_synth_range ranges[] = {
		{ 0x00, 0x10, UZ_SYNTH_DATA },
		{ 0x10, 0x10, UZ_SYNTH_ZERO },       /* zero fill 0x10-0x1f */
		{ 0x30, 0x06, UZ_SYNTH_DATA },
		{ 0x36, 0x03, UZ_SYNTH_EXCLUDED },   /* a hole */
		{ 0x39, 0x04, UZ_SYNTH_DATA },
		{ 0x3d, 0x04, UZ_SYNTH_ZERO },       /* zero fill 0x3d-0x40 */
	};
	static const struct uz_page_patch patches[] = {
		{ 0x02 },                            /* replaced */
		{ 0x10 }, { 0x14 }, { 0x15 }, { 0x16 }, { 0x1f },   /* zero fill */
		{ 0x28 },                            /* hole between segments */
		{ 0x37 },                            /* hole */
		{ 0x3d }, { 0x3e }, { 0x3f }, { 0x40 },   /* the whole zero fill */
		{ 0x90 },                            /* added */
	};
	size_t n = sizeof(patches) / sizeof(patches[0]);
	struct uz_synth_desc d;
	desc_init(&d, flavour);
	d.ranges = ranges;
	d.n_ranges = sizeof(ranges) / sizeof(ranges[0]);
	char *in = tmp_path("fill-in.elf"), *out = tmp_path("fill-out.elf");
	UT_OK(uz_synth_write(&d, in));
	struct uz_dump *dump;
	UT_OK(uz_dump_open(in, &dump));
	struct uz_dump_write_options opts;
	uz_dump_write_options_init(dump, &opts);
	opts.fill_missing = true;
	opts.in_place = in_place;
	UT_OK(uz_dump_write(dump, in_place ? in : out, patches, n, fill_patch, (void *)patches, &opts));
	uz_dump_close(dump);
	UT_OK(uz_dump_open(in_place ? in : out, &dump));
	UT_VERIFY(&d, dump, patches, n, fill_patch, (void *)patches);
	/* No physical byte is described by two segments' data or zero fill
	 * (the kernel-text segment of the kernel flavour aside). */
	size_t nseg = uz_dump_segment_count(dump);
	for (size_t i = 0; i < nseg; i++)
		for (size_t j = i + 1; j < nseg; j++) {
			struct uz_dump_segment a, b;
			UT_ASSERT(uz_dump_segment(dump, i, &a) && uz_dump_segment(dump, j, &b));
			if ((a.vaddr >> 63) && a.vaddr - a.paddr != b.vaddr - b.paddr)
				continue;   /* kernel text: duplicates RAM on purpose */
			if ((b.vaddr >> 63) && a.vaddr - a.paddr != b.vaddr - b.paddr)
				continue;
			UT_ASSERT(a.paddr + a.memsz <= b.paddr || b.paddr + b.memsz <= a.paddr);
		}
	uz_dump_close(dump);
	free(in);
	free(out);
}

UT_TEST(write_fills_missing_pages)
{
	fill_missing(ut_, UZ_SYNTH_ELF_KERNEL, false);
	fill_missing(ut_, UZ_SYNTH_ELF_QEMU, false);
	fill_missing(ut_, UZ_SYNTH_ELF_KERNEL, true);
}

UT_MAIN(UT_CASE(reads_kernel_style_elf), UT_CASE(write_fills_missing_pages), UT_CASE(reads_qemu_style_elf),
	UT_CASE(reads_aarch64_64k_pages), UT_CASE(write_without_changes_is_byte_identical),
	UT_CASE(write_patched_kernel_style), UT_CASE(write_patched_qemu_style),
	UT_CASE(write_in_place_when_room), UT_CASE(write_in_place_slides_notes_after_the_table),
	UT_CASE(write_in_place_falls_back_without_room), UT_CASE(write_after_notes_cut_short),
	UT_CASE(write_rejects_bad_patches))
