/* synth.c - synthetic dump writer (see synth.h).  Deliberately shares no
 * layout code with elf.c/kdump.c: every field is put at the byte offset the
 * format documents (ELF64 spec; makedumpfile's diskdump_mod.h on LP64). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "synth.h"

struct buf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static void buf_reserve(struct buf *b, size_t len)
{
	if (len <= b->cap || b->oom)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < len)
		cap *= 2;
	uint8_t *n = realloc(b->p, cap);
	if (!n) {
		b->oom = true;
		return;
	}
	memset(n + b->cap, 0, cap - b->cap);
	b->p = n;
	b->cap = cap;
}

/* Make the buffer at least len bytes long (zero-filled). */
static void buf_extend(struct buf *b, size_t len)
{
	buf_reserve(b, len);
	if (!b->oom && len > b->len)
		b->len = len;
}

static void buf_put(struct buf *b, size_t off, const void *data, size_t len)
{
	buf_extend(b, off + len);
	if (!b->oom)
		memcpy(b->p + off, data, len);
}

static void put16(struct buf *b, size_t off, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	buf_put(b, off, x, 2);
}

static void put32(struct buf *b, size_t off, uint32_t v)
{
	uint8_t x[4];
	for (int i = 0; i < 4; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	buf_put(b, off, x, 4);
}

static void put64(struct buf *b, size_t off, uint64_t v)
{
	uint8_t x[8];
	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	buf_put(b, off, x, 8);
}

static void put_be64(struct buf *b, size_t off, uint64_t v)
{
	uint8_t x[8];
	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (56 - 8 * i));
	buf_put(b, off, x, 8);
}

static size_t align_up(size_t x, size_t a)
{
	return (x + a - 1) / a * a;
}

void uz_synth_page(uint32_t seed, uint64_t pfn, uint64_t page_size, void *out)
{
	/* xorshift64*, seeded per page; the first half of each page compresses
	 * well (a repeated pattern), the second half does not. */
	uint8_t *p = out;
	uint64_t x = (pfn + 1) * 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed << 32 | seed);
	if (!x)
		x = 1;
	for (uint64_t i = 0; i < page_size / 2; i++)
		p[i] = (uint8_t)(pfn + i / 64);
	for (uint64_t i = page_size / 2; i < page_size; i += 8) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		uint64_t v = x * 0x2545f4914f6cdd1dull;
		memcpy(p + i, &v, 8);
	}
	/* Make the pfn readable in the page for debugging. */
	memcpy(p, &pfn, sizeof(pfn));
}

static uint64_t page_size_of(const struct uz_synth_desc *d)
{
	return d->page_size ? d->page_size : 4096;
}

uint64_t uz_synth_end_pfn(const struct uz_synth_desc *d)
{
	uint64_t end = 0;
	for (size_t i = 0; i < d->n_ranges; i++)
		if (d->ranges[i].start_pfn + d->ranges[i].count > end)
			end = d->ranges[i].start_pfn + d->ranges[i].count;
	return end;
}

static bool kind_at(const struct uz_synth_desc *d, uint64_t pfn, enum uz_synth_kind *kind)
{
	for (size_t i = 0; i < d->n_ranges; i++)
		if (pfn >= d->ranges[i].start_pfn && pfn - d->ranges[i].start_pfn < d->ranges[i].count) {
			*kind = d->ranges[i].kind;
			return true;
		}
	return false;
}

/* ELF: a segment covers each maximal run of DATA/ZERO pages; its trailing
 * ZERO pages are zero fill (p_memsz > p_filesz). */
static bool elf_in_zero_tail(const struct uz_synth_desc *d, uint64_t pfn)
{
	enum uz_synth_kind k = UZ_SYNTH_DATA;
	for (uint64_t p = pfn; kind_at(d, p, &k) && k != UZ_SYNTH_EXCLUDED; p++)
		if (k == UZ_SYNTH_DATA)
			return false;
	return true;
}

/* kdump incomplete: the file is cut after the first half of the DATA pages. */
static uint64_t n_data_pages(const struct uz_synth_desc *d)
{
	uint64_t n = 0;
	for (size_t i = 0; i < d->n_ranges; i++)
		if (d->ranges[i].kind == UZ_SYNTH_DATA)
			n += d->ranges[i].count;
	return n;
}

