/* The BTF + kallsyms provider (lib/kernel/types_btf.c) on the real Debian
 * dumps built by the test harness (one 6.1 and one 6.12 x86_64 4-level
 * fixture, found as tests/unit/ut_fixture.h says): every answer is compared
 * with the DWARF provider reading the debug vmlinux and debug modules beside
 * the dump, an independent source.  The kernel view is built the way
 * kernel_open.c will build it without debuginfo: translation first (from
 * VMCOREINFO alone), then the provider reading through it.  Skips only when
 * the set's fixture has not been built (tests/run builds them first). */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

#include "dump/dump.h"
#include "kernel/internal.h"
#include "kernel/types_btf.h"
#include "ut.h"
#include "ut_fixture.h"

static struct uz_error *kread(void *ctx, uint64_t vaddr, void *buf, size_t len)
{
	return uz_kernel_read(ctx, vaddr, buf, len);
}

static struct uz_error *dump_phys(void *ctx, uint64_t paddr, void *buf, size_t len)
{
	return uz_dump_read_phys(ctx, paddr, buf, len);
}

/* A kernel view over the dump with the given provider (ops NULL: none). */
static struct uz_error *view(struct uz_dump *dump, struct uz_types types, bool late,
			     struct uz_kernel **out)
{
	struct uz_kernel_setup s = {
		.arch = uz_dump_arch(dump),
		.page_size = uz_dump_page_size(dump),
		.vmcoreinfo = uz_dump_vmcoreinfo(dump),
		.phys = { .read = dump_phys, .ctx = dump },
		.types = types,
		.max_pfn = uz_dump_max_pfn(dump),
		.skip_late_init = !late,
	};
	return uz_kernel_open_custom(&s, out);
}

