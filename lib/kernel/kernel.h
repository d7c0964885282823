/* kernel.h - the kernel view of a dump: symbols, types, address translation,
 * page tables, tasks and their memory maps.
 *
 * Owns: VMCOREINFO parsing, the type/symbol provider interface (DWARF from a
 * debug vmlinux and debug modules, or BTF and kallsyms from the dump itself),
 * kernel virtual -> physical translation (direct map, kernel image, vmalloc
 * and modules by walking the kernel page tables, vmemmap), PFN <-> struct
 * page, user page-table walking, PTE decoding/encoding per architecture and
 * kernel version (one table row per rule), and iterating tasks, mms and VMAs.
 *
 * Does not own: the dump file format (lib/dump) or anything zram-specific
 * (lib/zram).  Reads go through the dump's physical-page API.
 */
#ifndef UZ_KERNEL_H
#define UZ_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../error.h"
#include "../dump/dump.h"

struct uz_kernel;

struct uz_kernel_options {
	/* Debug vmlinux; NULL: look in debuginfo_dir, then the standard
	 * locations (/usr/lib/debug/boot/vmlinux-RELEASE, ...). */
	const char *vmlinux;
	/* Directory searched (recursively) for vmlinux-RELEASE and debug modules
	 * (zram.ko, zsmalloc.ko, possibly .ko.xz-stripped .debug files). */
	const char *debuginfo_dir;
	/* NULL-terminated names of modules whose types the caller needs (the
	 * zram model: uz_zram_modules); with debuginfo, each one loaded in
	 * the dump must have a debug file, or opening fails. */
	const char *const *need_modules;
};

/* Build the kernel view.  Types come from debuginfo (--vmlinux, the
 * debuginfo directory, the standard places) or, when none is named or
 * found, from the dump's own BTF and kallsyms.  Debuginfo that was named
 * but cannot be used is an error, never a silent fall-back: a debuginfo
 * directory that does not exist (UZ_ERR_NOT_FOUND), no vmlinux for the
 * dump's release (UZ_ERR_NOT_FOUND), a needed module without a debug file
 * (UZ_ERR_NOT_FOUND), a vmlinux or module of another build (UZ_ERR_MISMATCH,
 * naming both: release, build id, linux_banner, module vermagic). */
struct uz_error *uz_kernel_open(struct uz_dump *dump,
				const struct uz_kernel_options *opts,
				struct uz_kernel **out);
void uz_kernel_close(struct uz_kernel *k);

struct uz_dump *uz_kernel_dump(const struct uz_kernel *k);
enum uz_arch uz_kernel_arch(const struct uz_kernel *k);
const char *uz_kernel_release(const struct uz_kernel *k);   /* "6.1.0-50-cloud-amd64" */
/* Where the types come from, one line: "vmlinux PATH (+ modules zram PATH,
 * ...)" or "BTF and kallsyms in the dump (...)". */
const char *uz_kernel_types_source(const struct uz_kernel *k);
/* Upstream version as KERNEL_VERSION(a,b,c) = a<<16 | b<<8 | min(c,255),
 * from the banner / OSRELEASE ("6.1.176"). */
uint32_t uz_kernel_version(const struct uz_kernel *k);
uint64_t uz_kernel_page_size(const struct uz_kernel *k);
unsigned uz_kernel_page_shift(const struct uz_kernel *k);
/* KASLR offset of the kernel image (VMCOREINFO KERNELOFFSET; 0 if none). */
uint64_t uz_kernel_kaslr_offset(const struct uz_kernel *k);
/* VMCOREINFO value by key ("NUMBER(KERNELOFFSET)", "SYMBOL(swapper_pg_dir)",
 * "OSRELEASE", ...); NULL if absent. */
const char *uz_kernel_vmcoreinfo(const struct uz_kernel *k, const char *key);