static uint64_t data_index(const struct uz_synth_desc *d, uint64_t pfn)
{
	uint64_t n = 0;
	for (size_t i = 0; i < d->n_ranges; i++) {
		const struct uz_synth_range *r = &d->ranges[i];
		if (r->kind != UZ_SYNTH_DATA || r->start_pfn >= pfn)
			continue;
		n += pfn - r->start_pfn < r->count ? pfn - r->start_pfn : r->count;
	}
	return n;
}

enum uz_page_state uz_synth_expect(const struct uz_synth_desc *d, uint64_t pfn, bool *is_data)
{
	enum uz_synth_kind k = UZ_SYNTH_DATA;
	*is_data = false;
	if (!kind_at(d, pfn, &k))
		return UZ_PAGE_HOLE;
	if (d->expect_converted) {
		if (k == UZ_SYNTH_EXCLUDED)
			return UZ_PAGE_HOLE;
		*is_data = k == UZ_SYNTH_DATA;
		return UZ_PAGE_PRESENT;
	}
	if (d->format == UZ_DUMP_ELF) {
		if (k == UZ_SYNTH_EXCLUDED)
			return UZ_PAGE_HOLE;
		if (k == UZ_SYNTH_ZERO)
			return elf_in_zero_tail(d, pfn) ? UZ_PAGE_ZERO : UZ_PAGE_PRESENT;
		*is_data = true;
		return UZ_PAGE_PRESENT;
	}
	if (k == UZ_SYNTH_EXCLUDED)
		return UZ_PAGE_EXCLUDED;
	if (k == UZ_SYNTH_DATA) {
		if (d->incomplete && data_index(d, pfn) >= n_data_pages(d) / 2)
			return UZ_PAGE_EXCLUDED;
		*is_data = true;
	}
	return UZ_PAGE_PRESENT;
}

static const char *default_vmcoreinfo(const struct uz_synth_desc *d, char *buf, size_t size)
{
	if (d->vmcoreinfo)
		return d->vmcoreinfo;
	snprintf(buf, size,
		 "OSRELEASE=6.1.0-synthetic-%s\nPAGESIZE=%llu\nSYMBOL(swapper_pg_dir)=ffffffff82a0a000\n"
		 "NUMBER(phys_base)=0\nKERNELOFFSET=0\n",
		 d->arch == UZ_ARCH_AARCH64 ? "arm64" : "amd64",
		 (unsigned long long)page_size_of(d));
	return buf;
}

/* PRSTATUS notes ("CORE", type 1, 336 bytes on x86_64) and VMCOREINFO. */
static void build_notes(const struct uz_synth_desc *d, struct buf *notes, size_t *vmci_desc_off,
			size_t *vmci_len)
{
	char vbuf[512];
	const char *vmci = default_vmcoreinfo(d, vbuf, sizeof(vbuf));
	uint32_t cpus = d->nr_cpus ? d->nr_cpus : 2;
	size_t off = 0;
	for (uint32_t c = 0; c < cpus; c++) {
		put32(notes, off, 5);
		put32(notes, off + 4, 336);
		put32(notes, off + 8, 1);
		buf_put(notes, off + 12, "CORE\0\0\0", 8);
		buf_extend(notes, off + 20 + 336);
		put32(notes, off + 20 + 32, 100 + c);   /* pr_pid */
		off += 20 + 336;
	}
	size_t vlen = strlen(vmci);
	put32(notes, off, 11);
	put32(notes, off + 4, (uint32_t)vlen);
	put32(notes, off + 8, 0);
	buf_put(notes, off + 12, "VMCOREINFO\0\0", 12);
	buf_put(notes, off + 24, vmci, vlen);
	*vmci_desc_off = off + 24;
	*vmci_len = vlen;
	buf_extend(notes, align_up(off + 24 + vlen, 4));
}

struct seg {
	uint64_t start_pfn, n_pages, file_pages;
};