static const char *const symbols[] = {
	"init_task", "swap_info", "nr_swapfiles", "modules", "linux_banner", "init_top_pgt",
	"page_offset_base", "vmemmap_base", "max_pfn", "__supported_pte_mask", "l1tf_mitigation",
	"swapper_spaces", "nr_swapper_spaces", "mem_section", "_text", "_stext", "_end", "init_mm",
	"jiffies", "runqueues", "btf_modules", "__start_BTF", "__stop_BTF", "schedule",
};
static const char *const types[] = {
	"struct zram", "struct zram_table_entry", "struct zs_pool", "struct size_class",
	"struct zspage", "struct page", "struct task_struct", "struct mm_struct", "struct maple_node",
	"struct swap_info_struct", "struct vm_area_struct", "unsigned long", "int", "unsigned char",
	"long", "enum zram_pageflags", "struct module", "struct list_head", "pgd_t", "struct xarray",
	"struct idr", "struct gendisk", "swp_entry_t", "struct maple_tree", "struct folio",
	"struct mod_kallsyms", "bool", "u64", "struct zcomp", "struct address_space",
};
static const char *const members[][2] = {
	{ "struct zram", "table" }, { "struct zram", "mem_pool" }, { "struct zram", "disksize" },
	{ "struct zram", "disk" }, { "struct zram", "comp" }, { "struct zram", "comps" },
	{ "struct zram", "stats" }, { "struct zram", "stats.pages_stored" },
	{ "struct zram_table_entry", "handle" }, { "struct zram_table_entry", "flags" },
	{ "struct zram_table_entry", "element" }, { "struct zram_table_entry", "ac_time" },
	{ "struct zs_pool", "size_class" }, { "struct zs_pool", "name" },
	{ "struct size_class", "size" }, { "struct size_class", "index" },
	{ "struct size_class", "objs_per_zspage" }, { "struct size_class", "pages_per_zspage" },
	{ "struct zspage", "huge" }, { "struct zspage", "fullness" }, { "struct zspage", "class" },
	{ "struct zspage", "isolated" }, { "struct zspage", "magic" }, { "struct zspage", "inuse" },
	{ "struct zspage", "first_page" }, { "struct zspage", "freeobj" },
	{ "struct swap_info_struct", "flags" }, { "struct swap_info_struct", "type" },
	{ "struct swap_info_struct", "max" }, { "struct swap_info_struct", "swap_map" },
	{ "struct swap_info_struct", "bdev" }, { "struct swap_info_struct", "swap_file" },
	{ "struct swap_info_struct", "pages" },
	{ "struct task_struct", "tasks" }, { "struct task_struct", "mm" }, { "struct task_struct", "pid" },
	{ "struct task_struct", "tgid" }, { "struct task_struct", "comm" },
	{ "struct task_struct", "thread_group" }, { "struct task_struct", "signal" },
	{ "struct task_struct", "__state" }, { "struct task_struct", "tasks.next" },
	{ "struct mm_struct", "mm_mt" }, { "struct mm_struct", "pgd" },
	{ "struct mm_struct", "mm_mt.ma_root" }, { "struct mm_struct", "mm_mt.ma_flags" },
	{ "struct maple_node", "slot" }, { "struct maple_node", "mr64" }, { "struct maple_node", "ma64" },
	{ "struct maple_node", "parent" }, { "struct maple_node", "mr64.pivot" },
	{ "struct maple_node", "ma64.gap" }, { "struct maple_range_64", "pivot" },
	{ "struct maple_range_64", "slot" }, { "struct maple_arange_64", "gap" },
	{ "struct page", "flags" }, { "struct page", "mapping" }, { "struct page", "index" },
	{ "struct page", "private" }, { "struct page", "_refcount" }, { "struct page", "lru" },
	{ "struct page", "compound_head" }, { "struct page", "lru.next" },
	{ "struct vm_area_struct", "vm_start" }, { "struct vm_area_struct", "vm_end" },
	{ "struct vm_area_struct", "vm_flags" }, { "struct vm_area_struct", "vm_page_prot" },
	{ "struct vm_area_struct", "vm_file" }, { "struct vm_area_struct", "vm_mm" },
	{ "struct module", "list" }, { "struct module", "name" }, { "struct module", "kallsyms" },
	{ "struct module", "btf_data" }, { "struct mod_kallsyms", "symtab" },
	{ "struct mod_kallsyms", "num_symtab" }, { "struct mod_kallsyms", "strtab" },
	{ "struct xarray", "xa_head" }, { "struct idr", "idr_rt" }, { "struct gendisk", "disk_name" },
	{ "struct gendisk", "private_data" }, { "struct xa_node", "slots" }, { "struct xa_node", "shift" },
	{ "struct folio", "swap" }, { "struct folio", "swap.val" }, { "struct folio", "flags" },
	{ "struct task_struct", "comm[3]" }, { "struct maple_node", "slot[5]" },
};
static const char *const enumerators[] = {
	"ZRAM_SAME", "ZRAM_WB", "ZRAM_HUGE", "ZRAM_IDLE", "ZRAM_LOCK", "ZRAM_UNDER_WB",
	"ZRAM_INCOMPRESSIBLE", "__NR_ZRAM_PAGEFLAGS", "PG_private", "PG_swapcache", "PG_locked",
	"PG_head", "SWP_USED", "SWP_WRITEOK", "maple_range_64", "maple_arange_64", "maple_leaf_64",
	"maple_dense", "TASK_COMM_LEN", "NR_PAGEFLAGS", "ZS_EMPTY", "ZS_INUSE_RATIO_0", "MODULE_STATE_LIVE",
};
/* Array members and their element types: the expected length is DWARF's
 * member size over DWARF's element size (the DWARF provider's own array_len
 * misreads a one-byte DW_AT_upper_bound >= 128 as negative). */
