/* kernel_open.c - building the kernel view of a real dump: finding the
 * debug vmlinux and debug modules, checking they match the dump (release,
 * build id, linux_banner in memory), then the common set-up of kernel.c.
 * Kept apart from kernel.c so that synthetic views (tests, fuzzers) do not
 * pull in the dump library. */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "types_btf.h"

/* "Linux version RELEASE (...": copy RELEASE. */
static void banner_release(const char *banner, char *out, size_t size)
{
	out[0] = '\0';
	const char *l = banner ? strstr(banner, "Linux version ") : NULL;
	if (!l)
		return;
	l += 14;
	size_t n = strcspn(l, " \n");
	if (n >= size)
		n = size - 1;
	memcpy(out, l, n);
	out[n] = '\0';
}

/* ---- finding debuginfo ---- */

static bool is_regular_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Search dir (depth-limited) for files; calls fn for each regular file. */
typedef struct uz_error *file_fn(void *ctx, const char *path, const char *name);
static struct uz_error *scan_dir(const char *dir, int depth, file_fn *fn, void *ctx)
{
	if (depth > 8)
		return NULL;
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	struct uz_error *err = NULL;
	struct dirent *de;
	while (!err && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *path;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
			err = uz_error_create(UZ_ERR_NOMEM, "building a path under %s", dir);
			break;
		}
		struct stat st;
		if (stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				err = scan_dir(path, depth + 1, fn, ctx);
			else if (S_ISREG(st.st_mode))
				err = fn(ctx, path, de->d_name);
		}
		free(path);
	}
	closedir(d);
	return err;
}

struct find_vmlinux {
	char want[128];
	char *found;
};

static struct uz_error *find_vmlinux_fn(void *ctx, const char *path, const char *name)
{
	struct find_vmlinux *f = ctx;
	if (!f->found && strcmp(name, f->want) == 0) {
		f->found = strdup(path);
		if (!f->found)
			return uz_error_create(UZ_ERR_NOMEM, "copying a path");
	}
	return NULL;
}

static struct uz_error *locate_vmlinux(const struct uz_kernel *k, const struct uz_kernel_options *opts,
				       char **path)
{
	*path = NULL;
	if (opts && opts->vmlinux) {
		if (!is_regular_file(opts->vmlinux))
			return uz_error_create(UZ_ERR_NOT_FOUND, "vmlinux %s does not exist or is not a file", opts->vmlinux);
		*path = strdup(opts->vmlinux);
		return *path ? NULL : uz_error_create(UZ_ERR_NOMEM, "copying a path");
	}
	struct find_vmlinux f = { .found = NULL };
	snprintf(f.want, sizeof(f.want), "vmlinux-%s", k->release);
	if (opts && opts->debuginfo_dir) {
		UZ_TRY(scan_dir(opts->debuginfo_dir, 0, find_vmlinux_fn, &f));
		if (f.found) {
			*path = f.found;
			return NULL;
		}
	}
	/* The distributions' standard places for the debug vmlinux: prefix,
	 * release, suffix. */
	static const char *const places[][2] = {
		{ "/usr/lib/debug/boot/vmlinux-", "" },
		{ "/usr/lib/debug/lib/modules/", "/vmlinux" },
		{ "/usr/lib/debug/vmlinux-", "" },
		{ "/boot/vmlinux-", "" },
		{ "/lib/modules/", "/build/vmlinux" },
	};
	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		char *p;
		if (asprintf(&p, "%s%s%s", places[i][0], k->release, places[i][1]) < 0)
			return uz_error_create(UZ_ERR_NOMEM, "building a path");
		if (is_regular_file(p)) {
			*path = p;
			return NULL;
		}
		free(p);
	}
	return uz_error_create(UZ_ERR_NOT_FOUND,
			       "no debug vmlinux for %s (give --vmlinux or a debuginfo directory)",
			       k->release);
}

/* Module debug files: "<name>.ko" or "<name>.ko.debug", '-' read as '_'. */
struct module_files {
	struct uz_strmap by_name;   /* module name -> index into paths */
	char **paths;
	size_t n;
};

