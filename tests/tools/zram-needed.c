/* zram-needed - measure which pages vmcore-unzram needs (lib/keep) and which
 * of them a filtered dump of the same crash lacks, with the reason a
 * makedumpfile 1.7.2 -d test gives for dropping each one.
 *
 *   zram-needed [--vmlinux F] [--debuginfo DIR] [-v] ORIGINAL [FILTERED...]
 *       per category: needed pages, and for each FILTERED how many it lacks
 *       and why; -v lists every lacking page ("lack FILTERED PFN categories
 *       reason flags mapping mapcount").  Ends with one line per FILTERED:
 *       "UZ-NEEDED {json}".
 *   zram-needed --list [...] ORIGINAL          "PFN categories" per needed page
 *   zram-needed --zero-excluded FILTERED OUT ORIGINAL
 *       write ORIGINAL to OUT with every page FILTERED lacks replaced by
 *       zeros: an ELF "filtered" dump in which every PFN is present or zero
 *       (what zram-keep can patch while the dump writer cannot replace
 *       excluded pages).
 *
 * The reasons re-apply makedumpfile 1.7.2's tests to the page's struct page
 * in ORIGINAL (kernel-facts.md section 7.1): free (buddy, -d 16), cache
 * (PG_lru or swap cache, not anon: -d 2, or -d 4 with PG_private), anon
 * (mapping bit 0 and not PG_slab: -d 8; "anon-slab" when the page is really a
 * slab page whose kernel no longer has PG_slab), zero (-d 1), other.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump/dump.h"
#include "keep/needed.h"
#include "kernel/kernel.h"

enum reason { R_FREE, R_CACHE, R_CACHE_PRIVATE, R_ANON, R_ANON_SLAB, R_ZERO, R_OTHER, R_COUNT };
static const char *const reason_names[R_COUNT] = {
	"free", "cache", "cache-private", "anon", "anon-slab", "zero", "other",
};

/* What the classification needs from VMCOREINFO (-1: not exported). */
struct page_rules {
	int64_t pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab;
	int64_t buddy, slab_type;     /* _mapcount/page_type values */
	uint64_t off_flags, off_head, off_mapping, off_mapcount, off_private;
	bool have_buddy, have_slab_type;
};

static int64_t vmci_num(struct uz_kernel *k, const char *key, int64_t dflt)
{
	const char *v = uz_kernel_vmcoreinfo(k, key);
	return v ? strtoll(v, NULL, 0) : dflt;
}

static void rules_init(struct uz_kernel *k, struct page_rules *r)
{
	r->pg_lru = vmci_num(k, "NUMBER(PG_lru)", -1);
	r->pg_private = vmci_num(k, "NUMBER(PG_private)", -1);
	r->pg_swapcache = vmci_num(k, "NUMBER(PG_swapcache)", -1);
	r->pg_swapbacked = vmci_num(k, "NUMBER(PG_swapbacked)", -1);
	r->pg_slab = vmci_num(k, "NUMBER(PG_slab)", -1);
	r->have_buddy = uz_kernel_vmcoreinfo(k, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)") != NULL;
	r->buddy = vmci_num(k, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)", 0);
	r->have_slab_type = uz_kernel_vmcoreinfo(k, "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)") != NULL;
	r->slab_type = vmci_num(k, "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)", 0);
	r->off_flags = (uint64_t)vmci_num(k, "OFFSET(page.flags)", 0);
	r->off_head = (uint64_t)vmci_num(k, "OFFSET(page.compound_head)", 8);
	r->off_mapping = (uint64_t)vmci_num(k, "OFFSET(page.mapping)", 24);
	r->off_mapcount = (uint64_t)vmci_num(k, "OFFSET(page._mapcount)", 48);
	r->off_private = (uint64_t)vmci_num(k, "OFFSET(page.private)", 40);
}

static bool bit(uint64_t flags, int64_t nr)
{
	return nr >= 0 && nr < 64 && ((flags >> nr) & 1);
}

struct page_fields {
	uint64_t flags, mapping, priv;
	int32_t mapcount;
};

