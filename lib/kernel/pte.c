/* pte.c - the generic half of the PTE rules: decoding and encoding a swap
 * entry with one layout row, choosing the row for a kernel version, and the
 * public uz_kernel_pte_* entry points (which dispatch to the architecture). */
#include "internal.h"

static uint64_t low_mask(unsigned bits)
{
	return bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
}

bool uz_swap_layout_decode(const struct uz_swap_layout *l, uint64_t pte, uint32_t *type,
			   uint64_t *offset)
{
	if (pte & l->must_be_zero)
		return false;
	uint64_t v = l->offset_inverted ? ~pte : pte;
	*type = (uint32_t)((pte >> l->type_shift) & low_mask(l->type_bits));
	*offset = (v >> l->offset_shift) & low_mask(l->offset_bits);
	return true;
}

uint64_t uz_swap_layout_encode(const struct uz_swap_layout *l, uint32_t type, uint64_t offset)
{
	uint64_t off = (l->offset_inverted ? ~offset : offset) & low_mask(l->offset_bits);
	return (((uint64_t)type & low_mask(l->type_bits)) << l->type_shift) | (off << l->offset_shift);
}

const struct uz_swap_layout *uz_swap_layout_select(const struct uz_swap_layout *rows, size_t n,
						   uint32_t version)
{
	const struct uz_swap_layout *chosen = &rows[0];
	for (size_t i = 0; i < n; i++)
		if (version >= rows[i].first_version)
			chosen = &rows[i];
	return chosen;
}

void uz_kernel_pte_decode(const struct uz_kernel *k, uint64_t pte, struct uz_pte_info *out)
{
	k->arch->pte_decode(k, pte, out);
}

uint64_t uz_kernel_pte_make_present(const struct uz_kernel *k, uint64_t pfn,
				    uint64_t vm_flags, uint64_t template_pte)
{
	return k->arch->pte_make_present(k, pfn, vm_flags, template_pte);
}

uint64_t uz_kernel_pte_make_swap(const struct uz_kernel *k, uint32_t type, uint64_t offset)
{
	return k->arch->pte_make_swap(k, type, offset);
}

const char *uz_kernel_swap_layout_name(const struct uz_kernel *k)
{
	return k->swap ? k->swap->name : "none";
}
