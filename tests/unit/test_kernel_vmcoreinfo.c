/* VMCOREINFO parsing (lib/kernel/vmcoreinfo.c) on text samples shaped like
 * what kernel/crash_core.c and the arch hooks print. */
#include "kernel/vmcoreinfo.h"
#include "ut.h"

/* Excerpt of a Debian 6.1 x86_64 VMCOREINFO, plus arm64 lines. */
static const char sample[] =
	"OSRELEASE=6.1.0-50-cloud-amd64\n"
	"BUILD-ID=0123456789abcdef0123456789abcdef01234567\n"
	"PAGESIZE=4096\n"
	"SYMBOL(init_uts_ns)=ffffffffa4c1a840\n"
	"OFFSET(uts_namespace.name)=0\n"
	"SYMBOL(swapper_pg_dir)=ffffffffa4c0a000\n"
	"SIZE(page)=64\n"
	"OFFSET(page.flags)=0\n"
	"LENGTH(mem_section)=2048\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(phys_base)=3758096384\n"
	"NUMBER(pgtable_l5_enabled)=0\n"
	"KERNELOFFSET=22a00000\n"
	"NUMBER(kimage_voffset)=0xffff800007e00000\n"
	"NUMBER(TCR_EL1_T1SZ)=0x10\n"
	"CRASHTIME=1700000000\r\n"
	"garbage line without equals\n"
	"PAGESIZE=65536\n"      /* a repeated key: the first wins */
	"EMPTY=\n"
	"BAD(x)=12z\n";

UT_TEST(parses_keys_and_numbers)
{
	struct uz_vmci *vi;
	UT_OK(uz_vmci_parse(sample, sizeof(sample) - 1, &vi));
	UT_ASSERT(strcmp(uz_vmci_get(vi, "OSRELEASE"), "6.1.0-50-cloud-amd64") == 0);
	UT_ASSERT(uz_vmci_get(vi, "NOPE") == NULL);
	uint64_t v;
	UT_OK(uz_vmci_number(vi, "PAGESIZE", &v));
	UT_ASSERT_EQ(v, 4096);
	UT_OK(uz_vmci_symbol(vi, "swapper_pg_dir", &v));
	UT_ASSERT_EQ(v, 0xffffffffa4c0a000);
	UT_OK(uz_vmci_named(vi, "SIZE", "page", &v));
	UT_ASSERT_EQ(v, 64);
	UT_OK(uz_vmci_named(vi, "OFFSET", "uts_namespace.name", &v));
	UT_ASSERT_EQ(v, 0);
	UT_OK(uz_vmci_named(vi, "LENGTH", "mem_section", &v));
	UT_ASSERT_EQ(v, 2048);
	UT_OK(uz_vmci_named(vi, "NUMBER", "PAGE_BUDDY_MAPCOUNT_VALUE", &v));
	UT_ASSERT_EQ((int64_t)v, -129);
	UT_OK(uz_vmci_named(vi, "NUMBER", "phys_base", &v));
	UT_ASSERT_EQ(v, 0xe0000000);
	UT_OK(uz_vmci_number(vi, "KERNELOFFSET", &v));   /* bare hex */
	UT_ASSERT_EQ(v, 0x22a00000);
	UT_OK(uz_vmci_named(vi, "NUMBER", "kimage_voffset", &v));   /* 0x-prefixed */
	UT_ASSERT_EQ(v, 0xffff800007e00000);
	UT_OK(uz_vmci_named(vi, "NUMBER", "TCR_EL1_T1SZ", &v));
	UT_ASSERT_EQ(v, 16);
	UT_OK(uz_vmci_number(vi, "CRASHTIME", &v));        /* CRLF tolerated */
	UT_ASSERT_EQ(v, 1700000000);
	UT_ASSERT(strcmp(uz_vmci_get(vi, "BUILD-ID"), "0123456789abcdef0123456789abcdef01234567") == 0);
	UT_ERR(uz_vmci_number(vi, "EMPTY", &v), UZ_ERR_FORMAT);
	UT_ERR(uz_vmci_named(vi, "BAD", "x", &v), UZ_ERR_FORMAT);
	UT_ERR(uz_vmci_symbol(vi, "nothing", &v), UZ_ERR_NOT_FOUND);
	UT_ERR(uz_vmci_number(vi, "OSRELEASE", &v), UZ_ERR_FORMAT);
	UT_ASSERT_EQ(uz_vmci_count(vi), 18);
	uz_vmci_free(vi);
}

UT_TEST(stops_at_nul_and_rejects_empty)
{
	static const char text[] = "A=1\nB=2\0C=3\n";
	struct uz_vmci *vi;
	UT_OK(uz_vmci_parse(text, sizeof(text) - 1, &vi));
	UT_ASSERT(uz_vmci_get(vi, "C") == NULL);
	UT_ASSERT_EQ(uz_vmci_count(vi), 2);
	uz_vmci_free(vi);
	UT_ERR(uz_vmci_parse("", 0, &vi), UZ_ERR_FORMAT);
	UT_ERR(uz_vmci_parse("no equals here\n=novalue\n", 24, &vi), UZ_ERR_FORMAT);
	/* Not NUL-terminated: only len bytes are read. */
	char buf[4] = { 'X', '=', '7', '7' };
	UT_OK(uz_vmci_parse(buf, 3, &vi));
	uint64_t v;
	UT_OK(uz_vmci_number(vi, "X", &v));
	UT_ASSERT_EQ(v, 7);
	uz_vmci_free(vi);
}

UT_MAIN(UT_CASE(parses_keys_and_numbers), UT_CASE(stops_at_nul_and_rejects_empty))
