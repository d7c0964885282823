/* arch_x86_64.c - x86_64: 4- and 5-level paging, KASLR, the direct map,
 * and the PTE rules per kernel version (kernel-facts §1.1, §1.5). */
#include <inttypes.h>
#include <string.h>

#include "internal.h"

/* PTE bits (arch/x86/include/asm/pgtable_types.h, identical 4.4 .. 7.1). */
#define X86_P        (1ULL << 0)
#define X86_RW       (1ULL << 1)
#define X86_US       (1ULL << 2)
#define X86_A        (1ULL << 5)
#define X86_D        (1ULL << 6)
#define X86_PSE      (1ULL << 7)
#define X86_PROTNONE (1ULL << 8)   /* = _PAGE_GLOBAL, meaningful only when P = 0 */
#define X86_NX       (1ULL << 63)
/* __PHYSICAL_MASK_SHIFT 52: PFN bits 12..51. */
#define X86_PFN_MASK 0x000ffffffffff000ULL

/* __START_KERNEL_map (arch/x86/include/asm/page_64_types.h, all versions). */
#define X86_START_KERNEL_MAP 0xffffffff80000000ULL
/* KERNEL_IMAGE_SIZE when VMCOREINFO does not say (512 MiB without KASLR). */
#define X86_DEFAULT_IMAGE_SIZE (512ULL << 20)

/* Swap PTE layouts (kernel-facts §1.1).  Selected by version; a kernel with
 * the symbol l1tf_mitigation uses C whatever its version (stable backports). */
static const struct uz_swap_layout x86_swap_layouts[] = {
	{ "x86_64 A (type 1-5, offset 9-63)", UZ_KERNEL_VERSION(0, 0, 0),
	  1, 5, 9, 55, false, 0, X86_P | X86_PROTNONE,
	  "4.4.121 arch/x86/include/asm/pgtable_64.h" },
	{ "x86_64 B (type 9-13, offset 15-63)", UZ_KERNEL_VERSION(4, 6, 0),
	  9, 5, 15, 49, false, 0, X86_P | X86_PROTNONE,
	  "upstream 00839ee3b299 (4.6), per the 4.4-stable queue; off-by-one offset macro" },
	{ "x86_64 B' (type 9-13, offset 14-63)", UZ_KERNEL_VERSION(4, 8, 0),
	  9, 5, 14, 50, false, 0, X86_P | X86_PROTNONE,
	  "x86-mm-fix-swap-entry-comment-and-macro (4.8); crash 3fcb69b" },
	{ "x86_64 C (L1TF: type 59-63, ~offset 9-58)", UZ_KERNEL_VERSION(4, 18, 1),
	  59, 5, 9, 50, true, X86_PSE, X86_P | X86_PROTNONE,
	  "4.19.78 .. 7.1, 7.3 (Debian linux-source-7.3 7.3.4) arch/x86/include/asm/pgtable_64.h (4.18.1 stable, backports)" },
};

void uz_x86_64_pgtable_format(bool la57, uint64_t sme_mask, struct uz_pgtable_format *out);

static enum uz_pgtable_entry x86_classify(const struct uz_pgtable_format *fmt, unsigned level,
					  uint64_t entry)
{
	if (!(entry & X86_P))
		return UZ_PGT_INVALID;
	if (level == fmt->levels - 1)
		return UZ_PGT_LEAF;
	/* PSE makes a 1 GiB (PUD) or 2 MiB (PMD) leaf; on PGD/P4D it is reserved. */
	if ((entry & X86_PSE) && level + 3 >= fmt->levels)
		return UZ_PGT_LEAF;
	return UZ_PGT_TABLE;
}

static uint64_t x86_address(const struct uz_pgtable_format *fmt, uint64_t entry)
{
	return entry & fmt->addr_mask;
}

void uz_x86_64_pgtable_format(bool la57, uint64_t sme_mask, struct uz_pgtable_format *out)
{
	memset(out, 0, sizeof(*out));
	out->name = la57 ? "x86_64 5-level" : "x86_64 4-level";
	out->page_shift = 12;
	out->levels = la57 ? 5 : 4;
	for (unsigned i = 0; i < out->levels; i++) {
		out->shift[i] = 12 + 9 * (out->levels - 1 - i);
		out->bits[i] = 9;
	}
	out->classify = x86_classify;
	out->address = x86_address;
	out->addr_mask = X86_PFN_MASK & ~sme_mask;
}

