/* flatten.c - writing makedumpfile's flattened format (-F): the stream
 * makedumpfile sends to standard output when the dump cannot be seeked
 * (piped over ssh from a kdump capture kernel), and `makedumpfile -R`
 * turns back into a file.
 *
 * Layout (docs/dump-formats.md): a 4096-byte header starting with
 * "makedumpfile", then big-endian int64 type (1) at offset 16 and version
 * (1) at 24; then records, each a big-endian int64 file offset and int64
 * length followed by that many bytes; then an end marker of two -1 words.
 * Records may come in any order; ours are in file order and bounded in size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump_internal.h"

#define FLAT_HEADER_BYTES 4096u
#define FLAT_RECORD_MAX (1u << 20)

struct uz_error *uz_flatten_fd(int in_fd, const char *in_name, int out_fd, const char *out_name)
{
	struct stat st;
	if (fstat(in_fd, &st) < 0)
		return uz_error_errno(errno, "stat %s", in_name);
	uint8_t *buf = malloc(FLAT_HEADER_BYTES > FLAT_RECORD_MAX + 16 ? FLAT_HEADER_BYTES
									: FLAT_RECORD_MAX + 16);
	if (!buf)
		return uz_error_create(UZ_ERR_NOMEM, "flattening buffer");
	memset(buf, 0, FLAT_HEADER_BYTES);
	memcpy(buf, "makedumpfile", 12);
	uz_put_be64(buf + 16, 1);   /* type */
	uz_put_be64(buf + 24, 1);   /* version */
	struct uz_error *err = uz_write_all(out_fd, buf, FLAT_HEADER_BYTES, out_name);
	uint64_t size = (uint64_t)st.st_size;
	for (uint64_t off = 0; off < size && !err;) {
		size_t len = size - off < FLAT_RECORD_MAX ? (size_t)(size - off) : FLAT_RECORD_MAX;
		size_t got = 0;
		while (got < len) {
			ssize_t n = pread(in_fd, buf + 16 + got, len - got, (off_t)(off + got));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				err = n < 0 ? uz_error_errno(errno, "reading %s at 0x%llx", in_name,
							     (unsigned long long)(off + got))
					    : uz_error_create(UZ_ERR_IO, "%s shrank while it was flattened",
							      in_name);
				break;
			}
			got += (size_t)n;
		}
		if (err)
			break;
		uz_put_be64(buf, off);
		uz_put_be64(buf + 8, len);
		err = uz_write_all(out_fd, buf, 16 + len, out_name);
		off += len;
	}
	if (!err) {
		memset(buf, 0xff, 16);   /* end marker: offset and length -1 */
		err = uz_write_all(out_fd, buf, 16, out_name);
	}
	free(buf);
	return err;
}
