/* PTE rules (lib/kernel arch tables): swap-entry decode/encode for every
 * x86_64 and arm64 layout, present/none/PROT_NONE decoding, and building
 * present PTEs.  Expected values are computed by hand from the kernel
 * formulas quoted in docs/kernel-view.md (kernel-facts §1.1, §1.2, §1.5),
 * plus real PTEs read from a Debian 6.1 dump whose offsets the guest
 * recorded. */
#include "test_kernel_fake.h"
#include "ut.h"

#define X86_VMCI "OSRELEASE=test\nPAGESIZE=4096\nNUMBER(phys_base)=0\n" \
	"SYMBOL(init_top_pgt)=ffffffff82a0a000\n"
#define A64_VMCI "OSRELEASE=test\nPAGESIZE=4096\nNUMBER(VA_BITS)=48\n" \
	"NUMBER(kimage_voffset)=0xffff800008000000\nSYMBOL(swapper_pg_dir)=ffff800009e30000\n"

static struct uz_error *open_kernel(enum uz_arch arch, const char *vmci, uint64_t page_size,
				    uint32_t version, const struct fake_types *types, struct uz_kernel **k)
{
	struct uz_kernel_setup s = {
		.arch = arch, .page_size = page_size, .vmcoreinfo = vmci, .version = version,
		.skip_late_init = true,
	};
	if (types)
		s.types = fake_types(types);
	return uz_kernel_open_custom(&s, k);
}

#define V(a, b, c) UZ_KERNEL_VERSION(a, b, c)

struct swap_case {
	enum uz_arch arch;
	uint32_t version;
	uint32_t type;
	uint64_t offset;
	uint64_t pte;        /* hand-computed */
};

static const struct swap_case swap_cases[] = {
	/* x86_64 A (4.4): type<<1 | offset<<9 */
	{ UZ_ARCH_X86_64, V(4, 4, 121), 3, 0x1234, 0x246806 },
	/* x86_64 B (4.6-4.7): type<<9 | offset<<15 */
	{ UZ_ARCH_X86_64, V(4, 6, 0), 3, 0x1234, 0x91a0600 },
	/* x86_64 B' (4.8-4.18.0): type<<9 | offset<<14 */
	{ UZ_ARCH_X86_64, V(4, 8, 0), 3, 0x1234, 0x48d0600 },
	{ UZ_ARCH_X86_64, V(4, 18, 0), 3, 0x1234, 0x48d0600 },
	/* x86_64 C (4.18.1+): type<<59 | (~offset & (2^50-1))<<9 */
	{ UZ_ARCH_X86_64, V(4, 18, 1), 3, 0x1234, 0x1fffffffffdb9600 },
	{ UZ_ARCH_X86_64, V(6, 1, 176), 5, 0x200, 0x2ffffffffffbfe00 },
	{ UZ_ARCH_X86_64, V(6, 12, 107), 0, 1, 0x07fffffffffffc00 },
	{ UZ_ARCH_X86_64, V(7, 1, 5), 31, (1ULL << 50) - 1, 0xf800000000000000 },
	/* arm64 <5.19: type<<2 | offset<<8 */
	{ UZ_ARCH_AARCH64, V(5, 10, 0), 3, 0x1234, 0x12340c },
	/* arm64 5.19-6.9: type<<3 | offset<<8 */
	{ UZ_ARCH_AARCH64, V(5, 19, 0), 3, 0x1234, 0x123418 },
	{ UZ_ARCH_AARCH64, V(6, 9, 0), 3, 0x1234, 0x123418 },
	/* arm64 6.10+: type<<6 | offset<<12 */
	{ UZ_ARCH_AARCH64, V(6, 10, 0), 3, 0x1234, 0x12340c0 },
	{ UZ_ARCH_AARCH64, V(6, 12, 0), 31, (1ULL << 50) - 1, 0x3ffffffffffff7c0 },
};

UT_TEST(swap_rules_round_trip)
{
	for (size_t i = 0; i < sizeof(swap_cases) / sizeof(swap_cases[0]); i++) {
		const struct swap_case *c = &swap_cases[i];
		struct uz_kernel *k;
		UT_OK(open_kernel(c->arch, c->arch == UZ_ARCH_X86_64 ? X86_VMCI : A64_VMCI, 4096,
				  c->version, NULL, &k));
		uint64_t pte = uz_kernel_pte_make_swap(k, c->type, c->offset);
		if (pte != c->pte) {
			uz_kernel_close(k);
			UT_FAIL("case %zu (%s): encode gave 0x%" PRIx64 ", expected 0x%" PRIx64, i,
				uz_kernel_swap_layout_name(k), pte, c->pte);
		}
		struct uz_pte_info info;
		uz_kernel_pte_decode(k, c->pte, &info);
		uz_kernel_close(k);
		UT_ASSERT_EQ(info.kind, UZ_PTE_SWAP);
		UT_ASSERT_EQ(info.swap_type, c->type);
		UT_ASSERT_EQ(info.swap_offset, c->offset);
	}
}

