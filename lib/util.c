/* util.c: errors, number parsing, safe output files, small helpers. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *progname = "selflabel";

static void vmsg(const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	return -1;
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(1);
}

int parse_long(const char *s, long min, long max, const char *what, long *out)
{
	char *end;
	long v;
	if (!s || !*s)
		return error("%s: not a number: '%s'", what, s ? s : "");
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end)
		return error("%s: not a whole number: '%s'", what, s);
	if (errno == ERANGE || v < min || v > max)
		return error("%s: out of range %ld..%ld: '%s'", what, min, max, s);
	*out = v;
	return 0;
}

int parse_double(const char *s, double min, double max, const char *what, double *out)
{
	char *end;
	double v;
	if (!s || !*s)
		return error("%s: not a number: '%s'", what, s ? s : "");
	errno = 0;
	v = strtod(s, &end);
	if (*end)
		return error("%s: not a number: '%s'", what, s);
	if (!isfinite(v) || errno == ERANGE || v < min || v > max)
		return error("%s: out of range %g..%g: '%s'", what, min, max, s);
	*out = v;
	return 0;
}

int parse_tuple(const char *s, char sep, int n, int integer, double min, double max,
                  int empty_ok, const char *what, double *out)
{
	const char *p = s;
	int i;
	if (!s)
		s = p = "";
	for (i = 0; i < n; i++) {
		const char *end = strchr(p, sep);
		char buf[64];
		size_t len;
		if (i < n - 1 && !end)
			return error("%s: want %d numbers separated by '%c': '%s'", what, n, sep, s);
		if (i == n - 1)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if (len == 0 && empty_ok) {
			p = end + (i < n - 1);
			continue;
		}
		if (len == 0 || len >= sizeof buf || !(isdigit((unsigned char)*p) || *p == '-' || *p == '.'))
			return error("%s: want %d numbers separated by '%c': '%s'", what, n, sep, s);
		memcpy(buf, p, len);
		buf[len] = 0;
		errno = 0;
		if (integer) {
			char *e;
			long v = strtol(buf, &e, 10);
			if (*e)
				return error("%s: not a whole number: '%s'", what, s);
			if (errno == ERANGE || v < min || v > max)
				return error("%s: out of range %.17g..%.17g: '%s'", what, min, max, s);
			out[i] = (double)v;
		} else {
			char *e;
			double v = strtod(buf, &e);
			if (*e)
				return error("%s: not a number: '%s'", what, s);
			if (!isfinite(v) || errno == ERANGE || v < min || v > max)
				return error("%s: out of range %g..%g: '%s'", what, min, max, s);
			out[i] = v;
		}
		p = end + (i < n - 1);
	}
	return 0;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		error("out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		error("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

int mul_size(size_t a, size_t b, size_t *out)
{
	if (a && b > SIZE_MAX / a)
		return -1;
	*out = a * b;
	return 0;
}

int fd_path(const char *path)
{
	const char *p = NULL;
	char *end;
	long n;
	if (!strcmp(path, "/dev/stdout"))
		return 1;
	if (!strcmp(path, "/dev/stderr"))
		return 2;
	if (!strncmp(path, "/dev/fd/", 8))
		p = path + 8;
	else if (!strncmp(path, "/proc/self/fd/", 14))
		p = path + 14;
	if (!p || !*p)
		return -1;
	errno = 0;
	n = strtol(p, &end, 10);
	return *end || errno || n < 0 || n > 65535 ? -1 : (int)n;
}

FILE *open_fd_path(const char *path)
{
	int fd = fd_path(path), d;
	FILE *f;
	if (fd < 0)
		return NULL;
	fflush(stdout);
	fflush(stderr);
	if ((d = dup(fd)) < 0 || !(f = fdopen(d, "wb"))) {
		if (d >= 0)
			close(d);
		error("cannot write to '%s': %s", path, strerror(errno));
		return NULL;
	}
	return f;
}

char *out_target(const char *path)
{
	char *cur = strdup(path), buf[4096];
	int hops;
	for (hops = 0; cur && hops < 40; hops++) {
		struct stat st;
		ssize_t n;
		char *next, *slash;
		if (lstat(cur, &st) || !S_ISLNK(st.st_mode) ||
		    (n = readlink(cur, buf, sizeof buf - 1)) < 0)
			return cur;
		buf[n] = '\0';
		slash = strrchr(cur, '/');
		if (buf[0] == '/' || !slash) {
			next = strdup(buf);
		} else { /* relative to the link's folder */
			size_t d = (size_t)(slash - cur) + 1;
			next = malloc(d + (size_t)n + 1);
			if (next) {
				memcpy(next, cur, d);
				memcpy(next + d, buf, (size_t)n + 1);
			}
		}
		free(cur);
		cur = next;
	}
	if (!cur)
		error("out of memory");
	else
		error("too many symbolic links: '%s'", path);
	free(cur);
	return NULL;
}