static void write_elf(const struct uz_synth_desc *d, struct buf *f)
{
	uint64_t ps = page_size_of(d);
	bool kernel = d->flavour == UZ_SYNTH_ELF_KERNEL;
	/* Segments. */
	struct seg segs[64];
	size_t n = 0;
	uint64_t end = uz_synth_end_pfn(d);
	for (uint64_t pfn = 0; pfn < end && n < 64;) {
		enum uz_synth_kind k = UZ_SYNTH_DATA;
		if (!kind_at(d, pfn, &k) || k == UZ_SYNTH_EXCLUDED) {
			pfn++;
			continue;
		}
		struct seg s = { pfn, 0, 0 };
		while (kind_at(d, pfn, &k) && k != UZ_SYNTH_EXCLUDED) {
			s.n_pages++;
			if (k == UZ_SYNTH_DATA)
				s.file_pages = s.n_pages;
			pfn++;
		}
		segs[n++] = s;
	}
	/* Kernel text: a second copy of the first (up to 4) data pages. */
	bool text = kernel && n && segs[0].file_pages;
	uint64_t text_pages = text ? (segs[0].file_pages < 4 ? segs[0].file_pages : 4) : 0;
	size_t phnum = 1 + n + (text ? 1 : 0);
	size_t phoff = kernel ? 64 : 192;
	struct buf notes = { 0 };
	size_t vmci_off, vmci_len;
	build_notes(d, &notes, &vmci_off, &vmci_len);
	/* /proc/vmcore puts the notes and the data on page boundaries (for mmap). */
	size_t notes_off = phoff + phnum * 56;
	if (kernel)
		notes_off = align_up(notes_off, ps);
	size_t data_off = notes_off + notes.len;
	if (kernel)
		data_off = align_up(data_off, ps);

	/* ELF header */
	buf_put(f, 0, "\x7f" "ELF\x02\x01\x01", 7);
	put16(f, 16, 4);                                     /* ET_CORE */
	put16(f, 18, d->arch == UZ_ARCH_AARCH64 ? 183 : 62);
	put32(f, 20, 1);
	put64(f, 32, phoff);
	put16(f, 52, 64);
	put16(f, 54, 56);
	put16(f, 56, (uint16_t)phnum);
	/* PT_NOTE */
	size_t ph = phoff;
	put32(f, ph, 4);
	put64(f, ph + 8, notes_off);
	put64(f, ph + 32, notes.len);
	put64(f, ph + 40, notes.len);
	buf_put(f, notes_off, notes.p, notes.len);
	ph += 56;
	size_t off = data_off;
	uint8_t *page = malloc(ps);
	if (!page) {
		f->oom = true;
		free(notes.p);
		return;
	}
	for (size_t i = 0; i < n + (text ? 1 : 0); i++) {
		bool is_text = text && i == 0;
		const struct seg *s = is_text ? &segs[0] : &segs[i - (text ? 1 : 0)];
		uint64_t pages = is_text ? text_pages : s->n_pages;
		uint64_t fpages = is_text ? text_pages : s->file_pages;
		uint64_t paddr = s->start_pfn * ps;
		uint64_t vaddr = !kernel ? 0 : is_text ? 0xffffffff81000000ull
					     : 0xffff888000000000ull + paddr;
		put32(f, ph, 1);
		put32(f, ph + 4, 7);
		put64(f, ph + 8, off);
		put64(f, ph + 16, vaddr);
		put64(f, ph + 24, paddr);
		put64(f, ph + 32, fpages * ps);
		put64(f, ph + 40, pages * ps);
		for (uint64_t p = 0; p < fpages; p++) {
			enum uz_synth_kind k = UZ_SYNTH_DATA;
			kind_at(d, s->start_pfn + p, &k);
			if (k == UZ_SYNTH_DATA)
				uz_synth_page(d->seed, s->start_pfn + p, ps, page);
			else
				memset(page, 0, ps);
			buf_put(f, off + p * ps, page, ps);
		}
		off += fpages * ps;
		ph += 56;
	}
	buf_extend(f, off);
	if (!kernel) {
		/* QEMU 7.2+: two section headers between the ELF header and the
		 * program headers, the section name table at the end. */
		put64(f, 40, 64);        /* e_shoff */
		put16(f, 58, 64);        /* e_shentsize */
		put16(f, 60, 2);         /* e_shnum */
		put16(f, 62, 1);         /* e_shstrndx */
		put32(f, 128, 1);        /* sh_name */
		put32(f, 128 + 4, 3);    /* SHT_STRTAB */
		put64(f, 128 + 24, off);
		put64(f, 128 + 32, 11);
		buf_put(f, off, "\0.shstrtab", 11);
	}
	free(page);
	free(notes.p);
}