/* Real swap PTEs read from the Debian 6.1.176 dump; the guest's manifest
 * (from inside the VM) gives their type/offset.  Bits 1 (soft-dirty) and 3
 * (exclusive) are set and must not disturb the decode. */
UT_TEST(x86_real_6_1_ptes)
{
	struct uz_kernel *k;
	UT_OK(open_kernel(UZ_ARCH_X86_64, X86_VMCI, 4096, V(6, 1, 176), NULL, &k));
	static const struct { uint64_t pte; uint32_t type; uint64_t offset; } real[] = {
		{ 0x2ffffffffffbfe0a, 5, 512 },
		{ 0x2ffffffffffbfc0a, 5, 513 },
		{ 0x2ffffffffffbee0a, 5, 520 },
	};
	for (size_t i = 0; i < 3; i++) {
		struct uz_pte_info info;
		uz_kernel_pte_decode(k, real[i].pte, &info);
		UT_ASSERT_EQ(info.kind, UZ_PTE_SWAP);
		UT_ASSERT_EQ(info.swap_type, real[i].type);
		UT_ASSERT_EQ(info.swap_offset, real[i].offset);
	}
	uz_kernel_close(k);
}

UT_TEST(x86_l1tf_symbol_selects_layout_c)
{
	/* 4.9.154 has the L1TF backport: the symbol decides, not the version. */
	static const struct fake_named syms[] = { { "l1tf_mitigation", 0xffffffff82000000 }, { NULL, 0 } };
	static const struct fake_types t = { .symbols = syms };
	struct uz_kernel *k;
	UT_OK(open_kernel(UZ_ARCH_X86_64, X86_VMCI, 4096, V(4, 9, 154), &t, &k));
	uint64_t pte = uz_kernel_pte_make_swap(k, 3, 0x1234);
	uz_kernel_close(k);
	UT_ASSERT_EQ(pte, 0x1fffffffffdb9600);
	UT_OK(open_kernel(UZ_ARCH_X86_64, X86_VMCI, 4096, V(4, 9, 154), NULL, &k));
	pte = uz_kernel_pte_make_swap(k, 3, 0x1234);
	uz_kernel_close(k);
	UT_ASSERT_EQ(pte, 0x48d0600);
}

UT_TEST(x86_present_none_protnone)
{
	struct uz_kernel *k;
	struct uz_pte_info info;
	UT_OK(open_kernel(UZ_ARCH_X86_64, X86_VMCI, 4096, V(6, 1, 0), NULL, &k));
	uz_kernel_pte_decode(k, 0, &info);
	UT_ASSERT_EQ(info.kind, UZ_PTE_NONE);
	uz_kernel_pte_decode(k, 0x60, &info);   /* A|D only: KNL erratum, still none */
	UT_ASSERT_EQ(info.kind, UZ_PTE_NONE);
	uz_kernel_pte_decode(k, 0x8000000012345867, &info);
	UT_ASSERT_EQ(info.kind, UZ_PTE_PRESENT);
	UT_ASSERT_EQ(info.pfn, 0x12345);
	UT_ASSERT(info.writable);
	uz_kernel_pte_decode(k, 0x8000000012345025, &info);
	UT_ASSERT_EQ(info.kind, UZ_PTE_PRESENT);
	UT_ASSERT(!info.writable);
	/* PROT_NONE under L1TF: P=0, bit 8 set, PFN stored inverted. */
	uz_kernel_pte_decode(k, 0xfffffedcba160, &info);
	UT_ASSERT_EQ(info.kind, UZ_PTE_PRESENT);
	UT_ASSERT_EQ(info.pfn, 0x12345);
	UT_ASSERT(!info.writable);
	/* Bit 7 is never set in a layout-C swap entry. */
	uz_kernel_pte_decode(k, 0x1fffffffffdb9680, &info);
	UT_ASSERT_EQ(info.kind, UZ_PTE_OTHER);
	uz_kernel_close(k);

	/* Before L1TF PROT_NONE PTEs hold the PFN as is. */
	UT_OK(open_kernel(UZ_ARCH_X86_64, X86_VMCI, 4096, V(4, 8, 0), NULL, &k));
	uz_kernel_pte_decode(k, (0x12345ULL << 12) | 0x160, &info);
	uz_kernel_close(k);
	UT_ASSERT_EQ(info.kind, UZ_PTE_PRESENT);
	UT_ASSERT_EQ(info.pfn, 0x12345);
}

