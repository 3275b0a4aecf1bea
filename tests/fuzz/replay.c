/* replay.c: run a fuzz harness without libFuzzer, over stored inputs.
 *
 * Linked with one harness tests/fuzz/NAME.c (built with -DFUZZ_NAME="NAME")
 * and libselflabel.a by any C compiler, this is the unit test
 * build/tests/fuzz-NAME of `make test`: it feeds every file of
 * tests/fuzz/corpus/NAME (the seeds and what fuzzing found interesting) and
 * tests/fuzz/regress/NAME (inputs kept as they are: those that once made a
 * reader fail, and boundary cases the minimised corpus may lose) to
 * LLVMFuzzerTestOneInput, each in a buffer of exactly its size, and prints
 * how many it replayed. A crash, an abort (a harness's oracle) or an input
 * that takes more than FUZZ_REPLAY_TIMEOUT seconds (default 20) ends it
 * with a line naming the input and a non-zero status.
 *
 * usage: fuzz-NAME [DIR|FILE]...   (default: the two folders above, under
 * $SELFLABEL_ROOT, else under the current folder)
 *
 * The readers' error messages are sent to /dev/null unless FUZZ_VERBOSE is
 * set. */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <time.h>

#ifndef FUZZ_NAME
#error "build with -DFUZZ_NAME=\"harness\""
#endif

static int err_fd = 2;                 /* the real stderr */
static char current[PATH_MAX + 64];   /* the input being run, for the signal handler */

static void say(const char *s)
{
	size_t n = strlen(s);
	while (n > 0) {
		ssize_t k = write(err_fd, s, n);
		if (k <= 0)
			return;
		s += k, n -= (size_t)k;
	}
}

static void on_signal(int sig)
{
	say("fuzz-" FUZZ_NAME ": ");
	say(sig == SIGALRM ? "timeout" : sig == SIGABRT ? "abort" : "crash");
	say(" on input: ");
	say(current);
	say(" (see why: FUZZ_VERBOSE=1 fuzz-" FUZZ_NAME " FILE)\n");
	signal(sig, SIG_DFL);
	raise(sig == SIGALRM ? SIGKILL : sig);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read a whole file into a buffer of exactly its size (of 1 byte, not
 * NULL, for an empty file, as libFuzzer passes it). -1 on a read error. */
static int slurp(const char *path, uint8_t **data, size_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	*data = NULL, *size = 0;
	if (fd < 0 || fstat(fd, &st))
		return fd >= 0 ? close(fd), -1 : -1;
	if (!(*data = malloc(st.st_size > 0 ? (size_t)st.st_size : 1)))
		return close(fd), -1;
	if (st.st_size > 0) {
		size_t got = 0, n = (size_t)st.st_size;
		while (got < n) {
			ssize_t k = read(fd, *data + got, n - got);
			if (k <= 0)
				return close(fd), free(*data), -1;
			got += (size_t)k;
		}
		*size = n;
	}
	close(fd);
	return 0;
}

/* Run one input. 0, or -1 when it cannot be read. */
static int run_one(const char *path, int quiet_fd, unsigned timeout)
{
	uint8_t *data;
	size_t size;
	if (slurp(path, &data, &size)) {
		fprintf(stderr, "fuzz-%s: cannot read '%s': %s\n", FUZZ_NAME, path, strerror(errno));
		return -1;
	}
	snprintf(current, sizeof current, "%s", path);
	if (quiet_fd >= 0)
		fflush(stderr), dup2(quiet_fd, 2);
	alarm(timeout);
	LLVMFuzzerTestOneInput(data, size);
	alarm(0);
	if (quiet_fd >= 0)
		fflush(stderr), dup2(err_fd, 2);
	free(data);
	return 0;
}

/* Run a file, or every file of a folder in name order. Adds to *count;
 * 0, or -1 when something cannot be read. A missing default folder is
 * fine (missing_ok). */
static int run_path(const char *path, int quiet_fd, unsigned timeout, size_t *count,
                    int missing_ok)
{
	char real[PATH_MAX];
	struct stat st;
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	/* absolute: a harness may change the working folder */
	if (!realpath(path, real) || stat(real, &st)) {
		if (missing_ok && errno == ENOENT)
			return 0;
		fprintf(stderr, "fuzz-%s: cannot open '%s': %s\n", FUZZ_NAME, path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (run_one(real, quiet_fd, timeout))
			return -1;
		++*count;
		return 0;
	}
	if (!(d = opendir(real))) {
		fprintf(stderr, "fuzz-%s: cannot open '%s': %s\n", FUZZ_NAME, path, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		char **grown;
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			grown = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
			FUZZ_CHECK(grown != NULL);
			names = grown;
		}
		FUZZ_CHECK((names[n] = malloc(strlen(real) + strlen(e->d_name) + 2)) != NULL);
		sprintf(names[n++], "%s/%s", real, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode) && !rc) {
			if (run_one(names[i], quiet_fd, timeout))
				rc = -1;
			else
				++*count;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	const char *root = getenv("SELFLABEL_ROOT"), *t = getenv("FUZZ_REPLAY_TIMEOUT");
	unsigned timeout = t && atoi(t) > 0 ? (unsigned)atoi(t) : 20;
	char dirs[2][PATH_MAX];
	size_t count = 0;
	int quiet_fd = -1, rc = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	if ((err_fd = dup(2)) < 0)
		err_fd = 2;
	if (!getenv("FUZZ_VERBOSE"))
		quiet_fd = open("/dev/null", O_WRONLY);
	signal(SIGSEGV, on_signal), signal(SIGBUS, on_signal), signal(SIGFPE, on_signal);
	signal(SIGILL, on_signal), signal(SIGABRT, on_signal), signal(SIGALRM, on_signal);

	if (argc > 1) {
		for (int i = 1; i < argc && !rc; i++)
			rc = run_path(argv[i], quiet_fd, timeout, &count, 0);
	} else {
		snprintf(dirs[0], sizeof dirs[0], "%s/tests/fuzz/corpus/%s", root ? root : ".",
		         FUZZ_NAME);
		snprintf(dirs[1], sizeof dirs[1], "%s/tests/fuzz/regress/%s", root ? root : ".",
		         FUZZ_NAME);
		rc = run_path(dirs[0], quiet_fd, timeout, &count, 0);
		if (!rc)
			rc = run_path(dirs[1], quiet_fd, timeout, &count, 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc)
		return 1;
	if (count == 0) {
		fprintf(stderr, "fuzz-%s: no inputs to replay\n", FUZZ_NAME);
		return 1;
	}
	printf("fuzz-%s: replayed %zu inputs in %.2f s, no crash\n", FUZZ_NAME, count,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
	return 0;
}
