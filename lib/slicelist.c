/* slicelist.c: slice lists "5,7,10-12" and slice ranges "A:B". */
#include "slicelist.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Read a run of decimal digits at *p into *v (no sign, no spaces). Returns 0
 * and advances *p, or -1 when there is no digit or the number exceeds
 * INT_MAX - 1. */
static int read_index(const char **p, int *v)
{
	const char *s = *p;
	long x = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s)) {
		x = x * 10 + (*s - '0');
		if (x >= INT_MAX)
			return -1;
		s++;
	}
	*v = (int)x;
	*p = s;
	return 0;
}

int slicelist_parse(const char *s, int nz, unsigned char *keep)
{
	const char *p = s;
	int count = 0;

	if (!s || !*s)
		return error("slice list: empty: ''");
	if (keep)
		memset(keep, 0, (size_t)nz);
	for (;;) {
		int a, b;
		if (read_index(&p, &a))
			return error("slice list: expected a slice number at character %d: '%s'",
			             (int)(p - s) + 1, s);
		b = a;
		if (*p == '-') {
			p++;
			if (read_index(&p, &b))
				return error("slice list: expected a slice number at character %d: '%s'",
				             (int)(p - s) + 1, s);
			if (b < a)
				return error("slice list: reversed run %d-%d: '%s'", a, b, s);
		}
		if (b >= nz)
			return error("slice list: slice %d out of range 0..%d: '%s'", b, nz - 1, s);
		if (keep) {
			for (int z = a; z <= b; z++)
				if (!keep[z]) {
					keep[z] = 1;
					count++;
				}
		} else {
			count = 1;
		}
		if (!*p)
			break;
		if (*p != ',')
			return error("slice list: unexpected '%c' at character %d: '%s'", *p,
			             (int)(p - s) + 1, s);
		p++;
	}
	return count;
}

int slicerange_parse(const char *s, int nz, int *a, int *b)
{
	double v[2] = { 0, nz };

	if (parse_tuple(s, ':', 2, 1, 0, INT_MAX - 1, 1, "slice range", v))
		return -1;
	if (v[1] <= v[0])
		return error("slice range: empty (end not after start): '%s'", s);
	if (v[1] > nz)
		return error("slice range: end %d beyond the %d slices: '%s'", (int)v[1], nz, s);
	*a = (int)v[0];
	*b = (int)v[1];
	return 0;
}

int slicelist_format(const unsigned char *keep, int nz, char *buf, int n)
{
	int z = 0, count = 0, len = 0, full = 0;

	buf[0] = '\0';
	while (z < nz) {
		int a, m;
		char item[32];
		if (!keep[z]) {
			z++;
			continue;
		}
		a = z;
		while (z < nz && keep[z])
			z++;
		count += z - a;
		if (full)
			continue;
		if (z - 1 == a)
			snprintf(item, sizeof item, "%s%d", len ? "," : "", a);
		else
			snprintf(item, sizeof item, "%s%d-%d", len ? "," : "", a, z - 1);
		m = (int)strlen(item);
		if (len + m > n - 4) {
			/* no room for this item and a closing "..." */
			if (len + 3 < n)
				memcpy(buf + len, "...", 4);
			full = 1;
			continue;
		}
		memcpy(buf + len, item, (size_t)m + 1);
		len += m;
	}
	if (count == 0)
		snprintf(buf, (size_t)n, "none");
	return count;
}

int slicelist_opt(const char *v, void *dest)
{
	*(const char **)dest = v;
	return slicelist_parse(v, INT_MAX, NULL) < 0 ? -1 : 0;
}

int slicerange_opt(const char *v, void *dest)
{
	int a, b;
	*(const char **)dest = v;
	return slicerange_parse(v, INT_MAX, &a, &b) ? -1 : 0;
}

int slicesel_keep(const char *list, const char *range, int nz, unsigned char *keep)
{
	int a, b;
	if (list)
		return slicelist_parse(list, nz, keep) < 0 ? -1 : 0;
	memset(keep, !range, (size_t)nz);
	if (range) {
		if (slicerange_parse(range, nz, &a, &b))
			return -1;
		memset(keep + a, 1, (size_t)(b - a));
	}
	return 0;
}
