/* util.c: errors, number parsing, safe output files, small helpers. */
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

/* ---- temporary files (util.h) ------------------------------------------------ */

#define TMP_SLOTS 256
#define TMP_PATH 4096
static char tmp_paths[TMP_SLOTS][TMP_PATH];
static volatile sig_atomic_t tmp_kind[TMP_SLOTS]; /* 0 free, 1 file, 2 folder */
static int tmp_handlers;

/* Remove name (relative to dirfd) and, for a folder, its tree, with
 * async-signal-safe calls only (openat, getdents64, unlinkat, close): the
 * signal handler uses it. depth bounds the recursion. 0 or -1 (errno). */
static int rm_at(int dirfd, const char *name, int depth)
{
	_Alignas(8) char buf[2048];
	int fd, pass;
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if ((errno != EISDIR && errno != EPERM) || depth > 16)
		return -1;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (pass = 0; pass < 4; pass++) { /* again from the start: removal shifts entries */
		long n;
		lseek(fd, 0, SEEK_SET);
		while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
			long off = 0;
			while (off < n) {
				struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type;
				         char name[]; } *d = (void *)(buf + off);
				if (strcmp(d->name, ".") && strcmp(d->name, ".."))
					rm_at(fd, d->name, depth + 1);
				off += d->reclen;
			}
		}
		if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT) {
			close(fd);
			return 0;
		}
		if (errno != ENOTEMPTY && errno != EEXIST)
			break;
	}
	pass = errno;
	close(fd);
	errno = pass;
	return -1;
}

int rm_tree(const char *path)
{
	return rm_at(AT_FDCWD, path, 0);
}

static void on_signal(int sig)
{
	int i, e = errno;
	for (i = 0; i < TMP_SLOTS; i++) {
		if (tmp_kind[i] == 1)
			unlink(tmp_paths[i]);
		else if (tmp_kind[i] == 2)
			rm_at(AT_FDCWD, tmp_paths[i], 0);
	}
	signal(sig, SIG_DFL);
	raise(sig); /* delivered when the handler returns: the default action */
	errno = e;
}

/* The handler goes on the signals whose action is still the default (a
 * signal the caller ignores, as `cmd &` does for SIGINT, stays ignored). */
static void tmp_handlers_install(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	size_t i;
	if (tmp_handlers)
		return;
	tmp_handlers = 1;
	for (i = 0; i < sizeof sigs / sizeof *sigs; i++) {
		struct sigaction old, sa;
		if (sigaction(sigs[i], NULL, &old) || old.sa_handler != SIG_DFL)
			continue;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

int tmp_register(const char *path, int folder)
{
	size_t n = strlen(path);
	int i;
	if (n >= TMP_PATH)
		return 0;
	tmp_handlers_install();
	for (i = 0; i < TMP_SLOTS; i++)
		if (!tmp_kind[i]) {
			memcpy(tmp_paths[i], path, n + 1);
			tmp_kind[i] = folder ? 2 : 1;
			return i + 1;
		}
	return 0;
}

void tmp_unregister(int reg)
{
	if (reg > 0 && reg <= TMP_SLOTS)
		tmp_kind[reg - 1] = 0;
}

char *tmp_name(const char *target, const char *kind)
{
	size_t n = strlen(target) + strlen(kind) + 40;
	char *t = xmalloc(n);
	if (t)
		snprintf(t, n, "%s.%s.%ld.XXXXXX", target, kind, (long)getpid());
	return t;
}

/* The pid of a temporary's name tail "PID.XXXXXX", else 0. */
static long tmp_pid(const char *tail)
{
	char *end;
	long pid;
	if (!isdigit((unsigned char)*tail))
		return 0;
	errno = 0;
	pid = strtol(tail, &end, 10);
	if (errno || pid <= 0 || *end != '.' || strlen(end + 1) != 6)
		return 0;
	return pid;
}

/* Whether process pid still runs on this machine: it exists (or belongs to
 * another user) and has not ended. A killed process whose parent died too
 * stays a zombie until something reaps it (and in a container whose first
 * process does not, for good): its /proc state Z or X counts as ended. */
static int pid_running(long pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	size_t n;
	if (kill((pid_t)pid, 0) && errno == ESRCH)
		return 0;
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "r")))
		return 1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* "pid (comm) S ...": comm may hold anything */
	return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

