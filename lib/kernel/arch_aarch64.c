/* arch_aarch64.c - arm64: 4K/16K/64K granules, 2 to 5 levels from VA_BITS,
 * 48- and 52-bit output addresses, kimage_voffset, and the PTE rules per
 * kernel version (kernel-facts §1.2, §1.5). */
#include <inttypes.h>
#include <string.h>

#include "internal.h"

/* Descriptor bits (arch/arm64/include/asm/pgtable-hwdef.h, pgtable-prot.h). */
#define A64_VALID      (1ULL << 0)
#define A64_TABLE_PAGE (1ULL << 1)     /* bits 1:0 = 11: table (upper) / page (last) */
#define A64_USER       (1ULL << 6)     /* AP[1] */
#define A64_RDONLY     (1ULL << 7)     /* AP[2] */
#define A64_SHARED     (3ULL << 8)     /* inner shareable (not with LPA2) */
#define A64_AF         (1ULL << 10)
#define A64_NG         (1ULL << 11)
#define A64_WRITE      (1ULL << 51)    /* PTE_DBM */
#define A64_PXN        (1ULL << 53)
#define A64_UXN        (1ULL << 54)
#define A64_DIRTY      (1ULL << 55)    /* software */
#define A64_PROT_NONE  (1ULL << 58)    /* software, up to 6.9 */
#define A64_PRESENT_INVALID (1ULL << 11) /* 6.10+: overlays nG when VALID = 0 */

static uint64_t genmask(unsigned hi, unsigned lo)
{
	return (~0ULL >> (63 - hi)) & (~0ULL << lo);
}

/* Swap PTE layouts (kernel-facts §1.2).  Same for every granule. */
static const struct uz_swap_layout a64_swap_layouts[] = {
	{ "arm64 type 2-7, offset 8-57", UZ_KERNEL_VERSION(0, 0, 0),
	  2, 6, 8, 50, false, 0, A64_VALID | A64_PROT_NONE,
	  "4.4, 4.14, 5.4, 5.10, 5.15 arch/arm64/include/asm/pgtable.h" },
	{ "arm64 type 3-7, offset 8-57 (bit 2 exclusive)", UZ_KERNEL_VERSION(5, 19, 0),
	  3, 5, 8, 50, false, 0, A64_VALID | A64_PROT_NONE,
	  "6.1 .. 6.9 pgtable.h; upstream 570ef363509b (5.19), crash c9a732d" },
	{ "arm64 type 6-10, offset 12-61 (bit 11 present-invalid)", UZ_KERNEL_VERSION(6, 10, 0),
	  6, 5, 12, 50, false, 0, A64_VALID | A64_PRESENT_INVALID,
	  "6.10 .. 7.1 pgtable.h, 7.3 (Debian linux-source-7.3 7.3.4: __SWP_TYPE_SHIFT 6, __SWP_OFFSET_SHIFT 12, bit 11 PTE_PRESENT_INVALID); upstream 55564814a838, crash d118315" },
};

/* MT_NORMAL, the AttrIndx of normal memory (arch/arm64/include/asm/memory.h):
 * 4 in 4.14, 4.19, 5.4 [read]; 0 in 5.10 and later [read].  5.5-5.9 were not
 * read; 5.10 is used as the boundary. */
struct a64_mt_normal_row {
	uint32_t first_version;
	unsigned mt_normal;
};
static const struct a64_mt_normal_row a64_mt_normal_rows[] = {
	{ UZ_KERNEL_VERSION(0, 0, 0), 4 },
	{ UZ_KERNEL_VERSION(5, 10, 0), 0 },
};

static enum uz_pgtable_entry a64_classify(const struct uz_pgtable_format *fmt, unsigned level,
					  uint64_t entry)
{
	if (!(entry & A64_VALID))
		return UZ_PGT_INVALID;
	bool bit1 = (entry & A64_TABLE_PAGE) != 0;
	if (level == fmt->levels - 1)
		return bit1 ? UZ_PGT_LEAF : UZ_PGT_INVALID;  /* 01 is reserved at level 3 */
	return bit1 ? UZ_PGT_TABLE : UZ_PGT_LEAF;           /* 01: block */
}

static uint64_t a64_address_of(enum uz_arm64_pa_layout pa, unsigned page_shift, uint64_t entry)
{
	switch (pa) {
	case UZ_ARM64_PA_52_64K:
		return (entry & genmask(47, 16)) | (((entry >> 12) & 0xf) << 48);
	case UZ_ARM64_PA_52_LPA2:
		return (entry & genmask(49, page_shift)) | (((entry >> 8) & 0x3) << 50);
	case UZ_ARM64_PA_48:
	default:
		return entry & genmask(47, page_shift);
	}
}

static uint64_t a64_address_field(enum uz_arm64_pa_layout pa, unsigned page_shift)
{
	switch (pa) {
	case UZ_ARM64_PA_52_64K:
		return genmask(47, 12);
	case UZ_ARM64_PA_52_LPA2:
		return genmask(49, page_shift) | genmask(9, 8);
	case UZ_ARM64_PA_48:
	default:
		return genmask(47, page_shift);
	}
}