static struct uz_error *module_file_fn(void *ctx, const char *path, const char *name)
{
	struct module_files *mf = ctx;
	size_t len = strlen(name);
	size_t stem;
	if (len > 3 && strcmp(name + len - 3, ".ko") == 0)
		stem = len - 3;
	else if (len > 9 && strcmp(name + len - 9, ".ko.debug") == 0)
		stem = len - 9;
	else
		return NULL;
	char mod[128];
	if (stem >= sizeof(mod))
		return NULL;
	for (size_t i = 0; i < stem; i++)
		mod[i] = name[i] == '-' ? '_' : name[i];
	char **paths = realloc(mf->paths, (mf->n + 1) * sizeof(*paths));
	if (!paths)
		return uz_error_create(UZ_ERR_NOMEM, "indexing module debug files");
	mf->paths = paths;
	mf->paths[mf->n] = strdup(path);
	if (!mf->paths[mf->n])
		return uz_error_create(UZ_ERR_NOMEM, "indexing module debug files");
	bool inserted;
	UZ_TRY(uz_strmap_put(&mf->by_name, 0, mod, stem, mf->n, false, &inserted));
	mf->n++;
	return NULL;
}

static void module_files_free(struct module_files *mf)
{
	for (size_t i = 0; i < mf->n; i++)
		free(mf->paths[i]);
	free(mf->paths);
	uz_strmap_free(&mf->by_name);
}

/* The vermagic of a module file ("6.1.0-50-cloud-amd64 SMP mod_unload
 * ..."), from its .modinfo section, into out; false when it has none. */
