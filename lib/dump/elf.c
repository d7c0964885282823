/* elf.c - ELF64 vmcores: the kernel's /proc/vmcore, QEMU dump-guest-memory
 * and makedumpfile -E; reading pages and writing a copy with pages replaced
 * or added.
 *
 * Fields are read at their ELF64 offsets (little-endian), with every offset
 * and size checked against the file, so no <elf.h> structs are cast over
 * untrusted bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump_internal.h"
#include "interrupt.h"

/* ELF64 constants (from the ELF specification). */
#define EHDR_SIZE 64u
#define PHDR_SIZE 56u
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_CORE 4
#define EM_X86_64 62
#define EM_AARCH64 183
#define PT_LOAD 1
#define PT_NOTE 4
#define PN_XNUM 0xffffu
#define PF_RWX 7u

/* ehdr field offsets */
#define E_TYPE 16
#define E_MACHINE 18
#define E_PHOFF 32
#define E_SHOFF 40
#define E_PHENTSIZE 54
#define E_PHNUM 56
#define E_SHENTSIZE 58
#define E_SHNUM 60
/* phdr field offsets */
#define P_TYPE 0
#define P_FLAGS 4
#define P_OFFSET 8
#define P_VADDR 16
#define P_PADDR 24
#define P_FILESZ 32
#define P_MEMSZ 40
#define P_ALIGN 48

/* Notes larger than this are not a vmcore's (a few KiB per CPU). */
#define NOTES_MAX (64u << 20)

static const uint8_t *phdr_at(const struct uz_elf_state *e, size_t i)
{
	return e->phdrs + i * PHDR_SIZE;
}

static int cmp_load(const void *a, const void *b)
{
	const struct uz_elf_load *x = a, *y = b;
	if (x->paddr != y->paddr)
		return x->paddr < y->paddr ? -1 : 1;
	return x->phdr_index < y->phdr_index ? -1 : x->phdr_index > y->phdr_index;
}

static struct uz_error *read_notes(struct uz_dump *d)
{
	struct uz_elf_state *e = &d->u.elf;
	size_t total = 0;
	for (size_t i = 0; i < e->phnum; i++) {
		const uint8_t *p = phdr_at(e, i);
		if (uz_le32(p + P_TYPE) != PT_NOTE)
			continue;
		uint64_t off = uz_le64(p + P_OFFSET), size = uz_le64(p + P_FILESZ), end;
		if (!uz_add_ok(off, size, &end) || end > d->src.size)
			return uz_error_create(UZ_ERR_FORMAT,
					       "PT_NOTE (program header %zu) at offset 0x%llx size 0x%llx extends past the end of the file (0x%llx bytes): truncated dump?",
					       i, (unsigned long long)off, (unsigned long long)size,
					       (unsigned long long)d->src.size);
		if (size > NOTES_MAX || total + size > NOTES_MAX)
			return uz_error_create(UZ_ERR_FORMAT,
					       "PT_NOTE segments total more than %u MiB", NOTES_MAX >> 20);
		total += size;
	}
	/* + 3 a segment: each segment's notes start 4-aligned in the buffer. */
	d->notes = malloc(total + 3 * e->phnum + 1);
	if (!d->notes)
		return uz_error_create(UZ_ERR_NOMEM, "reading notes");
	size_t pos = 0;
	bool seen_note = false;
	for (size_t i = 0; i < e->phnum; i++) {
		const uint8_t *p = phdr_at(e, i);
		if (uz_le32(p + P_TYPE) != PT_NOTE)
			continue;
		uint64_t size = uz_le64(p + P_FILESZ);
		UZ_TRY(uz_error_wrap(uz_source_read(&d->src, uz_le64(p + P_OFFSET),
						    d->notes + pos, size),
				     "reading PT_NOTE (program header %zu)", i));
		/* Each segment holds whole notes; a note cannot span two. */
		size_t walk = 0;
		struct uz_note note = { 0 };
		struct uz_error *err;
		while (uz_note_next(d->notes + pos, size, &walk, &note, &err))
			;
		if (err)
			return uz_error_wrap(err, "PT_NOTE (program header %zu)", i);
		if (!seen_note)
			e->first_note_valid = walk;
		seen_note = true;
		pos += walk;   /* drop trailing zero padding */
		/* A last note whose padding the segment cuts off (p_filesz not a
		 * multiple of 4) ends unaligned: the next segment's notes must not. */
		while (pos & 3)
			d->notes[pos++] = 0;
	}
	d->notes_len = pos;
	return NULL;
}