static struct uz_error *x86_optional_number(struct uz_kernel *k, const char *key, uint64_t dflt,
					    uint64_t *value)
{
	struct uz_error *err = uz_vmci_number(k->vmci, key, value);
	if (err && err->code == UZ_ERR_NOT_FOUND) {
		uz_error_destroy(err);
		*value = dflt;
		return NULL;
	}
	return err;
}

static bool x86_kvtop_linear(const struct uz_kernel *k, uint64_t vaddr, uint64_t *paddr)
{
	const struct uz_x86_64_state *x = &k->as.x86;
	if (vaddr >= X86_START_KERNEL_MAP && vaddr - X86_START_KERNEL_MAP < x->image_size) {
		*paddr = vaddr - X86_START_KERNEL_MAP + x->phys_base;
		return true;
	}
	if (x->have_direct_map && vaddr >= x->page_offset_base &&
	    vaddr - x->page_offset_base < x->direct_map_size) {
		*paddr = vaddr - x->page_offset_base;
		return true;
	}
	return false;
}

static struct uz_error *x86_init(struct uz_kernel *k)
{
	struct uz_x86_64_state *x = &k->as.x86;
	if (k->page_size != 4096)
		return uz_error_create(UZ_ERR_FORMAT, "x86_64 dump with a page size of %" PRIu64,
				       k->page_size);
	uint64_t v;
	UZ_TRY(x86_optional_number(k, "NUMBER(pgtable_l5_enabled)", 0, &v));
	x->la57 = v != 0;
	struct uz_error *err = uz_vmci_number(k->vmci, "NUMBER(phys_base)", &x->phys_base);
	if (err)
		return uz_error_wrap(err, "x86_64 needs phys_base to read the kernel image");
	UZ_TRY(x86_optional_number(k, "NUMBER(KERNEL_IMAGE_SIZE)", X86_DEFAULT_IMAGE_SIZE,
				   &x->image_size));
	UZ_TRY(x86_optional_number(k, "NUMBER(sme_mask)", 0, &x->sme_mask));
	x->nx = true;  /* refined in init_late from __supported_pte_mask */

	uz_x86_64_pgtable_format(x->la57, x->sme_mask, &k->kfmt);
	k->kfmt.max_tables = k->max_pfn;
	k->ufmt = k->kfmt;
	k->ufmt.bits[0] = 8;  /* the lower half of the PGD is user space */

	/* Root: init_top_pgt (4.13+ name) or init_level4_pgt, runtime address. */
	uint64_t root_va = 0;
	static const char *const root_names[] = { "init_top_pgt", "init_level4_pgt" };
	for (size_t i = 0; i < 2 && !root_va; i++) {
		err = uz_vmci_symbol(k->vmci, root_names[i], &root_va);
		if (err) {
			uz_error_destroy(err);
			root_va = 0;
			uint64_t link;
			if (k->types.ops && k->types.ops->symbol(k->types.impl, root_names[i], &link) == NULL)
				root_va = link + k->kaslr_offset;
		}
	}
	if (!root_va)
		return uz_error_create(UZ_ERR_NOT_FOUND,
				       "x86_64: neither VMCOREINFO nor the symbols give init_top_pgt");
	if (!x86_kvtop_linear(k, root_va, &k->kernel_root))
		return uz_error_create(UZ_ERR_FORMAT, "x86_64: init_top_pgt 0x%" PRIx64
				       " is outside the kernel image", root_va);

	/* Swap layout: by version, or C if the kernel knows about L1TF. */
	k->swap = uz_swap_layout_select(x86_swap_layouts,
					sizeof(x86_swap_layouts) / sizeof(x86_swap_layouts[0]),
					k->version);
	uint64_t l1tf;
	bool knows_l1tf = false;
	if (k->swap != &x86_swap_layouts[3])
		UZ_TRY(uz_kernel_find_symbol(k, "l1tf_mitigation", &l1tf, &knows_l1tf));
	if (knows_l1tf)
		k->swap = &x86_swap_layouts[3];
	x->protnone_inverted = k->swap->offset_inverted;
	return NULL;
}

