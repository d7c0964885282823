/* convert.c - writing a dump in the other format (ELF input -> kdump-compressed
 * output and back), with the same page patches and extra note as the
 * same-format writers.  Works through the page view of the input (page
 * states, decoded pages, notes), so it serves ELF, kdump and flattened inputs
 * alike; memory is bounded by one bitmap chunk, a batch of pages and (ELF
 * output) one entry per run of present pages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dump_internal.h"

/* Pages gathered before one write; also the descriptor batch. */
#define BATCH_PAGES 256u

/* x86_64 kernel text mapping base (__START_KERNEL_map, all kernels since 2.6). */
#define X86_64_START_KERNEL_MAP 0xffffffff80000000ull

/* ---- the output's pages: the input's present pages merged with the patches ---- */

struct page_walk {
	struct uz_dump *d;
	const struct uz_page_patch *patches;
	size_t n_patches;
	uz_patch_fill_fn *fill;
	void *fill_ctx;
	uint64_t out_max_pfn;
};

/* Index of the patch for pfn, or SIZE_MAX. */
static size_t patch_index(const struct page_walk *w, uint64_t pfn)
{
	size_t lo = 0, hi = w->n_patches;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->patches[mid].pfn < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < w->n_patches && w->patches[lo].pfn == pfn ? lo : SIZE_MAX;
}

/* The first PFN >= *pfn the output holds (an input page that is present or
 * zero, or a patch); UZ_ERR_NOT_FOUND past the last. */
static struct uz_error *next_out_pfn(struct page_walk *w, uint64_t *pfn)
{
	uint64_t from_input = UINT64_MAX, from_patch = UINT64_MAX;
	if (*pfn < w->d->max_pfn) {
		uint64_t p = *pfn;
		struct uz_error *err = uz_dump_next_pfn(w->d, &p);
		if (!err)
			from_input = p;
		else if (err->code == UZ_ERR_NOT_FOUND)
			uz_error_destroy(err);
		else
			return err;
	}
	size_t lo = 0, hi = w->n_patches;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->patches[mid].pfn < *pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < w->n_patches)
		from_patch = w->patches[lo].pfn;
	uint64_t next = from_input < from_patch ? from_input : from_patch;
	if (next == UINT64_MAX)
		return uz_error_create(UZ_ERR_NOT_FOUND, "no more pages");
	*pfn = next;
	return NULL;
}

static struct uz_error *out_page(struct page_walk *w, uint64_t pfn, void *buf)
{
	size_t i = patch_index(w, pfn);
	if (i != SIZE_MAX)
		return uz_error_wrap(w->fill(w->fill_ctx, i, buf), "producing page 0x%llx",
				     (unsigned long long)pfn);
	return uz_dump_read_page(w->d, pfn, buf);
}

static bool is_not_found(struct uz_error **err)
{
	if (*err && (*err)->code == UZ_ERR_NOT_FOUND) {
		uz_error_destroy(*err);
		*err = NULL;
		return true;
	}
	return false;
}

/* ---- notes of the output ---- */

struct out_notes {
	uint8_t *p;
	size_t len;
	size_t vmcoreinfo_off, vmcoreinfo_len;   /* descriptor of the VMCOREINFO note */
	bool has_vmcoreinfo;
};

/* The input's whole notes, a VMCOREINFO note if the input kept VMCOREINFO
 * outside its notes (kdump offset_vmcoreinfo), and the extra note. */
static struct uz_error *build_notes(struct uz_dump *d, const struct uz_dump_write_options *opts,
				    struct out_notes *n)
{
	memset(n, 0, sizeof(*n));
	bool have = false;
	size_t pos = 0;
	struct uz_note note;
	struct uz_error *err = NULL;
	while (uz_note_next(d->notes, d->notes_valid, &pos, &note, &err))
		if (!strcmp(note.name, "VMCOREINFO"))
			have = true;
	if (err)
		return err;
	size_t vmci_len = !have && d->vmcoreinfo ? strlen(d->vmcoreinfo) : 0;
	size_t total = d->notes_valid;
	if (vmci_len)
		total += uz_note_size("VMCOREINFO", vmci_len);
	if (opts->note_name)
		total += uz_note_size(opts->note_name, opts->note_desc_len);
	n->p = malloc(total ? total : 1);
	if (!n->p)
		return uz_error_create(UZ_ERR_NOMEM, "output notes");
	memcpy(n->p, d->notes, d->notes_valid);
	n->len = d->notes_valid;
	if (vmci_len) {
		uz_note_build(n->p + n->len, "VMCOREINFO", 0, d->vmcoreinfo, vmci_len);
		n->len += uz_note_size("VMCOREINFO", vmci_len);
	}
	if (opts->note_name) {
		uz_note_build(n->p + n->len, opts->note_name, opts->note_type, opts->note_desc,
			      opts->note_desc_len);
		n->len += uz_note_size(opts->note_name, opts->note_desc_len);
	}
	pos = 0;
	while (uz_note_next(n->p, n->len, &pos, &note, &err)) {
		if (!strcmp(note.name, "VMCOREINFO")) {
			n->has_vmcoreinfo = true;
			n->vmcoreinfo_off = (size_t)(note.desc - n->p);
			n->vmcoreinfo_len = note.descsz;
			break;
		}
	}
	return err;
}