/* ---- memory ---- */
struct uz_error *uz_kernel_vtop(struct uz_kernel *k, uint64_t vaddr, uint64_t *paddr);
struct uz_error *uz_kernel_read(struct uz_kernel *k, uint64_t vaddr, void *buf, size_t len);
struct uz_error *uz_kernel_read_u64(struct uz_kernel *k, uint64_t vaddr, uint64_t *val);
struct uz_error *uz_kernel_read_u32(struct uz_kernel *k, uint64_t vaddr, uint32_t *val);
/* NUL-terminated string of at most max bytes (including the NUL). */
struct uz_error *uz_kernel_read_string(struct uz_kernel *k, uint64_t vaddr, char *buf, size_t max);
/* Read a scalar member (1..8 bytes, or a bitfield) of the object at addr,
 * zero-extended: uz_kernel_read_member(k, task, "struct task_struct", "mm", &mm). */
struct uz_error *uz_kernel_read_member(struct uz_kernel *k, uint64_t addr, const char *type,
				       const char *member, uint64_t *val);
/* struct page address of a PFN and back (SPARSEMEM_VMEMMAP or classic SPARSEMEM). */
struct uz_error *uz_kernel_pfn_to_page(struct uz_kernel *k, uint64_t pfn, uint64_t *page);
struct uz_error *uz_kernel_page_to_pfn(struct uz_kernel *k, uint64_t page, uint64_t *pfn);

/* ---- symbols and types (from the provider: DWARF or the dump's BTF) ---- */
/* Address of a global/static symbol, in vmlinux or a loaded module (module
 * symbols are relocated with the module's load address found in the dump). */
struct uz_error *uz_kernel_symbol(struct uz_kernel *k, const char *name, uint64_t *addr);
/* Address of a symbol of one loaded module (module == NULL: any module),
 * from the module's kallsyms in the dump (statics included). */
struct uz_error *uz_kernel_module_symbol(struct uz_kernel *k, const char *module,
					 const char *name, uint64_t *addr);
/* Modules found in the dump's `modules` list (0 if it could not be read). */
size_t uz_kernel_module_count(const struct uz_kernel *k);
const char *uz_kernel_module_name(const struct uz_kernel *k, size_t index);
/* sizeof: type is spelled as in C: "struct zram", "unsigned long". */
struct uz_error *uz_kernel_type_size(struct uz_kernel *k, const char *type, uint64_t *size);

struct uz_member {
	uint64_t offset;       /* byte offset of the containing storage unit */
	uint64_t size;         /* byte size of the member (or of its storage unit) */
	uint32_t bit_offset;   /* for bitfields: bit offset from `offset`*8 (LSB first, LE); else 0 */
	uint32_t bit_size;     /* for bitfields: width in bits; else 0 */
};
/* Member lookup; member may be a path through nested/anonymous structs and
 * unions ("attr.flags", "swap.val").  UZ_ERR_NOT_FOUND if absent. */
struct uz_error *uz_kernel_member(struct uz_kernel *k, const char *type,
				  const char *member, struct uz_member *out);
/* Number of elements of an array-typed global ("swap_info" -> MAX_SWAPFILES),
 * or of an array member when `type` is given. */
struct uz_error *uz_kernel_array_len(struct uz_kernel *k, const char *type,
				     const char *name, uint64_t *len);
/* Value of an enumerator by name ("ZRAM_SAME", "PG_private"). */
struct uz_error *uz_kernel_enumerator(struct uz_kernel *k, const char *name, int64_t *value);

