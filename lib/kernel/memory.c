/* memory.c - kernel virtual reads: translation (linear regions, then a
 * cached walk of the kernel page tables), typed reads, member reads, user
 * page-table walks, and the visited-address set used against cycles. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void uz_kernel_tlb_flush(struct uz_kernel *k)
{
	memset(k->tlb, 0, sizeof(k->tlb));
}

struct uz_error *uz_kernel_vtop(struct uz_kernel *k, uint64_t vaddr, uint64_t *paddr)
{
	if (k->arch->kvtop_linear(k, vaddr, paddr))
		return NULL;
	uint64_t vpage = vaddr >> k->page_shift;
	uint64_t page_mask = k->page_size - 1;
	struct uz_tlb_entry *e = &k->tlb[(vpage ^ (vpage >> 9)) % UZ_TLB_SIZE];
	if (e->vpage == vpage + 1) {
		*paddr = e->ppage | (vaddr & page_mask);
		return NULL;
	}
	UZ_TRY(uz_pgtable_translate(&k->kfmt, &k->phys, k->kernel_root, vaddr, paddr, NULL));
	e->vpage = vpage + 1;
	e->ppage = *paddr & ~page_mask;
	return NULL;
}

struct uz_error *uz_kernel_read(struct uz_kernel *k, uint64_t vaddr, void *buf, size_t len)
{
	unsigned char *out = buf;
	while (len) {
		uint64_t in_page = k->page_size - (vaddr & (k->page_size - 1));
		size_t chunk = len < in_page ? len : (size_t)in_page;
		uint64_t paddr;
		struct uz_error *err = uz_kernel_vtop(k, vaddr, &paddr);
		if (!err)
			err = k->phys.read(k->phys.ctx, paddr, out, chunk);
		if (err)
			return uz_error_wrap(err, "reading %zu bytes at kernel address 0x%" PRIx64, chunk,
					     vaddr);
		out += chunk;
		vaddr += chunk;
		len -= chunk;
	}
	return NULL;
}

struct uz_error *uz_kernel_read_u64(struct uz_kernel *k, uint64_t vaddr, uint64_t *val)
{
	return uz_kernel_read(k, vaddr, val, sizeof(*val));
}

struct uz_error *uz_kernel_read_u32(struct uz_kernel *k, uint64_t vaddr, uint32_t *val)
{
	return uz_kernel_read(k, vaddr, val, sizeof(*val));
}

struct uz_error *uz_kernel_read_string(struct uz_kernel *k, uint64_t vaddr, char *buf, size_t max)
{
	if (max == 0)
		return uz_error_create(UZ_ERR_USAGE, "reading a string into an empty buffer");
	size_t done = 0;
	while (done + 1 < max) {
		uint64_t in_page = k->page_size - ((vaddr + done) & (k->page_size - 1));
		size_t chunk = max - 1 - done;
		if (chunk > in_page)
			chunk = (size_t)in_page;
		UZ_TRY(uz_kernel_read(k, vaddr + done, buf + done, chunk));
		void *nul = memchr(buf + done, '\0', chunk);
		if (nul)
			return NULL;
		done += chunk;
	}
	buf[max - 1] = '\0';  /* truncated to the buffer */
	return NULL;
}

struct uz_error *uz_kernel_read_member_raw(struct uz_kernel *k, uint64_t addr, const struct uz_member *m,
					   uint64_t *val)
{
	if (m->size == 0 || m->size > 8)
		return uz_error_create(UZ_ERR_USAGE, "member of %" PRIu64 " bytes is not a scalar", m->size);
	uint8_t bytes[8] = { 0 };
	UZ_TRY(uz_kernel_read(k, addr + m->offset, bytes, (size_t)m->size));
	uint64_t v = 0;
	for (size_t i = 0; i < m->size; i++)
		v |= (uint64_t)bytes[i] << (8 * i);  /* both architectures are little endian */
	if (m->bit_size) {
		v >>= m->bit_offset;
		if (m->bit_size < 64)
			v &= (1ULL << m->bit_size) - 1;
	}
	*val = v;
	return NULL;
}

struct uz_error *uz_kernel_read_member(struct uz_kernel *k, uint64_t addr, const char *type,
				       const char *member, uint64_t *val)
{
	struct uz_member m;
	UZ_TRY(uz_kernel_member(k, type, member, &m));
	return uz_error_wrap(uz_kernel_read_member_raw(k, addr, &m, val), "%s.%s at 0x%" PRIx64, type,
			     member, addr);
}

/* ---- user page tables ---- */

static struct uz_error *user_root(struct uz_kernel *k, uint64_t mm, uint64_t *root)
{
	uint64_t pgd;
	UZ_TRY(uz_kernel_read_member(k, mm, "struct mm_struct", "pgd", &pgd));
	if (!pgd)
		return uz_error_create(UZ_ERR_FAULT, "mm 0x%" PRIx64 " has no page tables (pgd is NULL)", mm);
	return uz_error_wrap(uz_kernel_vtop(k, pgd, root), "page tables of mm 0x%" PRIx64, mm);
}

