/* outbatch.c: output files committed together (see outbatch.h). */
#include "outbatch.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void outbatch_init(struct outbatch *b)
{
	memset(b, 0, sizeof *b);
}

FILE *outbatch_open(struct outbatch *b, const char *path)
{
	struct outfile o;
	FILE **nf;
	int *nr;
	if (b->n == b->cap) {
		int cap = b->cap ? 2 * b->cap : 16;
		char **np = realloc(b->path, cap * sizeof *np), **nt;
		if (!np)
			return error("out of memory"), NULL;
		b->path = np;
		nt = realloc(b->tmp, cap * sizeof *nt);
		if (!nt)
			return error("out of memory"), NULL;
		b->tmp = nt;
		nf = realloc(b->fp, cap * sizeof *nf);
		if (!nf)
			return error("out of memory"), NULL;
		b->fp = nf;
		nr = realloc(b->reg, cap * sizeof *nr);
		if (!nr)
			return error("out of memory"), NULL;
		b->reg = nr;
		b->cap = cap;
	}
	if (!strcmp(path, "-"))
		return error("a set of output files cannot hold stdout: '%s'", path), NULL;
	/* outfile_open decides: a temporary file beside the target (through a
	 * symbolic link), or in place for a descriptor, device or pipe */
	if (outfile_open(&o, path))
		return NULL;
	b->path[b->n] = o.path ? o.path : strdup(path);
	if (!b->path[b->n]) {
		outfile_abort(&o);
		return error("out of memory"), NULL;
	}
	b->tmp[b->n] = o.tmp;
	b->fp[b->n] = o.f;
	b->reg[b->n] = o.reg;
	b->n++;
	return o.f;
}

int outbatch_close(struct outbatch *b, FILE *f)
{
	int i, bad = ferror(f) != 0;
	const char *name = "?";
	for (i = 0; i < b->n; i++)
		if (b->fp[i] == f) {
			b->fp[i] = NULL;
			name = b->path[i];
		}
	errno = 0;
	if (fclose(f))
		bad = 1;
	if (bad)
		return error("cannot write '%s': %s", name, strerror(errno ? errno : EIO));
	return 0;
}

void outbatch_drop(struct outbatch *b, FILE *f)
{
	int i;
	for (i = 0; i < b->n; i++)
		if (b->fp[i] == f)
			b->fp[i] = NULL;
	fclose(f);
}

static void clear(struct outbatch *b)
{
	int i;
	for (i = 0; i < b->n; i++) {
		if (b->fp[i])
			fclose(b->fp[i]);
		free(b->path[i]);
		free(b->tmp[i]);
		tmp_unregister(b->reg[i]);
	}
	free(b->path);
	free(b->tmp);
	free(b->fp);
	free(b->reg);
	memset(b, 0, sizeof *b);
}

int outbatch_commit(struct outbatch *b)
{
	int i, rc = 0;
	for (i = 0; i < b->n; i++)
		if (b->fp[i] && outbatch_close(b, b->fp[i]))
			rc = -1;
	/* a folder in the way is the one likely rename failure (the temporary
	 * files sit in the target folders already): look before renaming any */
	for (i = 0; i < b->n && rc == 0; i++) {
		struct stat st;
		if (b->tmp[i] && stat(b->path[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc = error("cannot write '%s': is a folder", b->path[i]);
	}
	for (i = 0; i < b->n; i++) {
		if (!b->tmp[i])
			continue;
		if (rc == 0 && rename(b->tmp[i], b->path[i])) {
			rc = error("cannot rename into '%s': %s", b->path[i], strerror(errno));
		}
		if (rc)
			unlink(b->tmp[i]);
	}
	clear(b);
	return rc;
}

void outbatch_abort(struct outbatch *b)
{
	int i;
	for (i = 0; i < b->n; i++) {
		if (b->fp[i])
			fclose(b->fp[i]);
		b->fp[i] = NULL;
		if (b->tmp[i])
			unlink(b->tmp[i]);
	}
	clear(b);
}

int outbatch_write_all(int n, const char *const path[], char *const buf[],
                       const size_t len[], FILE *const std[])
{
	struct outbatch b;
	FILE *f;
	int i;
	outbatch_init(&b);
	for (i = 0; i < n; i++) {
		if (!buf[i] || !path[i] || !strcmp(path[i], "-"))
			continue;
		if (!(f = outbatch_open(&b, path[i]))) {
			outbatch_abort(&b);
			return -1;
		}
		fwrite(buf[i], 1, len[i], f);
	}
	if (outbatch_commit(&b))
		return -1;
	for (i = 0; i < n; i++) {
		FILE *to = !buf[i] ? NULL : !path[i] ? std[i] : !strcmp(path[i], "-") ? stdout : NULL;
		if (to)
			fwrite(buf[i], 1, len[i], to);
	}
	return 0;
}