/* ---- PTEs (arch and kernel-version rules) ---- */
enum uz_pte_kind {
	UZ_PTE_NONE,
	UZ_PTE_PRESENT,
	UZ_PTE_SWAP,      /* type/offset valid; may still be a migration/device/marker entry:
			     lib/zram decides with swap_info (see kernel-facts §1.4) */
	UZ_PTE_OTHER,     /* non-present, not decodable as a swap entry */
};
struct uz_pte_info {
	enum uz_pte_kind kind;
	uint64_t pfn;            /* PRESENT */
	uint32_t swap_type;      /* SWAP */
	uint64_t swap_offset;    /* SWAP */
	bool writable;           /* PRESENT */
};
void uz_kernel_pte_decode(const struct uz_kernel *k, uint64_t pte, struct uz_pte_info *out);
/* Build a present user PTE mapping pfn.  `template_pte`, if non-zero, is a
 * present PTE from the same VMA (or the VMA's vm_page_prot value) whose
 * attribute bits are kept; otherwise attributes come from vm_flags
 * (VM_READ/WRITE/EXEC/SHARED). */
uint64_t uz_kernel_pte_make_present(const struct uz_kernel *k, uint64_t pfn,
				    uint64_t vm_flags, uint64_t template_pte);

/* The swap PTE for (type, offset) under this kernel's layout (tests, and
 * lib/zram's synthetic fixtures). */
uint64_t uz_kernel_pte_make_swap(const struct uz_kernel *k, uint32_t type, uint64_t offset);
/* Name of the swap-PTE layout row in use ("x86_64 C (L1TF: ...)"). */
const char *uz_kernel_swap_layout_name(const struct uz_kernel *k);

/* ---- tasks, mms, VMAs, user page tables ---- */
struct uz_task_info {
	uint64_t task;        /* struct task_struct * */
	int32_t pid;          /* thread id */
	int32_t tgid;
	char comm[16];
	uint64_t mm;          /* struct mm_struct *, 0 for kernel threads */
};
/* Calls cb for every task (processes and threads) reachable from
 * init_task.tasks, like for_each_process + for_each_thread: the idle tasks
 * (init_task itself, pid 0) are not included.  Stops and returns cb's
 * error if it returns one.  Cycles and wild pointers end with an error, never
 * a hang. */
typedef struct uz_error *uz_task_fn(void *ctx, const struct uz_task_info *task);
struct uz_error *uz_kernel_for_each_task(struct uz_kernel *k, uz_task_fn *cb, void *ctx);

struct uz_vma_info {
	uint64_t vma;         /* struct vm_area_struct * */
	uint64_t start, end;
	uint64_t vm_flags;
	uint64_t vm_page_prot;
	bool anonymous;       /* vm_file == NULL */
};
typedef struct uz_error *uz_vma_fn(void *ctx, const struct uz_vma_info *vma);
/* VMAs of an mm in address order (maple tree on 6.1+, rb-tree/list before). */
struct uz_error *uz_kernel_for_each_vma(struct uz_kernel *k, uint64_t mm, uz_vma_fn *cb, void *ctx);

struct uz_pte_ref {
	uint64_t vaddr;       /* user virtual address the PTE maps */
	uint64_t pte_paddr;   /* physical address of the 8-byte PTE */
	uint64_t pte;         /* raw value */
};
typedef struct uz_error *uz_pte_fn(void *ctx, const struct uz_pte_ref *ref);
/* Walk the last-level PTEs of mm covering [start, end) (present page-table
 * pages only; huge PMD/PUD leaves and non-present upper entries are skipped;
 * PTEs whose raw value is 0 are not reported).  The number of table pages
 * visited is bounded by the dump size, so corrupt tables end in an error. */
struct uz_error *uz_kernel_walk_ptes(struct uz_kernel *k, uint64_t mm,
				     uint64_t start, uint64_t end, uz_pte_fn *cb, void *ctx);
/* Translate a user address (for --vtop and the oracles' cross-checks): the
 * last-level entry (or the huge upper-level entry) mapping vaddr, whatever
 * its state (present, swap, none); UZ_ERR_FAULT if an upper level is absent. */
struct uz_error *uz_kernel_user_vtop(struct uz_kernel *k, uint64_t mm, uint64_t vaddr,
				     struct uz_pte_ref *ref);

#endif
