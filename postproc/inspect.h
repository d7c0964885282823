/* inspect.h - read-only inspection commands of vmcore-unzram: --ps, --vtop,
 * --zram-info.  They show a user what the kernel view and the zram model see
 * in a dump, in the spirit of crash's ps, vtop and swap commands. */
#ifndef UZ_INSPECT_H
#define UZ_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kernel.h"

/* --backing-dev pairs: images of zram backing devices to attach. */
struct uz_backing_images {
	char *const *devs;
	char *const *images;
	size_t n;
};

struct uz_error *uz_inspect_ps(const char *dump_path, const struct uz_kernel_options *kopts, bool json);
struct uz_error *uz_inspect_vtop(const char *dump_path, const struct uz_kernel_options *kopts,
				 int32_t pid, uint64_t vaddr, bool json);
/* One zram slot of a swap device ("zram0", 1234), or the page one process
 * maps at an address: where it lives and its bytes (hexdump or JSON hex). */
struct uz_error *uz_inspect_slot(const char *dump_path, const struct uz_kernel_options *kopts,
				 const struct uz_backing_images *bk, const char *device, uint64_t offset, bool json);
struct uz_error *uz_inspect_vaddr(const char *dump_path, const struct uz_kernel_options *kopts,
				  const struct uz_backing_images *bk, int32_t pid, uint64_t vaddr, bool json);
struct uz_error *uz_inspect_zram(const char *dump_path, const struct uz_kernel_options *kopts,
				 const struct uz_backing_images *bk, bool json);

#endif
