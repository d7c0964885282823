/* The kernel view on the real Debian dumps built by the test harness (the
 * x86_64 fixture sets, found as tests/unit/ut_fixture.h says).  The guest recorded, from
 * inside, which pages of which processes were swapped (type, offset) or
 * resident (manifest.tsv); every row must be found by walking tasks, VMAs and
 * page tables in the dump.  Skips only when no x86_64 set has been built
 * (tests/run builds them first); a set left out is named on its own line. */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

#include "dump/dump.h"
#include "kernel/kernel.h"
#include "ut.h"
#include "ut_fixture.h"

struct tasks {
	size_t n;
	int32_t pid[4096];
	uint64_t mm[4096];
};

static struct uz_error *add_task(void *ctx, const struct uz_task_info *t)
{
	struct tasks *ts = ctx;
	if (ts->n < 4096) {
		ts->pid[ts->n] = t->pid;
		ts->mm[ts->n] = t->mm;
		ts->n++;
	}
	return NULL;
}

struct vma_find {
	uint64_t addr;
	bool found, anonymous;
	uint64_t prev_end;
	bool ordered;
};

static struct uz_error *find_vma(void *ctx, const struct uz_vma_info *v)
{
	struct vma_find *f = ctx;
	if (v->start < f->prev_end)
		f->ordered = false;
	f->prev_end = v->end;
	if (f->addr >= v->start && f->addr < v->end) {
		f->found = true;
		f->anonymous = v->anonymous;
	}
	return NULL;
}

static uint64_t mm_of(const struct tasks *ts, int32_t pid)
{
	for (size_t i = 0; i < ts->n; i++)
		if (ts->pid[i] == pid)
			return ts->mm[i];
	return 0;
}

