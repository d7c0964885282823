/* types_btf.h - the type/symbol provider (types.h) that needs no debuginfo:
 * types from the BTF the kernel carries in its own image (and each module's
 * split BTF), symbols from the kernel's kallsyms, all read from the dump.
 * Works on kernels built with CONFIG_DEBUG_INFO_BTF (modules:
 * CONFIG_DEBUG_INFO_BTF_MODULES) whose VMCOREINFO exports the kallsyms tables
 * (Linux 6.0+).  BTF is parsed with libbpf.
 *
 * Owns: finding vmlinux BTF (kallsyms __start_BTF .. __stop_BTF), finding
 * module BTF (struct module.btf_data while a module is loading, else the BPF
 * subsystem's copy: btf_modules list -> struct btf_module.btf -> struct
 * btf.data/data_size), indexing names, and answering the types.h questions
 * from BTF.
 *
 * Does not own: address translation (the caller's read callback), module
 * symbols (modules.c reads each module's kallsyms with type layouts it gets
 * from this provider), the kernel view's caches.
 *
 * ADDRESS CONVENTION.  types.h asks providers for link-time addresses, to
 * which kernel.c adds KERNELOFFSET.  kallsyms holds runtime addresses, so
 * this provider returns runtime - kaslr_offset (kaslr_offset: VMCOREINFO
 * KERNELOFFSET, 0 if absent), which is exactly the link-time address; per-CPU
 * symbols that kallsyms stores as absolute offsets are returned unchanged,
 * as the DWARF provider does.  Net effect: uz_kernel_symbol() gives the same
 * runtime address with either provider, and kernel.c needs no change.
 * uz_types_btf_runtime_symbol() gives the runtime address directly.
 *
 * Limits of BTF (documented in docs/btf-provider.md): vmlinux BTF describes
 * only per-CPU variables, so array_len(NULL, var) and var_kind(var) answer
 * UZ_ERR_NOT_FOUND for ordinary globals (swap_info, mem_section: their users
 * have VMCOREINFO or a bound to fall back on); banner() is the dump's own
 * linux_banner; build_id() is unknown (NULL): the types come from the dump,
 * they cannot mismatch it.
 */
#ifndef UZ_KERNEL_TYPES_BTF_H
#define UZ_KERNEL_TYPES_BTF_H

#include <stddef.h>
#include <stdint.h>

#include "kallsyms.h"
#include "types.h"

struct uz_vmci;

/* Read kallsyms (through VMCOREINFO) and vmlinux BTF with `read`.  Module
 * BTF is read lazily, on the first lookup vmlinux BTF cannot answer, so
 * `ctx` must stay valid as long as the provider (kernel_open.c passes the
 * kernel view that owns the provider). */
struct uz_error *uz_types_btf_open(uz_vread_fn *read, void *ctx, const struct uz_vmci *vmci,
				   struct uz_types *out);

/* From memory (tests, fuzzers): a raw vmlinux BTF blob (copied), kallsyms
 * (ownership passes to the provider; may be NULL: no symbols) and the
 * KASLR offset of the addresses kallsyms holds.  No module BTF is read from
 * memory; add it with uz_types_btf_add_module. */
struct uz_error *uz_types_btf_open_memory(const void *btf, size_t size, struct uz_kallsyms *ks,
					  uint64_t kaslr_offset, struct uz_types *out);

/* Add a module's split BTF (on top of vmlinux BTF; copied).  Types of
 * vmlinux win over same-named module types; earlier modules over later. */
struct uz_error *uz_types_btf_add_module(struct uz_types *types, const char *module,
					 const void *btf, size_t size);

/* Runtime address of a vmlinux kallsyms symbol. */
struct uz_error *uz_types_btf_runtime_symbol(struct uz_types *types, const char *name,
					     uint64_t *addr);

/* Number of BTF objects loaded (1 + modules) and of types indexed: for
 * describing and for tests. */
size_t uz_types_btf_object_count(const struct uz_types *types);

#endif
