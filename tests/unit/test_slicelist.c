/* Slice lists and ranges: every accepted form against a brute-force
 * expectation, every rejected form, and formatting back to a list. */
#include "check.h"
#include "slicelist.h"
#include "util.h"
#include <string.h>

/* keep as a string of 0/1 for easy comparison. */
static const char *bits(const unsigned char *keep, int nz)
{
	static char buf[256];
	for (int z = 0; z < nz; z++)
		buf[z] = keep[z] ? '1' : '0';
	buf[nz] = '\0';
	return buf;
}

static int list_is(const char *list, int nz, const char *want, int count)
{
	unsigned char keep[64];
	int n = slicelist_parse(list, nz, keep);
	if (n != count || strcmp(bits(keep, nz), want)) {
		fprintf(stderr, "list '%s' nz %d: got %d '%s', want %d '%s'\n", list, nz, n,
		        n < 0 ? "" : bits(keep, nz), count, want);
		return 0;
	}
	return 1;
}

int main(void)
{
	unsigned char keep[64];
	char buf[64];
	int a, b;

	progname = "test_slicelist";
	CHECK(list_is("0", 1, "1", 1));
	CHECK(list_is("2", 5, "00100", 1));
	CHECK(list_is("5,7,10-12", 13, "0000010100111", 5));
	CHECK(list_is("10-12,5,7,11,5", 13, "0000010100111", 5));
	CHECK(list_is("0-4", 5, "11111", 5));
	CHECK(list_is("3-3", 5, "00010", 1));
	CHECK(list_is("007", 8, "00000001", 1));

	/* rejected: each prints one line on stderr */
	const char *bad[] = {"", ",", "1,", ",1", "1,,2", "a", "1-", "-1", "1 2", "1;2", "3-1",
	                     "1.5", "+1", "99999999999999999999", "1-2-3", NULL};
	for (int i = 0; bad[i]; i++) {
		CHECK(slicelist_parse(bad[i], 10, keep) == -1);
		CHECK(slicelist_parse(bad[i], INT_MAX, NULL) == -1);
	}
	CHECK(slicelist_parse("5", 5, keep) == -1); /* out of range */
	CHECK(slicelist_parse("2-5", 5, keep) == -1);
	CHECK(slicelist_parse("4", 5, keep) == 1);
	CHECK(slicelist_parse("100000", INT_MAX, NULL) == 1); /* syntax only */

	/* ranges */
	CHECK(slicerange_parse("2:5", 10, &a, &b) == 0 && a == 2 && b == 5);
	CHECK(slicerange_parse(":5", 10, &a, &b) == 0 && a == 0 && b == 5);
	CHECK(slicerange_parse("7:", 10, &a, &b) == 0 && a == 7 && b == 10);
	CHECK(slicerange_parse(":", 10, &a, &b) == 0 && a == 0 && b == 10);
	CHECK(slicerange_parse("0:10", 10, &a, &b) == 0 && a == 0 && b == 10);
	CHECK(slicerange_parse("3:", INT_MAX, &a, &b) == 0 && a == 3 && b == INT_MAX);
	const char *badr[] = {"", "5", "5:5", "6:5", "0:11", "a:3", "1:b", "1:2:3", "-1:3", " 1:3",
	                      "10:", NULL};
	for (int i = 0; badr[i]; i++)
		CHECK(slicerange_parse(badr[i], 10, &a, &b) == -1);

	/* formatting */
	memset(keep, 0, sizeof keep);
	CHECK(slicelist_format(keep, 10, buf, sizeof buf) == 0 && !strcmp(buf, "none"));
	keep[0] = keep[1] = keep[2] = keep[3] = keep[7] = keep[9] = 1;
	CHECK(slicelist_format(keep, 10, buf, sizeof buf) == 6 && !strcmp(buf, "0-3,7,9"));
	CHECK(slicelist_parse(buf, 10, keep + 20) == 6 && !memcmp(keep, keep + 20, 10));
	/* a buffer too small ends in "..." and still counts every slice */
	memset(keep, 0, sizeof keep);
	for (int z = 0; z < 40; z += 2)
		keep[z] = 1;
	CHECK(slicelist_format(keep, 40, buf, 12) == 20);
	CHECK(strlen(buf) < 12 && strstr(buf, "...") != NULL);
	CHECK(!strcmp(buf, "0,2,4,6..."));

	/* a LIST or a RANGE as keep flags; neither: every slice */
	{
		unsigned char k[6];
		const unsigned char l[] = { 0, 1, 0, 1, 1, 0 }, r[] = { 0, 0, 1, 1, 0, 0 };
		CHECK(slicesel_keep("1,3-4", NULL, 6, k) == 0 && !memcmp(k, l, 6));
		CHECK(slicesel_keep(NULL, "2:4", 6, k) == 0 && !memcmp(k, r, 6));
		CHECK(slicesel_keep(NULL, NULL, 6, k) == 0 && k[0] && k[5] && !memchr(k, 0, 6));
		CHECK(slicesel_keep("6", NULL, 6, k) == -1);
		CHECK(slicesel_keep(NULL, "2:7", 6, k) == -1);
		/* option callbacks: the syntax alone, the value kept */
		const char *v = NULL;
		CHECK(slicelist_opt("100,7-9", &v) == 0 && !strcmp(v, "100,7-9"));
		CHECK(slicelist_opt("1,", &v) == -1);
		CHECK(slicerange_opt("3:", &v) == 0 && !strcmp(v, "3:"));
		CHECK(slicerange_opt("3:3", &v) == -1);
	}
	return CHECK_DONE();
}