UT_TEST(x86_make_present)
{
	struct uz_kernel *k;
	UT_OK(open_kernel(UZ_ARCH_X86_64, X86_VMCI, 4096, V(6, 1, 0), NULL, &k));
	/* Defaults: P|RW|US|A|D|NX writable, P|US|A|NX read-only, no NX if exec. */
	UT_ASSERT_EQ(uz_kernel_pte_make_present(k, 0x777, UZ_VM_READ | UZ_VM_WRITE, 0), 0x8000000000777067);
	UT_ASSERT_EQ(uz_kernel_pte_make_present(k, 0x777, UZ_VM_READ, 0), 0x8000000000777025);
	UT_ASSERT_EQ(uz_kernel_pte_make_present(k, 0x777, UZ_VM_READ | UZ_VM_EXEC, 0), 0x777025);
	/* Template: keep its attributes, replace the frame; D only if writable. */
	UT_ASSERT_EQ(uz_kernel_pte_make_present(k, 0x777, 0, 0x8000000012345867), 0x8000000000777867);
	UT_ASSERT_EQ(uz_kernel_pte_make_present(k, 0x777, UZ_VM_WRITE, 0x8000000012345025), 0x8000000000777025);
	UT_ASSERT_EQ(uz_kernel_pte_make_present(k, 0x777, 0, 0x8000000012345847), 0x8000000000777867);
	/* A non-present template (a swap entry) falls back to the defaults. */
	UT_ASSERT_EQ(uz_kernel_pte_make_present(k, 0x777, UZ_VM_READ, 0x2ffffffffffbfe0a), 0x8000000000777025);
	struct uz_pte_info info;
	uz_kernel_pte_decode(k, uz_kernel_pte_make_present(k, 0xfffffffff, UZ_VM_WRITE, 0), &info);
	UT_ASSERT_EQ(info.kind, UZ_PTE_PRESENT);
	UT_ASSERT_EQ(info.pfn, 0xfffffffff);
	UT_ASSERT(info.writable);
	uz_kernel_close(k);

	/* SME: the C-bit (here bit 47) is added to defaults and kept from templates. */
	UT_OK(open_kernel(UZ_ARCH_X86_64, X86_VMCI "NUMBER(sme_mask)=140737488355328\n", 4096,
			  V(6, 1, 0), NULL, &k));
	UT_ASSERT_EQ(uz_kernel_pte_make_present(k, 0x777, UZ_VM_READ, 0), 0x8000800000777025);
	UT_ASSERT_EQ(uz_kernel_pte_make_present(k, 0x777, 0, 0x8000800012345867), 0x8000800000777867);
	uz_kernel_pte_decode(k, 0x8000800000777867, &info);
	UT_ASSERT_EQ(info.pfn, 0x777);
	uz_kernel_close(k);
}

UT_TEST(arm64_present_and_make_present)
{
	struct uz_kernel *k;
	struct uz_pte_info info;
	UT_OK(open_kernel(UZ_ARCH_AARCH64, A64_VMCI, 4096, V(6, 12, 0), NULL, &k));
	/* _PAGE_SHARED = TYPE_PAGE|AF|SHARED|ATTRINDX(MT_NORMAL=0)|USER|NG|PXN|UXN|WRITE,
	 * made dirty: RDONLY clear, DIRTY set -> 0x00e8000000000f43 | address. */
	uint64_t w = uz_kernel_pte_make_present(k, 0x777, UZ_VM_READ | UZ_VM_WRITE, 0);
	UT_ASSERT_EQ(w, 0x00e8000000777f43);
	UT_ASSERT_EQ(uz_kernel_pte_make_present(k, 0x777, UZ_VM_READ, 0), 0x0060000000777fc3);
	UT_ASSERT_EQ(uz_kernel_pte_make_present(k, 0x777, UZ_VM_READ | UZ_VM_EXEC, 0), 0x0020000000777fc3);
	UT_ASSERT_EQ(uz_kernel_pte_make_present(k, 0x888, 0, w), 0x00e8000000888f43);
	uz_kernel_pte_decode(k, w, &info);
	UT_ASSERT_EQ(info.kind, UZ_PTE_PRESENT);
	UT_ASSERT_EQ(info.pfn, 0x777);
	UT_ASSERT(info.writable);
	uz_kernel_pte_decode(k, 0, &info);
	UT_ASSERT_EQ(info.kind, UZ_PTE_NONE);
	/* 6.10+: VALID=0 with PRESENT_INVALID (bit 11) is a PROT_NONE present PTE. */
	uz_kernel_pte_decode(k, 0x0060000000777f42, &info);
	UT_ASSERT_EQ(info.kind, UZ_PTE_PRESENT);
	uz_kernel_close(k);

	/* Up to 6.9 PROT_NONE is bit 58; bit 11 alone is part of a swap offset. */
	UT_OK(open_kernel(UZ_ARCH_AARCH64, A64_VMCI, 4096, V(6, 1, 0), NULL, &k));
	uz_kernel_pte_decode(k, (1ULL << 58) | 0x777f42, &info);
	UT_ASSERT_EQ(info.kind, UZ_PTE_PRESENT);
	uz_kernel_pte_decode(k, 0x800, &info);
	UT_ASSERT_EQ(info.kind, UZ_PTE_SWAP);
	UT_ASSERT_EQ(info.swap_offset, 0x8);
	uz_kernel_close(k);

	/* Before 5.10, MT_NORMAL is AttrIndx 4. */
	UT_OK(open_kernel(UZ_ARCH_AARCH64, A64_VMCI, 4096, V(5, 4, 0), NULL, &k));
	UT_ASSERT_EQ(uz_kernel_pte_make_present(k, 0x777, UZ_VM_READ, 0), 0x0060000000777fd3);
	uz_kernel_close(k);
}