static const char *const arrays[][3] = {
	{ "struct zs_pool", "size_class", "struct size_class *" }, { "struct task_struct", "comm", "char" },
	{ "struct maple_range_64", "pivot", "unsigned long" }, { "struct maple_node", "slot", "void *" },
	{ "struct zram", "comps", "struct zcomp *" }, { "struct gendisk", "disk_name", "char" },
};

struct tally {
	int compared, both_absent;
	char why[512];
};

/* Both succeed with equal values, or both fail with NOT_FOUND. */
static bool same_outcome(struct tally *t, const char *what, struct uz_error *dw, struct uz_error *bt,
			 bool equal)
{
	bool ok;
	if (!dw && !bt)
		ok = equal;
	else
		ok = dw && bt && dw->code == UZ_ERR_NOT_FOUND && bt->code == UZ_ERR_NOT_FOUND;
	if (!ok && !t->why[0])
		snprintf(t->why, sizeof(t->why), "%s: DWARF %s, BTF %s%s", what,
			 dw ? dw->message : "ok", bt ? bt->message : "ok",
			 !dw && !bt ? " (values differ)" : "");
	if (ok) {
		t->compared++;
		if (dw)
			t->both_absent++;
	}
	uz_error_destroy(dw);
	uz_error_destroy(bt);
	return ok;
}

