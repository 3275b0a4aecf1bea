/* tsv.c: a small tab-separated table read whole (see tsv.h). */
#include "tsv.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Split s at tabs in place into at most max fields; returns the count
 * (which may exceed max: the extra fields are not stored). */
static int split_tabs(char *s, char **f, int max)
{
	int n = 0;
	for (;;) {
		if (n < max)
			f[n] = s;
		n++;
		s = strchr(s, '\t');
		if (!s)
			return n;
		*s++ = 0;
	}
}

/* The next line at *p, cut at its newline (NULL after the last). Empty
 * lines are lines: each call is one line of the file. */
static char *next_line(char **p)
{
	char *s = *p, *nl;
	if (!s || !*s)
		return NULL;
	nl = strchr(s, '\n');
	if (nl)
		*nl = '\0';
	*p = nl ? nl + 1 : NULL;
	return s;
}

int tsv_read(struct tsv *t, const char *path)
{
	size_t len;
	char *line, *rest;
	int lineno = 0, cap = 0;

	memset(t, 0, sizeof *t);
	if (!(t->text = read_whole(path, &len)))
		return -1;
	if (memchr(t->text, 0, len))
		return tsv_free(t), error("%s: not a text file", path);
	rest = t->text;
	while ((line = next_line(&rest))) {
		lineno++;
		line[strcspn(line, "\r")] = 0;
		if (*line && *line != '#')
			break;
	}
	if (!line)
		return tsv_free(t), error("%s: no header line", path);
	t->ncol = 1;
	for (const char *c = line; (c = strchr(c, '\t')); c++)
		t->ncol++;
	if (!(t->names = xcalloc(t->ncol, sizeof *t->names)))
		return tsv_free(t), -1;
	split_tabs(line, t->names, t->ncol);
	while ((line = next_line(&rest))) {
		int n;
		lineno++;
		line[strcspn(line, "\r")] = 0;
		if (*line == '#' || !*line)
			continue;
		if (t->nrow == cap) {
			char **nc;
			int *nl;
			cap = cap ? 2 * cap : 64;
			nc = realloc(t->cell, (size_t)cap * t->ncol * sizeof *nc);
			if (nc)
				t->cell = nc;
			nl = realloc(t->line, (size_t)cap * sizeof *nl);
			if (nl)
				t->line = nl;
			if (!nc || !nl)
				return tsv_free(t), error("out of memory");
		}
		n = split_tabs(line, t->cell + (size_t)t->nrow * t->ncol, t->ncol);
		if (n != t->ncol) {
			error("%s: line %d has %d fields, want %d", path, lineno, n, t->ncol);
			return tsv_free(t), -1;
		}
		t->line[t->nrow++] = lineno;
	}
	return 0;
}

int tsv_column(const struct tsv *t, const char *name)
{
	for (int i = 0; i < t->ncol; i++)
		if (!strcmp(t->names[i], name))
			return i;
	return -1;
}

int tsv_number(const char *v, double *d)
{
	char *end;
	if (!*v || !strcmp(v, "-") || !strcasecmp(v, "nan") || !strcmp(v, "NA")) {
		*d = NAN;
		return 0;
	}
	*d = strtod(v, &end);
	if (*end || !isfinite(*d)) {
		*d = NAN;
		return -1;
	}
	return 0;
}

void tsv_free(struct tsv *t)
{
	free(t->text), free(t->names), free(t->cell), free(t->line);
	memset(t, 0, sizeof *t);
}