void tmp_sweep(const char *target)
{
	const char *slash = strrchr(target, '/');
	char *dir = slash ? strndup(target, (size_t)(slash - target + 1)) : strdup("./");
	const char *base = slash ? slash + 1 : target;
	size_t nb = strlen(base);
	DIR *d;
	struct dirent *e;
	if (!dir || !nb || !(d = opendir(dir))) {
		free(dir);
		return;
	}
	while ((e = readdir(d))) {
		const char *tail = e->d_name + nb;
		int old;
		long pid;
		char *p;
		if (strncmp(e->d_name, base, nb) || (strncmp(tail, ".tmp.", 5) && strncmp(tail, ".old.", 5)))
			continue;
		old = tail[1] == 'o';
		pid = tmp_pid(tail + 5);
		if (!pid || pid == (long)getpid() || pid_running(pid))
			continue; /* not ours to judge, or its writer lives */
		if (!(p = malloc(strlen(dir) + strlen(e->d_name) + 1)))
			break;
		strcat(strcpy(p, dir), e->d_name);
		if (!(old && access(target, F_OK) && errno == ENOENT && rename(p, target) == 0))
			rm_tree(p);
		free(p);
	}
	closedir(d);
	free(dir);
}

char *dir_stage(const char *target, int *reg)
{
	char *t;
	mode_t um;
	const char *slash = strrchr(target, '/');
	*reg = 0;
	if (slash && slash != target) { /* its parent folders, as mkdir -p */
		char *parent = strndup(target, (size_t)(slash - target));
		struct stat st;
		int bad = !parent;
		if (!bad && stat(parent, &st) == 0 && !S_ISDIR(st.st_mode))
			bad = error("cannot create folder '%s': not a folder: '%s'", target, parent);
		else if (!bad)
			bad = mkdir_p(parent);
		free(parent);
		if (bad)
			return NULL;
	}
	tmp_sweep(target);
	if (!(t = tmp_name(target, "tmp")))
		return NULL;
	if (!mkdtemp(t)) {
		error("cannot create a folder beside '%s': %s", target, strerror(errno));
		free(t);
		return NULL;
	}
	*reg = tmp_register(t, 1);
	um = umask(0);
	umask(um);
	chmod(t, 0777 & ~um);
	return t;
}

int dir_replace(const char *fresh, const char *path)
{
	char *aside;
	int reg;
	if (rename(fresh, path) == 0)
		return 0; /* path was missing, or an empty folder */
	if (errno != EEXIST && errno != ENOTEMPTY)
		return error("cannot rename '%s' to '%s': %s", fresh, path, strerror(errno));
	if (renameat2(AT_FDCWD, fresh, AT_FDCWD, path, RENAME_EXCHANGE) == 0) {
		/* fresh now names the old tree: a temporary's name, swept if a kill comes */
		if (rm_tree(fresh))
			error("warning: cannot remove the old '%s' (now '%s'): %s", path, fresh,
			      strerror(errno));
		return 0;
	}
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return error("cannot replace '%s': %s", path, strerror(errno));
	/* no exchange here: the old folder aside, the new one in, the old one out */
	if (!(aside = tmp_name(path, "old")))
		return -1;
	if (!mkdtemp(aside) || rmdir(aside) || rename(path, aside)) {
		error("cannot move the old '%s' aside: %s", path, strerror(errno));
		free(aside);
		return -1;
	}
	reg = tmp_register(aside, 1);
	if (rename(fresh, path)) {
		int e = errno;
		if (rename(aside, path) == 0)
			tmp_unregister(reg);
		free(aside);
		return error("cannot rename '%s' to '%s': %s", fresh, path, strerror(e));
	}
	rm_tree(aside);
	tmp_unregister(reg);
	free(aside);
	return 0;
}

int outfile_open(struct outfile *o, const char *path)
{
	int fd;
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
	tmp_sweep(o->path); /* what a killed writer of this path left */
	o->tmp = tmp_name(o->path, "tmp");
	if (!o->tmp)
		goto fail;
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		error("cannot create '%s': %s", path, strerror(errno));
		goto fail;
	}
	o->reg = tmp_register(o->tmp, 0);
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
	tmp_unregister(o->reg);
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
	tmp_unregister(o->reg);
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

int outfile_write_memstream(FILE **mf, char **buf, size_t *len, const char *path)
{
	int rc = fclose(*mf);
	*mf = NULL;
	if (rc)
		return error("out of memory");
	return outfile_write(path, *buf, *len);
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
	tmp_unregister(o->reg);
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
