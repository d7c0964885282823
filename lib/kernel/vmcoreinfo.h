/* vmcoreinfo.h - the VMCOREINFO note: "KEY=VALUE" lines the kernel writes for
 * dump tools (OSRELEASE, PAGESIZE, SYMBOL(x), OFFSET(x.y), SIZE(x),
 * NUMBER(x), LENGTH(x), KERNELOFFSET, BUILD-ID, ...).
 *
 * Owns: splitting the text into keys and values and parsing values the way
 * the kernel prints them (SYMBOL and KERNELOFFSET in bare hex, NUMBER/SIZE/
 * OFFSET/LENGTH/PAGESIZE in decimal, except the arm64 NUMBER()s printed with
 * a 0x prefix).  Does not own what the values mean (kernel.c, arch_*.c).
 */
#ifndef UZ_KERNEL_VMCOREINFO_H
#define UZ_KERNEL_VMCOREINFO_H

#include <stddef.h>
#include <stdint.h>

#include "../error.h"

struct uz_vmci;

/* Parse len bytes of text (need not be NUL-terminated; a NUL ends it early).
 * Lines without '=' are ignored; the first occurrence of a key wins.
 * Fails with UZ_ERR_FORMAT only if no KEY=VALUE line is found at all. */
struct uz_error *uz_vmci_parse(const char *text, size_t len, struct uz_vmci **out);
void uz_vmci_free(struct uz_vmci *vi);

/* Raw value string or NULL. */
const char *uz_vmci_get(const struct uz_vmci *vi, const char *key);
/* Number of KEY=VALUE lines. */
size_t uz_vmci_count(const struct uz_vmci *vi);

/* Value of `key` as a number: hex for SYMBOL(...) and KERNELOFFSET, "0x"-prefixed
 * hex anywhere, else decimal (a leading '-' is accepted and wraps, as the
 * kernel's %ld would).  UZ_ERR_NOT_FOUND if absent, UZ_ERR_FORMAT naming the
 * key and value if unparsable. */
struct uz_error *uz_vmci_number(const struct uz_vmci *vi, const char *key,
				      uint64_t *value);
/* Shorthands: "SYMBOL(name)", "NUMBER(name)", "OFFSET(type.member)", "SIZE(type)". */
struct uz_error *uz_vmci_symbol(const struct uz_vmci *vi, const char *name,
				      uint64_t *addr);
struct uz_error *uz_vmci_named(const struct uz_vmci *vi, const char *what,
				     const char *name, uint64_t *value);

#endif
