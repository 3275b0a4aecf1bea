/* The train/validation/test split: a known answer (the split msd2slab wrote
 * for the phantom set of 8 cases before the split moved to lib), the sizes
 * of each set, reproducibility, and the proportions parser. */
#include "check.h"
#include "split.h"
#include "util.h"
#include <string.h>

/* The sets as a string, one letter a case: t(rain), v(al), x (test). */
static const char *letters(int n, uint64_t seed, const double p[3])
{
	static char buf[128];
	enum split_set set[128];
	if (split_assign(n, seed, p, set))
		return "error";
	for (int i = 0; i < n; i++)
		buf[i] = "tvx"[set[i]];
	buf[n] = '\0';
	return buf;
}

static int count(const char *s, char c)
{
	int k = 0;
	for (; *s; s++)
		k += *s == c;
	return k;
}

int main(void)
{
	const double d[3] = {70, 15, 15};
	double p[3];
	char a[128];

	progname = "test_split";
	/* phantom -n 8 then msd2slab: phantom_006 test, phantom_007 val */
	CHECK(!strcmp(letters(8, 1, d), "tttttxvt"));
	/* sizes: round(n p / sum) train, then val, the rest test */
	strcpy(a, letters(20, 1, d));
	CHECK(count(a, 't') == 14 && count(a, 'v') == 3 && count(a, 'x') == 3);
	strcpy(a, letters(7, 3, (const double[3]){60, 20, 20}));
	CHECK(count(a, 't') == 4 && count(a, 'v') == 1 && count(a, 'x') == 2);
	/* val gets what is left when the rounding overshoots */
	strcpy(a, letters(3, 1, (const double[3]){1, 1, 0}));
	CHECK(count(a, 't') == 2 && count(a, 'v') == 1 && count(a, 'x') == 0);
	CHECK(!strcmp(letters(5, 9, (const double[3]){0, 0, 1}), "xxxxx"));
	CHECK(!strcmp(letters(1, 1, d), "t"));
	/* the same seed gives the same split; another seed another one */
	strcpy(a, letters(40, 5, d));
	CHECK(!strcmp(letters(40, 5, d), a));
	CHECK(strcmp(letters(40, 6, d), a) != 0);
	CHECK(split_assign(0, 1, d, NULL) == 0);

	CHECK(split_parse("70/15/15", "split", p) == 0 && p[0] == 70 && p[1] == 15 && p[2] == 15);
	CHECK(split_parse("0.6/0.2/0.2", "split", p) == 0 && p[0] == 0.6);
	CHECK(split_parse("0/0/5", "split", p) == 0);
	printf("(six errors expected below)\n");
	fflush(stdout);
	CHECK(split_parse("0/0/0", "split", p) == -1);
	CHECK(split_parse("70/15", "split", p) == -1);
	CHECK(split_parse("70/15/x", "split", p) == -1);
	CHECK(split_parse("-1/50/50", "split", p) == -1);
	CHECK(split_parse("70/15/15/", "split", p) == -1);
	CHECK(split_parse("", "split", p) == -1);
	CHECK(!strcmp(split_set_name[SPLIT_VAL], "val"));
	return CHECK_DONE();
}