/* Adds the number of manifest rows checked to *rows_checked. */
static void check_dump(struct ut_state *ut_, const char *dir, const char *dump_name, int *rows_checked)
{
	char path[2048], vmlinux[2048], mods[2048], manifest[2048];
	snprintf(path, sizeof(path), "%s/%s", dir, dump_name);
	snprintf(vmlinux, sizeof(vmlinux), "%s/vmlinux", dir);
	snprintf(mods, sizeof(mods), "%s/debug-modules", dir);
	snprintf(manifest, sizeof(manifest), "%s/manifest.tsv", dir);
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	struct uz_dump *dump;
	UT_OK(uz_dump_open(path, &dump));
	struct uz_kernel_options opts = { .vmlinux = vmlinux, .debuginfo_dir = mods };
	struct uz_kernel *k;
	struct uz_error *err = uz_kernel_open(dump, &opts, &k);
	if (err) {
		uz_dump_close(dump);
		UT_OK(err);
	}
	static struct tasks ts;
	ts.n = 0;
	err = uz_kernel_for_each_task(k, add_task, &ts);
	FILE *f = err ? NULL : fopen(manifest, "r");
	char line[1024];
	int checked = 0;
	const char *why = NULL;
	static char whybuf[512];
	while (!err && !why && f && fgets(line, sizeof(line), f)) {
		/* scenario proc pid tgid vaddr label index seed kind pte swap_type swap_offset ... */
		char *col[16] = { 0 };
		int n = 0;
		for (char *s = line, *tok; n < 16 && (tok = strsep(&s, "\t\n")); )
			col[n++] = tok;
		if (n < 12 || !strcmp(col[0], "scenario"))
			continue;
		int32_t tgid = (int32_t)strtol(col[3], NULL, 10);
		uint64_t vaddr = strtoull(col[4], NULL, 16);
		uint64_t mm = mm_of(&ts, tgid);
		if (!mm) {
			snprintf(whybuf, sizeof(whybuf), "pid %d of the manifest has no mm in the task list", tgid);
			why = whybuf;
			break;
		}
		struct uz_pte_ref ref;
		err = uz_kernel_user_vtop(k, mm, vaddr, &ref);
		if (err)
			break;
		struct uz_pte_info info;
		uz_kernel_pte_decode(k, ref.pte, &info);
		if (!strcmp(col[9], "swap")) {
			if (info.kind != UZ_PTE_SWAP || info.swap_type != strtoul(col[10], NULL, 10) ||
			    info.swap_offset != strtoull(col[11], NULL, 10)) {
				snprintf(whybuf, sizeof(whybuf), "%s: pid %d 0x%" PRIx64 ": PTE 0x%" PRIx64 " is not swap %s/%s",
					 dump_name, tgid, vaddr, ref.pte, col[10], col[11]);
				why = whybuf;
			}
		} else if (!strcmp(col[9], "present") && info.kind != UZ_PTE_PRESENT) {
			snprintf(whybuf, sizeof(whybuf), "%s: pid %d 0x%" PRIx64 ": PTE 0x%" PRIx64 " is not present",
				 dump_name, tgid, vaddr, ref.pte);
			why = whybuf;
		}
		if (checked % 50 == 0 && !why) {
			struct vma_find vf = { .addr = vaddr, .ordered = true };
			err = uz_kernel_for_each_vma(k, mm, find_vma, &vf);
			if (!err && (!vf.found || !vf.anonymous || !vf.ordered)) {
				snprintf(whybuf, sizeof(whybuf), "%s: pid %d 0x%" PRIx64 ": no anonymous VMA in order",
					 dump_name, tgid, vaddr);
				why = whybuf;
			}
		}
		checked++;
	}
	if (f)
		fclose(f);
	/* Module symbols (kallsyms in the dump) and module types (zram.ko DWARF). */
	uint64_t idr = 0, v;
	struct uz_member m;
	if (!err && !why)
		err = uz_kernel_module_symbol(k, "zram", "zram_index_idr", &idr);
	if (!err && !why)
		err = uz_kernel_read_u64(k, idr, &v);
	if (!err && !why)
		err = uz_kernel_member(k, "struct zram", "table", &m);
	/* PFN <-> struct page. */
	uint64_t page = 0, pfn = 0;
	if (!err && !why)
		err = uz_kernel_pfn_to_page(k, 0x1234, &page);
	if (!err && !why)
		err = uz_kernel_page_to_pfn(k, page, &pfn);
	uz_kernel_close(k);
	uz_dump_close(dump);
	UT_OK(err);
	if (why)
		UT_FAIL("%s", why);
	UT_ASSERT(idr >= 0xffffffffc0000000ULL);   /* the x86_64 module area */
	UT_ASSERT_EQ(pfn, 0x1234);
	UT_ASSERT(checked > 100);
	*rows_checked += checked;
}

static void run_set(struct ut_state *ut_, const char *kernel, int paging)
{
	char dir[1536];
	UT_FIXTURE(dir, "x86_64", kernel, paging);
	static const char *const names[] = { "kdump-d0-zlib.vmcore", "kdump-elf.vmcore", "qemu-kdump-zlib.vmcore" };
	int rows = 0, dumps = 0;
	for (size_t i = 0; i < 3 && !ut_->failed; i++) {
		int before = rows;
		check_dump(ut_, dir, names[i], &rows);
		dumps += rows > before;
	}
	if (ut_->failed)
		return;
	if (dumps != 3)
		UT_FAIL("%s: %d of 3 dumps checked", dir, dumps);
	printf("# %s: %d manifest rows checked in %d dumps\n", dir, rows, dumps);
}

UT_TEST(real_6_1_4level)
{
	run_set(ut_, "6.1", 4);
}

UT_TEST(real_6_12_4level)
{
	run_set(ut_, "6.12", 4);
}

UT_TEST(real_6_1_5level)
{
	run_set(ut_, "6.1", 5);
}

UT_MAIN(UT_CASE(real_6_1_4level), UT_CASE(real_6_12_4level), UT_CASE(real_6_1_5level))
