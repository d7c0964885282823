/* pfn.c - PFN <-> struct page.  SPARSEMEM_VMEMMAP (what Debian and most
 * distributions use): page = vmemmap + pfn * sizeof(struct page), with the
 * vmemmap base from the architecture (x86_64 vmemmap_base, arm64
 * VMEMMAP_START) or recovered from mem_section.  Classic SPARSEMEM: the
 * section's encoded mem_map (section_mem_map & SECTION_MAP_MASK) + pfn.
 *
 * mem_section facts (VMCOREINFO since 2.6.x; kernel/crash_core.c,
 * include/linux/mmzone.h): SYMBOL(mem_section) is the address of the root
 * array (for SPARSEMEM_EXTREME an array of pointers to PAGE_SIZE/SIZE(mem_section)
 * sections each; otherwise the sections themselves), LENGTH(mem_section) is
 * NR_SECTION_ROOTS, section nr = pfn >> (SECTION_SIZE_BITS - PAGE_SHIFT),
 * section_mem_map holds mem_map - section_start_pfn with flag bits below
 * SECTION_MAP_LAST_BIT, and bit 1 is SECTION_HAS_MEM_MAP. */
#include <inttypes.h>

#include "internal.h"

#define SECTION_HAS_MEM_MAP (1ULL << 1)
/* When the enumerator is not in the debuginfo (older kernels #define it):
 * at most 6 flag bits exist in any version read (6.12 has 6). */
#define SECTION_MAP_DEFAULT_LAST_BIT 6

struct mem_section_info {
	uint64_t roots, n_roots, per_root, section_size, section_shift, map_offset, map_mask;
	bool extreme;
};

static struct uz_error *mem_section_info(struct uz_kernel *k, struct mem_section_info *ms)
{
	const struct uz_vmci *vi = k->vmci;
	uint64_t section_size_bits, max_physmem_bits;
	UZ_TRY(uz_vmci_symbol(vi, "mem_section", &ms->roots));
	UZ_TRY(uz_vmci_named(vi, "LENGTH", "mem_section", &ms->n_roots));
	UZ_TRY(uz_vmci_named(vi, "SIZE", "mem_section", &ms->section_size));
	UZ_TRY(uz_vmci_named(vi, "OFFSET", "mem_section.section_mem_map", &ms->map_offset));
	UZ_TRY(uz_vmci_named(vi, "NUMBER", "SECTION_SIZE_BITS", &section_size_bits));
	UZ_TRY(uz_vmci_named(vi, "NUMBER", "MAX_PHYSMEM_BITS", &max_physmem_bits));
	if (section_size_bits <= k->page_shift || section_size_bits >= max_physmem_bits ||
	    max_physmem_bits > 64 || ms->section_size == 0 || ms->section_size > k->page_size)
		return uz_error_create(UZ_ERR_FORMAT, "implausible mem_section parameters in VMCOREINFO");
	ms->section_shift = section_size_bits - k->page_shift;
	uint64_t nr_sections = 1ULL << (max_physmem_bits - section_size_bits);
	/* Without SPARSEMEM_EXTREME every section is its own root. */
	ms->extreme = ms->n_roots != nr_sections;
	ms->per_root = ms->extreme ? k->page_size / ms->section_size : 1;
	int64_t last_bit = SECTION_MAP_DEFAULT_LAST_BIT;
	struct uz_error *err = uz_kernel_enumerator(k, "SECTION_MAP_LAST_BIT", &last_bit);
	uz_error_destroy(err);
	if (last_bit <= 0 || last_bit > 12)
		last_bit = SECTION_MAP_DEFAULT_LAST_BIT;
	ms->map_mask = ~((1ULL << last_bit) - 1);
	return NULL;
}