/* kdump-compressed, header version 6, LP64 layout. */
static void write_kdump(const struct uz_synth_desc *d, struct buf *f)
{
	uint64_t bs = page_size_of(d);
	uint64_t max_mapnr = uz_synth_end_pfn(d);
	struct buf notes = { 0 };
	size_t vmci_off, vmci_len;
	build_notes(d, &notes, &vmci_off, &vmci_len);
	uint32_t cflag = 0;
	switch (d->compress) {
	case UZ_COMPRESS_ZLIB: cflag = 0x1; break;
	case UZ_COMPRESS_LZO: cflag = 0x2; break;
	case UZ_COMPRESS_SNAPPY: cflag = 0x4; break;
	case UZ_COMPRESS_ZSTD: cflag = 0x20; break;
	case UZ_COMPRESS_NONE: break;
	}
	uint64_t sub_size = 104 + notes.len;
	uint64_t sub_blocks = (sub_size + bs - 1) / bs;
	uint64_t bitmap_len = align_up((max_mapnr + 7) / 8, bs);
	if (!bitmap_len)
		bitmap_len = bs;
	uint64_t bitmap_blocks = 2 * bitmap_len / bs;

	/* disk_dump_header */
	buf_put(f, 0, "KDUMP   ", 8);
	put32(f, 8, 6);
	const char *machine = d->arch == UZ_ARCH_AARCH64 ? "aarch64" : "x86_64";
	buf_put(f, 12, "Linux", 5);
	buf_put(f, 12 + 65, "synth", 5);
	buf_put(f, 12 + 130, "6.1.0-synthetic", 15);
	buf_put(f, 12 + 260, machine, strlen(machine));
	put64(f, 408, 1700000000);                /* timestamp.tv_sec */
	put32(f, 424, cflag | (d->incomplete ? 0x8 : 0));
	put32(f, 428, (uint32_t)bs);
	put32(f, 432, (uint32_t)sub_blocks);
	put32(f, 436, (uint32_t)bitmap_blocks);
	put32(f, 440, (uint32_t)max_mapnr);
	put32(f, 460, d->nr_cpus ? d->nr_cpus : 2);
	/* kdump_sub_header */
	size_t sh = bs;
	put64(f, sh + 0, 0x1000000);              /* phys_base */
	put32(f, sh + 8, 31);                     /* dump_level */
	put64(f, sh + 32, sh + 104 + vmci_off);   /* offset_vmcoreinfo */
	put64(f, sh + 40, vmci_len);
	put64(f, sh + 48, sh + 104);              /* offset_note */
	put64(f, sh + 56, notes.len);
	put64(f, sh + 88, max_mapnr);             /* end_pfn_64 */
	put64(f, sh + 96, max_mapnr);             /* max_mapnr_64 */
	buf_put(f, sh + 104, notes.p, notes.len);
	free(notes.p);

	/* Bitmaps and the count of dumped pages. */
	uint64_t bm1 = bs * (1 + sub_blocks), bm2 = bm1 + bitmap_len;
	buf_extend(f, bm2 + bitmap_len);
	uint64_t n_dumped = 0;
	for (uint64_t pfn = 0; pfn < max_mapnr; pfn++) {
		enum uz_synth_kind k = UZ_SYNTH_DATA;
		if (!kind_at(d, pfn, &k) || f->oom)
			continue;
		f->p[bm1 + pfn / 8] |= (uint8_t)(1u << (pfn % 8));
		if (k != UZ_SYNTH_EXCLUDED) {
			f->p[bm2 + pfn / 8] |= (uint8_t)(1u << (pfn % 8));
			n_dumped++;
		}
	}
	uint64_t desc = bm2 + bitmap_len;
	uint64_t data = desc + 24 * n_dumped;
	/* The shared zero page first, stored raw, as makedumpfile does. */
	uint64_t zero_off = data;
	buf_extend(f, data + bs);
	data += bs;
	uint8_t *page = malloc(bs), *cbuf = malloc(2 * bs + 64 + LZO1X_1_MEM_COMPRESS);
	if (!page || !cbuf) {
		f->oom = true;
		free(page);
		free(cbuf);
		return;
	}
	uint64_t data_seen = 0, cut = 0, n_data = n_data_pages(d);
	for (uint64_t pfn = 0; pfn < max_mapnr; pfn++) {
		enum uz_synth_kind k = UZ_SYNTH_DATA;
		if (!kind_at(d, pfn, &k) || k == UZ_SYNTH_EXCLUDED)
			continue;
		if (k == UZ_SYNTH_ZERO) {
			put64(f, desc, zero_off);
			put32(f, desc + 8, (uint32_t)bs);
			put32(f, desc + 12, 0);
			desc += 24;
			continue;
		}
		if (d->incomplete && data_seen == n_data / 2 && !cut)
			cut = data;
		data_seen++;
		uz_synth_page(d->seed, pfn, bs, page);
		size_t clen = 0;
		uint32_t flags = 0;
		if (d->compress == UZ_COMPRESS_ZLIB) {
			uLongf n = 2 * bs;
			if (compress2(cbuf, &n, page, bs, 1) == Z_OK)
				clen = n;
		} else if (d->compress == UZ_COMPRESS_LZO) {
			lzo_uint n = 2 * bs;
			if (lzo_init() == LZO_E_OK &&
			    lzo1x_1_compress(page, bs, cbuf, &n, cbuf + 2 * bs + 64) == LZO_E_OK)
				clen = n;
		} else if (d->compress == UZ_COMPRESS_ZSTD) {
			size_t n = ZSTD_compress(cbuf, 2 * bs, page, bs, 3);
			if (!ZSTD_isError(n))
				clen = n;
		} else if (d->compress == UZ_COMPRESS_SNAPPY) {
			size_t n = 2 * bs;   /* > snappy_max_compressed_length(bs) */
			if (snappy_compress((const char *)page, bs, (char *)cbuf, &n) == SNAPPY_OK)
				clen = n;
		}
		if (clen && clen < bs) {
			flags = cflag;
			buf_put(f, data, cbuf, clen);
		} else {
			clen = bs;
			buf_put(f, data, page, bs);
		}
		put64(f, desc, data);
		put32(f, desc + 8, (uint32_t)clen);
		put32(f, desc + 12, flags);
		put64(f, desc + 16, 0x8000 + pfn);     /* page_flags: arbitrary, kept by writers */
		desc += 24;
		data += clen;
	}
	if (cut && !f->oom)
		f->len = cut;
	free(page);
	free(cbuf);
}

