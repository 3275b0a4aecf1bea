/* fuzz.h: what the fuzz harnesses share.
 *
 * A harness tests/fuzz/NAME.c defines LLVMFuzzerTestOneInput, which feeds
 * one input to one reader of lib/ and returns 0. It is linked either with
 * libFuzzer (make fuzz: clang -fsanitize=fuzzer,address,undefined) or with
 * tests/fuzz/replay.c (make test: the stored corpus, any C compiler).
 * Readers report bad input with a message and -1, which is fine; a crash, a
 * sanitizer report, a hang or a failed FUZZ_CHECK (an oracle: a round trip
 * that does not come back, a result that disagrees with a brute-force one)
 * is a bug. Harnesses that need files write them into a private folder. */
#ifndef SL_FUZZ_H
#define SL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The sanitizers' report line, when they are linked in (make fuzz closes the
 * harness's stderr and keeps this channel to the log). */
void __sanitizer_report_error_summary(const char *summary) __attribute__((weak));

/* An oracle: abort (a crash to libFuzzer and to the replay) with the
 * failed condition when it does not hold. */
#define FUZZ_CHECK(cond)                                                                   \
	do {                                                                               \
		if (!(cond))                                                               \
			fuzz_fail(#cond, __FILE__, __LINE__);                              \
	} while (0)

static inline void fuzz_fail(const char *cond, const char *file, int line)
{
	char msg[512];
	snprintf(msg, sizeof msg, "fuzz check failed: %s (%s:%d)", cond, file, line);
	fprintf(stderr, "%s\n", msg);
	if (__sanitizer_report_error_summary)
		__sanitizer_report_error_summary(msg);
	abort();
}

static char fuzz_dir_path[512];

static inline int fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static inline void fuzz_dir_remove(void)
{
	if (fuzz_dir_path[0])
		nftw(fuzz_dir_path, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A private folder ($TMPDIR or /tmp, selflabel-fuzz.XXXXXX), made on first
 * use and removed at a normal exit. Aborts when it cannot be made. */
static inline const char *fuzz_dir(void)
{
	if (!fuzz_dir_path[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/selflabel-fuzz.XXXXXX",
		         t && *t ? t : "/tmp");
		FUZZ_CHECK(mkdtemp(fuzz_dir_path) != NULL);
		atexit(fuzz_dir_remove);
	}
	return fuzz_dir_path;
}

/* fuzz_dir()/name, in a static buffer per call site's `buf`. */
static inline const char *fuzz_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", fuzz_dir(), name);
	return buf;
}

/* Write size bytes to path, replacing it. Aborts on a write error (the
 * harness's own failure, not the reader's). */
static inline void fuzz_write(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	FUZZ_CHECK(f != NULL);
	FUZZ_CHECK(size == 0 || fwrite(data, 1, size, f) == size);
	FUZZ_CHECK(fclose(f) == 0);
}

/* The input as a NUL-terminated string (free it). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	FUZZ_CHECK(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