/* ---- kdump-compressed output ---- */

/* disk_dump_header / kdump_sub_header offsets (makedumpfile diskdump_mod.h, LP64). */
enum {
	KD_SIGNATURE = 0, KD_VERSION = 8, KD_UTSNAME = 12, KD_UTS_FIELD = 65,
	KD_STATUS = 424, KD_BLOCK_SIZE = 428, KD_SUB_HDR_SIZE = 432,
	KD_BITMAP_BLOCKS = 436, KD_MAX_MAPNR = 440, KD_NR_CPUS = 460, KD_HEADER_LEN = 464,
	KS_PHYS_BASE = 0, KS_DUMP_LEVEL = 8, KS_END_PFN = 24,
	KS_OFFSET_VMCOREINFO = 32, KS_SIZE_VMCOREINFO = 40, KS_OFFSET_NOTE = 48,
	KS_SIZE_NOTE = 56, KS_END_PFN_64 = 88, KS_MAX_MAPNR_64 = 96, KS_LEN = 104,
};

static uint32_t kdump_flag_of(enum uz_dump_compress c)
{
	switch (c) {
	case UZ_COMPRESS_NONE: return 0;
	case UZ_COMPRESS_ZLIB: return 0x1;
	case UZ_COMPRESS_LZO: return 0x2;
	case UZ_COMPRESS_SNAPPY: return 0x4;
	case UZ_COMPRESS_ZSTD: return 0x20;
	}
	return 0;
}

/* phys_base for the kdump sub-header: the input's, else VMCOREINFO's
 * NUMBER(phys_base) (x86_64 since Linux 4.10), else from an ELF segment
 * mapping kernel text (p_vaddr in __START_KERNEL_map, as /proc/vmcore has). */
static uint64_t phys_base_for(struct uz_dump *d)
{
	uint64_t pb;
	if (uz_dump_phys_base(d, &pb))
		return pb;
	char val[32];
	if (d->vmcoreinfo && uz_vmcoreinfo_get(d->vmcoreinfo, "NUMBER(phys_base)", val, sizeof(val)))
		return strtoull(val, NULL, 0);
	if (d->arch != UZ_ARCH_X86_64)
		return 0;
	struct uz_dump_segment s;
	for (size_t i = 0; uz_dump_segment(d, i, &s); i++)
		if (s.vaddr >= X86_64_START_KERNEL_MAP)
			return s.paddr - (s.vaddr - X86_64_START_KERNEL_MAP);
	return 0;
}

