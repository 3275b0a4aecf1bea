/* slicesel.h: z-slice selections for threshold-filter and merge-pseudo,
 * "5,7,10-12" (inclusive ranges) or "A:B" (slices A..B-1). Header-only
 * until the shared slice-list module in lib/ replaces it. */
#ifndef SL_SLICESEL_H
#define SL_SLICESEL_H

#include "util.h"

#include <stdlib.h>
#include <string.h>

/* A set of z-slices: inclusive ranges, parsed from "5,7,10-12" or "A:B". */
struct slices {
	long (*r)[2];
	int n;
};

/* Parse a slice list "5,7,10-12" (inclusive ranges). 0 or -1 with a message. */
static inline int parse_list(const char *s, struct slices *out)
{
	const char *p = s;
	out->r = NULL;
	out->n = 0;
	if (!*s)
		return error("empty slice list");
	while (*p) {
		char num[32];
		long a, b;
		size_t len = strcspn(p, ",");
		const char *dash = memchr(p, '-', len);
		void *nr;
		if (len == 0 || len >= 2 * sizeof num)
			goto bad;
		if (dash) {
			size_t la = dash - p, lb = len - la - 1;
			if (la == 0 || lb == 0 || la >= sizeof num || lb >= sizeof num)
				goto bad;
			memcpy(num, p, la);
			num[la] = 0;
			if (parse_long(num, 0, 999999, "slice", &a))
				goto fail;
			memcpy(num, dash + 1, lb);
			num[lb] = 0;
			if (parse_long(num, 0, 999999, "slice", &b))
				goto fail;
			if (b < a)
				goto bad;
		} else {
			if (len >= sizeof num)
				goto bad;
			memcpy(num, p, len);
			num[len] = 0;
			if (parse_long(num, 0, 999999, "slice", &a))
				goto fail;
			b = a;
		}
		nr = realloc(out->r, (out->n + 1) * sizeof *out->r);
		if (!nr) {
			error("out of memory");
			goto fail;
		}
		out->r = nr;
		out->r[out->n][0] = a;
		out->r[out->n][1] = b;
		out->n++;
		p += len;
		if (*p == ',' && !*++p)
			goto bad;
	}
	return 0;
bad:
	error("bad slice list: '%s'", s);
fail:
	free(out->r);
	out->r = NULL;
	return -1;
}

/* Parse "A:B" (slices A..B-1, A < B). 0 or -1 with a message. */
static inline int parse_range(const char *s, struct slices *out)
{
	char num[32];
	const char *colon = strchr(s, ':');
	long a, b;
	size_t la;
	if (!colon || (la = colon - s) >= sizeof num || strlen(colon + 1) >= sizeof num)
		return error("bad slice range, want A:B: '%s'", s);
	memcpy(num, s, la);
	num[la] = 0;
	if (parse_long(num, 0, 999999, "slice range start", &a) ||
	    parse_long(colon + 1, 1, 1000000, "slice range end", &b))
		return -1;
	if (b <= a)
		return error("empty slice range: '%s'", s);
	out->r = xmalloc(sizeof *out->r);
	if (!out->r)
		return -1;
	out->r[0][0] = a;
	out->r[0][1] = b - 1;
	out->n = 1;
	return 0;
}

/* Mark the selected slices in want[0..nz-1] (all of them when the selection
 * is empty). 0, or -1 with a message when a slice is >= nz. */
static inline int slices_mark(const struct slices *sel, int nz, char *want, const char *name)
{
	int i;
	memset(want, !sel->n, nz);
	for (i = 0; i < sel->n; i++) {
		if (sel->r[i][1] >= nz)
			return error("slice out of range 0..%d: '%ld' in '%s'", nz - 1,
			             sel->r[i][1], name);
		memset(want + sel->r[i][0], 1, sel->r[i][1] - sel->r[i][0] + 1);
	}
	return 0;
}

#endif
