/* dumpread - read every present page of a dump through the page API and
 * print how many, in how long.  Used by the benchmark (pages read per
 * second) and as a quick whole-file consistency check.
 *
 * Usage: dumpread DUMP   ->  "pages N bytes B seconds S"
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dump/dump.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: dumpread DUMP\n", stderr);
		return 2;
	}
	struct uz_dump *d;
	struct uz_error *err = uz_dump_open(argv[1], &d);
	if (err) {
		fprintf(stderr, "dumpread: %s\n", err->message);
		return uz_error_exit_code(err);
	}
	uint64_t ps = uz_dump_page_size(d), pages = 0, checksum = 0;
	uint64_t *page = malloc(ps);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t pfn = 0; !err; pfn++) {
		err = uz_dump_next_pfn(d, &pfn);
		if (err)
			break;
		err = uz_dump_read_page(d, pfn, page);
		if (err)
			break;
		checksum += page[0] ^ page[ps / 8 - 1];
		pages++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	int rc = 0;
	if (err && err->code != UZ_ERR_NOT_FOUND) {
		fprintf(stderr, "dumpread: %s\n", err->message);
		rc = uz_error_exit_code(err);
	}
	uz_error_destroy(err);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("pages %" PRIu64 " bytes %" PRIu64 " seconds %.3f checksum %" PRIx64 "\n", pages, pages * ps, s, checksum);
	free(page);
	uz_dump_close(d);
	return rc;
}