static struct uz_error *x86_init_late(struct uz_kernel *k)
{
	struct uz_x86_64_state *x = &k->as.x86;
	uint64_t addr;
	bool found;
	/* page_offset_base is a variable with CONFIG_DYNAMIC_MEMORY_LAYOUT
	 * (RANDOMIZE_MEMORY or 5-level); without it everything outside the
	 * image is translated by walking init_top_pgt, which is always right. */
	UZ_TRY(uz_kernel_find_symbol(k, "page_offset_base", &addr, &found));
	if (found) {
		uint64_t base;
		UZ_TRY(uz_kernel_read_u64(k, addr, &base));
		uint64_t bits = 0;
		if (uz_vmci_number(k->vmci, "NUMBER(MAX_PHYSMEM_BITS)", &bits) != NULL || bits == 0 ||
		    bits > 52)
			bits = x->la57 ? 52 : 46;
		x->page_offset_base = base;
		x->direct_map_size = 1ULL << bits;
		x->have_direct_map = true;
		uz_kernel_tlb_flush(k);
	}
	UZ_TRY(uz_kernel_find_symbol(k, "__supported_pte_mask", &addr, &found));
	if (found) {
		uint64_t mask;
		UZ_TRY(uz_error_wrap(uz_kernel_read_u64(k, addr, &mask), "reading __supported_pte_mask"));
		x->nx = (mask & X86_NX) != 0;
	}
	return NULL;
}

static bool x86_vmemmap(struct uz_kernel *k, uint64_t *vmemmap)
{
	uint64_t addr;
	bool found = false;
	/* Absent or unreadable, pfn.c takes mem_section instead: another
	 * complete way to the same struct pages, not a guess. */
	struct uz_error *err = uz_kernel_find_symbol(k, "vmemmap_base", &addr, &found);
	if (err || !found) {
		uz_error_destroy(err);
		return false;
	}
	err = uz_kernel_read_u64(k, addr, vmemmap);
	if (!err)
		return true;
	uz_error_destroy(err);
	return false;
}

static void x86_pte_decode(const struct uz_kernel *k, uint64_t pte, struct uz_pte_info *out)
{
	memset(out, 0, sizeof(*out));
	/* pte_none ignores A/D: a KNL erratum sets them on non-present PTEs. */
	if ((pte & ~(X86_A | X86_D)) == 0) {
		out->kind = UZ_PTE_NONE;
		return;
	}
	if (pte & (X86_P | X86_PROTNONE)) {
		uint64_t v = pte;
		/* L1TF: a PROT_NONE PTE holds the inverted PFN (pgtable-invert.h). */
		if (!(pte & X86_P) && k->as.x86.protnone_inverted)
			v = ~v;
		out->kind = UZ_PTE_PRESENT;
		out->pfn = (v & X86_PFN_MASK & ~k->as.x86.sme_mask) >> 12;
		out->writable = (pte & X86_P) && (pte & X86_RW);
		return;
	}
	if (!k->swap || !uz_swap_layout_decode(k->swap, pte, &out->swap_type, &out->swap_offset)) {
		out->kind = UZ_PTE_OTHER;
		return;
	}
	out->kind = UZ_PTE_SWAP;
}

static uint64_t x86_pte_make_present(const struct uz_kernel *k, uint64_t pfn, uint64_t vm_flags,
				     uint64_t template_pte)
{
	const struct uz_x86_64_state *x = &k->as.x86;
	uint64_t frame = (pfn << 12) & X86_PFN_MASK & ~x->sme_mask;
	if (template_pte & X86_P) {
		/* Keep every attribute bit of the template (PAT, C-bit, NX, soft
		 * bits); replace only the frame.  D only on a writable PTE: W=0,D=1
		 * means a shadow-stack page (kernel-facts §1.5). */
		uint64_t pte = (template_pte & ~(X86_PFN_MASK & ~x->sme_mask)) | frame | X86_P | X86_A;
		if (pte & X86_RW)
			pte |= X86_D;
		return pte;
	}
	uint64_t pte = frame | X86_P | X86_US | X86_A | x->sme_mask;
	if (vm_flags & UZ_VM_WRITE)
		pte |= X86_RW | X86_D;
	if (!(vm_flags & UZ_VM_EXEC) && x->nx)
		pte |= X86_NX;
	return pte;
}

static uint64_t x86_pte_make_swap(const struct uz_kernel *k, uint32_t type, uint64_t offset)
{
	return k->swap ? uz_swap_layout_encode(k->swap, type, offset) : 0;
}

const struct uz_arch_ops uz_arch_x86_64 = {
	.arch = UZ_ARCH_X86_64,
	.name = "x86_64",
	.init = x86_init,
	.init_late = x86_init_late,
	.kvtop_linear = x86_kvtop_linear,
	.vmemmap = x86_vmemmap,
	.pte_decode = x86_pte_decode,
	.pte_make_present = x86_pte_make_present,
	.pte_make_swap = x86_pte_make_swap,
};