static struct uz_error *read_fields(struct uz_kernel *k, const struct page_rules *r, uint64_t pfn,
				    struct page_fields *f, uint64_t *page)
{
	uint8_t b[64];
	UZ_TRY(uz_kernel_pfn_to_page(k, pfn, page));
	UZ_TRY(uz_kernel_read(k, *page, b, sizeof(b)));
	memcpy(&f->flags, b + r->off_flags, 8);
	memcpy(&f->mapping, b + r->off_mapping, 8);
	memcpy(&f->priv, b + r->off_private, 8);
	memcpy(&f->mapcount, b + r->off_mapcount, 4);
	uint64_t head;
	memcpy(&head, b + r->off_head, 8);
	if (head & 1) {
		/* A compound tail: makedumpfile decides with the head page. */
		uint64_t hp = head - 1, hpfn;
		UZ_TRY(uz_kernel_page_to_pfn(k, hp, &hpfn));
		UZ_TRY(uz_kernel_read(k, hp, b, sizeof(b)));
		memcpy(&f->flags, b + r->off_flags, 8);
		memcpy(&f->mapping, b + r->off_mapping, 8);
		memcpy(&f->mapcount, b + r->off_mapcount, 4);
	}
	return NULL;
}

/* Is pfn inside a free buddy block whose head page carries the buddy mark? */
static bool in_buddy_block(struct uz_kernel *k, const struct page_rules *r, uint64_t pfn)
{
	if (!r->have_buddy)
		return false;
	for (unsigned order = 0; order <= 10; order++) {
		uint64_t base = pfn & ~((UINT64_C(1) << order) - 1), page;
		struct page_fields f;
		struct uz_error *err = read_fields(k, r, base, &f, &page);
		if (err) {
			uz_error_destroy(err);
			return false;
		}
		if (f.mapcount == (int32_t)r->buddy && f.priv >= order && f.priv <= 10)
			return true;
	}
	return false;
}

