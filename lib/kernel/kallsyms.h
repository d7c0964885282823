/* kallsyms.h - the kernel's own compressed symbol table (kallsyms), decoded
 * from the dump's memory.
 *
 * Owns: decoding the vmlinux kallsyms tables (token table + token index,
 * length-prefixed compressed names, one-byte-or-two length prefix, relative
 * offsets with or without absolute per-CPU symbols, place-relative offsets
 * (7.0/7.1+), or plain absolute addresses) into a name -> runtime address table, and finding those tables
 * through VMCOREINFO (Linux 6.0+ exports SYMBOL(kallsyms_names) and friends).
 * The decoder works on byte buffers with explicit sizes, so hostile tables
 * end in an error, never an out-of-bounds read.
 *
 * Does not own: address translation (the caller supplies a read callback for
 * kernel virtual addresses), module symbols (each module keeps an ELF symbol
 * table of its own: modules.c), or types (types_btf.c).
 *
 * Addresses are RUNTIME addresses (KASLR already applied), except the
 * per-CPU symbols of a kernel with absolute per-CPU kallsyms, which are
 * offsets into the per-CPU area and are flagged `absolute`.
 */
#ifndef UZ_KERNEL_KALLSYMS_H
#define UZ_KERNEL_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../error.h"

struct uz_vmci;
struct uz_kallsyms;

/* Reads len bytes of kernel virtual memory at vaddr (runtime address). */
typedef struct uz_error *uz_vread_fn(void *ctx, uint64_t vaddr, void *buf, size_t len);

/* The raw tables, as bytes (all little endian). */
struct uz_kallsyms_raw {
	uint32_t num_syms;
	const uint8_t *names;          /* kallsyms_names */
	size_t names_size;
	const uint8_t *token_table;    /* kallsyms_token_table: NUL-terminated tokens */
	size_t token_table_size;
	const uint8_t *token_index;    /* kallsyms_token_index: 256 u16 offsets */
	size_t token_index_size;
	/* kallsyms_offsets (s32 each) with relative_base, or, when
	 * absolute_addresses, kallsyms_addresses (u64 each), or, when
	 * place_relative (7.0/7.1+: no kallsyms_relative_base), kallsyms_offsets
	 * each relative to its own address, offsets_addr being the runtime
	 * address of kallsyms_offsets[0]. */
	const uint8_t *offsets;
	size_t offsets_size;
	bool absolute_addresses;
	uint64_t relative_base;
	bool place_relative;
	uint64_t offsets_addr;
};

struct uz_kallsyms_symbol {
	const char *name;
	uint64_t addr;
	char type;                     /* 'T', 't', 'D', 'b', ... as in /proc/kallsyms */
	bool absolute;                 /* per-CPU offset, not relocated by KASLR */
};

/* Hard bounds of the decoder (hostile input). */
#define UZ_KALLSYMS_MAX_SYMS (4u << 20)
#define UZ_KALLSYMS_MAX_NAME 1024

struct uz_error *uz_kallsyms_decode(const struct uz_kallsyms_raw *raw, struct uz_kallsyms **out);

/* Find the tables through VMCOREINFO and read them with `read`. */
struct uz_error *uz_kallsyms_read(uz_vread_fn *read, void *ctx, const struct uz_vmci *vmci,
				  struct uz_kallsyms **out);

void uz_kallsyms_free(struct uz_kallsyms *ks);

size_t uz_kallsyms_count(const struct uz_kallsyms *ks);
const struct uz_kallsyms_symbol *uz_kallsyms_at(const struct uz_kallsyms *ks, size_t index);
/* By name: a global symbol (upper-case type) wins over a local one; among
 * locals of the same name, the first in table order.  NULL if absent. */
const struct uz_kallsyms_symbol *uz_kallsyms_lookup(const struct uz_kallsyms *ks, const char *name);

#endif
