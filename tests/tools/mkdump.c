/* mkdump - write a synthetic vmcore from a small text description, or check
 * a dump against one (libkdumpfile-style test data: the description is what
 * gets reviewed in a diff).
 *
 *   mkdump DESC OUT            write the dump described by DESC ("-": stdin)
 *   mkdump --verify DESC DUMP  check every page of DUMP against DESC
 *
 * Description lines ('#' starts a comment):
 *   format elf|kdump          flatten [RECORD_SIZE]     flat-scramble
 *   arch x86_64|aarch64       page-size N               compress none|zlib|lzo|zstd|snappy
 *   flavour kernel|qemu       seed N                    incomplete
 *   cpus N                    vmcoreinfo TEXT (\n for newlines)
 *   range START COUNT data|zero|excluded     (START and COUNT in PFNs, C syntax)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump/dump.h"
#include "synth.h"

#define MAX_RANGES 256

struct parsed {
	struct uz_synth_desc desc;
	struct uz_synth_range ranges[MAX_RANGES];
	char vmcoreinfo[4096];
};

static int parse_line(struct parsed *p, char *line, int lineno, const char *file)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	char *key = strtok(line, " \t\r\n");
	if (!key)
		return 0;
	char *a = strtok(NULL, " \t\r\n"), *b = strtok(NULL, " \t\r\n"), *c = strtok(NULL, " \t\r\n");
	struct uz_synth_desc *d = &p->desc;
#define NEED(x) do { if (!(x)) goto bad; } while (0)
	if (!strcmp(key, "format")) {
		NEED(a);
		if (!strcmp(a, "elf")) d->format = UZ_DUMP_ELF;
		else if (!strcmp(a, "kdump")) d->format = UZ_DUMP_KDUMP;
		else goto bad;
	} else if (!strcmp(key, "flatten")) {
		d->flatten = true;
		if (a)
			d->flat_record_size = strtoull(a, NULL, 0);
	} else if (!strcmp(key, "flat-scramble")) {
		d->flat_scramble = true;
	} else if (!strcmp(key, "arch")) {
		NEED(a);
		if (!strcmp(a, "x86_64")) d->arch = UZ_ARCH_X86_64;
		else if (!strcmp(a, "aarch64")) d->arch = UZ_ARCH_AARCH64;
		else goto bad;
	} else if (!strcmp(key, "page-size")) {
		NEED(a);
		d->page_size = strtoull(a, NULL, 0);
	} else if (!strcmp(key, "compress")) {
		NEED(a);
		if (!strcmp(a, "none")) d->compress = UZ_COMPRESS_NONE;
		else if (!strcmp(a, "zlib")) d->compress = UZ_COMPRESS_ZLIB;
		else if (!strcmp(a, "lzo")) d->compress = UZ_COMPRESS_LZO;
		else if (!strcmp(a, "zstd")) d->compress = UZ_COMPRESS_ZSTD;
		else if (!strcmp(a, "snappy")) d->compress = UZ_COMPRESS_SNAPPY;
		else goto bad;
	} else if (!strcmp(key, "flavour")) {
		NEED(a);
		if (!strcmp(a, "kernel")) d->flavour = UZ_SYNTH_ELF_KERNEL;
		else if (!strcmp(a, "qemu")) d->flavour = UZ_SYNTH_ELF_QEMU;
		else goto bad;
	} else if (!strcmp(key, "seed")) {
		NEED(a);
		d->seed = (uint32_t)strtoul(a, NULL, 0);
	} else if (!strcmp(key, "incomplete")) {
		d->incomplete = true;
	} else if (!strcmp(key, "cpus")) {
		NEED(a);
		d->nr_cpus = (uint32_t)strtoul(a, NULL, 0);
	} else if (!strcmp(key, "vmcoreinfo")) {
		NEED(a);
		size_t o = 0;
		for (const char *s = a; *s && o + 2 < sizeof(p->vmcoreinfo); s++) {
			if (s[0] == '\\' && s[1] == 'n') {
				p->vmcoreinfo[o++] = '\n';
				s++;
			} else {
				p->vmcoreinfo[o++] = *s;
			}
		}
		p->vmcoreinfo[o] = '\0';
		d->vmcoreinfo = p->vmcoreinfo;
	} else if (!strcmp(key, "range")) {
		NEED(a && b && c && d->n_ranges < MAX_RANGES);
		struct uz_synth_range *r = &p->ranges[d->n_ranges];
		r->start_pfn = strtoull(a, NULL, 0);
		r->count = strtoull(b, NULL, 0);
		if (!strcmp(c, "data")) r->kind = UZ_SYNTH_DATA;
		else if (!strcmp(c, "zero")) r->kind = UZ_SYNTH_ZERO;
		else if (!strcmp(c, "excluded")) r->kind = UZ_SYNTH_EXCLUDED;
		else goto bad;
		if (d->n_ranges && r->start_pfn < p->ranges[d->n_ranges - 1].start_pfn +
					   p->ranges[d->n_ranges - 1].count) {
			fprintf(stderr, "mkdump: %s:%d: ranges must be sorted and not overlap\n",
				file, lineno);
			return -1;
		}
		d->n_ranges++;
	} else {
		goto bad;
	}
	return 0;
#undef NEED
bad:
	fprintf(stderr, "mkdump: %s:%d: cannot parse '%s'\n", file, lineno, key);
	return -1;
}

static int parse(const char *file, struct parsed *p)
{
	memset(p, 0, sizeof(*p));
	p->desc.format = UZ_DUMP_KDUMP;
	p->desc.arch = UZ_ARCH_X86_64;
	p->desc.ranges = p->ranges;
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!f) {
		perror(file);
		return -1;
	}
	char line[8192];
	int lineno = 0, rc = 0;
	while (fgets(line, sizeof(line), f))
		if (parse_line(p, line, ++lineno, file) < 0)
			rc = -1;
	if (f != stdin)
		fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	bool verify = argc == 4 && !strcmp(argv[1], "--verify");
	if (argc != 3 && !verify) {
		fprintf(stderr, "usage: mkdump DESC OUT | mkdump --verify DESC DUMP\n");
		return 2;
	}
	static struct parsed p;
	if (parse(argv[verify ? 2 : 1], &p) < 0)
		return 2;
	if (!verify) {
		struct uz_error *err = uz_synth_write(&p.desc, argv[2]);
		if (err) {
			fprintf(stderr, "mkdump: %s\n", err->message);
			uz_error_destroy(err);
			return 1;
		}
		return 0;
	}
	struct uz_dump *dump;
	struct uz_error *err = uz_dump_open(argv[3], &dump);
	if (err) {
		fprintf(stderr, "mkdump: %s\n", err->message);
		uz_error_destroy(err);
		return 1;
	}
	char why[512];
	bool ok = uz_synth_verify(&p.desc, dump, NULL, 0, NULL, NULL, why, sizeof(why));
	uz_dump_close(dump);
	if (!ok) {
		fprintf(stderr, "mkdump: %s: %s\n", argv[3], why);
		return 1;
	}
	printf("mkdump: %s matches %s\n", argv[3], argv[2]);
	return 0;
}