static bool module_vermagic(const char *path, char *out, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool found = false;
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	size_t shstrndx;
	if (elf && elf_getshdrstrndx(elf, &shstrndx) == 0) {
		for (Elf_Scn *scn = NULL; !found && (scn = elf_nextscn(elf, scn));) {
			GElf_Shdr sh;
			const char *name = gelf_getshdr(scn, &sh) ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
			if (!name || strcmp(name, ".modinfo") != 0 || sh.sh_type == SHT_NOBITS)
				continue;
			Elf_Data *data = elf_getdata(scn, NULL);
			const char *p = data ? data->d_buf : NULL, *end = p ? p + data->d_size : NULL;
			for (; p && p < end; p += strnlen(p, (size_t)(end - p)) + 1) {
				if ((size_t)(end - p) > 9 && strncmp(p, "vermagic=", 9) == 0) {
					size_t n = strnlen(p + 9, (size_t)(end - p - 9));
					if (n >= size)
						n = size - 1;
					memcpy(out, p + 9, n);
					out[n] = '\0';
					found = true;
					break;
				}
			}
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

static bool module_needed(const struct uz_kernel_options *opts, const char *name)
{
	for (const char *const *m = opts ? opts->need_modules : NULL; m && *m; m++)
		if (strcmp(*m, name) == 0)
			return true;
	return false;
}

static struct uz_error *attach_module_debuginfo(struct uz_kernel *k, const struct uz_kernel_options *opts)
{
	struct module_files mf = { .paths = NULL, .n = 0 };
	uz_strmap_init(&mf.by_name, true);
	struct uz_error *err = NULL;
	if (opts && opts->debuginfo_dir)
		err = scan_dir(opts->debuginfo_dir, 0, module_file_fn, &mf);
	char *sys_dir = NULL;
	if (!err && asprintf(&sys_dir, "/usr/lib/debug/lib/modules/%s", k->release) >= 0) {
		err = scan_dir(sys_dir, 0, module_file_fn, &mf);
		free(sys_dir);
	}
	size_t used = strlen(k->types_source);
	for (size_t i = 0; !err && i < k->n_modules; i++) {
		const char *name = k->modules[i].name;
		struct uz_strmap_entry *e = uz_strmap_get(&mf.by_name, 0, name, strlen(name));
		if (!e) {
			if (module_needed(opts, name))
				err = uz_error_create(UZ_ERR_NOT_FOUND,
						      "the dump's kernel has module %s loaded, but no debug file %s.ko was found in %s%s/usr/lib/debug/lib/modules/%s; give the directory of the debug modules with -d, or name no debuginfo at all to use the dump's BTF",
						      name, name, opts && opts->debuginfo_dir ? opts->debuginfo_dir : "",
						      opts && opts->debuginfo_dir ? " or " : "", k->release);
			continue;
		}
		const char *path = mf.paths[e->value];
		char vermagic[256];
		if (module_vermagic(path, vermagic, sizeof(vermagic))) {
			size_t n = strcspn(vermagic, " ");
			if (n != strlen(k->release) || strncmp(vermagic, k->release, n) != 0) {
				err = uz_error_create(UZ_ERR_MISMATCH, "debug module %s is for kernel %.*s but the dump is of kernel %s",
						      path, (int)n, vermagic, k->release);
				break;
			}
		}
		err = uz_types_dwarf_add_module(&k->types, path);
		if (!err && used + strlen(name) + 24 < sizeof(k->types_source))
			used += (size_t)snprintf(k->types_source + used, sizeof(k->types_source) - used, "%s %s",
						 used == k->types_base_len ? " and the debug modules of" : ",", name);
	}
	module_files_free(&mf);
	return err;
}

static void hex(const uint8_t *bytes, size_t n, char *out, size_t size)
{
	size_t j = 0;
	for (size_t i = 0; i < n && j + 3 <= size; i++, j += 2)
		snprintf(out + j, 3, "%02x", bytes[i]);
	out[j < size ? j : size - 1] = '\0';
}

static struct uz_error *check_debuginfo_matches(struct uz_kernel *k)
{
	const char *what = k->types.ops->describe(k->types.impl);
	const char *banner = k->types.ops->banner(k->types.impl);
	char file_release[128];
	banner_release(banner, file_release, sizeof(file_release));
	if (banner && k->release[0] && strcmp(file_release, k->release) != 0)
		return uz_error_create(UZ_ERR_MISMATCH,
				       "debuginfo %s is for kernel %s but the dump is of kernel %s",
				       what, file_release, k->release);
	size_t id_len;
	const uint8_t *id = k->types.ops->build_id(k->types.impl, &id_len);
	const char *dump_id = uz_vmci_get(k->vmci, "BUILD-ID");
	if (id && dump_id) {
		char file_id[129];
		hex(id, id_len, file_id, sizeof(file_id));
		if (strncasecmp(file_id, dump_id, strlen(file_id)) != 0 || strlen(dump_id) != strlen(file_id))
			return uz_error_create(UZ_ERR_MISMATCH,
					       "debuginfo %s has build id %s but the dump's kernel has %s",
					       what, file_id, dump_id);
	}
	return NULL;
}

/* After translation works: the banner in memory must be the file's. */
static struct uz_error *check_banner_in_dump(struct uz_kernel *k)
{
	const char *banner = k->types.ops->banner(k->types.impl);
	uint64_t addr;
	bool found = false;
	if (banner)
		UZ_TRY(uz_kernel_find_symbol(k, "linux_banner", &addr, &found));
	if (!found)
		return NULL;
	char mem[512];
	UZ_TRY(uz_error_wrap(uz_kernel_read_string(k, addr, mem, sizeof(mem)),
			     "reading linux_banner to check the debuginfo"));
	if (strncmp(mem, banner, sizeof(mem) - 1) != 0) {
		size_t n = strcspn(mem, "\n");
		return uz_error_create(UZ_ERR_MISMATCH,
				       "debuginfo %s does not match the dump: its banner is \"%.*s\", the dump's is \"%.*s\"",
				       k->types.ops->describe(k->types.impl), (int)strcspn(banner, "\n"), banner,
				       (int)n, mem);
	}
	return NULL;
}

static struct uz_error *dump_phys_read(void *ctx, uint64_t paddr, void *buf, size_t len)
{
	return uz_dump_read_phys(ctx, paddr, buf, len);
}

static struct uz_error *kernel_vread(void *ctx, uint64_t vaddr, void *buf, size_t len)
{
	return uz_kernel_read(ctx, vaddr, buf, len);
}

/* No debuginfo: types from the BTF in the dump, symbols from its kallsyms
 * (types_btf.h).  Kernel-image and page-table translation need only
 * VMCOREINFO, so the early arch set-up runs first and the provider reads
 * through the view it will belong to. */
static struct uz_error *open_types_from_dump(struct uz_kernel *k, struct uz_error *why_no_debuginfo)
{
	struct uz_error *err = uz_kernel_init_arch(k, false);
	if (!err)
		err = uz_types_btf_open(kernel_vread, k, k->vmci, &k->types);
	if (err) {
		err = uz_error_wrap(err, "%s; without it", why_no_debuginfo->message);
		uz_error_destroy(why_no_debuginfo);
		return err;
	}
	uz_error_destroy(why_no_debuginfo);
	return NULL;
}

struct uz_error *uz_kernel_open(struct uz_dump *dump, const struct uz_kernel_options *opts,
				struct uz_kernel **out)
{
	*out = NULL;
	const char *text = uz_dump_vmcoreinfo(dump);
	if (!text)
		return uz_error_create(UZ_ERR_UNSUPPORTED,
				       "the dump has no VMCOREINFO note (for QEMU dumps, boot with -device vmcoreinfo)");
	struct uz_kernel *k;
	enum uz_arch arch = uz_dump_arch(dump);
	UZ_TRY(uz_kernel_alloc(arch, &k));
	k->dump = dump;
	k->phys.read = dump_phys_read;
	k->phys.ctx = dump;
	k->max_pfn = uz_dump_max_pfn(dump);
	struct uz_error *err = NULL;
	uint64_t ps = uz_dump_page_size(dump);
	if (ps)
		err = uz_set_page_size(k, ps);
	char *vmlinux = NULL;
	/* Debuginfo the user named must be used, or the run says why not. */
	bool named = opts && (opts->vmlinux || opts->debuginfo_dir);
	struct stat st;
	if (!err && opts && opts->debuginfo_dir && (stat(opts->debuginfo_dir, &st) != 0 || !S_ISDIR(st.st_mode)))
		err = uz_error_create(UZ_ERR_NOT_FOUND, "debuginfo directory %s does not exist or is not a directory",
				      opts->debuginfo_dir);
	if (!err)
		err = uz_kernel_init_vmcoreinfo(k, text, 0);
	if (!err && !k->release[0])
		err = uz_error_create(UZ_ERR_FORMAT, "VMCOREINFO has no OSRELEASE");
	bool vmlinux_tried = false;
	if (!err) {
		err = locate_vmlinux(k, opts, &vmlinux);
		vmlinux_tried = true;
	}
	bool types_from_dump = false;
	if (err && err->code == UZ_ERR_NOT_FOUND && vmlinux_tried && named) {
		if (!opts->vmlinux) {
			uz_error_destroy(err);
			err = uz_error_create(UZ_ERR_NOT_FOUND,
					      "debuginfo directory %s holds no vmlinux-%s (nor do the standard places); name it with --vmlinux, or give no debuginfo at all to use the dump's BTF",
					      opts->debuginfo_dir, k->release);
		}
	} else if (err && err->code == UZ_ERR_NOT_FOUND && vmlinux_tried) {
		err = open_types_from_dump(k, err);
		types_from_dump = !err;
	} else if (!err) {
		err = uz_types_dwarf_open(vmlinux, NULL, 0, &k->types);
	}
	free(vmlinux);
	if (!err) {
		snprintf(k->types_source, sizeof(k->types_source), "%s", k->types.ops->describe(k->types.impl));
		k->types_base_len = strlen(k->types_source);
	}
	if (!err)
		err = check_debuginfo_matches(k);
	if (!err) {
		uint32_t v = uz_banner_version(k->types.ops->banner(k->types.impl));
		if (v)
			k->version = v;
		err = uz_kernel_init_arch(k, true);
	}
	if (!err)
		err = check_banner_in_dump(k);
	if (!err) {
		/* Modules are optional: without the list, module symbols and
		 * types are simply not found later. */
		struct uz_error *merr = uz_kernel_load_modules(k);
		uz_error_destroy(merr);
		if (!types_from_dump)   /* BTF reads module types from the dump itself */
			err = attach_module_debuginfo(k, opts);
	}
	if (err) {
		uz_kernel_close(k);
		return uz_error_wrap(err, "building the kernel view");
	}
	*out = k;
	return NULL;
}