static bool all_zero(const uint8_t *p, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static enum reason classify(struct uz_kernel *k, struct uz_dump *orig, const struct page_rules *r,
			    uint64_t pfn, struct page_fields *f, void *buf)
{
	uint64_t page;
	memset(f, 0, sizeof(*f));
	struct uz_error *err = read_fields(k, r, pfn, f, &page);
	if (err) {
		uz_error_destroy(err);
		return R_OTHER;
	}
	if (in_buddy_block(k, r, pfn))
		return R_FREE;
	bool lru = bit(f->flags, r->pg_lru);
	bool swapcache = bit(f->flags, r->pg_swapcache) &&
			 (r->pg_swapbacked < 0 || bit(f->flags, r->pg_swapbacked));
	bool is_cache = lru || swapcache;
	bool is_private = bit(f->flags, r->pg_private);
	/* makedumpfile 1.7.2's isSlab is PG_slab only (kernels from 6.10 have
	 * no PG_slab: slab is a page type there). */
	bool slab_1_7_2 = bit(f->flags, r->pg_slab);
	bool anon = (f->mapping & 1) && !slab_1_7_2;
	if (is_cache && !is_private && !anon)
		return R_CACHE;
	if (is_cache && !anon)
		return R_CACHE_PRIVATE;
	if (anon)
		return r->have_slab_type && f->mapcount == (int32_t)r->slab_type ? R_ANON_SLAB : R_ANON;
	err = uz_dump_read_page(orig, pfn, buf);
	if (!err) {
		const uint8_t *b = buf;
		if (all_zero(b, uz_dump_page_size(orig)))
			return R_ZERO;
	}
	uz_error_destroy(err);
	return R_OTHER;
}

static void mask_string(unsigned mask, char *out, size_t len)
{
	out[0] = '\0';
	for (int c = 0; c < UZ_NEED_COUNT; c++)
		if (mask & UZ_NEED_BIT(c)) {
			size_t l = strlen(out);
			snprintf(out + l, len - l, "%s%s", l ? "," : "", uz_need_category_name(c));
		}
}

/* The category a page counts under in the table: (f) only when no other. */
static bool in_category(unsigned mask, int c)
{
	if (c == UZ_NEED_OTHER)
		return mask == UZ_NEED_BIT(UZ_NEED_OTHER);
	return mask & UZ_NEED_BIT(c);
}

static struct uz_error *zeroed_page(struct uz_dump *orig, struct uz_dump *f, uint64_t pfn,
				    uint8_t *buf, bool *zeroed)
{
	uint64_t ps = uz_dump_page_size(orig);
	*zeroed = false;
	UZ_TRY(uz_dump_read_page(f, pfn, buf));
	if (!all_zero(buf, ps))
		return NULL;
	UZ_TRY(uz_dump_read_page(orig, pfn, buf));
	*zeroed = !all_zero(buf, ps);
	return NULL;
}

static struct uz_error *measure(struct uz_kernel *k, struct uz_dump *orig, const struct uz_needed *n,
				const char *path, bool verbose)
{
	struct uz_dump *f;
	UZ_TRY(uz_dump_open(path, &f));
	struct page_rules r;
	rules_init(k, &r);
	uint64_t lack[UZ_NEED_COUNT] = { 0 }, why[UZ_NEED_COUNT][R_COUNT];
	uint64_t total_lack = 0, state_count[4] = { 0 };
	memset(why, 0, sizeof(why));
	uint8_t *buf = malloc(uz_dump_page_size(orig));
	struct uz_error *err = buf ? NULL : uz_error_create(UZ_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < uz_needed_count(n) && !err; i++) {
		uint64_t pfn = uz_needed_pfn(n, i);
		unsigned mask = uz_needed_mask(n, i);
		enum uz_page_state st = UZ_PAGE_HOLE;
		if (pfn < uz_dump_max_pfn(f))
			err = uz_dump_page_state(f, pfn, &st);
		if (err)
			break;
		state_count[st]++;
		if (st == UZ_PAGE_PRESENT || st == UZ_PAGE_ZERO) {
			/* Lacking too: zero here, data in ORIGINAL (a dump whose
			 * filtered pages were zeroed). */
			bool zeroed = false;
			if ((err = zeroed_page(orig, f, pfn, buf, &zeroed)))
				break;
			if (!zeroed)
				continue;
		}
		struct page_fields pf;
		enum reason rs = classify(k, orig, &r, pfn, &pf, buf);
		total_lack++;
		for (int c = 0; c < UZ_NEED_COUNT; c++)
			if (in_category(mask, c)) {
				lack[c]++;
				why[c][rs]++;
			}
		if (verbose) {
			char ms[128];
			mask_string(mask, ms, sizeof(ms));
			printf("lack %s 0x%" PRIx64 " %s %s flags=0x%" PRIx64 " mapping=0x%" PRIx64
			       " mapcount=0x%08x\n", path, pfn, ms, reason_names[rs], pf.flags,
			       pf.mapping, (uint32_t)pf.mapcount);
		}
	}
	if (!err) {
		printf("%s: lacks %" PRIu64 " of %zu needed pages\n", path, total_lack, uz_needed_count(n));
		printf("UZ-NEEDED {\"dump\": \"%s\", \"needed\": %zu, \"lacking\": %" PRIu64 ", \"by_category\": {",
		       path, uz_needed_count(n), total_lack);
		for (int c = 0; c < UZ_NEED_COUNT; c++) {
			uint64_t need = 0;
			for (size_t i = 0; i < uz_needed_count(n); i++)
				need += in_category(uz_needed_mask(n, i), c);
			printf("%s\"%s\": {\"needed\": %" PRIu64 ", \"lacking\": %" PRIu64, c ? ", " : "",
			       uz_need_category_name(c), need, lack[c]);
			for (int rs = 0; rs < R_COUNT; rs++)
				if (why[c][rs])
					printf(", \"%s\": %" PRIu64, reason_names[rs], why[c][rs]);
			printf("}");
		}
		printf("}}\n");
	}
	free(buf);
	uz_dump_close(f);
	return uz_error_wrap(err, "%s", path);
}

static void print_summary(const struct uz_needed *n)
{
	const struct uz_needed_stats *s = uz_needed_stats(n);
	printf("needed: %zu pages (page reads observed: %s)\n", uz_needed_count(n),
	       s->reads_observed ? "yes" : "no: (f) holds named objects only");
	for (int c = 0; c < UZ_NEED_COUNT; c++) {
		uint64_t cnt = 0;
		for (size_t i = 0; i < uz_needed_count(n); i++)
			cnt += in_category(uz_needed_mask(n, i), c);
		printf("  %-14s %8" PRIu64 "%s\n", uz_need_category_name(c), cnt,
		       c == UZ_NEED_OTHER ? " (in no other category)" : "");
	}
	printf("walk: %" PRIu64 " tasks, %" PRIu64 " mms, %" PRIu64 " VMAs, %" PRIu64 " zram swap PTEs, %" PRIu64
	       " entries/slots resolved (%" PRIu64 " failed), %" PRIu64 " zspages, %" PRIu64
	       " object pages off the zspage lists\n", s->tasks, s->mms, s->vmas, s->zram_swap_ptes,
	       s->entries_resolved, s->entries_failed, s->zspages, s->obj_pages_off_lists);
}

/* ---- --zero-excluded ---- */

struct zero_ctx { uint64_t dummy; };

static struct uz_error *fill_zero(void *ctx, size_t index, void *page)
{
	(void)index;
	memset(page, 0, ((struct zero_ctx *)ctx)->dummy);
	return NULL;
}

static struct uz_error *zero_excluded(struct uz_dump *orig, const char *filtered, const char *out)
{
	struct uz_dump *f;
	UZ_TRY(uz_dump_open(filtered, &f));
	size_t cap = 1 << 16, n = 0;
	struct uz_page_patch *p = malloc(cap * sizeof(*p));
	struct uz_error *err = p ? NULL : uz_error_create(UZ_ERR_NOMEM, "out of memory");
	for (uint64_t pfn = 0; pfn < uz_dump_max_pfn(orig) && !err; pfn++) {
		enum uz_page_state so, sf = UZ_PAGE_HOLE;
		if ((err = uz_dump_page_state(orig, pfn, &so)))
			break;
		if (so != UZ_PAGE_PRESENT)
			continue;
		if (pfn < uz_dump_max_pfn(f) && (err = uz_dump_page_state(f, pfn, &sf)))
			break;
		if (sf == UZ_PAGE_PRESENT || sf == UZ_PAGE_ZERO)
			continue;
		if (n == cap) {
			struct uz_page_patch *q = realloc(p, 2 * cap * sizeof(*p));
			if (!q) {
				err = uz_error_create(UZ_ERR_NOMEM, "out of memory");
				break;
			}
			p = q;
			cap *= 2;
		}
		p[n++].pfn = pfn;
	}
	struct zero_ctx zc = { uz_dump_page_size(orig) };
	if (!err)
		err = uz_dump_write(orig, out, p, n, fill_zero, &zc, NULL);
	if (!err)
		fprintf(stderr, "zram-needed: %s: %zu pages zeroed (those %s lacks)\n", out, n, filtered);
	free(p);
	uz_dump_close(f);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vmlinux", required_argument, NULL, 'k' },
		{ "debuginfo", required_argument, NULL, 'd' },
		{ "list", no_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "zero-excluded", required_argument, NULL, 'z' },
		{ NULL, 0, NULL, 0 },
	};
	struct uz_kernel_options ko = { 0 };
	bool list = false, verbose = false;
	const char *zero_filtered = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "k:d:lvz:", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': ko.vmlinux = optarg; break;
		case 'd': ko.debuginfo_dir = optarg; break;
		case 'l': list = true; break;
		case 'v': verbose = true; break;
		case 'z': zero_filtered = optarg; break;
		default:
			fprintf(stderr, "usage: zram-needed [--vmlinux F] [--debuginfo DIR] [-v|--list] ORIGINAL [FILTERED...]\n"
				"       zram-needed --zero-excluded FILTERED OUT ORIGINAL\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "zram-needed: missing ORIGINAL (see the comment at the top of zram-needed.c)\n");
		return 2;
	}
	struct uz_dump *orig = NULL;
	struct uz_needed *n = NULL;
	struct uz_kernel *k = NULL;
	struct uz_error *err;
	if (zero_filtered) {
		if (argc - optind != 2) {
			fprintf(stderr, "zram-needed: --zero-excluded FILTERED OUT ORIGINAL\n");
			return 2;
		}
		err = uz_dump_open(argv[optind + 1], &orig);
		if (!err)
			err = zero_excluded(orig, zero_filtered, argv[optind]);
		goto out;
	}
	err = uz_dump_open(argv[optind], &orig);
	if (!err)
		err = uz_needed_compute(orig, &ko, &n);
	if (err)
		goto out;
	if (list) {
		for (size_t i = 0; i < uz_needed_count(n); i++) {
			char ms[128];
			mask_string(uz_needed_mask(n, i), ms, sizeof(ms));
			printf("0x%" PRIx64 " %s\n", uz_needed_pfn(n, i), ms);
		}
		goto out;
	}
	print_summary(n);
	if (optind + 1 < argc)
		err = uz_kernel_open(orig, &ko, &k);
	for (int i = optind + 1; i < argc && !err; i++)
		err = measure(k, orig, n, argv[i], verbose);
out:;
	int rc = 0;
	if (err) {
		fprintf(stderr, "zram-needed: %s\n", err->message);
		rc = uz_error_exit_code(err);
		rc = rc ? rc : 1;
		uz_error_destroy(err);
	}
	uz_kernel_close(k);
	uz_needed_free(n);
	uz_dump_close(orig);
	return rc;
}