static struct uz_error *write_file(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return uz_error_errno(errno, "%s: create", path);
	const uint8_t *b = p;
	while (len) {
		ssize_t n = write(fd, b, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return uz_error_errno(e, "%s: write", path);
		}
		b += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0)
		return uz_error_errno(errno, "%s: close", path);
	return NULL;
}

static void flatten(const struct uz_synth_desc *d, const struct buf *in, struct buf *out)
{
	uint64_t rec = d->flat_record_size ? d->flat_record_size : 4096;
	buf_put(out, 0, "makedumpfile", 12);
	put_be64(out, 16, 1);
	put_be64(out, 24, 1);
	size_t pos = 4096;
	size_t n_rec = (in->len + rec - 1) / rec;
	if (d->flat_scramble) {
		/* A record of garbage over the start, overwritten later. */
		put_be64(out, pos, 0);
		put_be64(out, pos + 8, 64);
		buf_extend(out, pos + 16 + 64);
		if (!out->oom)
			memset(out->p + pos + 16, 0xa5, 64);
		pos += 16 + 64;
	}
	for (size_t r = 0; r < n_rec; r++) {
		/* Scrambled: odd records first, then even ones. */
		size_t i = r;
		if (d->flat_scramble)
			i = r < n_rec / 2 ? 2 * r + 1 : 2 * (r - n_rec / 2);
		if (i >= n_rec)
			i = n_rec - 1;
		uint64_t off = i * rec, len = in->len - off < rec ? in->len - off : rec;
		put_be64(out, pos, off);
		put_be64(out, pos + 8, len);
		buf_put(out, pos + 16, in->p + off, len);
		pos += 16 + len;
	}
	put_be64(out, pos, UINT64_MAX);
	put_be64(out, pos + 8, UINT64_MAX);
}

struct uz_error *uz_synth_write(const struct uz_synth_desc *d, const char *path)
{
	struct buf f = { 0 };
	if (d->format == UZ_DUMP_ELF)
		write_elf(d, &f);
	else if (d->format == UZ_DUMP_KDUMP)
		write_kdump(d, &f);
	else
		return uz_error_create(UZ_ERR_USAGE, "synth: format must be ELF or KDUMP");
	struct uz_error *err = NULL;
	if (f.oom) {
		err = uz_error_create(UZ_ERR_NOMEM, "synth: building dump");
	} else if (d->flatten) {
		struct buf flat = { 0 };
		flatten(d, &f, &flat);
		err = flat.oom ? uz_error_create(UZ_ERR_NOMEM, "synth: flattening")
			       : write_file(path, flat.p, flat.len);
		free(flat.p);
	} else {
		err = write_file(path, f.p, f.len);
	}
	free(f.p);
	return err;
}

static const struct uz_page_patch *find_patch(const struct uz_page_patch *patches, size_t n,
					      uint64_t pfn, size_t *index)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (patches[mid].pfn < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && patches[lo].pfn == pfn) {
		*index = lo;
		return &patches[lo];
	}
	return NULL;
}