struct walk_ctx {
	uz_pte_fn *cb;
	void *ctx;
};

static struct uz_error *walk_adapter(void *ctx, uint64_t vaddr, uint64_t pte_paddr, uint64_t pte)
{
	struct walk_ctx *w = ctx;
	struct uz_pte_ref ref = { .vaddr = vaddr, .pte_paddr = pte_paddr, .pte = pte };
	return w->cb(w->ctx, &ref);
}

struct uz_error *uz_kernel_walk_ptes(struct uz_kernel *k, uint64_t mm,
				     uint64_t start, uint64_t end, uz_pte_fn *cb, void *ctx)
{
	uint64_t root;
	UZ_TRY(user_root(k, mm, &root));
	struct walk_ctx w = { cb, ctx };
	return uz_error_wrap(uz_pgtable_walk(&k->ufmt, &k->phys, root, start, end, walk_adapter, &w),
			     "walking the page tables of mm 0x%" PRIx64, mm);
}

struct uz_error *uz_kernel_user_vtop(struct uz_kernel *k, uint64_t mm, uint64_t vaddr,
				     struct uz_pte_ref *ref)
{
	uint64_t root;
	UZ_TRY(user_root(k, mm, &root));
	if (vaddr >= uz_pgtable_va_span(&k->ufmt))
		return uz_error_create(UZ_ERR_USAGE, "0x%" PRIx64 " is not a user address", vaddr);
	/* Walk down to the last level by hand so that a non-present PTE (swap
	 * entry) is still reported with its location. */
	const struct uz_pgtable_format *fmt = &k->ufmt;
	uint64_t table = root;
	for (unsigned level = 0; level < fmt->levels; level++) {
		uint64_t index = (vaddr >> fmt->shift[level]) & ((1ULL << fmt->bits[level]) - 1);
		uint64_t entry_addr = table + index * 8;
		uint64_t entry;
		UZ_TRY(uz_error_wrap(k->phys.read(k->phys.ctx, entry_addr, &entry, 8),
				     "user page table of mm 0x%" PRIx64, mm));
		if (level == fmt->levels - 1) {
			ref->vaddr = vaddr & ~(k->page_size - 1);
			ref->pte_paddr = entry_addr;
			ref->pte = entry;
			return NULL;
		}
		enum uz_pgtable_entry kind = fmt->classify(fmt, level, entry);
		if (kind == UZ_PGT_INVALID)
			return uz_error_create(UZ_ERR_FAULT,
					       "0x%" PRIx64 " is not mapped in mm 0x%" PRIx64 " (level %u entry 0x%" PRIx64 ")",
					       vaddr, mm, level, entry);
		if (kind == UZ_PGT_LEAF) {
			/* A huge page: report the upper-level entry itself. */
			ref->vaddr = vaddr & ~((1ULL << fmt->shift[level]) - 1);
			ref->pte_paddr = entry_addr;
			ref->pte = entry;
			return NULL;
		}
		table = fmt->address(fmt, entry);
	}
	return uz_error_create(UZ_ERR_FORMAT, "page-table format without levels");
}

/* ---- visited-address set ---- */

void uz_addr_set_init(struct uz_addr_set *s)
{
	memset(s, 0, sizeof(*s));
}

void uz_addr_set_free(struct uz_addr_set *s)
{
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

static size_t addr_hash(uint64_t a, size_t mask)
{
	a ^= a >> 33;
	a *= 0xff51afd7ed558ccdULL;
	a ^= a >> 33;
	return (size_t)a & mask;
}

struct uz_error *uz_addr_set_add(struct uz_addr_set *s, uint64_t addr, bool *seen)
{
	uint64_t key = addr ? addr : 1;  /* 0 marks an empty slot; 1 is never a real object */
	if ((s->count + 1) * 2 > s->capacity) {
		size_t cap = s->capacity ? s->capacity * 2 : 256;
		uint64_t *slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return uz_error_create(UZ_ERR_NOMEM, "growing a visited set to %zu entries", cap);
		for (size_t i = 0; i < s->capacity; i++) {
			if (!s->slots[i])
				continue;
			size_t j = addr_hash(s->slots[i], cap - 1);
			while (slots[j])
				j = (j + 1) & (cap - 1);
			slots[j] = s->slots[i];
		}
		free(s->slots);
		s->slots = slots;
		s->capacity = cap;
	}
	size_t j = addr_hash(key, s->capacity - 1);
	while (s->slots[j]) {
		if (s->slots[j] == key) {
			*seen = true;
			return NULL;
		}
		j = (j + 1) & (s->capacity - 1);
	}
	s->slots[j] = key;
	s->count++;
	*seen = false;
	return NULL;
}