struct uz_error *uz_elf_open(struct uz_dump *d)
{
	struct uz_elf_state *e = &d->u.elf;
	d->ops = &uz_elf_ops;
	d->format = UZ_DUMP_ELF;
	if (d->src.size < EHDR_SIZE)
		return uz_error_create(UZ_ERR_FORMAT, "ELF header truncated (%llu bytes)",
				       (unsigned long long)d->src.size);
	UZ_TRY(uz_source_read(&d->src, 0, e->ehdr, EHDR_SIZE));
	if (e->ehdr[4] == ELFCLASS32)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "ELF32 dumps are not supported yet");
	if (e->ehdr[4] != ELFCLASS64)
		return uz_error_create(UZ_ERR_FORMAT, "ELF header: bad class %u", e->ehdr[4]);
	if (e->ehdr[5] != ELFDATA2LSB)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "big-endian ELF dumps are not supported");
	uint16_t type = uz_le16(e->ehdr + E_TYPE), machine = uz_le16(e->ehdr + E_MACHINE);
	if (type != ET_CORE)
		return uz_error_create(UZ_ERR_FORMAT, "ELF file is not a core dump (e_type %u)", type);
	switch (machine) {
	case EM_X86_64: d->arch = UZ_ARCH_X86_64; break;
	case EM_AARCH64: d->arch = UZ_ARCH_AARCH64; break;
	default:
		return uz_error_create(UZ_ERR_UNSUPPORTED,
				       "ELF dumps of machine %u are not supported (x86_64 and aarch64 are)",
				       machine);
	}
	e->phoff = uz_le64(e->ehdr + E_PHOFF);
	e->phnum = uz_le16(e->ehdr + E_PHNUM);
	if (uz_le16(e->ehdr + E_PHENTSIZE) != PHDR_SIZE)
		return uz_error_create(UZ_ERR_FORMAT, "ELF e_phentsize %u, expected 56",
				       uz_le16(e->ehdr + E_PHENTSIZE));
	if (e->phnum == PN_XNUM) {
		/* More program headers than e_phnum holds: the count is in
		 * section header 0's sh_info. */
		uint64_t shoff = uz_le64(e->ehdr + E_SHOFF);
		uint8_t sh0[64];
		if (!shoff || uz_le16(e->ehdr + E_SHENTSIZE) < 64)
			return uz_error_create(UZ_ERR_FORMAT,
					       "e_phnum is PN_XNUM but there is no section header 0");
		UZ_TRY(uz_error_wrap(uz_source_read(&d->src, shoff, sh0, sizeof(sh0)),
				     "reading section header 0"));
		e->phnum = uz_le32(sh0 + 44);
	}
	uint64_t table_len = (uint64_t)e->phnum * PHDR_SIZE, table_end;
	if (!uz_add_ok(e->phoff, table_len, &table_end) || table_end > d->src.size ||
	    (e->phnum && e->phoff < EHDR_SIZE))
		return uz_error_create(UZ_ERR_FORMAT,
				       "program header table (offset 0x%llx, %zu entries) lies outside the file (0x%llx bytes)",
				       (unsigned long long)e->phoff, e->phnum,
				       (unsigned long long)d->src.size);
	e->phdrs = malloc(table_len ? table_len : 1);
	if (!e->phdrs)
		return uz_error_create(UZ_ERR_NOMEM, "program headers");
	UZ_TRY(uz_source_read(&d->src, e->phoff, e->phdrs, table_len));

	UZ_TRY(read_notes(d));
	UZ_TRY(uz_dump_scan_notes(d));
	uint64_t page_size = 4096;
	char val[32];
	if (d->vmcoreinfo && uz_vmcoreinfo_get(d->vmcoreinfo, "PAGESIZE", val, sizeof(val)))
		page_size = strtoull(val, NULL, 10);
	if (d->arch == UZ_ARCH_X86_64 && page_size != 4096)
		return uz_error_create(UZ_ERR_FORMAT, "VMCOREINFO PAGESIZE=%s on x86_64", val);
	UZ_TRY(uz_error_wrap(uz_dump_set_page_size(d, page_size), "VMCOREINFO PAGESIZE"));

	size_t n_loads = 0;
	for (size_t i = 0; i < e->phnum; i++)
		if (uz_le32(phdr_at(e, i) + P_TYPE) == PT_LOAD)
			n_loads++;
	e->loads = calloc(n_loads ? n_loads : 1, sizeof(*e->loads));
	if (!e->loads)
		return uz_error_create(UZ_ERR_NOMEM, "segments");
	for (size_t i = 0; i < e->phnum; i++) {
		const uint8_t *p = phdr_at(e, i);
		if (uz_le32(p + P_TYPE) != PT_LOAD)
			continue;
		struct uz_elf_load l = {
			.paddr = uz_le64(p + P_PADDR), .vaddr = uz_le64(p + P_VADDR),
			.memsz = uz_le64(p + P_MEMSZ), .filesz = uz_le64(p + P_FILESZ),
			.offset = uz_le64(p + P_OFFSET), .phdr_index = i,
		};
		uint64_t end;
		if (l.filesz > l.memsz)
			return uz_error_create(UZ_ERR_FORMAT,
					       "PT_LOAD (program header %zu): p_filesz 0x%llx > p_memsz 0x%llx",
					       i, (unsigned long long)l.filesz, (unsigned long long)l.memsz);
		if (!uz_add_ok(l.paddr, l.memsz, &end) || end > (1ull << 52))
			return uz_error_create(UZ_ERR_FORMAT,
					       "PT_LOAD (program header %zu): physical range 0x%llx+0x%llx beyond 52 bits",
					       i, (unsigned long long)l.paddr, (unsigned long long)l.memsz);
		if (!uz_add_ok(l.offset, l.filesz, &end) || end > d->src.size)
			return uz_error_create(UZ_ERR_FORMAT,
					       "PT_LOAD (program header %zu) data at offset 0x%llx size 0x%llx extends past the end of the file (0x%llx bytes): truncated dump?",
					       i, (unsigned long long)l.offset, (unsigned long long)l.filesz,
					       (unsigned long long)d->src.size);
		if (l.filesz && l.offset < table_end)
			return uz_error_create(UZ_ERR_FORMAT,
					       "PT_LOAD (program header %zu) data at offset 0x%llx overlaps the ELF headers",
					       i, (unsigned long long)l.offset);
		if (l.memsz == 0)
			continue;
		e->loads[e->n_loads++] = l;
	}
	qsort(e->loads, e->n_loads, sizeof(*e->loads), cmp_load);
	uint64_t max_end = 0;
	for (size_t i = 0; i < e->n_loads; i++) {
		uint64_t end = e->loads[i].paddr + e->loads[i].memsz;
		if (end > max_end)
			max_end = end;
		e->loads[i].max_end = max_end;
	}
	d->max_pfn = uz_div_round_up(max_end, d->page_size);
	return NULL;
}

static void elf_fini(struct uz_dump *d)
{
	free(d->u.elf.phdrs);
	free(d->u.elf.loads);
}