static void put_str(uint8_t *p, const char *s, size_t max)
{
	size_t n = strlen(s);
	memcpy(p, s, n < max ? n : max - 1);
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static struct uz_error *write_kdump(struct page_walk *w, int fd,
				    const struct uz_dump_write_options *opts)
{
	struct uz_dump *d = w->d;
	uint64_t bs = d->page_size;
	struct out_notes notes;
	UZ_TRY(build_notes(d, opts, &notes));
	struct uz_error *err = NULL;
	uint8_t *area = NULL, *chunk = NULL, *pages = NULL, *cdata = NULL, *descs = NULL;

	uint64_t sub_blocks = uz_div_round_up(KS_LEN + notes.len, bs);
	uint64_t max_mapnr = w->out_max_pfn;
	uint64_t bitmap_len = uz_div_round_up(uz_div_round_up(max_mapnr, 8), bs) * bs;
	if (!bitmap_len)
		bitmap_len = bs;
	uint64_t bm1 = (1 + sub_blocks) * bs, bm2 = bm1 + bitmap_len, desc_off = bm2 + bitmap_len;
	if (2 * bitmap_len / bs > UINT32_MAX || sub_blocks > UINT32_MAX) {
		err = uz_error_create(UZ_ERR_UNSUPPORTED, "kdump output bitmap too large");
		goto out;
	}

	/* Header block and sub-header area. */
	area = calloc(1, (1 + sub_blocks) * bs);
	chunk = calloc(1, UZ_KDUMP_CHUNK_BYTES);
	pages = malloc(BATCH_PAGES * bs);
	cdata = malloc(BATCH_PAGES * bs);
	descs = malloc(BATCH_PAGES * 24);
	if (!area || !chunk || !pages || !cdata || !descs) {
		err = uz_error_create(UZ_ERR_NOMEM, "kdump output buffers");
		goto out;
	}

	/* Pass 1: bitmaps (both the same: every page the output has is RAM and
	 * dumped), one chunk at a time; count the descriptors. */
	uint64_t n_desc = 0, cur_chunk = UINT64_MAX, pfn = 0;
	for (;; pfn++) {
		err = next_out_pfn(w, &pfn);
		if (is_not_found(&err))
			break;
		if (err)
			goto out;
		uint64_t c = pfn / UZ_KDUMP_RANK_PFNS;
		if (c != cur_chunk) {
			if (cur_chunk != UINT64_MAX &&
			    ((err = uz_pwrite_all(fd, chunk, UZ_KDUMP_CHUNK_BYTES, bm1 + cur_chunk * UZ_KDUMP_CHUNK_BYTES)) ||
			     (err = uz_pwrite_all(fd, chunk, UZ_KDUMP_CHUNK_BYTES, bm2 + cur_chunk * UZ_KDUMP_CHUNK_BYTES))))
				goto out;
			memset(chunk, 0, UZ_KDUMP_CHUNK_BYTES);
			cur_chunk = c;
		}
		uint64_t bit = pfn % UZ_KDUMP_RANK_PFNS;
		chunk[bit / 8] |= (uint8_t)(1u << (bit % 8));
		n_desc++;
	}
	/* The last chunk may extend past the bitmap: only bitmap bytes go out. */
	if (cur_chunk != UINT64_MAX) {
		uint64_t start = cur_chunk * UZ_KDUMP_CHUNK_BYTES;
		size_t len = bitmap_len - start < UZ_KDUMP_CHUNK_BYTES ? (size_t)(bitmap_len - start)
								     : UZ_KDUMP_CHUNK_BYTES;
		if ((err = uz_pwrite_all(fd, chunk, len, bm1 + start)) ||
		    (err = uz_pwrite_all(fd, chunk, len, bm2 + start)))
			goto out;
	}

	/* Pass 2: descriptors and page data.  Zero pages share one zero page at
	 * the start of the data, as makedumpfile writes them. */
	uint64_t zero_off = desc_off + n_desc * 24;
	uint64_t data_off = zero_off + bs;
	memset(pages, 0, bs);
	if ((err = uz_pwrite_all(fd, pages, bs, zero_off)))
		goto out;
	uint32_t flag = kdump_flag_of(opts->compress);
	uint64_t desc_written = 0;
	size_t batch = 0, clen_total = 0;
	pfn = 0;
	for (;; pfn++) {
		bool end = false;
		err = next_out_pfn(w, &pfn);
		if (is_not_found(&err))
			end = true;
		else if (err)
			goto out;
		if (!end) {
			uint8_t *page = pages + batch * bs;
			uint8_t *desc = descs + batch * 24;
			if ((err = out_page(w, pfn, page)))
				goto out;
			if (all_zero(page, bs)) {
				uz_put_le64(desc, zero_off);
				uz_put_le32(desc + 8, (uint32_t)bs);
				uz_put_le32(desc + 12, 0);
			} else {
				size_t len;
				bool raw;
				if ((err = uz_page_compress(opts->compress, page, bs, cdata + clen_total,
							    &len, &raw)))
					goto out;
				uz_put_le64(desc, data_off + clen_total);
				uz_put_le32(desc + 8, (uint32_t)len);
				uz_put_le32(desc + 12, raw ? 0 : flag);
				clen_total += len;
			}
			uz_put_le64(desc + 16, 0);
			batch++;
		}
		if (batch && (end || batch == BATCH_PAGES)) {
			if ((err = uz_pwrite_all(fd, descs, batch * 24, desc_off + desc_written * 24)) ||
			    (err = uz_pwrite_all(fd, cdata, clen_total, data_off)))
				goto out;
			desc_written += batch;
			data_off += clen_total;
			batch = 0;
			clen_total = 0;
		}
		if (end)
			break;
	}
	if (desc_written != n_desc) {
		err = uz_error_create(UZ_ERR_FORMAT, "input changed while converting (%llu pages, then %llu)",
				      (unsigned long long)n_desc, (unsigned long long)desc_written);
		goto out;
	}

	/* Headers last, once the counts are known. */
	memcpy(area + KD_SIGNATURE, "KDUMP   ", 8);
	uz_put_le32(area + KD_VERSION, 6);
	char release[65] = "";
	if (d->vmcoreinfo)
		uz_vmcoreinfo_get(d->vmcoreinfo, "OSRELEASE", release, sizeof(release));
	/* ELF dumps do not record the utsname: release comes from VMCOREINFO;
	 * node, version and domain are unknown.  They must not be empty:
	 * libkdumpfile 0.5.1 (drgn) ignores a utsname with an empty field and
	 * then has no architecture. */
	put_str(area + KD_UTSNAME, "Linux", KD_UTS_FIELD);
	put_str(area + KD_UTSNAME + KD_UTS_FIELD, "(none)", KD_UTS_FIELD);
	put_str(area + KD_UTSNAME + 2 * KD_UTS_FIELD, release[0] ? release : "(unknown)",
		KD_UTS_FIELD);
	put_str(area + KD_UTSNAME + 3 * KD_UTS_FIELD, "(unknown)", KD_UTS_FIELD);
	put_str(area + KD_UTSNAME + 5 * KD_UTS_FIELD, "(none)", KD_UTS_FIELD);
	put_str(area + KD_UTSNAME + 4 * KD_UTS_FIELD,
		d->arch == UZ_ARCH_AARCH64 ? "aarch64" : "x86_64", KD_UTS_FIELD);
	uz_put_le32(area + KD_STATUS, flag);
	uz_put_le32(area + KD_BLOCK_SIZE, (uint32_t)bs);
	uz_put_le32(area + KD_SUB_HDR_SIZE, (uint32_t)sub_blocks);
	uz_put_le32(area + KD_BITMAP_BLOCKS, (uint32_t)(2 * bitmap_len / bs));
	uz_put_le32(area + KD_MAX_MAPNR, max_mapnr > UINT32_MAX ? UINT32_MAX : (uint32_t)max_mapnr);
	uint32_t cpus = 0;
	{
		size_t pos = 0;
		struct uz_note note;
		while (uz_note_next(notes.p, notes.len, &pos, &note, &err))
			cpus += !strcmp(note.name, "CORE") && note.type == 1;
		if (err)
			goto out;
	}
	uz_put_le32(area + KD_NR_CPUS, cpus);
	uint8_t *sub = area + bs;
	uz_put_le64(sub + KS_PHYS_BASE, phys_base_for(d));
	uz_put_le32(sub + KS_DUMP_LEVEL, 0);
	uz_put_le64(sub + KS_END_PFN, max_mapnr);
	if (notes.has_vmcoreinfo) {
		uz_put_le64(sub + KS_OFFSET_VMCOREINFO, bs + KS_LEN + notes.vmcoreinfo_off);
		uz_put_le64(sub + KS_SIZE_VMCOREINFO, notes.vmcoreinfo_len);
	}
	if (notes.len) {
		uz_put_le64(sub + KS_OFFSET_NOTE, bs + KS_LEN);
		uz_put_le64(sub + KS_SIZE_NOTE, notes.len);
	}
	uz_put_le64(sub + KS_END_PFN_64, max_mapnr);
	uz_put_le64(sub + KS_MAX_MAPNR_64, max_mapnr);
	memcpy(sub + KS_LEN, notes.p, notes.len);
	err = uz_pwrite_all(fd, area, (1 + sub_blocks) * bs, 0);
out:
	free(notes.p);
	free(area);
	free(chunk);
	free(pages);
	free(cdata);
	free(descs);
	return err;
}

/* ---- ELF output ---- */

struct run {
	uint64_t pfn, n;
};

enum {
	EH_LEN = 64, PH_LEN = 56, SH_LEN = 64, PN_XNUM = 0xffff,
	PT_LOAD = 1, PT_NOTE = 4, EM_X86_64 = 62, EM_AARCH64 = 183,
};

static void put_phdr(uint8_t *p, uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr,
		     uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	uz_put_le32(p, type);
	uz_put_le32(p + 4, flags);
	uz_put_le64(p + 8, off);
	uz_put_le64(p + 16, vaddr);
	uz_put_le64(p + 24, paddr);
	uz_put_le64(p + 32, filesz);
	uz_put_le64(p + 40, memsz);
	uz_put_le64(p + 48, 0);
}

/* x86_64: the kernel-text mapping as segments of their own, as /proc/vmcore
 * has it (virtual __START_KERNEL_map + paddr - phys_base).  drgn 0.0.22
 * reads swapper_pg_dir through it in ELF dumps; without it every kernel
 * read fails ("recursive address translation").  It covers what the output
 * holds of [phys_base, phys_base + KERNEL_IMAGE_SIZE (1 GiB)): the part of
 * each run inside that range, pointing at the run's own file bytes.  Needs
 * phys_base (kdump sub-header or VMCOREINFO NUMBER(phys_base)); returns
 * false (no segments) otherwise or on other architectures. */
static bool kernel_text_range(struct uz_dump *d, uint64_t *first_pfn, uint64_t *end_pfn)
{
	uint64_t pb;
	char val[32];
	if (d->arch != UZ_ARCH_X86_64 ||
	    (!uz_dump_phys_base(d, &pb) &&
	     !(d->vmcoreinfo &&
	       uz_vmcoreinfo_get(d->vmcoreinfo, "NUMBER(phys_base)", val, sizeof(val)))))
		return false;
	pb = phys_base_for(d);
	*first_pfn = uz_div_round_up(pb, d->page_size);
	*end_pfn = (pb + (1ull << 30)) / d->page_size;
	return true;
}

static struct uz_error *write_elf(struct page_walk *w, int fd,
				  const struct uz_dump_write_options *opts)
{
	struct uz_dump *d = w->d;
	uint64_t ps = d->page_size;
	struct out_notes notes;
	UZ_TRY(build_notes(d, opts, &notes));
	struct uz_error *err = NULL;
	struct run *runs = NULL;
	size_t n_runs = 0, cap = 0;
	uint8_t *head = NULL, *pages = NULL;

	/* Runs of consecutive PFNs the output holds: one PT_LOAD each;
	 * excluded pages and holes fall between them. */
	for (uint64_t pfn = 0;; pfn++) {
		err = next_out_pfn(w, &pfn);
		if (is_not_found(&err))
			break;
		if (err)
			goto out;
		if (n_runs && runs[n_runs - 1].pfn + runs[n_runs - 1].n == pfn) {
			runs[n_runs - 1].n++;
			continue;
		}
		if (n_runs == cap) {
			cap = cap ? 2 * cap : 64;
			struct run *r = realloc(runs, cap * sizeof(*r));
			if (!r) {
				err = uz_error_create(UZ_ERR_NOMEM, "ELF segment list");
				goto out;
			}
			runs = r;
		}
		runs[n_runs++] = (struct run){ pfn, 1 };
	}

	uint64_t text_first = 0, text_end = 0, n_text = 0;
	if (kernel_text_range(d, &text_first, &text_end))
		for (size_t i = 0; i < n_runs; i++)
			n_text += runs[i].pfn < text_end && runs[i].pfn + runs[i].n > text_first;
	uint64_t phnum = 1 + (uint64_t)n_runs + n_text;
	bool xnum = phnum >= PN_XNUM;
	uint64_t phoff = EH_LEN;
	uint64_t shoff = phoff + phnum * PH_LEN;
	uint64_t notes_off = shoff + (xnum ? SH_LEN : 0);
	uint64_t data_off = uz_div_round_up(notes_off + notes.len, ps) * ps;
	head = calloc(1, notes_off + notes.len);
	pages = malloc(BATCH_PAGES * ps);
	if (!head || !pages) {
		err = uz_error_create(UZ_ERR_NOMEM, "ELF output headers");
		goto out;
	}
	static const uint8_t ident[16] = { 0x7f, 'E', 'L', 'F', 2 /* ELFCLASS64 */,
					   1 /* little-endian */, 1 /* EV_CURRENT */ };
	memcpy(head, ident, sizeof(ident));
	uz_put_le16(head + 16, 4);   /* ET_CORE */
	uz_put_le16(head + 18, d->arch == UZ_ARCH_AARCH64 ? EM_AARCH64 : EM_X86_64);
	uz_put_le32(head + 20, 1);
	uz_put_le64(head + 32, phoff);
	uz_put_le64(head + 40, xnum ? shoff : 0);
	uz_put_le16(head + 52, EH_LEN);
	uz_put_le16(head + 54, PH_LEN);
	uz_put_le16(head + 56, xnum ? PN_XNUM : (uint16_t)phnum);
	uz_put_le16(head + 58, xnum ? SH_LEN : 0);
	uz_put_le16(head + 60, xnum ? 1 : 0);
	if (xnum)   /* section header 0 carries the real count (sh_info) */
		uz_put_le32(head + shoff + 44, (uint32_t)phnum);
	put_phdr(head + phoff, PT_NOTE, 0, notes_off, 0, 0, notes.len, notes.len);
	uint64_t off = data_off;
	for (size_t i = 0; i < n_runs; i++) {
		/* p_vaddr 0, as QEMU writes: the kdump input has no virtual
		 * addresses of its own, and readers translate through VMCOREINFO. */
		put_phdr(head + phoff + (i + 1) * PH_LEN, PT_LOAD, 7 /* RWX */, off, 0,
			 runs[i].pfn * ps, runs[i].n * ps, runs[i].n * ps);
		off += runs[i].n * ps;
	}
	/* Kernel-text segments after the RAM ones: same file bytes. */
	uint64_t o = data_off;
	size_t ph = n_runs + 1;
	for (size_t i = 0; i < n_runs && n_text; i++) {
		uint64_t a = runs[i].pfn > text_first ? runs[i].pfn : text_first;
		uint64_t b = runs[i].pfn + runs[i].n < text_end ? runs[i].pfn + runs[i].n : text_end;
		if (a < b)
			put_phdr(head + phoff + ph++ * PH_LEN, PT_LOAD, 7,
				 o + (a - runs[i].pfn) * ps,
				 X86_64_START_KERNEL_MAP + (a - text_first) * ps +
				 (text_first * ps - phys_base_for(d)),
				 a * ps, (b - a) * ps, (b - a) * ps);
		o += runs[i].n * ps;
	}
	memcpy(head + notes_off, notes.p, notes.len);

	off = data_off;
	for (size_t i = 0; i < n_runs; i++) {
		for (uint64_t k = 0; k < runs[i].n;) {
			uint64_t n = runs[i].n - k < BATCH_PAGES ? runs[i].n - k : BATCH_PAGES;
			for (uint64_t j = 0; j < n; j++)
				if ((err = out_page(w, runs[i].pfn + k + j, pages + j * ps)))
					goto out;
			if ((err = uz_pwrite_all(fd, pages, n * ps, off)))
				goto out;
			off += n * ps;
			k += n;
		}
	}
	if (notes_off + notes.len < data_off && off == data_off &&
	    ftruncate(fd, (off_t)data_off) < 0) {
		err = uz_error_create(UZ_ERR_IO, "extending the ELF output");
		goto out;
	}
	err = uz_pwrite_all(fd, head, notes_off + notes.len, 0);
out:
	free(notes.p);
	free(runs);
	free(head);
	free(pages);
	return err;
}

struct uz_error *uz_dump_convert(struct uz_dump *d, const char *out_path,
				 const struct uz_page_patch *patches, size_t n_patches,
				 uz_patch_fill_fn *fill, void *fill_ctx,
				 const struct uz_dump_write_options *opts)
{
	if (opts->format != UZ_DUMP_ELF && opts->format != UZ_DUMP_KDUMP)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "cannot write dump format %d",
				       (int)opts->format);
	if (d->incomplete)
		return uz_error_create(UZ_ERR_UNSUPPORTED,
				       "converting an incomplete kdump file is not supported");
	if (opts->in_place && opts->fell_back)
		*opts->fell_back = true;
	struct page_walk w = { d, patches, n_patches, fill, fill_ctx, d->max_pfn };
	if (n_patches && patches[n_patches - 1].pfn >= w.out_max_pfn)
		w.out_max_pfn = patches[n_patches - 1].pfn + 1;
	struct uz_outfile out;
	UZ_TRY(uz_outfile_create(out_path, !opts->no_fsync, &out));
	struct uz_error *err = opts->format == UZ_DUMP_KDUMP ? write_kdump(&w, out.fd, opts)
							     : write_elf(&w, out.fd, opts);
	if (!err)
		err = uz_outfile_commit(&out);
	uz_outfile_abort(&out);
	return err;
}