static void compare(struct ut_state *ut_, const char *dir)
{
	char path[2048], vmlinux[2048], mod_paths[2][2048];
	snprintf(path, sizeof(path), "%s/kdump-elf.vmcore", dir);
	snprintf(vmlinux, sizeof(vmlinux), "%s/vmlinux", dir);
	snprintf(mod_paths[0], sizeof(mod_paths[0]), "%s/debug-modules/zram.ko", dir);
	snprintf(mod_paths[1], sizeof(mod_paths[1]), "%s/debug-modules/zsmalloc.ko", dir);
	const char *const mods[] = { mod_paths[0], mod_paths[1] };
	struct uz_dump *dump;
	UT_OK(uz_dump_open(path, &dump));
	struct uz_types none = { NULL, NULL }, dw, bt;
	struct uz_kernel *early, *kb = NULL, *kd = NULL;
	UT_OK(view(dump, none, false, &early));
	UT_OK(uz_types_dwarf_open(vmlinux, mods, 2, &dw));
	UT_OK(uz_types_btf_open(kread, early, early->vmci, &bt));

	struct tally t = { 0, 0, "" };
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		uint64_t a = 0, b = 1;
		struct uz_error *e1 = dw.ops->symbol(dw.impl, symbols[i], &a);
		struct uz_error *e2 = bt.ops->symbol(bt.impl, symbols[i], &b);
		same_outcome(&t, symbols[i], e1, e2, a == b);
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		uint64_t a = 0, b = 1;
		struct uz_error *e1 = dw.ops->type_size(dw.impl, types[i], &a);
		struct uz_error *e2 = bt.ops->type_size(bt.impl, types[i], &b);
		same_outcome(&t, types[i], e1, e2, a == b);
	}
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		struct uz_member a = { 0, 0, 0, 0 }, b = { 1, 1, 1, 1 };
		char what[256];
		snprintf(what, sizeof(what), "%s.%s", members[i][0], members[i][1]);
		struct uz_error *e1 = dw.ops->member(dw.impl, members[i][0], members[i][1], &a);
		struct uz_error *e2 = bt.ops->member(bt.impl, members[i][0], members[i][1], &b);
		same_outcome(&t, what, e1, e2,
			     a.offset == b.offset && a.size == b.size && a.bit_offset == b.bit_offset &&
			     a.bit_size == b.bit_size);
	}
	for (size_t i = 0; i < sizeof(enumerators) / sizeof(enumerators[0]); i++) {
		int64_t a = 0, b = 1;
		struct uz_error *e1 = dw.ops->enumerator(dw.impl, enumerators[i], &a);
		struct uz_error *e2 = bt.ops->enumerator(bt.impl, enumerators[i], &b);
		same_outcome(&t, enumerators[i], e1, e2, a == b);
	}
	for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
		uint64_t esize = 0, b = 1;
		struct uz_member a = { 0, 0, 0, 0 };
		char what[256];
		snprintf(what, sizeof(what), "length of %s.%s", arrays[i][0], arrays[i][1]);
		struct uz_error *e1 = dw.ops->member(dw.impl, arrays[i][0], arrays[i][1], &a);
		if (!e1)
			e1 = dw.ops->type_size(dw.impl, arrays[i][2], &esize);
		struct uz_error *e2 = bt.ops->array_len(bt.impl, arrays[i][0], arrays[i][1], &b);
		same_outcome(&t, what, e1, e2, esize && a.size / esize == b);
	}
	if (t.why[0])
		UT_FAIL("%s: %s", dir, t.why);
	/* Must-haves, so that "both absent" cannot hide a broken lookup. */
	UT_ASSERT(t.compared - t.both_absent >= 120);
	struct uz_member zspage_magic;
	UT_OK(bt.ops->member(bt.impl, "struct zspage", "magic", &zspage_magic));
	UT_ASSERT(zspage_magic.bit_size == 8);
	UT_ASSERT(uz_types_btf_object_count(&bt) >= 3);   /* vmlinux, zram, zsmalloc */

	/* Globals other than per-CPU ones have no BTF: a NOT_FOUND, not a wrong answer. */
	uint64_t len;
	struct uz_error *err = bt.ops->array_len(bt.impl, NULL, "swap_info", &len);
	UT_ASSERT(err && err->code == UZ_ERR_NOT_FOUND);
	uz_error_destroy(err);

	/* The banner is the dump's own, and the one the debug vmlinux has. */
	UT_ASSERT(bt.ops->banner(bt.impl) && dw.ops->banner(dw.impl));
	UT_ASSERT(strcmp(bt.ops->banner(bt.impl), dw.ops->banner(dw.impl)) == 0);

	/* Whole kernel views, one per provider: runtime symbols, module symbols
	 * (modules.c with BTF layouts) and the task walk must agree. */
	UT_OK(view(dump, dw, true, &kd));
	UT_OK(view(dump, bt, true, &kb));
	uint64_t a, b;
	UT_OK(uz_kernel_symbol(kd, "init_task", &a));
	UT_OK(uz_kernel_symbol(kb, "init_task", &b));
	UT_ASSERT_EQ(a, b);
	uint64_t vmci_init_task;
	if (!uz_vmci_symbol(early->vmci, "init_top_pgt", &vmci_init_task)) {
		UT_OK(uz_kernel_symbol(kb, "init_top_pgt", &b));
		UT_ASSERT_EQ(b, vmci_init_task);
	}
	UT_OK(uz_kernel_load_modules(kd));
	UT_OK(uz_kernel_load_modules(kb));
	UT_ASSERT(uz_kernel_module_count(kb) > 0);
	UT_ASSERT_EQ(uz_kernel_module_count(kb), uz_kernel_module_count(kd));
	UT_OK(uz_kernel_module_symbol(kd, "zram", "zram_index_idr", &a));
	UT_OK(uz_kernel_module_symbol(kb, "zram", "zram_index_idr", &b));
	UT_ASSERT_EQ(a, b);
	printf("# %s: %d answers identical (%d absent in both), %zu BTF objects\n", dir, t.compared,
	       t.both_absent, uz_types_btf_object_count(&kb->types));
	uz_kernel_close(kb);
	uz_kernel_close(kd);
	uz_kernel_close(early);
	uz_dump_close(dump);
}

static struct uz_error *count_task(void *ctx, const struct uz_task_info *task)
{
	(void)task;
	++*(size_t *)ctx;
	return NULL;
}

/* uz_kernel_open without any debuginfo (kernel_open.c falls back to this
 * provider), the view must agree with the
 * DWARF-built one on what vmcore-unzram reads. */