/* Index of the first load whose max_end > pa (n_loads if none). */
static size_t first_load_after(const struct uz_elf_state *e, uint64_t pa)
{
	size_t lo = 0, hi = e->n_loads;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e->loads[mid].max_end <= pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct uz_error *elf_page_state(struct uz_dump *d, uint64_t pfn,
				       enum uz_page_state *state)
{
	const struct uz_elf_state *e = &d->u.elf;
	uint64_t pa = pfn << d->page_shift, pend = pa + d->page_size;
	bool zero = false;
	for (size_t i = first_load_after(e, pa); i < e->n_loads && e->loads[i].paddr < pend; i++) {
		const struct uz_elf_load *l = &e->loads[i];
		if (l->paddr + l->memsz <= pa)
			continue;
		if (l->filesz && l->paddr + l->filesz > pa) {
			*state = UZ_PAGE_PRESENT;
			return NULL;
		}
		zero = true;
	}
	*state = zero ? UZ_PAGE_ZERO : UZ_PAGE_HOLE;
	return NULL;
}

/* Bytes of the page not in any segment's file data read as zeros. */
static struct uz_error *elf_read_page(struct uz_dump *d, uint64_t pfn, void *buf)
{
	const struct uz_elf_state *e = &d->u.elf;
	uint64_t pa = pfn << d->page_shift, pend = pa + d->page_size;
	memset(buf, 0, d->page_size);
	for (size_t i = first_load_after(e, pa); i < e->n_loads && e->loads[i].paddr < pend; i++) {
		const struct uz_elf_load *l = &e->loads[i];
		uint64_t a = l->paddr > pa ? l->paddr : pa;
		uint64_t b = l->paddr + l->filesz < pend ? l->paddr + l->filesz : pend;
		if (a >= b)
			continue;
		UZ_TRY(uz_source_read(&d->src, l->offset + (a - l->paddr),
				      (uint8_t *)buf + (a - pa), b - a));
	}
	return NULL;
}

static struct uz_error *elf_next_pfn(struct uz_dump *d, uint64_t *pfn)
{
	const struct uz_elf_state *e = &d->u.elf;
	uint64_t pa = *pfn << d->page_shift;
	size_t i = first_load_after(e, pa);
	if (i == e->n_loads)
		return uz_error_create(UZ_ERR_NOT_FOUND, "no present page at or above 0x%llx",
				       (unsigned long long)*pfn);
	/* loads[i] itself ends above pa (see max_end), and every later load
	 * starts no lower. */
	if (e->loads[i].paddr > pa)
		*pfn = e->loads[i].paddr >> d->page_shift;
	return NULL;
}

/* ---- writing ---- */

/* File bytes the layout must keep in place relative to each other: segment
 * data, the section header table and section contents (QEMU writes a
 * .shstrtab at the end and its section headers before the program headers). */
struct elf_block {
	uint64_t offset, size;
	size_t phdr;           /* program header index, or SIZE_MAX */
	const char *what;
};

struct elf_layout {
	struct elf_block *blocks;
	size_t n_blocks;
	uint8_t *shdrs;          /* section header table (NULL if none) */
	uint64_t shoff, shlen, shentsize;
	size_t shnum;
	uint64_t align;
	uint64_t table_end;      /* input phoff + phnum * 56 */
	uint64_t data_min;       /* first byte of data after the table */
	uint64_t shift_a;        /* inserted after the table */
	size_t note_phdr;        /* first PT_NOTE, or SIZE_MAX */
	bool note_new_phdr;      /* a PT_NOTE is added at index 0 */
	bool note_at_end;        /* the note is placed after the input data */
	uint64_t note_end;       /* input offset where the notes end */
	uint64_t shift_b;        /* inserted at note_end */
	size_t note_len;         /* of the extra note (opts->note_*) with its lead, 0 for none */
	size_t note_lead;        /* zero bytes before it (uz_note_lead) */
	size_t n_runs;           /* runs of consecutive PATCH_NEW pages */
	size_t extra_phdrs;
	/* What each patch does (NULL when every patch is a replacement or at
	 * or above max_pfn: the common vmcore-unzram case needs no array). */
	uint8_t *kind;
	/* Output file offset of each PATCH_FILL page (only when there are). */
	uint64_t *fill_off;
	size_t n_fill;
	uint64_t tail_off;       /* output offset of the appended data */
	uint64_t note_out_off;   /* output offset where the extra note goes */
	uint64_t pages_off;      /* output offset of the first added page */
	uint64_t out_size;       /* of the streamed output */
	uint64_t vaddr_delta;    /* p_vaddr - p_paddr for added segments */
	bool has_vaddr;
	/* In place (plan_in_place): nothing moves but the first PT_NOTE's
	 * bytes; the extra note gets its own PT_NOTE as the last header. */
	bool in_place;
	bool note_last_phdr;
	uint64_t note_paddr;     /* p_paddr of that last PT_NOTE */
	bool notes_moved;
	uint64_t notes_from, notes_to, notes_size;  /* the first PT_NOTE's bytes */
	uint64_t front_end;      /* end of the bytes rewritten after the table */
};

static uint64_t round_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

static uint64_t remap(const struct elf_layout *L, uint64_t off)
{
	uint64_t out = off;
	if (off >= L->table_end)
		out += L->shift_a;
	if (L->shift_b && off >= L->note_end)
		out += L->shift_b;
	return out;
}

/* The direct-map offset (vaddr - paddr) of the RAM segments, if they carry
 * kernel virtual addresses (as /proc/vmcore's do): the offset covering the
 * most memory, so the one kernel-text segment does not win. */
static bool direct_map_delta(const struct uz_elf_state *e, uint64_t *delta)
{
	uint64_t best = 0, best_size = 0;
	for (size_t i = 0; i < e->n_loads; i++) {
		const struct uz_elf_load *l = &e->loads[i];
		if (!(l->vaddr >> 63))
			continue;
		uint64_t dlt = l->vaddr - l->paddr, size = 0;
		for (size_t j = 0; j < e->n_loads; j++)
			if ((e->loads[j].vaddr >> 63) && e->loads[j].vaddr - e->loads[j].paddr == dlt)
				size += e->loads[j].memsz;
		if (size > best_size) {
			best_size = size;
			best = dlt;
		}
	}
	*delta = best;
	return best_size != 0;
}

#define SH_TYPE 4
#define SH_OFFSET 24
#define SH_SIZE 32
#define SHT_NOBITS 8
#define SHNUM_MAX 4096u

static struct uz_error *collect_blocks(struct uz_dump *d, struct elf_layout *L)
{
	const struct uz_elf_state *e = &d->u.elf;
	L->shoff = uz_le64(e->ehdr + E_SHOFF);
	L->shnum = L->shoff ? uz_le16(e->ehdr + E_SHNUM) : 0;
	L->shentsize = uz_le16(e->ehdr + E_SHENTSIZE);
	if (L->shnum > SHNUM_MAX)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "%zu section headers", L->shnum);
	if (L->shnum && L->shentsize < 64)
		return uz_error_create(UZ_ERR_FORMAT, "e_shentsize %llu is too small",
				       (unsigned long long)L->shentsize);
	L->shlen = L->shnum * L->shentsize;
	L->blocks = calloc(e->phnum + L->shnum + 1, sizeof(*L->blocks));
	if (!L->blocks)
		return uz_error_create(UZ_ERR_NOMEM, "layout");
	for (size_t i = 0; i < e->phnum; i++) {
		const uint8_t *p = phdr_at(e, i);
		uint64_t off = uz_le64(p + P_OFFSET), size = uz_le64(p + P_FILESZ), end;
		if (!size)
			continue;
		if (!uz_add_ok(off, size, &end) || end > d->src.size)
			return uz_error_create(UZ_ERR_FORMAT,
					       "program header %zu data lies past the end of the file", i);
		L->blocks[L->n_blocks++] = (struct elf_block){ off, size, i, "segment data" };
	}
	if (!L->shnum)
		return NULL;
	uint64_t end;
	if (!uz_add_ok(L->shoff, L->shlen, &end) || end > d->src.size)
		return uz_error_create(UZ_ERR_FORMAT, "section header table lies past the end of the file");
	L->shdrs = malloc(L->shlen);
	if (!L->shdrs)
		return uz_error_create(UZ_ERR_NOMEM, "section headers");
	UZ_TRY(uz_source_read(&d->src, L->shoff, L->shdrs, L->shlen));
	L->blocks[L->n_blocks++] = (struct elf_block){ L->shoff, L->shlen, SIZE_MAX,
						       "the section header table" };
	for (size_t i = 0; i < L->shnum; i++) {
		const uint8_t *sh = L->shdrs + i * L->shentsize;
		uint64_t off = uz_le64(sh + SH_OFFSET), size = uz_le64(sh + SH_SIZE);
		if (uz_le32(sh + SH_TYPE) == SHT_NOBITS || !size)
			continue;
		if (!uz_add_ok(off, size, &end) || end > d->src.size)
			return uz_error_create(UZ_ERR_FORMAT,
					       "section %zu data lies past the end of the file", i);
		L->blocks[L->n_blocks++] = (struct elf_block){ off, size, SIZE_MAX, "section data" };
	}
	return NULL;
}

/* The section header table with its offsets moved as the layout moves them. */
static void remap_shdrs(const struct elf_layout *L, uint8_t *out)
{
	memcpy(out, L->shdrs, L->shlen);
	for (size_t i = 0; i < L->shnum; i++) {
		uint8_t *sh = out + i * L->shentsize;
		if (uz_le32(sh + SH_TYPE) != SHT_NOBITS && uz_le64(sh + SH_SIZE))
			uz_put_le64(sh + SH_OFFSET, remap(L, uz_le64(sh + SH_OFFSET)));
	}
}

