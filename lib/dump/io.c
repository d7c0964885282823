/* io.c - output helpers of the dump writers: a temporary file next to the
 * target that becomes the target only when complete, and bounded-buffer
 * copying from the input.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump_internal.h"
#include "interrupt.h"

bool uz_path_same_file(const char *a, const char *b)
{
	struct stat x, y;
	return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

struct uz_error *uz_output_path_check(const char *out_path)
{
	struct stat st;
	if (stat(out_path, &st) == 0 && S_ISDIR(st.st_mode))
		return uz_error_create(UZ_ERR_IO, "output %s is a directory", out_path);
	char *copy = strdup(out_path);
	if (!copy)
		return uz_error_create(UZ_ERR_NOMEM, "checking output %s", out_path);
	const char *dir = dirname(copy);
	struct uz_error *err = NULL;
	if (stat(dir, &st) != 0)
		err = uz_error_errno(errno, "output directory %s", dir);
	else if (!S_ISDIR(st.st_mode))
		err = uz_error_create(UZ_ERR_IO, "output directory %s is not a directory", dir);
	else if (access(dir, W_OK | X_OK) != 0)
		err = uz_error_errno(errno, "output directory %s is not writable", dir);
	/* What access() cannot tell (root on a read-only or pseudo file
	 * system): create and remove a file there, as the writer will. */
	char *probe = NULL;
	if (!err && asprintf(&probe, "%s/.vmcore-unzram-probe-XXXXXX", dir) < 0) {
		probe = NULL;
		err = uz_error_create(UZ_ERR_NOMEM, "checking output %s", out_path);
	}
	if (!err) {
		int fd = mkstemp(probe);
		if (fd < 0) {
			err = uz_error_errno(errno, "cannot create files in output directory %s", dir);
		} else {
			close(fd);
			unlink(probe);
		}
	}
	free(probe);
	free(copy);
	return err;
}

/* Copy buffer: bounded, independent of the dump size. */
#define COPY_CHUNK (1u << 20)

struct uz_error *uz_outfile_create(const char *final_path, bool durable,
				   struct uz_outfile *out)
{
	out->fd = -1;
	out->durable = durable;
	out->tmp_path = NULL;
	out->final_path = strdup(final_path);
	char *dir_copy = strdup(final_path), *base_copy = strdup(final_path);
	struct uz_error *err = NULL;
	if (!out->final_path || !dir_copy || !base_copy) {
		err = uz_error_create(UZ_ERR_NOMEM, "creating output file name");
		goto out;
	}
	if (asprintf(&out->tmp_path, "%s/.%s.tmp-XXXXXX", dirname(dir_copy),
		     basename(base_copy)) < 0) {
		out->tmp_path = NULL;
		err = uz_error_create(UZ_ERR_NOMEM, "creating output file name");
		goto out;
	}
	out->fd = mkstemp(out->tmp_path);   /* mode 0600 */
	if (out->fd < 0) {
		err = uz_error_errno(errno, "creating temporary output %s", out->tmp_path);
		free(out->tmp_path);
		out->tmp_path = NULL;
		goto out;
	}
	if (fchmod(out->fd, 0600) < 0) {
		err = uz_error_errno(errno, "chmod %s", out->tmp_path);
		uz_outfile_abort(out);
	}
out:
	free(dir_copy);
	free(base_copy);
	if (err) {
		free(out->final_path);
		out->final_path = NULL;
	}
	return err;
}

struct uz_error *uz_outfile_commit(struct uz_outfile *out)
{
	struct uz_error *err = NULL;
	if (out->durable && fsync(out->fd) < 0) {
		err = uz_error_errno(errno, "fsync %s", out->tmp_path);
		uz_outfile_abort(out);
		return err;
	}
	if (close(out->fd) < 0) {
		out->fd = -1;
		err = uz_error_errno(errno, "close %s", out->tmp_path);
		uz_outfile_abort(out);
		return err;
	}
	out->fd = -1;
	if (rename(out->tmp_path, out->final_path) < 0) {
		err = uz_error_errno(errno, "renaming %s to %s", out->tmp_path, out->final_path);
		uz_outfile_abort(out);
		return err;
	}
	/* Make the rename durable. */
	char *dir_copy = out->durable ? strdup(out->final_path) : NULL;
	if (dir_copy) {
		int dfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(dir_copy);
	}
	free(out->tmp_path);
	free(out->final_path);
	out->tmp_path = out->final_path = NULL;
	return NULL;
}

void uz_outfile_abort(struct uz_outfile *out)
{
	if (out->fd >= 0)
		close(out->fd);
	out->fd = -1;
	if (out->tmp_path)
		unlink(out->tmp_path);
	free(out->tmp_path);
	free(out->final_path);
	out->tmp_path = out->final_path = NULL;
}