#define FAIL(...) do { snprintf(why, why_size, __VA_ARGS__); ok = false; goto out; } while (0)

bool uz_synth_verify(const struct uz_synth_desc *d, struct uz_dump *dump,
		     const struct uz_page_patch *patches, size_t n_patches,
		     uz_patch_fill_fn *fill, void *fill_ctx, char *why, size_t why_size)
{
	uint64_t ps = page_size_of(d);
	bool ok = true;
	uint8_t *got = malloc(ps), *want = malloc(ps);
	struct uz_error *err = NULL;
	if (!got || !want)
		FAIL("out of memory");
	if (uz_dump_page_size(dump) != ps)
		FAIL("page size %llu, expected %llu", (unsigned long long)uz_dump_page_size(dump),
		     (unsigned long long)ps);
	uint64_t end = uz_synth_end_pfn(d);
	if (n_patches && patches[n_patches - 1].pfn + 1 > end)
		end = patches[n_patches - 1].pfn + 1;
	if (uz_dump_max_pfn(dump) < end)
		FAIL("max_pfn 0x%llx below 0x%llx", (unsigned long long)uz_dump_max_pfn(dump),
		     (unsigned long long)end);
	uint64_t iter = 0;
	bool iter_done = false;
	for (uint64_t pfn = 0; pfn < end + 8; pfn++) {
		bool is_data;
		enum uz_page_state want_state = uz_synth_expect(d, pfn, &is_data);
		size_t pi;
		bool patched = find_patch(patches, n_patches, pfn, &pi) != NULL;
		if (patched) {
			want_state = UZ_PAGE_PRESENT;
			if ((err = fill(fill_ctx, pi, want)))
				FAIL("fill: %s", err->message);
		} else if (is_data) {
			uz_synth_page(d->seed, pfn, ps, want);
		} else {
			memset(want, 0, ps);
		}
		enum uz_page_state st;
		if ((err = uz_dump_page_state(dump, pfn, &st)))
			FAIL("page_state(0x%llx): %s", (unsigned long long)pfn, err->message);
		if (st != want_state)
			FAIL("page 0x%llx: state %d, expected %d", (unsigned long long)pfn, st, want_state);
		err = uz_dump_read_page(dump, pfn, got);
		bool readable = want_state == UZ_PAGE_PRESENT || want_state == UZ_PAGE_ZERO;
		if (readable) {
			if (err)
				FAIL("read_page(0x%llx): %s", (unsigned long long)pfn, err->message);
			if (memcmp(got, want, ps) != 0)
				FAIL("page 0x%llx: bytes differ", (unsigned long long)pfn);
		} else {
			if (!err)
				FAIL("read_page(0x%llx) of a missing page succeeded", (unsigned long long)pfn);
			if (err->code != UZ_ERR_FAULT)
				FAIL("read_page(0x%llx): code %d, expected FAULT: %s",
				     (unsigned long long)pfn, err->code, err->message);
			uz_error_destroy(err);
			err = NULL;
		}
		/* The iterator must land exactly on the readable pages. */
		if (readable) {
			if (iter_done || iter > pfn) {
				FAIL("next_pfn skipped page 0x%llx", (unsigned long long)pfn);
			}
			uint64_t next = pfn;
			if ((err = uz_dump_next_pfn(dump, &next)))
				FAIL("next_pfn(0x%llx): %s", (unsigned long long)pfn, err->message);
			if (next != pfn)
				FAIL("next_pfn(0x%llx) gave 0x%llx", (unsigned long long)pfn,
				     (unsigned long long)next);
			iter = pfn + 1;
		} else if (pfn >= iter && !iter_done) {
			uint64_t next = pfn;
			err = uz_dump_next_pfn(dump, &next);
			if (err && err->code == UZ_ERR_NOT_FOUND) {
				uz_error_destroy(err);
				err = NULL;
				iter_done = true;
			} else if (err) {
				FAIL("next_pfn(0x%llx): %s", (unsigned long long)pfn, err->message);
			} else if (next == pfn) {
				FAIL("next_pfn(0x%llx) stopped on a missing page", (unsigned long long)pfn);
			} else {
				iter = next;
			}
		}
	}
	if (!uz_dump_vmcoreinfo(dump) || !strstr(uz_dump_vmcoreinfo(dump), "OSRELEASE="))
		FAIL("no VMCOREINFO with OSRELEASE");
out:
	uz_error_destroy(err);
	free(got);
	free(want);
	return ok;
}
