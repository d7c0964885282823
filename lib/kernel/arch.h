/* arch.h - what an architecture contributes to the kernel view, as one
 * table of small functions (arch_x86_64.c, arch_aarch64.c).
 *
 * Owns: the interface between kernel.c/memory.c and an architecture: reading
 * the architecture's VMCOREINFO/symbol parameters, the kernel page-table
 * format and root, the translations that need no page-table walk (kernel
 * image, direct/linear map), and the PTE rules (decode, make present, make
 * swap) selected per kernel version, one table row per rule.
 *
 * Does not own: the walk itself (pgtable.c) or reading memory (memory.c).
 */
#ifndef UZ_KERNEL_ARCH_H
#define UZ_KERNEL_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"
#include "pgtable.h"

struct uz_kernel;

/* One swap-PTE layout (a row of the per-architecture table). */
struct uz_swap_layout {
	const char *name;            /* "x86_64 C (L1TF)" */
	uint32_t first_version;      /* KERNEL_VERSION the row applies from */
	unsigned type_shift, type_bits;
	unsigned offset_shift, offset_bits;
	bool offset_inverted;        /* x86_64 L1TF: offset stored as its bitwise NOT */
	uint64_t must_be_zero;       /* bits a swap entry never has (else UZ_PTE_OTHER) */
	uint64_t present_mask;       /* pte & mask != 0 -> present (incl. PROT_NONE) */
	const char *source;          /* kernel version/file the row was read from */
};

struct uz_x86_64_state {
	bool la57;                   /* 5-level paging */
	uint64_t phys_base;
	uint64_t image_size;         /* KERNEL_IMAGE_SIZE */
	uint64_t sme_mask;
	bool nx;                     /* __supported_pte_mask has NX */
	bool have_direct_map;
	uint64_t page_offset_base;
	uint64_t direct_map_size;
	bool protnone_inverted;      /* L1TF: PROT_NONE PTEs store ~pfn */
};

enum uz_arm64_pa_layout {
	UZ_ARM64_PA_48,              /* OA in bits 47:PAGE_SHIFT */
	UZ_ARM64_PA_52_64K,          /* 64K pages, 52-bit PA: PA[51:48] in bits 15:12 */
	UZ_ARM64_PA_52_LPA2,         /* 4K/16K LPA2: PA[49:PAGE_SHIFT] in place, PA[51:50] in 9:8 */
};

struct uz_aarch64_state {
	unsigned va_bits;            /* NUMBER(VA_BITS): the configured size */
	uint64_t kimage_voffset;
	uint64_t phys_offset;
	bool have_image_range;
	uint64_t image_start, image_end;
	enum uz_arm64_pa_layout pa_layout;
	unsigned mt_normal;          /* AttrIndx of normal memory */
};

struct uz_arch_ops {
	enum uz_arch arch;
	const char *name;
	/* Parameters from VMCOREINFO and the provider; fills k->kfmt, k->ufmt,
	 * k->kernel_root and the swap layout.  No virtual reads yet. */
	struct uz_error *(*init)(struct uz_kernel *k);
	/* Once kernel-image reads work: variables such as page_offset_base. */
	struct uz_error *(*init_late)(struct uz_kernel *k);
	/* Translate without a page-table walk if the address is in a linear
	 * region (kernel image, direct map); false if a walk is needed. */
	bool (*kvtop_linear)(const struct uz_kernel *k, uint64_t vaddr, uint64_t *paddr);
	/* vmemmap base, if the architecture knows it without mem_section. */
	bool (*vmemmap)(struct uz_kernel *k, uint64_t *vmemmap);
	void (*pte_decode)(const struct uz_kernel *k, uint64_t pte, struct uz_pte_info *out);
	uint64_t (*pte_make_present)(const struct uz_kernel *k, uint64_t pfn, uint64_t vm_flags,
				     uint64_t template_pte);
	uint64_t (*pte_make_swap)(const struct uz_kernel *k, uint32_t type, uint64_t offset);
};

extern const struct uz_arch_ops uz_arch_x86_64;
extern const struct uz_arch_ops uz_arch_aarch64;

/* Page-table formats, exposed for tests and fuzzers. */
void uz_x86_64_pgtable_format(bool la57, uint64_t sme_mask, struct uz_pgtable_format *out);
struct uz_error *uz_aarch64_pgtable_format(unsigned page_shift, unsigned va_bits,
					   enum uz_arm64_pa_layout pa, struct uz_pgtable_format *out);

/* Generic helpers shared by the architectures' swap rules. */
bool uz_swap_layout_decode(const struct uz_swap_layout *l, uint64_t pte, uint32_t *type,
			   uint64_t *offset);
uint64_t uz_swap_layout_encode(const struct uz_swap_layout *l, uint32_t type, uint64_t offset);
/* The row of `rows` (sorted by first_version) that applies to version. */
const struct uz_swap_layout *uz_swap_layout_select(const struct uz_swap_layout *rows, size_t n,
						   uint32_t version);

/* VM flags (include/linux/mm.h, identical in every version). */
#define UZ_VM_READ   0x1ULL
#define UZ_VM_WRITE  0x2ULL
#define UZ_VM_EXEC   0x4ULL
#define UZ_VM_SHARED 0x8ULL

#define UZ_KERNEL_VERSION(a, b, c) (((uint32_t)(a) << 16) | ((uint32_t)(b) << 8) | \
				    ((uint32_t)(c) > 255 ? 255U : (uint32_t)(c)))

#endif
