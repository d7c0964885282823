/* replay.c - runs a fuzz target on given input files, without libFuzzer.
 *
 * Linked with one tests/fuzz/fuzz_*.c into build/VARIANT/tests/replay_*, so
 * that make check replays every committed fuzz input (the seeds and the
 * found-* inputs the fuzzers turned up) under the test build's ASan+UBSan.
 * Usage: replay_TARGET FILE...   Prints nothing on success; a crash or a
 * sanitizer report is the failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 2;
		}
		uint8_t *buf = NULL;
		size_t len = 0, cap = 0;
		for (;;) {
			if (len == cap) {
				cap = cap ? cap * 2 : 4096;
				uint8_t *nb = realloc(buf, cap);
				if (!nb) {
					fprintf(stderr, "%s: out of memory\n", argv[i]);
					return 2;
				}
				buf = nb;
			}
			size_t n = fread(buf + len, 1, cap - len, f);
			len += n;
			if (n == 0)
				break;
		}
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
	}
	return 0;
}