static void compare_open(struct ut_state *ut_, const char *dir)
{
	char path[2048], vmlinux[2048], mods[2048], nowhere[2048];
	snprintf(path, sizeof(path), "%s/kdump-elf.vmcore", dir);
	snprintf(vmlinux, sizeof(vmlinux), "%s/vmlinux", dir);
	snprintf(mods, sizeof(mods), "%s/debug-modules", dir);
	snprintf(nowhere, sizeof(nowhere), "%s/no-such-debuginfo-dir", dir);
	struct uz_dump *dump;
	UT_OK(uz_dump_open(path, &dump));
	struct uz_kernel_options with = { .vmlinux = vmlinux, .debuginfo_dir = mods };
	/* No debuginfo named: a named directory that does not exist is an
	 * error now, never a fall-back (issue 13). */
	struct uz_kernel_options without = { .vmlinux = NULL, .debuginfo_dir = NULL };
	(void)nowhere;
	struct uz_kernel *kd, *kb;
	UT_OK(uz_kernel_open(dump, &with, &kd));
	UT_OK(uz_kernel_open(dump, &without, &kb));
	size_t nd = 0, nb = 0;
	UT_OK(uz_kernel_for_each_task(kd, count_task, &nd));
	UT_OK(uz_kernel_for_each_task(kb, count_task, &nb));
	UT_ASSERT(nd > 10);
	UT_ASSERT_EQ(nb, nd);
	uint64_t a, b;
	UT_OK(uz_kernel_module_symbol(kd, "zram", "zram_index_idr", &a));
	UT_OK(uz_kernel_module_symbol(kb, "zram", "zram_index_idr", &b));
	UT_ASSERT_EQ(a, b);
	struct uz_member ma, mb;
	UT_OK(uz_kernel_member(kd, "struct zram", "table", &ma));
	UT_OK(uz_kernel_member(kb, "struct zram", "table", &mb));
	UT_ASSERT_EQ(ma.offset, mb.offset);
	uz_kernel_close(kb);
	uz_kernel_close(kd);
	uz_dump_close(dump);
}

/* The set's fixture (tests/unit/ut_fixture.h); kdump-elf.vmcore and vmlinux
 * must be there. */
#define FIXTURE_WITH_FILES(dir, kernel) do { UT_FIXTURE(dir, "x86_64", kernel, 4); \
	char f1_[2100], f2_[2100]; struct stat st_; \
	snprintf(f1_, sizeof(f1_), "%s/kdump-elf.vmcore", dir); \
	snprintf(f2_, sizeof(f2_), "%s/vmlinux", dir); \
	if (stat(f1_, &st_) != 0 || stat(f2_, &st_) != 0) \
		UT_FAIL("fixture %s lacks kdump-elf.vmcore or vmlinux", dir); } while (0)

static void run_fixture(struct ut_state *ut_, const char *kernel)
{
	char dir[1536];
	FIXTURE_WITH_FILES(dir, kernel);
	compare(ut_, dir);
}

static void run_open(struct ut_state *ut_, const char *kernel)
{
	char dir[1536];
	FIXTURE_WITH_FILES(dir, kernel);
	compare_open(ut_, dir);
}

UT_TEST(open_without_debuginfo_6_1)
{
	run_open(ut_, "6.1");
}

UT_TEST(open_without_debuginfo_6_12)
{
	run_open(ut_, "6.12");
}

UT_TEST(btf_matches_dwarf_6_1)
{
	run_fixture(ut_, "6.1");
}

UT_TEST(btf_matches_dwarf_6_12)
{
	run_fixture(ut_, "6.12");
}

UT_MAIN(UT_CASE(btf_matches_dwarf_6_1), UT_CASE(btf_matches_dwarf_6_12),
	UT_CASE(open_without_debuginfo_6_1), UT_CASE(open_without_debuginfo_6_12))
