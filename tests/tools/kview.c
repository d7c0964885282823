/* kview - print what lib/kernel sees in a dump: tasks, VMAs, user PTEs and
 * translations.  A test helper for comparing with drgn (tests/tools).
 *
 *   kview DUMP [--vmlinux F] [--debuginfo DIR] ps
 *   kview DUMP ... vmas PID
 *   kview DUMP ... ptes PID [START END]      non-zero PTEs with their decoding
 *   kview DUMP ... vtop PID ADDR             user address -> PTE
 *   kview DUMP ... kvtop ADDR                kernel address -> physical
 *   kview DUMP ... sym NAME                  symbol address (vmlinux, then modules)
 *   kview DUMP ... modules
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump/dump.h"
#include "kernel/kernel.h"

static int fail(struct uz_error *err)
{
	fprintf(stderr, "kview: %s\n", err->message);
	int code = uz_error_exit_code(err);
	uz_error_destroy(err);
	return code ? code : 1;
}

static struct uz_error *print_task(void *ctx, const struct uz_task_info *t)
{
	(void)ctx;
	printf("%d %d %s 0x%" PRIx64 " 0x%" PRIx64 "\n", t->pid, t->tgid, t->comm, t->task, t->mm);
	return NULL;
}

struct find_pid {
	int32_t pid;
	uint64_t mm;
	bool found;
};

static struct uz_error *find_pid_cb(void *ctx, const struct uz_task_info *t)
{
	struct find_pid *f = ctx;
	if (t->pid == f->pid) {
		f->mm = t->mm;
		f->found = true;
	}
	return NULL;
}

static struct uz_error *pid_mm(struct uz_kernel *k, const char *arg, uint64_t *mm)
{
	struct find_pid f = { .pid = (int32_t)strtol(arg, NULL, 0) };
	UZ_TRY(uz_kernel_for_each_task(k, find_pid_cb, &f));
	if (!f.found)
		return uz_error_create(UZ_ERR_NOT_FOUND, "no task with pid %s", arg);
	if (!f.mm)
		return uz_error_create(UZ_ERR_NOT_FOUND, "pid %s is a kernel thread", arg);
	*mm = f.mm;
	return NULL;
}

static struct uz_error *print_vma(void *ctx, const struct uz_vma_info *v)
{
	(void)ctx;
	printf("0x%" PRIx64 "-0x%" PRIx64 " flags 0x%" PRIx64 " prot 0x%" PRIx64 " %s\n", v->start, v->end,
	       v->vm_flags, v->vm_page_prot, v->anonymous ? "anon" : "file");
	return NULL;
}

static void describe_pte(struct uz_kernel *k, uint64_t pte)
{
	struct uz_pte_info info;
	uz_kernel_pte_decode(k, pte, &info);
	switch (info.kind) {
	case UZ_PTE_NONE: printf("none"); break;
	case UZ_PTE_PRESENT: printf("present pfn 0x%" PRIx64 "%s", info.pfn, info.writable ? " w" : ""); break;
	case UZ_PTE_SWAP: printf("swap type %u offset 0x%" PRIx64, info.swap_type, info.swap_offset); break;
	case UZ_PTE_OTHER: printf("other"); break;
	}
}

static struct uz_error *print_pte(void *ctx, const struct uz_pte_ref *r)
{
	struct uz_kernel *k = ctx;
	printf("0x%" PRIx64 " pte@0x%" PRIx64 " = 0x%016" PRIx64 " ", r->vaddr, r->pte_paddr, r->pte);
	describe_pte(k, r->pte);
	printf("\n");
	return NULL;
}

int main(int argc, char **argv)
{
	struct uz_kernel_options opts = { 0 };
	const char *dump_path = NULL;
	int i = 1;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--vmlinux") && i + 1 < argc)
			opts.vmlinux = argv[++i];
		else if (!strcmp(argv[i], "--debuginfo") && i + 1 < argc)
			opts.debuginfo_dir = argv[++i];
		else if (!dump_path)
			dump_path = argv[i];
		else
			break;
	}
	if (!dump_path || i >= argc) {
		fprintf(stderr, "usage: kview DUMP [--vmlinux F] [--debuginfo DIR] ps|vmas PID|ptes PID [S E]|vtop PID A|kvtop A|sym N|modules\n");
		return 2;
	}
	const char *cmd = argv[i++];
	struct uz_dump *dump;
	struct uz_error *err = uz_dump_open(dump_path, &dump);
	if (err)
		return fail(err);
	struct uz_kernel *k;
	err = uz_kernel_open(dump, &opts, &k);
	if (err) {
		uz_dump_close(dump);
		return fail(err);
	}
	uint64_t mm, addr;
	if (!strcmp(cmd, "ps")) {
		err = uz_kernel_for_each_task(k, print_task, NULL);
	} else if (!strcmp(cmd, "vmas") && i < argc) {
		err = pid_mm(k, argv[i], &mm);
		if (!err)
			err = uz_kernel_for_each_vma(k, mm, print_vma, NULL);
	} else if (!strcmp(cmd, "ptes") && i < argc) {
		uint64_t start = 0, end = UINT64_MAX;
		if (i + 2 < argc) {
			start = strtoull(argv[i + 1], NULL, 0);
			end = strtoull(argv[i + 2], NULL, 0);
		}
		err = pid_mm(k, argv[i], &mm);
		if (!err)
			err = uz_kernel_walk_ptes(k, mm, start, end, print_pte, k);
	} else if (!strcmp(cmd, "vtop") && i + 1 < argc) {
		err = pid_mm(k, argv[i], &mm);
		struct uz_pte_ref ref;
		if (!err)
			err = uz_kernel_user_vtop(k, mm, strtoull(argv[i + 1], NULL, 0), &ref);
		if (!err)
			print_pte(k, &ref);
	} else if (!strcmp(cmd, "kvtop") && i < argc) {
		err = uz_kernel_vtop(k, strtoull(argv[i], NULL, 0), &addr);
		if (!err)
			printf("0x%" PRIx64 "\n", addr);
	} else if (!strcmp(cmd, "sym") && i < argc) {
		err = uz_kernel_symbol(k, argv[i], &addr);
		if (!err)
			printf("0x%" PRIx64 "\n", addr);
	} else if (!strcmp(cmd, "modules")) {
		for (size_t m = 0; m < uz_kernel_module_count(k); m++)
			printf("%s\n", uz_kernel_module_name(k, m));
	} else {
		err = uz_error_create(UZ_ERR_USAGE, "unknown command %s", cmd);
	}
	uz_kernel_close(k);
	uz_dump_close(dump);
	return err ? fail(err) : 0;
}
