/* internal.h - the kernel view's shared state, for the lib/kernel sources and for
 * tests that build a kernel view over synthetic memory.
 *
 * Owns: struct uz_kernel and the constructor that takes its parts (physical
 * reader, VMCOREINFO text, architecture, provider) instead of a dump, which
 * is how unit tests and fuzzers drive the real code on fake memory.
 * Does not own: anything a user of lib/kernel needs (that is kernel.h).
 */
#ifndef UZ_KERNEL_INTERNAL_H
#define UZ_KERNEL_INTERNAL_H

#include "arch.h"
#include "kernel.h"
#include "pgtable.h"
#include "strmap.h"
#include "types.h"
#include "vmcoreinfo.h"

#define UZ_TLB_SIZE 512

struct uz_tlb_entry {
	uint64_t vpage;      /* vaddr >> page_shift, plus 1 (0 = empty) */
	uint64_t ppage;      /* physical page address */
};

/* A loaded module as found in the dump's `modules` list. */
struct uz_module {
	char name[64];
	uint64_t addr;          /* struct module * */
	uint64_t kallsyms;      /* struct mod_kallsyms * (0 if none) */
	uint64_t symtab, strtab;
	uint64_t num_symtab;
	struct uz_strmap symbols;   /* name -> address, loaded on first lookup */
	bool symbols_loaded;
};

struct uz_kernel {
	struct uz_dump *dump;                 /* NULL for synthetic views */
	char types_source[1024];              /* uz_kernel_types_source() */
	size_t types_base_len;                /* its length before the modules */
	struct uz_phys_reader phys;
	enum uz_arch arch_id;
	const struct uz_arch_ops *arch;
	struct uz_vmci *vmci;
	struct uz_types types;                /* ops == NULL: no provider */
	uint64_t page_size;
	unsigned page_shift;
	char release[65];
	uint32_t version;
	uint64_t kaslr_offset;
	uint64_t max_pfn;                     /* 0 if unknown */
	const struct uz_swap_layout *swap;
	union {
		struct uz_x86_64_state x86;
		struct uz_aarch64_state arm64;
	} as;
	struct uz_pgtable_format kfmt;        /* kernel page tables */
	struct uz_pgtable_format ufmt;        /* user half */
	uint64_t kernel_root;                 /* physical address */
	struct uz_tlb_entry tlb[UZ_TLB_SIZE];
	/* PFN <-> struct page */
	bool page_map_ready;
	bool have_vmemmap;
	uint64_t vmemmap;
	uint64_t sizeof_page;
	/* lookup caches */
	struct uz_strmap member_cache;        /* "type\0member" -> struct uz_member * (0: absent) */
	struct uz_strmap symbol_cache;        /* name -> address + 1 (0: absent) */
	/* modules */
	bool modules_loaded;
	struct uz_module *modules;
	size_t n_modules;
};

/* How to build a view without a dump (tests, fuzzers). */
struct uz_kernel_setup {
	enum uz_arch arch;
	uint64_t page_size;
	const char *vmcoreinfo;               /* text; may be NULL for page-table-only use */
	struct uz_phys_reader phys;
	struct uz_types types;                /* ownership passes to the kernel view */
	uint32_t version;                     /* 0: from OSRELEASE */
	uint64_t max_pfn;                     /* bound for walks; 0: none */
	bool skip_late_init;                  /* do not read variables (page_offset_base...) */
};
struct uz_error *uz_kernel_open_custom(const struct uz_kernel_setup *setup, struct uz_kernel **out);

/* Parse "6.1.176", "6.12.107+deb12-cloud-amd64", "4.19.0-26-amd64" -> KERNEL_VERSION. */
uint32_t uz_parse_kernel_version(const char *s);
/* Upstream version from a banner: Debian's "... Debian 6.1.176-1 ..." if
 * present, else the release after "Linux version ". 0 if none. */
uint32_t uz_banner_version(const char *banner);

/* Set-up steps shared by uz_kernel_open (kernel_open.c) and uz_kernel_open_custom. */
struct uz_error *uz_kernel_alloc(enum uz_arch arch, struct uz_kernel **out);
struct uz_error *uz_set_page_size(struct uz_kernel *k, uint64_t page_size);
struct uz_error *uz_kernel_init_vmcoreinfo(struct uz_kernel *k, const char *text, uint32_t version);
struct uz_error *uz_kernel_init_arch(struct uz_kernel *k, bool late);

/* Internal helpers (memory.c). */
void uz_kernel_tlb_flush(struct uz_kernel *k);
struct uz_error *uz_kernel_read_member_raw(struct uz_kernel *k, uint64_t addr, const struct uz_member *m,
					   uint64_t *val);
bool uz_kernel_has_member(struct uz_kernel *k, const char *type, const char *member);
/* uz_kernel_symbol for a symbol that may be absent: *found false and NULL
 * when it is not there (UZ_ERR_NOT_FOUND); any other failure (kallsyms
 * unreadable, out of memory) is returned, never taken for absence. */
struct uz_error *uz_kernel_find_symbol(struct uz_kernel *k, const char *name, uint64_t *addr, bool *found);
/* modules.c */
struct uz_error *uz_kernel_load_modules(struct uz_kernel *k);
void uz_kernel_free_modules(struct uz_kernel *k);
/* pfn.c */
struct uz_error *uz_kernel_init_page_map(struct uz_kernel *k);

/* A visited-address set with a hard bound, for cycle detection in lists. */
struct uz_addr_set {
	uint64_t *slots;
	size_t capacity, count;
};
void uz_addr_set_init(struct uz_addr_set *s);
void uz_addr_set_free(struct uz_addr_set *s);
/* Adds addr; *seen is true if it was already there. */
struct uz_error *uz_addr_set_add(struct uz_addr_set *s, uint64_t addr, bool *seen);

#endif