/* The decoded mem_map of the section holding pfn (page = result + pfn * sizeof). */
static struct uz_error *section_mem_map(struct uz_kernel *k, const struct mem_section_info *ms,
					uint64_t pfn, uint64_t *decoded)
{
	uint64_t nr = pfn >> ms->section_shift;
	uint64_t root = nr / ms->per_root, idx = nr % ms->per_root;
	if (root >= ms->n_roots)
		return uz_error_create(UZ_ERR_FAULT, "PFN 0x%" PRIx64 " is beyond the last memory section", pfn);
	uint64_t section;
	if (ms->extreme) {
		uint64_t root_ptr;
		UZ_TRY(uz_kernel_read_u64(k, ms->roots + root * 8, &root_ptr));
		if (!root_ptr)
			return uz_error_create(UZ_ERR_FAULT, "PFN 0x%" PRIx64 " is in an absent memory section root", pfn);
		section = root_ptr + idx * ms->section_size;
	} else {
		section = ms->roots + nr * ms->section_size;
	}
	uint64_t map;
	UZ_TRY(uz_kernel_read_u64(k, section + ms->map_offset, &map));
	if (!(map & SECTION_HAS_MEM_MAP))
		return uz_error_create(UZ_ERR_FAULT, "PFN 0x%" PRIx64 " is in memory section %" PRIu64 " without a mem_map",
				       pfn, nr);
	*decoded = map & ms->map_mask;
	return NULL;
}

struct uz_error *uz_kernel_init_page_map(struct uz_kernel *k)
{
	if (k->page_map_ready)
		return NULL;
	uint64_t size;
	struct uz_error *err = uz_vmci_named(k->vmci, "SIZE", "page", &size);
	if (err) {
		uz_error_destroy(err);
		UZ_TRY(uz_error_wrap(uz_kernel_type_size(k, "struct page", &size), "sizeof(struct page)"));
	}
	if (size == 0 || size > 1024)
		return uz_error_create(UZ_ERR_FORMAT, "struct page of %" PRIu64 " bytes", size);
	k->sizeof_page = size;
	if (k->arch->vmemmap(k, &k->vmemmap)) {
		k->have_vmemmap = true;
		k->page_map_ready = true;
		return NULL;
	}
	/* Recover vmemmap from mem_section: with SPARSEMEM_VMEMMAP every
	 * section decodes to the same base.  Look at the first two sections
	 * that have a mem_map. */
	struct mem_section_info ms;
	UZ_TRY(uz_error_wrap(mem_section_info(k, &ms), "locating struct pages"));
	uint64_t found[2];
	int n_found = 0;
	uint64_t n_sections = ms.n_roots * ms.per_root;
	for (uint64_t nr = 0; nr < n_sections && n_found < 2; nr++) {
		uint64_t decoded = 0;
		err = section_mem_map(k, &ms, nr << ms.section_shift, &decoded);
		if (err) {
			bool absent = err->code == UZ_ERR_FAULT;
			uz_error_destroy(err);
			if (!absent)
				break;
			if (ms.extreme && (nr % ms.per_root) == 0) {
				/* skip whole absent roots quickly */
				uint64_t root_ptr = 0;
				err = uz_kernel_read_u64(k, ms.roots + (nr / ms.per_root) * 8, &root_ptr);
				uz_error_destroy(err);
				if (!root_ptr)
					nr += ms.per_root - 1;
			}
			continue;
		}
		found[n_found++] = decoded;
	}
	if (n_found == 0)
		return uz_error_create(UZ_ERR_FORMAT, "no memory section with a mem_map");
	if (n_found == 2 && found[0] != found[1])
		return uz_error_create(UZ_ERR_UNSUPPORTED,
				       "classic SPARSEMEM without vmemmap is not supported yet");
	k->vmemmap = found[0];
	k->have_vmemmap = true;
	k->page_map_ready = true;
	return NULL;
}

struct uz_error *uz_kernel_pfn_to_page(struct uz_kernel *k, uint64_t pfn, uint64_t *page)
{
	UZ_TRY(uz_kernel_init_page_map(k));
	*page = k->vmemmap + pfn * k->sizeof_page;
	return NULL;
}

struct uz_error *uz_kernel_page_to_pfn(struct uz_kernel *k, uint64_t page, uint64_t *pfn)
{
	UZ_TRY(uz_kernel_init_page_map(k));
	uint64_t delta = page - k->vmemmap;
	if (page < k->vmemmap || delta % k->sizeof_page)
		return uz_error_create(UZ_ERR_FAULT, "0x%" PRIx64 " is not a struct page address (vmemmap 0x%" PRIx64 ")",
				       page, k->vmemmap);
	*pfn = delta / k->sizeof_page;
	return NULL;
}