struct uz_error *uz_write_all(int fd, const void *buf, size_t len, const char *fd_name)
{
	UZ_TRY(uz_interrupt_check());
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return uz_error_errno(errno, "writing %s", fd_name);
		}
		p += n;
		len -= (size_t)n;
	}
	return NULL;
}

struct uz_error *uz_copy_stream(int in_fd, const char *in_name, int out_fd, const char *out_name)
{
	uint8_t *buf = malloc(COPY_CHUNK);
	if (!buf)
		return uz_error_create(UZ_ERR_NOMEM, "allocating copy buffer");
	struct uz_error *err = NULL;
	while (!err && !(err = uz_interrupt_check())) {
		ssize_t n = read(in_fd, buf, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = uz_error_errno(errno, "reading %s", in_name);
		if (n <= 0)
			break;
		err = uz_write_all(out_fd, buf, (size_t)n, out_name);
	}
	free(buf);
	return err;
}

struct uz_error *uz_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	UZ_TRY(uz_interrupt_check());
	return uz_pwrite_all_uninterruptible(fd, buf, len, off);
}

struct uz_error *uz_pwrite_all_uninterruptible(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return uz_error_errno(errno, "writing %zu bytes at output offset 0x%llx",
					      len, (unsigned long long)off);
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return NULL;
}

/* Lets the kernel copy a plain file range (as cp does) instead of moving it
 * through user space: the verbatim bulk of a rewrite then costs what cp
 * costs.  Returns false when the kernel or file system cannot do it, and
 * then the caller copies through a buffer from where this stopped. */
static bool copy_in_kernel(const struct uz_dump_source *src, uint64_t *in_off, int fd,
			   uint64_t *out_off, uint64_t *len)
{
	if (src->flattened || *in_off + *len > src->file_size)
		return false;
	while (*len) {
		/* Holes of a sparse input (dumps are mostly free, zeroed memory)
		 * stay holes, as cp leaves them: the output is a fresh file whose
		 * unwritten bytes read as zeros, and the writers size it at the
		 * end.  Where SEEK_DATA is not supported, everything is data. */
		off_t data = lseek(src->fd, (off_t)*in_off, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			data = (off_t)(*in_off + *len);   /* only a hole is left */
		else if (data < 0)
			data = (off_t)*in_off;
		if ((uint64_t)data > *in_off) {
			uint64_t gap = (uint64_t)data - *in_off;
			if (gap > *len)
				gap = *len;
			*in_off += gap;
			*out_off += gap;
			*len -= gap;
			continue;
		}
		off_t hole = lseek(src->fd, data, SEEK_HOLE);
		uint64_t run = *len;
		if (hole > data && (uint64_t)(hole - data) < run)
			run = (uint64_t)(hole - data);
		while (run) {
			if (uz_interrupt_pending())
				return false;   /* the buffered copy's next write says why */
			loff_t in = (loff_t)*in_off, out = (loff_t)*out_off;
			size_t want = run > (1u << 30) ? (1u << 30) : (size_t)run;
			ssize_t n = copy_file_range(src->fd, &in, fd, &out, want, 0);
			if (n <= 0)
				return false;   /* EXDEV, ENOSYS, EINVAL, ...: buffered copy */
			*in_off += (uint64_t)n;
			*out_off += (uint64_t)n;
			*len -= (uint64_t)n;
			run -= (uint64_t)n;
		}
	}
	return true;
}

struct uz_error *uz_copy_range(const struct uz_dump_source *src, uint64_t in_off,
			       int fd, uint64_t out_off, uint64_t len)
{
	if (!len || copy_in_kernel(src, &in_off, fd, &out_off, &len))
		return NULL;
	size_t chunk = len < COPY_CHUNK ? (size_t)len : COPY_CHUNK;
	uint8_t *buf = malloc(chunk);
	if (!buf)
		return uz_error_create(UZ_ERR_NOMEM, "allocating copy buffer");
	struct uz_error *err = NULL;
	while (len) {
		size_t n = len < chunk ? (size_t)len : chunk;
		if ((err = uz_source_read(src, in_off, buf, n)) ||
		    (err = uz_pwrite_all(fd, buf, n, out_off)))
			break;
		in_off += n;
		out_off += n;
		len -= n;
	}
	free(buf);
	return err;
}

struct uz_error *uz_write_zeros(int fd, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[4096];
	while (len) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
		UZ_TRY(uz_pwrite_all(fd, zeros, n, off));
		off += n;
		len -= n;
	}
	return NULL;
}
