/* test_provenance: the SLICES key read, written and queried (lib/provenance.h). */
#include "check.h"
#include "provenance.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Does v parse for nz slices into exactly want[0..nz-1]? */
static int parses_to(const char *v, int nz, const int *want)
{
	int prov[16];
	if (prov_parse(v, nz, prov, "t", "a"))
		return 0;
	return !memcmp(prov, want, nz * sizeof *want);
}

static void parse_good(void)
{
	const int w[] = { PROV_GT, PROV_NONE, 0, 17, PROV_ITER_MAX };
	const int one[] = { PROV_GT };
	CHECK(parses_to("g . 0 17 999999", 5, w));
	/* runs of spaces and tabs, before, between and after the tokens */
	CHECK(parses_to("  g\t.  0 \t17\t999999 ", 5, w));
	CHECK(parses_to("g", 1, one));
	/* digits only, leading zeros read as the number */
	const int z[] = { 7, 0 };
	CHECK(parses_to("007 000", 2, z));
}

static void parse_bad(void)
{
	int prov[8];
	/* too few, too many, none */
	CHECK(prov_parse("g g", 3, prov, "t", "a") == -1);
	CHECK(prov_parse("g g g g", 3, prov, "t", "a") == -1);
	CHECK(prov_parse("", 1, prov, "t", "a") == -1);
	CHECK(prov_parse(" \t ", 1, prov, "t", "a") == -1);
	/* tokens that are none of g, . or an iteration */
	const char *bad[] = { "x", "G", "gg", "g1", "..", "-1", "+1", "1000000", "99999999999999999999",
		              "1.5", "1e3", "0x1", ",", "g,.", "\xff" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int rc = prov_parse(bad[i], 1, prov, "t", "a");
		CHECK(rc == -1);
		if (rc != -1)
			fprintf(stderr, "accepted '%s'\n", bad[i]);
	}
	/* separators other than spaces and tabs are part of a token */
	CHECK(prov_parse("g\n.", 2, prov, "t", "a") == -1);
	CHECK(prov_parse("g,.", 2, prov, "t", "a") == -1);
}

static void format_round_trip(void)
{
	const int p[] = { PROV_GT, PROV_NONE, 0, 12, PROV_ITER_MAX, PROV_GT };
	int back[6];
	char *v = prov_format(p, 6);
	CHECK(v && !strcmp(v, "g . 0 12 999999 g"));
	CHECK(v && prov_parse(v, 6, back, "t", "a") == 0 && !memcmp(back, p, sizeof p));
	free(v);
	/* values no token stands for */
	const int bad1[] = { PROV_GT, -3 }, bad2[] = { PROV_ITER_MAX + 1 };
	CHECK(prov_format(bad1, 2) == NULL);
	CHECK(prov_format(bad2, 1) == NULL);
}

static void slab_key(void)
{
	struct slab m;
	int prov[4], w[4];
	CHECK(slab_alloc(&m, "a", 2, 1, 4, 1, SLAB_U8) == 0);
	uint8_t *d = m.data;
	memset(d, SLAB_UNLABELLED, 8);
	d[2] = 1, d[3] = 0, d[7] = 0; /* slices 1 and 3 labelled */
	/* no key: prov_get leaves prov alone, prov_read derives it */
	prov[0] = 42;
	CHECK(prov_get(&m, prov, "t") == 0 && prov[0] == 42);
	CHECK(prov_read(&m, prov, "t") == 0);
	CHECK(prov[0] == PROV_NONE && prov[1] == PROV_GT && prov[2] == PROV_NONE &&
	      prov[3] == PROV_GT);
	/* written, then read back as written; the key wins over the labels */
	w[0] = 3, w[1] = PROV_GT, w[2] = PROV_NONE, w[3] = PROV_NONE;
	CHECK(prov_write(&m, w) == 0);
	CHECK(!strcmp(slab_get_extra(&m, "SLICES"), "3 g . ."));
	CHECK(prov_get(&m, prov, "t") == 1 && !memcmp(prov, w, sizeof w));
	CHECK(prov_read(&m, prov, "t") == 0 && !memcmp(prov, w, sizeof w));
	/* a key that does not fit the slab */
	CHECK(slab_set_extra(&m, "SLICES", "g g g") == 0);
	CHECK(prov_get(&m, prov, "t") == -1);
	CHECK(prov_read(&m, prov, "t") == -1);
	slab_free(&m);
	/* a header line longer than a slab allows */
	int nz = 20000;
	int *big = malloc(nz * sizeof *big);
	CHECK(big && slab_alloc(&m, "b", 1, 1, nz, 1, SLAB_U8) == 0);
	for (int z = 0; z < nz; z++)
		big[z] = 100000 + z;
	CHECK(prov_write(&m, big) == -1);
	CHECK(slab_get_extra(&m, "SLICES") == NULL);
	for (int z = 0; z < nz; z++)
		big[z] = PROV_GT;
	CHECK(prov_write(&m, big) == 0);
	free(big);
	slab_free(&m);
}

static void queries(void)
{
	const int p[] = { PROV_NONE, PROV_GT, PROV_NONE, PROV_NONE, 4, PROV_NONE, PROV_NONE };
	const int q[] = { PROV_NONE, 3, 2 };
	const int none[] = { PROV_NONE, PROV_NONE };
	CHECK(prov_labelled(PROV_GT) && prov_labelled(0) && !prov_labelled(PROV_NONE));
	CHECK(prov_any_gt(p, 7) && !prov_any_gt(q, 3) && !prov_any_gt(none, 2));
	/* nearest labelled slice; at equal distance the lower z */
	CHECK(prov_nearest(p, 7, 0) == 1);
	CHECK(prov_nearest(p, 7, 1) == 1);
	CHECK(prov_nearest(p, 7, 2) == 1);
	CHECK(prov_nearest(p, 7, 3) == 4);
	CHECK(prov_nearest(p, 7, 4) == 4);
	CHECK(prov_nearest(p, 7, 6) == 4);
	const int tie[] = { PROV_GT, PROV_NONE, 5 };
	CHECK(prov_nearest(tie, 3, 1) == 0);
	CHECK(prov_nearest(none, 2, 0) == -1 && prov_nearest(none, 2, 1) == -1);
}

int main(void)
{
	progname = "test_provenance";
	parse_good();
	parse_bad();
	format_round_trip();
	slab_key();
	queries();
	return CHECK_DONE();
}