int outfile_open(struct outfile *o, const char *path)
{
	int fd;
	size_t n;
	struct stat st;
	memset(o, 0, sizeof *o);
	if (!strcmp(path, "-")) {
		o->f = stdout;
		return 0;
	}
	if (fd_path(path) >= 0) { /* the open descriptor itself: no truncation, no rename */
		if (!(o->f = open_fd_path(path)))
			return -1;
		o->direct = 1;
		return 0;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		o->f = fopen(path, "wb");
		if (!o->f)
			return error("cannot open '%s': %s", path, strerror(errno));
		o->direct = 1;
		return 0;
	}
	/* a symbolic link is written through: the temporary file goes beside
	 * the file it points to and is renamed onto it, the link stays */
	o->path = out_target(path);
	if (!o->path)
		goto fail;
	n = strlen(o->path);
	o->tmp = xmalloc(n + 16);
	if (!o->tmp)
		goto fail;
	snprintf(o->tmp, n + 16, "%s.tmp.XXXXXX", o->path);
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		error("cannot create '%s': %s", path, strerror(errno));
		goto fail;
	}
	fchmod(fd, 0644);
	o->f = fdopen(fd, "wb");
	if (!o->f) {
		close(fd);
		unlink(o->tmp);
		error("cannot open '%s': %s", path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof *o);
	return -1;
}

int outfile_commit(struct outfile *o)
{
	int bad;
	if (o->direct) {
		bad = ferror(o->f) != 0;
		if (fclose(o->f))
			bad = 1;
		memset(o, 0, sizeof *o);
		return bad ? error("write error: %s", strerror(errno ? errno : EIO)) : 0;
	}
	if (!o->tmp) {
		if (fflush(stdout) || ferror(stdout))
			return error("write error on standard output: %s", strerror(errno));
		return 0;
	}
	bad = ferror(o->f) != 0;
	if (fclose(o->f))
		bad = 1;
	o->f = NULL;
	if (bad) {
		error("cannot write '%s': %s", o->path, strerror(errno ? errno : EIO));
		unlink(o->tmp);
	} else if (rename(o->tmp, o->path)) {
		bad = 1;
		error("cannot rename into '%s': %s", o->path, strerror(errno));
		unlink(o->tmp);
	}
	free(o->path);
	free(o->tmp);
	o->path = o->tmp = NULL;
	return bad ? -1 : 0;
}

int outfile_write(const char *path, const void *buf, size_t len)
{
	struct outfile o;
	if (outfile_open(&o, path))
		return -1;
	fwrite(buf, 1, len, o.f); /* a short write sets ferror, which commit checks */
	return outfile_commit(&o);
}

void outfile_abort(struct outfile *o)
{
	if (o->direct && o->f)
		fclose(o->f);
	if (o->tmp) {
		if (o->f)
			fclose(o->f);
		unlink(o->tmp);
	}
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof *o);
}