/* How a patch reaches the output. */
enum patch_kind {
	PATCH_REPLACE,  /* overwrite the page's file bytes (every copy of them) */
	PATCH_NEW,      /* append; a PT_LOAD of its own (above max_pfn, or a hole) */
	PATCH_FILL,     /* append; split the zero-fill segment(s) around it */
};

static enum patch_kind kind_of(const struct uz_dump *d, const struct elf_layout *L,
			       const struct uz_page_patch *patches, size_t i)
{
	if (L->kind)
		return (enum patch_kind)L->kind[i];
	return patches[i].pfn >= d->max_pfn ? PATCH_NEW : PATCH_REPLACE;
}

/* A page made present inside zero fill (makedumpfile -E writes excluded
 * pages as p_filesz < p_memsz) must lie wholly in the zero-fill part of
 * every segment that covers it, so that splitting those segments around it
 * leaves no byte described twice. */
static struct uz_error *check_fill_page(const struct uz_dump *d, uint64_t pfn)
{
	const struct uz_elf_state *e = &d->u.elf;
	uint64_t pa = pfn << d->page_shift, pend = pa + d->page_size;
	for (size_t i = first_load_after(e, pa); i < e->n_loads && e->loads[i].paddr < pend; i++) {
		const struct uz_elf_load *l = &e->loads[i];
		if (l->paddr + l->memsz <= pa)
			continue;
		if (l->paddr + l->filesz > pa || l->paddr > pa || l->paddr + l->memsz < pend)
			return uz_error_create(UZ_ERR_UNSUPPORTED,
					       "page 0x%llx straddles the zero fill of program header %zu (paddr 0x%llx, filesz 0x%llx, memsz 0x%llx)",
					       (unsigned long long)pfn, l->phdr_index,
					       (unsigned long long)l->paddr, (unsigned long long)l->filesz,
					       (unsigned long long)l->memsz);
	}
	return NULL;
}

static struct uz_error *classify_patches(struct uz_dump *d, const struct uz_page_patch *patches,
					 size_t n_patches, bool fill_missing, struct elf_layout *L)
{
	size_t below = 0;
	while (below < n_patches && patches[below].pfn < d->max_pfn)
		below++;
	bool need_kinds = false;
	for (size_t i = 0; i < below && !need_kinds; i++) {
		enum uz_page_state st;
		UZ_TRY(elf_page_state(d, patches[i].pfn, &st));
		if (st == UZ_PAGE_PRESENT)
			continue;
		if (!fill_missing)
			return uz_error_create(UZ_ERR_UNSUPPORTED,
					       st == UZ_PAGE_ZERO ?
					       "replacing page 0x%llx, which the ELF dump stores only as zero fill (p_filesz < p_memsz), is not supported" :
					       "replacing page 0x%llx, which the ELF dump does not describe, is not supported",
					       (unsigned long long)patches[i].pfn);
		need_kinds = true;
	}
	if (!need_kinds)
		return NULL;
	L->kind = malloc(n_patches);
	if (!L->kind)
		return uz_error_create(UZ_ERR_NOMEM, "patch kinds");
	for (size_t i = 0; i < n_patches; i++) {
		L->kind[i] = PATCH_NEW;
		if (i >= below)
			continue;
		enum uz_page_state st;
		UZ_TRY(elf_page_state(d, patches[i].pfn, &st));
		if (st == UZ_PAGE_PRESENT) {
			L->kind[i] = PATCH_REPLACE;
		} else if (st == UZ_PAGE_ZERO) {
			UZ_TRY(check_fill_page(d, patches[i].pfn));
			L->kind[i] = PATCH_FILL;
			L->n_fill++;
		}
	}
	if (L->n_fill) {
		L->fill_off = calloc(n_patches, sizeof(*L->fill_off));
		if (!L->fill_off)
			return uz_error_create(UZ_ERR_NOMEM, "patch offsets");
	}
	return NULL;
}

/* The program headers that replace input header `phdr` (a PT_LOAD with zero
 * fill) when PATCH_FILL pages lie in its zero fill: the header itself, with
 * its zero fill cut at the first such page, then one header per run of
 * consecutive filled pages, each carrying the zero fill up to the next run
 * (or the segment's end).  Writes them to out (if non-NULL, already
 * remapped input header in out[0]) and returns how many. */