static uint64_t a64_encode_address(enum uz_arm64_pa_layout pa, unsigned page_shift, uint64_t paddr)
{
	switch (pa) {
	case UZ_ARM64_PA_52_64K:
		return (paddr & genmask(47, 16)) | (((paddr >> 48) & 0xf) << 12);
	case UZ_ARM64_PA_52_LPA2:
		return (paddr & genmask(49, page_shift)) | (((paddr >> 50) & 0x3) << 8);
	case UZ_ARM64_PA_48:
	default:
		return paddr & genmask(47, page_shift);
	}
}

static uint64_t a64_address(const struct uz_pgtable_format *fmt, uint64_t entry)
{
	return a64_address_of((enum uz_arm64_pa_layout)fmt->arm64_pa_layout, fmt->page_shift, entry);
}

struct uz_error *uz_aarch64_pgtable_format(unsigned page_shift, unsigned va_bits,
					   enum uz_arm64_pa_layout pa, struct uz_pgtable_format *out)
{
	memset(out, 0, sizeof(*out));
	if (page_shift != 12 && page_shift != 14 && page_shift != 16)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "arm64 page size 2^%u", page_shift);
	if (va_bits < page_shift + 8 || va_bits > 52)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "arm64 VA_BITS %u with 2^%u pages", va_bits,
				       page_shift);
	if (pa == UZ_ARM64_PA_52_64K && page_shift != 16)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "52-bit PA without LPA2 needs 64K pages");
	if (pa == UZ_ARM64_PA_52_LPA2 && page_shift == 16)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "LPA2 is for 4K/16K pages");
	unsigned per_level = page_shift - 3;
	/* ARM64_HW_PGTABLE_LEVELS(va_bits) = (va_bits - 4) / (PAGE_SHIFT - 3) */
	unsigned levels = (va_bits - 4) / per_level;
	if (levels < 2 || levels > UZ_PGTABLE_MAX_LEVELS)
		return uz_error_create(UZ_ERR_UNSUPPORTED, "arm64 VA_BITS %u with 2^%u pages gives %u levels",
				       va_bits, page_shift, levels);
	static const char *const names[3] = { "arm64 4K", "arm64 16K", "arm64 64K" };
	out->name = names[(page_shift - 12) / 2];
	out->page_shift = page_shift;
	out->levels = levels;
	for (unsigned i = 0; i < levels; i++) {
		out->shift[i] = page_shift + per_level * (levels - 1 - i);
		out->bits[i] = per_level;
	}
	out->bits[0] = va_bits - out->shift[0];
	out->classify = a64_classify;
	out->address = a64_address;
	out->arm64_pa_layout = pa;
	return NULL;
}

static struct uz_error *a64_number(struct uz_kernel *k, const char *name, bool required,
				   uint64_t dflt, uint64_t *value)
{
	struct uz_error *err = uz_vmci_named(k->vmci, "NUMBER", name, value);
	if (err && err->code == UZ_ERR_NOT_FOUND && !required) {
		uz_error_destroy(err);
		*value = dflt;
		return NULL;
	}
	return err ? uz_error_wrap(err, "arm64") : NULL;
}

static bool a64_kvtop_linear(const struct uz_kernel *k, uint64_t vaddr, uint64_t *paddr)
{
	const struct uz_aarch64_state *a = &k->as.arm64;
	/* The kernel image: __kimg_to_phys(x) = x - kimage_voffset.  The linear
	 * map's placement changed several times (5.4 flip, 52-bit VA): it is
	 * translated by walking swapper_pg_dir, which is always right. */
	if (a->have_image_range && vaddr >= a->image_start && vaddr < a->image_end) {
		*paddr = vaddr - a->kimage_voffset;
		return true;
	}
	return false;
}

static struct uz_error *a64_init(struct uz_kernel *k)
{
	struct uz_aarch64_state *a = &k->as.arm64;
	unsigned page_shift = k->page_shift;
	uint64_t v;
	UZ_TRY(a64_number(k, "VA_BITS", true, 0, &v));
	if (v < 36 || v > 52)
		return uz_error_create(UZ_ERR_FORMAT, "arm64 VMCOREINFO VA_BITS=%" PRIu64, v);
	a->va_bits = (unsigned)v;
	UZ_TRY(a64_number(k, "kimage_voffset", true, 0, &a->kimage_voffset));
	UZ_TRY(a64_number(k, "PHYS_OFFSET", false, 0, &a->phys_offset));
	UZ_TRY(a64_number(k, "MAX_PHYSMEM_BITS", false, 48, &v));
	a->pa_layout = v < 52 ? UZ_ARM64_PA_48 : page_shift == 16 ? UZ_ARM64_PA_52_64K
								    : UZ_ARM64_PA_52_LPA2;
	UZ_TRY(uz_aarch64_pgtable_format(page_shift, a->va_bits, a->pa_layout, &k->kfmt));
	k->kfmt.max_tables = k->max_pfn;
	k->ufmt = k->kfmt;