UT_TEST(arm64_52bit_output_addresses)
{
	struct uz_kernel *k;
	struct uz_pte_info info;
	/* 64K pages, 52-bit PA: PA[51:48] in PTE bits 15:12. PA = 2^48 + 2^16. */
	UT_OK(open_kernel(UZ_ARCH_AARCH64,
			  "PAGESIZE=65536\nNUMBER(VA_BITS)=52\nNUMBER(MAX_PHYSMEM_BITS)=52\n"
			  "NUMBER(kimage_voffset)=0xffff800008000000\nSYMBOL(swapper_pg_dir)=ffff800009e30000\n",
			  65536, V(6, 1, 0), NULL, &k));
	uint64_t pte = uz_kernel_pte_make_present(k, 0x100000001, UZ_VM_READ, 0);
	UT_ASSERT_EQ(pte & 0x0000fffffffff000, 0x11000);
	uz_kernel_pte_decode(k, pte, &info);
	UT_ASSERT_EQ(info.pfn, 0x100000001);
	uz_kernel_close(k);
	/* 4K LPA2: PA[49:12] in place, PA[51:50] in bits 9:8 (no shareability bits). */
	UT_OK(open_kernel(UZ_ARCH_AARCH64,
			  "PAGESIZE=4096\nNUMBER(VA_BITS)=52\nNUMBER(MAX_PHYSMEM_BITS)=52\n"
			  "NUMBER(kimage_voffset)=0xffff800008000000\nSYMBOL(swapper_pg_dir)=ffff800009e30000\n",
			  4096, V(6, 12, 0), NULL, &k));
	pte = uz_kernel_pte_make_present(k, (1ULL << 38) | 1, UZ_VM_READ, 0);
	UT_ASSERT_EQ(pte & 0x0003fffffffff300, 0x1100);
	uz_kernel_pte_decode(k, pte, &info);
	UT_ASSERT_EQ(info.pfn, (1ULL << 38) | 1);
	uz_kernel_close(k);
}

UT_TEST(banner_versions)
{
	UT_ASSERT_EQ(uz_banner_version("Linux version 6.1.0-50-cloud-amd64 (debian-kernel@lists.debian.org) "
				       "(gcc-12) #1 SMP PREEMPT_DYNAMIC Debian 6.1.176-1 (2025-10-01)"),
		     V(6, 1, 176));
	UT_ASSERT_EQ(uz_banner_version("Linux version 6.12.107+deb12-cloud-amd64 (debian-kernel@lists.debian.org) "
				       "(x86_64-linux-gnu-gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) "
				       "#1 SMP PREEMPT_DYNAMIC Debian 6.12.107-1~deb12u1 (2026-09-10)"),
		     V(6, 12, 107));
	UT_ASSERT_EQ(uz_banner_version("Linux version 5.15.0-91-generic (buildd@lcy02) #101-Ubuntu SMP"),
		     V(5, 15, 0));
	UT_ASSERT_EQ(uz_parse_kernel_version("4.19.300"), V(4, 19, 255));
	UT_ASSERT_EQ(uz_banner_version("garbage"), 0);
}

UT_MAIN(UT_CASE(swap_rules_round_trip), UT_CASE(x86_real_6_1_ptes), UT_CASE(x86_l1tf_symbol_selects_layout_c),
	UT_CASE(x86_present_none_protnone), UT_CASE(x86_make_present), UT_CASE(arm64_present_and_make_present),
	UT_CASE(arm64_52bit_output_addresses), UT_CASE(banner_versions))