static size_t split_zero_fill(const struct uz_dump *d, const struct elf_layout *L,
			      const struct uz_page_patch *patches, size_t n_patches,
			      const uint8_t *in_phdr, uint8_t *out)
{
	uint64_t paddr = uz_le64(in_phdr + P_PADDR), vaddr = uz_le64(in_phdr + P_VADDR);
	uint64_t filesz = uz_le64(in_phdr + P_FILESZ), memsz = uz_le64(in_phdr + P_MEMSZ);
	if (!L->n_fill || uz_le32(in_phdr + P_TYPE) != PT_LOAD || filesz >= memsz)
		return 1;
	uint64_t tail = paddr + filesz, end = paddr + memsz, ps = d->page_size;
	size_t lo = 0, hi = n_patches;
	uint64_t first_pfn = (tail + ps - 1) >> d->page_shift;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (patches[mid].pfn < first_pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t count = 1;
	uint8_t *cur = out;
	uint64_t cur_paddr = paddr, cur_memsz = filesz;
	for (size_t i = lo; i < n_patches && (patches[i].pfn << d->page_shift) < end; i++) {
		if (L->kind[i] != PATCH_FILL)
			continue;
		uint64_t run_pa = patches[i].pfn << d->page_shift, run_off = L->fill_off[i];
		size_t j = i;
		while (j + 1 < n_patches && L->kind[j + 1] == PATCH_FILL &&
		       patches[j + 1].pfn == patches[j].pfn + 1 &&
		       ((patches[j + 1].pfn + 1) << d->page_shift) <= end)
			j++;
		uint64_t run_len = (uint64_t)(j - i + 1) * ps;
		i = j;
		if (run_pa > cur_paddr + cur_memsz)
			cur_memsz = run_pa - cur_paddr;   /* zero fill up to the run */
		if (cur_memsz == 0) {
			/* No file bytes and the run starts the segment: the input
			 * header itself carries the run. */
			if (cur) {
				uz_put_le64(cur + P_OFFSET, run_off);
				uz_put_le64(cur + P_FILESZ, run_len);
			}
			cur_memsz = run_len;
			continue;
		}
		if (cur)
			uz_put_le64(cur + P_MEMSZ, cur_memsz);
		count++;
		if (out) {
			cur = out + (count - 1) * PHDR_SIZE;
			memcpy(cur, in_phdr, PHDR_SIZE);
			uz_put_le64(cur + P_OFFSET, run_off);
			uz_put_le64(cur + P_PADDR, run_pa);
			uz_put_le64(cur + P_VADDR, vaddr ? vaddr + (run_pa - paddr) : 0);
			uz_put_le64(cur + P_FILESZ, run_len);
		}
		cur_paddr = run_pa;
		cur_memsz = run_len;
	}
	if (cur_paddr + cur_memsz < end)
		cur_memsz = end - cur_paddr;
	if (cur)
		uz_put_le64(cur + P_MEMSZ, cur_memsz);
	return count;
}

/* In place, the program header table grows into the bytes after it.  On a
 * /proc/vmcore those are the notes, and after them the slack before the
 * page-aligned segment data: the notes slide forward into that slack.  The
 * extra note goes at the end of the file under a PT_NOTE of its own, the
 * last program header.  That order is what crash 8 needs: it reads the
 * notes of the first PT_NOTE from its copy of the bytes before the lowest
 * segment offset (netdump.c, resize_elf_header), and takes every later
 * program header as memory whatever its type, so that last PT_NOTE is given
 * a physical address above every segment, where nothing reads.
 * False when the table and the notes do not fit before the data. */
static bool plan_in_place(const struct uz_dump *d, const struct uz_page_patch *patches,
			  size_t n_patches, size_t split_extra, struct elf_layout *L)
{
	const struct uz_elf_state *e = &d->u.elf;
	if (L->note_len && L->note_phdr == SIZE_MAX)
		return false;   /* the streaming rewrite adds a PT_NOTE at index 0 */
	size_t extra = L->n_runs + split_extra + (L->note_len ? 1 : 0);
	uint64_t new_table_end = e->phoff + (e->phnum + extra) * PHDR_SIZE;
	uint64_t limit = d->src.size;   /* first byte that must stay where it is */
	const struct elf_block *notes = NULL;
	for (size_t i = 0; i < L->n_blocks; i++) {
		const struct elf_block *b = &L->blocks[i];
		if (b->offset < L->table_end)
			continue;
		if (L->note_phdr != SIZE_MAX && b->phdr == L->note_phdr)
			notes = b;
		else if (b->offset < limit)
			limit = b->offset;
	}
	uint64_t front_end = new_table_end, notes_to = 0;
	bool move = notes && notes->offset < new_table_end;
	if (move) {
		notes_to = round_up(new_table_end, 8);
		front_end = notes_to + notes->size;
		if (notes->offset + notes->size > front_end)
			front_end = notes->offset + notes->size;
	}
	if (front_end > limit || (notes && notes->offset + notes->size > limit))
		return false;
	L->front_end = front_end;
	if (move) {
		L->notes_moved = true;
		L->notes_from = notes->offset;
		L->notes_size = notes->size;
		L->notes_to = notes_to;
	}
	uint64_t top = 0;   /* end of the highest segment or added page */
	for (size_t i = 0; i < e->n_loads; i++)
		if (e->loads[i].paddr + e->loads[i].memsz > top)
			top = e->loads[i].paddr + e->loads[i].memsz;
	for (size_t i = 0; i < n_patches; i++)
		if (((patches[i].pfn + 1) << d->page_shift) > top)
			top = (patches[i].pfn + 1) << d->page_shift;
	L->note_paddr = round_up(top, d->page_size);
	L->extra_phdrs = extra;
	L->note_last_phdr = L->note_len != 0;
	L->note_at_end = L->note_len != 0;
	L->in_place = true;
	return true;
}

static struct uz_error *plan_layout(struct uz_dump *d, const struct uz_page_patch *patches,
				    size_t n_patches, const struct uz_dump_write_options *opts,
				    bool want_in_place, struct elf_layout *L)
{
	const struct uz_elf_state *e = &d->u.elf;
	memset(L, 0, sizeof(*L));
	L->align = d->page_size;
	L->note_phdr = SIZE_MAX;
	L->table_end = e->phoff + e->phnum * PHDR_SIZE;
	if (e->phnum == 0)
		return uz_error_create(UZ_ERR_UNSUPPORTED,
				       "the ELF dump has no program headers to extend");
	if (uz_le16(e->ehdr + E_PHNUM) == PN_XNUM)
		return uz_error_create(UZ_ERR_UNSUPPORTED,
				       "writing dumps with PN_XNUM program headers is not supported");
	UZ_TRY(collect_blocks(d, L));

	/* Replaced pages must have file bytes to overwrite; others are
	 * appended (fill_missing). */
	UZ_TRY(classify_patches(d, patches, n_patches, opts->fill_missing, L));
	for (size_t i = 0; i < n_patches; i++)
		if (kind_of(d, L, patches, i) == PATCH_NEW &&
		    (i == 0 || kind_of(d, L, patches, i - 1) != PATCH_NEW ||
		     patches[i - 1].pfn + 1 != patches[i].pfn))
			L->n_runs++;
	size_t split_extra = 0;
	for (size_t i = 0; i < e->phnum && L->n_fill; i++)
		split_extra += split_zero_fill(d, L, patches, n_patches, phdr_at(e, i), NULL) - 1;

	L->data_min = d->src.size;
	for (size_t i = 0; i < L->n_blocks; i++) {
		const struct elf_block *b = &L->blocks[i];
		if (b->offset < EHDR_SIZE)
			return uz_error_create(UZ_ERR_FORMAT, "%s at 0x%llx overlaps the ELF header",
					       b->what, (unsigned long long)b->offset);
		if (b->offset < L->table_end && b->offset + b->size > e->phoff)
			return uz_error_create(UZ_ERR_UNSUPPORTED,
					       "%s at 0x%llx overlaps the program header table",
					       b->what, (unsigned long long)b->offset);
		if (b->offset < L->table_end)
			continue;   /* before the table (QEMU's section headers) */
		if (b->offset < L->data_min)
			L->data_min = b->offset;
	}
	for (size_t i = 0; i < e->phnum; i++)
		if (uz_le32(phdr_at(e, i) + P_TYPE) == PT_NOTE) {
			L->note_phdr = i;
			break;
		}

	if (opts->note_name) {
		if (strlen(opts->note_name) + 1 > UZ_NOTE_NAME_MAX)
			return uz_error_create(UZ_ERR_USAGE, "note name \"%.16s...\" is too long",
					       opts->note_name);
		L->note_len = uz_note_size(opts->note_name, opts->note_desc_len);
	}
	if (!(want_in_place && plan_in_place(d, patches, n_patches, split_extra, L)) &&
	    opts->note_name) {
		if (L->note_phdr == SIZE_MAX) {
			L->note_new_phdr = true;
			L->note_at_end = true;
		} else if (uz_le64(phdr_at(e, L->note_phdr) + P_FILESZ) == 0) {
			L->note_at_end = true;
		} else {
			/* The note goes right after the last whole note: any padding or
			 * stray bytes at the end of the segment then follow it. */
			const uint8_t *np = phdr_at(e, L->note_phdr);
			uint64_t seg_end = uz_le64(np + P_OFFSET) + uz_le64(np + P_FILESZ);
			L->note_end = uz_le64(np + P_OFFSET) + e->first_note_valid;
			L->note_lead = uz_note_lead(e->first_note_valid);
			L->note_len += L->note_lead;
			uint64_t next = seg_end > L->note_end ? L->note_end : d->src.size;
			for (size_t i = 0; i < L->n_blocks; i++) {
				const struct elf_block *b = &L->blocks[i];
				if (b->phdr == L->note_phdr)
					continue;
				if (b->offset < L->note_end && b->offset + b->size > L->note_end)
					return uz_error_create(UZ_ERR_UNSUPPORTED,
							       "%s spans the end of the notes; cannot grow them",
							       b->what);
				if (b->offset >= L->note_end && b->offset < next)
					next = b->offset;
			}
			uint64_t gap = next - L->note_end;
			if (L->note_len > gap)
				L->shift_b = round_up(L->note_len - gap, L->align);
		}
	}

	if (!L->in_place)
		L->extra_phdrs = L->n_runs + split_extra + (L->note_new_phdr ? 1 : 0);
	if (e->phnum + L->extra_phdrs >= PN_XNUM)
		return uz_error_create(UZ_ERR_UNSUPPORTED,
				       "output would need %zu program headers (PN_XNUM not supported)",
				       e->phnum + L->extra_phdrs);
	uint64_t gap_a = L->data_min - L->table_end;
	uint64_t extra = L->extra_phdrs * PHDR_SIZE;
	if (extra > gap_a && !L->in_place)
		L->shift_a = round_up(extra - gap_a, L->align);

	uint64_t out_end = remap(L, d->src.size);
	L->tail_off = round_up(out_end, L->align);
	uint64_t pos = L->tail_off;
	if (L->note_at_end) {
		L->note_out_off = pos;
		pos = round_up(pos + L->note_len, L->align);
	} else if (opts->note_name) {
		L->note_out_off = L->note_end + L->shift_a;
	}
	L->pages_off = pos;
	size_t n_added = 0;
	for (size_t i = 0; i < n_patches; i++) {
		enum patch_kind kind = kind_of(d, L, patches, i);
		if (kind == PATCH_FILL)
			L->fill_off[i] = pos + ((uint64_t)n_added << d->page_shift);
		n_added += kind != PATCH_REPLACE;
	}
	if (n_added)
		L->out_size = pos + ((uint64_t)n_added << d->page_shift);
	else
		L->out_size = L->note_at_end ? L->note_out_off + L->note_len : out_end;
	L->has_vaddr = direct_map_delta(e, &L->vaddr_delta);
	return NULL;
}

/* Build the output program header table (new count in *n_out). */
static uint8_t *build_phdrs(const struct uz_dump *d, const struct elf_layout *L,
			    const struct uz_page_patch *patches, size_t n_patches, size_t *n_out)
{
	const struct uz_elf_state *e = &d->u.elf;
	size_t n = e->phnum + L->extra_phdrs;
	uint8_t *t = calloc(n ? n : 1, PHDR_SIZE);
	if (!t)
		return NULL;
	size_t k = 0;
	if (L->note_new_phdr) {
		uint8_t *p = t;
		uz_put_le32(p + P_TYPE, PT_NOTE);
		uz_put_le64(p + P_OFFSET, L->note_out_off);
		uz_put_le64(p + P_FILESZ, L->note_len);
		uz_put_le64(p + P_MEMSZ, L->note_len);
		uz_put_le64(p + P_ALIGN, 4);
		k = 1;
	}
	for (size_t i = 0; i < e->phnum; i++) {
		uint8_t *p = t + k * PHDR_SIZE;
		memcpy(p, phdr_at(e, i), PHDR_SIZE);
		uz_put_le64(p + P_OFFSET, remap(L, uz_le64(p + P_OFFSET)));
		if (i == L->note_phdr && L->notes_moved)
			uz_put_le64(p + P_OFFSET, L->notes_to);
		if (i == L->note_phdr && L->note_len && !L->note_new_phdr && !L->note_last_phdr) {
			if (L->note_at_end)
				uz_put_le64(p + P_OFFSET, L->note_out_off);
			uint64_t fsz = uz_le64(p + P_FILESZ), msz = uz_le64(p + P_MEMSZ);
			uz_put_le64(p + P_FILESZ, fsz + L->note_len);
			uz_put_le64(p + P_MEMSZ, msz == fsz ? fsz + L->note_len : msz + L->note_len);
		}
		k += split_zero_fill(d, L, patches, n_patches, phdr_at(e, i), p);
	}
	/* One PT_LOAD per run of consecutive PATCH_NEW PFNs; appended pages
	 * are stored in patch order. */
	uint64_t file_off = L->pages_off;
	for (size_t i = 0; i < n_patches; i++) {
		enum patch_kind kind = kind_of(d, L, patches, i);
		if (kind == PATCH_FILL)
			file_off += d->page_size;
		if (kind != PATCH_NEW)
			continue;
		size_t j = i;
		while (j + 1 < n_patches && kind_of(d, L, patches, j + 1) == PATCH_NEW &&
		       patches[j + 1].pfn == patches[j].pfn + 1)
			j++;
		uint64_t paddr = patches[i].pfn << d->page_shift;
		uint64_t len = (uint64_t)(j - i + 1) << d->page_shift;
		uint8_t *p = t + k++ * PHDR_SIZE;
		uz_put_le32(p + P_TYPE, PT_LOAD);
		uz_put_le32(p + P_FLAGS, PF_RWX);
		uz_put_le64(p + P_OFFSET, file_off);
		uz_put_le64(p + P_VADDR, L->has_vaddr ? paddr + L->vaddr_delta : 0);
		uz_put_le64(p + P_PADDR, paddr);
		uz_put_le64(p + P_FILESZ, len);
		uz_put_le64(p + P_MEMSZ, len);
		uz_put_le64(p + P_ALIGN, 0);
		file_off += len;
		i = j;
	}
	if (L->note_last_phdr) {
		uint8_t *p = t + k++ * PHDR_SIZE;
		uz_put_le32(p + P_TYPE, PT_NOTE);
		uz_put_le64(p + P_OFFSET, L->note_out_off);
		uz_put_le64(p + P_PADDR, L->note_paddr);
		uz_put_le64(p + P_FILESZ, L->note_len);
		uz_put_le64(p + P_MEMSZ, L->note_len);
		uz_put_le64(p + P_ALIGN, 4);
	}
	*n_out = k;
	return t;
}

/* Appended pages go out in batches of this many (one pwrite each). */
#define APPEND_BATCH 64u

/* Write replaced pages over every copy of them in the output (the kernel
 * text segment of /proc/vmcore duplicates part of RAM), then the added
 * pages, which are consecutive in the file: filled straight into a batch
 * buffer and written APPEND_BATCH at a time. */
enum page_pass {
	PAGES_ALL,
	PAGES_ADDED,      /* only the pages appended to the file */
	PAGES_REPLACED,   /* only pages replaced where they are, with no stop-signal check */
};

static struct uz_error *write_pages(struct uz_dump *d, int fd, const struct elf_layout *L,
				    const struct uz_page_patch *patches, size_t n_patches,
				    uz_patch_fill_fn *fill, void *fill_ctx, bool in_place,
				    enum page_pass pass)
{
	const struct uz_elf_state *e = &d->u.elf;
	uint8_t *page = malloc(d->page_size), *batch = malloc(APPEND_BATCH * d->page_size);
	if (!page || !batch) {
		free(page);
		free(batch);
		return uz_error_create(UZ_ERR_NOMEM, "page buffers");
	}
	struct uz_error *err = NULL;
	uint64_t file_off = L->pages_off;   /* of the first page in the batch */
	size_t in_batch = 0;
	for (size_t i = 0; i < n_patches && !err; i++) {
		bool append = kind_of(d, L, patches, i) != PATCH_REPLACE;
		if ((pass == PAGES_ADDED && !append) || (pass == PAGES_REPLACED && append))
			continue;
		uint8_t *dst = append ? batch + in_batch * d->page_size : page;
		if ((err = fill(fill_ctx, i, dst))) {
			err = uz_error_wrap(err, "producing page 0x%llx",
					    (unsigned long long)patches[i].pfn);
			break;
		}
		if (append) {
			if (++in_batch == APPEND_BATCH) {
				err = uz_pwrite_all(fd, batch, in_batch * d->page_size, file_off);
				file_off += in_batch * d->page_size;
				in_batch = 0;
			}
			continue;
		}
		uint64_t pa = patches[i].pfn << d->page_shift, pend = pa + d->page_size;
		for (size_t j = first_load_after(e, pa);
		     j < e->n_loads && e->loads[j].paddr < pend && !err; j++) {
			const struct uz_elf_load *l = &e->loads[j];
			uint64_t a = l->paddr > pa ? l->paddr : pa;
			uint64_t b = l->paddr + l->filesz < pend ? l->paddr + l->filesz : pend;
			if (a >= b)
				continue;
			uint64_t in_off = l->offset + (a - l->paddr), out_off = in_place ? in_off : remap(L, in_off);
			err = pass == PAGES_REPLACED
				      ? uz_pwrite_all_uninterruptible(fd, page + (a - pa), b - a, out_off)
				      : uz_pwrite_all(fd, page + (a - pa), b - a, out_off);
		}
	}
	if (!err && in_batch)
		err = uz_pwrite_all(fd, batch, in_batch * d->page_size, file_off);
	free(page);
	free(batch);
	return err;
}

static void put_ehdr(const struct uz_dump *d, const struct elf_layout *L, size_t n_phdrs,
		     uint8_t *ehdr)
{
	memcpy(ehdr, d->u.elf.ehdr, EHDR_SIZE);
	uz_put_le16(ehdr + E_PHNUM, (uint16_t)n_phdrs);
	uint64_t shoff = uz_le64(ehdr + E_SHOFF);
	if (shoff)
		uz_put_le64(ehdr + E_SHOFF, remap(L, shoff));
}

static struct uz_error *write_note(int fd, const struct elf_layout *L,
				   const struct uz_dump_write_options *opts)
{
	return uz_note_pwrite(fd, L->note_out_off, L->note_lead, opts->note_name, opts->note_type,
			      opts->note_desc, opts->note_desc_len);
}

static struct uz_error *write_streaming(struct uz_dump *d, const char *out_path,
					const struct elf_layout *L,
					const struct uz_page_patch *patches, size_t n_patches,
					uz_patch_fill_fn *fill, void *fill_ctx,
					const struct uz_dump_write_options *opts)
{
	const struct uz_elf_state *e = &d->u.elf;
	struct uz_outfile out;
	UZ_TRY(uz_outfile_create(out_path, !opts->no_fsync, &out));
	struct uz_error *err = NULL;
	size_t n_phdrs = 0;
	uint8_t *table = build_phdrs(d, L, patches, n_patches, &n_phdrs);
	uint8_t ehdr[EHDR_SIZE];
	if (!table) {
		err = uz_error_create(UZ_ERR_NOMEM, "program header table");
		goto fail;
	}
	put_ehdr(d, L, n_phdrs, ehdr);
	uint64_t size = d->src.size;
	uint64_t split = L->shift_b ? L->note_end : size;
	/* Bytes between the ELF header and the table (QEMU: e_phoff = 192). */
	if ((err = uz_copy_range(&d->src, EHDR_SIZE, out.fd, EHDR_SIZE, e->phoff - EHDR_SIZE)) ||
	    (err = uz_copy_range(&d->src, L->table_end, out.fd, remap(L, L->table_end),
				 split - L->table_end)) ||
	    (err = uz_copy_range(&d->src, split, out.fd, remap(L, split), size - split)))
		goto fail;
	if (L->shift_a &&
	    (err = uz_write_zeros(out.fd, L->table_end, L->shift_a)))
		goto fail;
	if (L->shift_b &&
	    (err = uz_write_zeros(out.fd, L->note_end + L->shift_a, L->shift_b)))
		goto fail;
	if ((err = uz_pwrite_all(out.fd, ehdr, EHDR_SIZE, 0)) ||
	    (err = uz_pwrite_all(out.fd, table, n_phdrs * PHDR_SIZE, e->phoff)))
		goto fail;
	if (L->note_len && (err = write_note(out.fd, L, opts)))
		goto fail;
	if (L->shdrs) {
		uint8_t *sh = malloc(L->shlen);
		if (!sh) {
			err = uz_error_create(UZ_ERR_NOMEM, "section headers");
			goto fail;
		}
		remap_shdrs(L, sh);
		err = uz_pwrite_all(out.fd, sh, L->shlen, remap(L, L->shoff));
		free(sh);
		if (err)
			goto fail;
	}
	if ((err = write_pages(d, out.fd, L, patches, n_patches, fill, fill_ctx, false, PAGES_ALL)))
		goto fail;
	/* Pad the file to the end of the appended data (or of the input). */
	if (ftruncate(out.fd, (off_t)L->out_size) < 0) {
		err = uz_error_errno(errno, "extending output");
		goto fail;
	}
	free(table);
	return uz_outfile_commit(&out);
fail:
	free(table);
	uz_outfile_abort(&out);
	return err;
}

/* Opens path, which must be the opened dump's own file (and, with
 * same_size, unchanged in size since it was opened), for writing in place. */
static struct uz_error *open_for_update(const struct uz_dump *d, const char *path, bool same_size, int *out)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return uz_error_errno(errno, "opening %s for in-place update", path);
	struct stat a, b;
	if (fstat(fd, &a) < 0 || fstat(d->src.fd, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino ||
	    (same_size && (uint64_t)a.st_size != d->src.file_size)) {
		close(fd);
		return uz_error_create(UZ_ERR_USAGE, "in-place update: %s is not the opened dump, or it changed", path);
	}
	*out = fd;
	return NULL;
}

/* Cost proportional to the patches, whatever the size of the dump.  Three
 * steps, each made durable before the next, so that a run stopped at any
 * moment (a signal, a crash, a power cut) leaves a dump that reads as a
 * dump and that the record describes:
 *   1. the added pages and the extra note (the rewrite record) are
 *      appended after the end of the file: nothing a reader sees changes,
 *      and a stop here truncates them away again;
 *   2. the grown program header table (the first phnum entries are the old
 *      ones, the notes at their new offset) with the notes slid forward, in
 *      one write, then the ELF header with the new e_phnum: from here on the
 *      added pages and the record are part of the dump, while every
 *      replaced page (the page tables) still holds its old bytes;
 *   3. the replaced pages, written where they are.  This step does not stop
 *      for signals; a crash inside it leaves some PTEs old and some new,
 *      which --verify recognises from the record and a second --in-place
 *      run completes (uz_dump_patch_words). */
static struct uz_error *write_in_place(struct uz_dump *d, const char *path,
				       const struct elf_layout *L,
				       const struct uz_page_patch *patches, size_t n_patches,
				       uz_patch_fill_fn *fill, void *fill_ctx,
				       const struct uz_dump_write_options *opts)
{
	bool durable = !opts->no_fsync;
	const struct uz_elf_state *e = &d->u.elf;
	int fd;
	UZ_TRY(open_for_update(d, path, true, &fd));
	struct uz_error *err = NULL;
	uint8_t *table = NULL, *front = NULL;
	bool appended = false;   /* step 1 begun: undo it on failure */
	size_t n_phdrs = 0;
	table = build_phdrs(d, L, patches, n_patches, &n_phdrs);
	uint64_t front_len = L->front_end - e->phoff;
	front = calloc(1, front_len);
	if (!table || !front) {
		err = uz_error_create(UZ_ERR_NOMEM, "program header table");
		goto out;
	}
	memcpy(front, table, n_phdrs * PHDR_SIZE);
	if (L->notes_moved &&
	    (err = uz_error_wrap(uz_source_read(&d->src, L->notes_from,
						   front + (L->notes_to - e->phoff), L->notes_size),
				    "reading the notes")))
		goto out;
	uint8_t ehdr[EHDR_SIZE];
	put_ehdr(d, L, n_phdrs, ehdr);
	appended = true;
	if ((err = write_pages(d, fd, L, patches, n_patches, fill, fill_ctx, true, PAGES_ADDED)))
		goto out;
	if (L->note_len && (err = write_note(fd, L, opts)))
		goto out;
	if ((durable && fsync(fd) < 0 && (err = uz_error_errno(errno, "fsync %s", path))) ||
	    (err = uz_interrupt_check()))
		goto out;
	appended = false;
	if ((err = uz_pwrite_all_uninterruptible(fd, front, front_len, e->phoff)) ||
	    (err = uz_pwrite_all_uninterruptible(fd, ehdr, EHDR_SIZE, 0)))
		goto out;
	if (durable && fsync(fd) < 0) {
		err = uz_error_errno(errno, "fsync %s", path);
		goto out;
	}
	if ((err = write_pages(d, fd, L, patches, n_patches, fill, fill_ctx, true, PAGES_REPLACED)))
		goto out;
	if (durable && fsync(fd) < 0)
		err = uz_error_errno(errno, "fsync %s", path);
out:
	/* Stopped in step 1: the file is cut back to what it was. */
	if (err && appended && ftruncate(fd, (off_t)d->src.file_size) == 0 && durable)
		fsync(fd);
	/* The opened view is stale now: drop cached pages. */
	memset(d->cache.valid, 0, sizeof(d->cache.valid));
	free(table);
	free(front);
	close(fd);
	return err;
}

struct uz_error *uz_elf_compare_header(struct uz_dump *in, struct uz_dump *out)
{
	const struct uz_elf_state *a = &in->u.elf, *b = &out->u.elf;
	for (size_t i = 0; i < EHDR_SIZE; i++) {
		bool layout = (i >= E_PHNUM && i < E_PHNUM + 2) || (i >= E_SHOFF && i < E_SHOFF + 8);
		if (!layout && a->ehdr[i] != b->ehdr[i])
			return uz_error_create(UZ_ERR_MISMATCH, "ELF header byte %zu differs (IN 0x%02x, OUT 0x%02x)",
					       i, a->ehdr[i], b->ehdr[i]);
	}
	/* Readers find the kernel and the direct map by these addresses. */
	for (size_t i = 0; i < a->n_loads; i++) {
		const struct uz_elf_load *l = &a->loads[i];
		bool found = false;
		for (size_t j = 0; j < b->n_loads && !found; j++)
			found = b->loads[j].paddr == l->paddr && b->loads[j].vaddr == l->vaddr &&
				b->loads[j].memsz == l->memsz;
		if (!found)
			return uz_error_create(UZ_ERR_MISMATCH,
					       "IN's PT_LOAD at physical 0x%llx, virtual 0x%llx, 0x%llx bytes is not in OUT",
					       (unsigned long long)l->paddr, (unsigned long long)l->vaddr,
					       (unsigned long long)l->memsz);
	}
	return NULL;
}

struct uz_error *uz_dump_patch_words(struct uz_dump *d, const char *path,
				     const struct uz_word_patch *words, size_t n)
{
	if (d->ops != &uz_elf_ops || d->src.flattened)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "%s: words can be patched in place in ELF dumps only", path);
	const struct uz_elf_state *e = &d->u.elf;
	int fd;
	UZ_TRY(open_for_update(d, path, false, &fd));
	struct uz_error *err = NULL;
	for (size_t i = 0; i < n && !err; i++) {
		uint8_t le[8];
		uz_put_le64(le, words[i].value);
		uint64_t pa = words[i].paddr, written = 0;
		for (size_t j = first_load_after(e, pa); j < e->n_loads && e->loads[j].paddr <= pa && !err; j++) {
			const struct uz_elf_load *l = &e->loads[j];
			if (pa + 8 > l->paddr + l->filesz)
				continue;
			err = uz_pwrite_all_uninterruptible(fd, le, 8, l->offset + (pa - l->paddr));
			written++;
		}
		if (!err && !written)
			err = uz_error_create(UZ_ERR_FAULT, "physical 0x%llx is not stored in %s",
					      (unsigned long long)pa, path);
	}
	if (!err && fsync(fd) < 0)
		err = uz_error_errno(errno, "fsync %s", path);
	memset(d->cache.valid, 0, sizeof(d->cache.valid));
	close(fd);
	return err;
}

static struct uz_error *elf_write(struct uz_dump *d, const char *out_path,
				  const struct uz_page_patch *patches, size_t n_patches,
				  uz_patch_fill_fn *fill, void *fill_ctx,
				  const struct uz_dump_write_options *opts)
{
	struct elf_layout L;
	struct uz_error *err = plan_layout(d, patches, n_patches, opts,
					   opts->in_place && !d->src.flattened, &L);
	if (!err) {
		if (L.in_place) {
			err = write_in_place(d, out_path, &L, patches, n_patches, fill, fill_ctx, opts);
		} else {
			if (opts->in_place && opts->fell_back)
				*opts->fell_back = true;
			err = write_streaming(d, out_path, &L, patches, n_patches, fill, fill_ctx, opts);
		}
	}
	free(L.blocks);
	free(L.shdrs);
	free(L.kind);
	free(L.fill_off);
	return err;
}

const struct uz_dump_ops uz_elf_ops = {
	.name = "ELF",
	.page_state = elf_page_state,
	.read_page = elf_read_page,
	.next_pfn = elf_next_pfn,
	.write = elf_write,
	.fini = elf_fini,
};
