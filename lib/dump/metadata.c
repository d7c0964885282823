/* metadata.c - comparing what a dump says about its crash, apart from its
 * pages (for vmcore-unzram --verify): the notes, the VMCOREINFO text and
 * the header fields of each format that describe the crash rather than the
 * file's layout (elf.c and kdump.c know which are which).
 */
#include <inttypes.h>
#include <string.h>

#include "dump_internal.h"

/* The next note that is not named skip, or NOT_FOUND. */
static struct uz_error *next_kept_note(const struct uz_dump *d, size_t *cursor, const char *skip,
				       struct uz_dump_note *n)
{
	struct uz_error *err;
	while (!(err = uz_dump_next_note(d, cursor, n)))
		if (!skip || strcmp(n->name, skip) != 0)
			return NULL;
	return err;
}

static struct uz_error *compare_notes(const struct uz_dump *in, const struct uz_dump *out, const char *skip,
				      uint64_t *n_notes)
{
	size_t ci = 0, co = 0;
	for (uint64_t i = 0;; i++) {
		struct uz_dump_note a, b;
		struct uz_error *ea = next_kept_note(in, &ci, skip, &a);
		struct uz_error *eb = next_kept_note(out, &co, skip, &b);
		bool end_a = ea && ea->code == UZ_ERR_NOT_FOUND, end_b = eb && eb->code == UZ_ERR_NOT_FOUND;
		if ((ea && !end_a) || (eb && !end_b)) {
			struct uz_error *keep = (ea && !end_a) ? ea : eb;
			uz_error_destroy(keep == ea ? eb : ea);
			return uz_error_wrap(keep, "reading the notes");
		}
		uz_error_destroy(ea);
		uz_error_destroy(eb);
		if (end_a || end_b) {
			if (end_a != end_b)
				return uz_error_create(UZ_ERR_MISMATCH, "note %" PRIu64 ": %s has %s", i,
						       end_a ? "OUT" : "IN", end_a ? "one more" : "one more than OUT");
			*n_notes = i;
			return NULL;
		}
		if (strcmp(a.name, b.name) != 0 || a.type != b.type)
			return uz_error_create(UZ_ERR_MISMATCH, "note %" PRIu64 " is %s type %u in IN but %s type %u in OUT",
					       i, a.name, a.type, b.name, b.type);
		if (a.len != b.len || memcmp(a.desc, b.desc, a.len) != 0) {
			size_t at = 0;
			while (at < a.len && at < b.len && ((const uint8_t *)a.desc)[at] == ((const uint8_t *)b.desc)[at])
				at++;
			return uz_error_create(UZ_ERR_MISMATCH, "note %" PRIu64 " (%s type %u) differs at byte %zu",
					       i, a.name, a.type, at);
		}
	}
}

static struct uz_error *compare_vmcoreinfo(const struct uz_dump *in, const struct uz_dump *out)
{
	const char *a = uz_dump_vmcoreinfo(in), *b = uz_dump_vmcoreinfo(out);
	if (!a && !b)
		return NULL;
	if (!a || !b)
		return uz_error_create(UZ_ERR_MISMATCH, "VMCOREINFO is only in %s", a ? "IN" : "OUT");
	size_t line = 1;
	const char *p = a, *q = b;
	for (; *p && *p == *q; p++, q++)
		line += *p == '\n';
	if (*p == *q)
		return NULL;
	const char *start = p;
	while (start > a && start[-1] != '\n')
		start--;
	return uz_error_create(UZ_ERR_MISMATCH, "VMCOREINFO line %zu differs (IN: \"%.*s\")", line,
			       (int)strcspn(start, "\n"), start);
}

struct uz_error *uz_dump_compare_metadata(struct uz_dump *in, struct uz_dump *out, const char *skip_note,
					  uint64_t *n_notes)
{
	*n_notes = 0;
	UZ_TRY(compare_notes(in, out, skip_note, n_notes));
	UZ_TRY(compare_vmcoreinfo(in, out));
	if (uz_dump_arch(in) != uz_dump_arch(out))
		return uz_error_create(UZ_ERR_MISMATCH, "architectures differ");
	if (in->ops == &uz_kdump_ops && out->ops == &uz_kdump_ops)
		return uz_error_wrap(uz_kdump_compare_header(in, out), "kdump header");
	if (in->ops == &uz_elf_ops && out->ops == &uz_elf_ops)
		return uz_error_wrap(uz_elf_compare_header(in, out), "ELF header");
	return NULL;   /* converted: only the notes and VMCOREINFO carry over */
}