int limits_get(struct limits *l)
{
	static const char units[] = "KMGT";
	const char *v = getenv(LIMIT_ENV), *u;
	uint64_t b = LIMIT_BYTES_DEFAULT;
	if (v && *v) {
		char *end;
		unsigned long long n;
		int shift = 0;
		errno = 0;
		n = isdigit((unsigned char)*v) ? strtoull(v, &end, 10) : 0;
		if (n && !errno && *end && !end[1] && (u = strchr(units, toupper((unsigned char)*end))))
			shift = 10 * (int)(u - units + 1), end++;
		if (!n || errno || *end || n > ((uint64_t)1 << 48) >> shift ||
		    ((uint64_t)n << shift) < ((uint64_t)1 << 16))
			return error("%s: want a size of 64K..256T (bytes, or a number with K, M, G or T): "
			             "'%s'", LIMIT_ENV, v);
		b = (uint64_t)n << shift;
	}
	l->bytes = b;
	l->voxels = b / 4;
	l->text = b / 64;
	return 0;
}

int open_input(const char *path)
{
	int fd, fl;
	struct stat st;
	if (!strcmp(path, "-")) {
		if ((fd = dup(0)) < 0)
			return error("cannot read standard input: %s", strerror(errno));
		return fd;
	}
	/* O_NONBLOCK: a FIFO's open() would wait for a writer, maybe forever */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return error("cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		error("cannot open '%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return error("is a directory: '%s'", path);
	}
	/* reads block again: a pipe's data are waited for as they come, and a
	 * FIFO without a writer reads as empty */
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		error("cannot open '%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

FILE *open_in(const char *path)
{
	FILE *f;
	int fd;
	if (!strcmp(path, "-"))
		return stdin;
	if ((fd = open_input(path)) < 0)
		return NULL;
	if (!(f = fdopen(fd, "rb"))) {
		error("cannot open '%s': %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

void close_in(FILE *f)
{
	if (f && f != stdin)
		fclose(f);
}

int close_stdout(void)
{
	if (fflush(stdout) || ferror(stdout) || fclose(stdout))
		return error("write error on standard output: %s", strerror(errno));
	return 0;
}

int mkdir_p(const char *path)
{
	char buf[4096];
	size_t n = strlen(path), i;
	struct stat st;
	if (n == 0 || n >= sizeof buf)
		return error("bad folder name: '%s'", path);
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == '\0') {
			char c = buf[i];
			buf[i] = '\0';
			if (mkdir(buf, 0777) && errno != EEXIST)
				return error("cannot create folder '%s': %s", buf, strerror(errno));
			buf[i] = c;
		}
	}
	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return error("not a folder: '%s'", path);
	return 0;
}

char *read_whole(const char *path, size_t *len)
{
	struct limits lim;
	struct stat st;
	FILE *f;
	size_t cap = 1 << 16, n = 0, got, max;
	char *buf = NULL, *nb;
	if (limits_get(&lim) || !(f = open_in(path)))
		return NULL;
	max = lim.text < SIZE_MAX / 2 ? (size_t)lim.text : SIZE_MAX / 2;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		error("text file larger than the limit of %zu bytes (%s/64): '%s'", max, LIMIT_ENV,
		      path);
		goto fail;
	}
	if (cap > max + 1)
		cap = max + 1;
	buf = xmalloc(cap + 1);
	if (!buf)
		goto fail;
	/* up to max + 1 bytes: one byte more than the limit tells a stream
	 * that is too long */
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n > max) {
			error("text file larger than the limit of %zu bytes (%s/64): '%s'", max,
			      LIMIT_ENV, path);
			goto fail;
		}
		if (n == cap) {
			cap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				error("out of memory reading '%s'", path);
				goto fail;
			}
			buf = nb;
		}
	}
	if (ferror(f)) {
		error("cannot read '%s': %s", path, strerror(errno));
		goto fail;
	}
	close_in(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	free(buf);
	close_in(f);
	return NULL;
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
	int i;
	for (i = 0; i < 4; i++)
		r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double rng_uniform(struct rng *r)
{
	return (rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

double rng_normal(struct rng *r)
{
	/* Box-Muller; one value per call keeps the stream simple to reason about. */
	double u1 = rng_uniform(r), u2 = rng_uniform(r);
	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
	uint64_t lim, x;
	if (n <= 1)
		return 0;
	lim = UINT64_MAX - UINT64_MAX % n;
	do
		x = rng_next(r);
	while (x >= lim);
	return x % n;
}

double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}