	uint64_t text, end;
	bool have_text = false, have_end = false;
	UZ_TRY(uz_kernel_find_symbol(k, "_text", &text, &have_text));
	if (have_text)
		UZ_TRY(uz_kernel_find_symbol(k, "_end", &end, &have_end));
	if (have_text && have_end && text < end) {
		a->have_image_range = true;
		a->image_start = text;
		a->image_end = end;
	}
	uint64_t root_va;
	struct uz_error *err = uz_vmci_symbol(k->vmci, "swapper_pg_dir", &root_va);
	if (err) {
		uz_error_destroy(err);
		bool found = false;
		UZ_TRY(uz_kernel_find_symbol(k, "swapper_pg_dir", &root_va, &found));
		if (!found)
			return uz_error_create(UZ_ERR_NOT_FOUND,
					       "arm64: neither VMCOREINFO nor the symbols give swapper_pg_dir");
	}
	k->kernel_root = root_va - a->kimage_voffset;

	size_t n = sizeof(a64_swap_layouts) / sizeof(a64_swap_layouts[0]);
	k->swap = uz_swap_layout_select(a64_swap_layouts, n, k->version);
	a->mt_normal = a64_mt_normal_rows[0].mt_normal;
	for (size_t i = 0; i < sizeof(a64_mt_normal_rows) / sizeof(a64_mt_normal_rows[0]); i++)
		if (k->version >= a64_mt_normal_rows[i].first_version)
			a->mt_normal = a64_mt_normal_rows[i].mt_normal;
	return NULL;
}

static struct uz_error *a64_init_late(struct uz_kernel *k)
{
	(void)k;
	return NULL;
}

static bool a64_vmemmap(struct uz_kernel *k, uint64_t *vmemmap)
{
	/* 6.x: vmemmap = (struct page *)VMEMMAP_START - (memstart_addr >> PAGE_SHIFT);
	 * VMEMMAP_START is in VMCOREINFO only from the kernels that export it. */
	uint64_t start;
	struct uz_error *err = uz_vmci_named(k->vmci, "NUMBER", "VMEMMAP_START", &start);
	if (err || !k->sizeof_page) {
		uz_error_destroy(err);
		return false;
	}
	*vmemmap = start - (k->as.arm64.phys_offset >> k->page_shift) * k->sizeof_page;
	return true;
}

static void a64_pte_decode(const struct uz_kernel *k, uint64_t pte, struct uz_pte_info *out)
{
	memset(out, 0, sizeof(*out));
	if (pte == 0) {
		out->kind = UZ_PTE_NONE;
		return;
	}
	uint64_t present_mask = k->swap ? k->swap->present_mask : A64_VALID;
	if (pte & present_mask) {
		out->kind = UZ_PTE_PRESENT;
		out->pfn = a64_address_of(k->as.arm64.pa_layout, k->page_shift, pte) >> k->page_shift;
		out->writable = (pte & A64_WRITE) != 0;
		return;
	}
	if (!k->swap || !uz_swap_layout_decode(k->swap, pte, &out->swap_type, &out->swap_offset)) {
		out->kind = UZ_PTE_OTHER;
		return;
	}
	out->kind = UZ_PTE_SWAP;
}

static uint64_t a64_pte_make_present(const struct uz_kernel *k, uint64_t pfn, uint64_t vm_flags,
				     uint64_t template_pte)
{
	const struct uz_aarch64_state *a = &k->as.arm64;
	uint64_t addr = a64_encode_address(a->pa_layout, k->page_shift, pfn << k->page_shift);
	if ((template_pte & (A64_VALID | A64_TABLE_PAGE)) == (A64_VALID | A64_TABLE_PAGE)) {
		uint64_t field = a64_address_field(a->pa_layout, k->page_shift);
		return (template_pte & ~field) | addr | A64_AF;
	}
	uint64_t pte = A64_VALID | A64_TABLE_PAGE | ((uint64_t)a->mt_normal << 2) | A64_USER | A64_AF |
		       A64_NG | A64_PXN | addr;
	if (a->pa_layout != UZ_ARM64_PA_52_LPA2)
		pte |= A64_SHARED;
	if (!(vm_flags & UZ_VM_EXEC))
		pte |= A64_UXN;
	if (vm_flags & UZ_VM_WRITE)
		pte |= A64_WRITE | A64_DIRTY;   /* writable and dirty: RDONLY clear */
	else
		pte |= A64_RDONLY;
	return pte;
}

static uint64_t a64_pte_make_swap(const struct uz_kernel *k, uint32_t type, uint64_t offset)
{
	return k->swap ? uz_swap_layout_encode(k->swap, type, offset) : 0;
}

const struct uz_arch_ops uz_arch_aarch64 = {
	.arch = UZ_ARCH_AARCH64,
	.name = "arm64",
	.init = a64_init,
	.init_late = a64_init_late,
	.kvtop_linear = a64_kvtop_linear,
	.vmemmap = a64_vmemmap,
	.pte_decode = a64_pte_decode,
	.pte_make_present = a64_pte_make_present,
	.pte_make_swap = a64_pte_make_swap,
};
