/* case-split: the seeded train/validation/test split of a list of case names
 * (lib/split.h has the rule), as split.tsv. The pipeline splits a folder of
 * slabs with it; msd2slab splits an MSD folder with the same function, so the
 * same names and seed give the same split either way. */
#include "dataset.h"
#include "opt.h"
#include "split.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of IN, one a line (a final newline optional), sorted; checked
 * by the case-name rule (dataset.h) and for duplicates. *names points into
 * *text. */
static int read_names(const char *in, char **text, char ***names, int *n)
{
	size_t len, cap = 0, i;
	char *p, *nl, **v = NULL;
	int k = 0;
	if (!(*text = read_whole(in, &len)))
		return -1;
	if (strlen(*text) != len)
		return error("%s: a NUL byte in the case names", in);
	for (p = *text; *p; p = nl + 1) {
		if ((nl = strchr(p, '\n')))
			*nl = '\0';
		if (!ds_name_ok(p)) {
			free(v);
			return error("%s: bad case name on line %d (%s): '%s'", in, k + 1, DS_NAME_RULE, p);
		}
		if ((size_t)k == cap) {
			char **w = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof *v);
			if (!w)
				return free(v), error("out of memory");
			v = w;
		}
		v[k++] = p;
		if (!nl)
			break;
	}
	if (k == 0)
		return error("%s: no case names", in);
	qsort(v, (size_t)k, sizeof *v, cmp_name);
	for (i = 1; i < (size_t)k; i++)
		if (!strcmp(v[i], v[i - 1])) {
			error("%s: case name appears twice: '%s'", in, v[i]);
			return free(v), -1;
		}
	*names = v;
	*n = k;
	return 0;
}

int main(int argc, char **argv)
{
	const char *in = "-", *out = "-";
	double p[3] = {70, 15, 15};
	long seed = 1;
	char *text = NULL, **names = NULL;
	enum split_set *set = NULL;
	struct outfile o;
	int i, n = 0, rc = 1;
	const struct opt opts[] = {
		OPT_CALL('p', "split", p, "T/V/T", split_opt, "split proportions (default 70/15/15)"),
		OPT_LONG('s', "seed", &seed, "SEED", 0, 2147483647L, "seed of the split (default 1)"),
		OPT_STRING('o', "output", &out, "OUT",
		           "output file (default stdout), written whole or not at all"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "case-split", .operands = "[IN]", .min_operands = 0, .max_operands = 1,
		.about = "Read case names, one a line, from IN (default stdin) and write split.tsv:\n"
		         "a header line \"case<TAB>set\", then \"case<TAB>train|val|test\" for each case in\n"
		         "name order (bytewise). The cases in name order are shuffled with the seed\n"
		         "and cut by the proportions, as msd2slab splits an MSD folder. A case name\n"
		         "is 1-255 of A-Z a-z 0-9 . _ + -, not starting with . or -.",
		.opts = opts
	};

	if ((i = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(i);
	if (i < argc)
		in = argv[i];

	if (read_names(in, &text, &names, &n) || !(set = xmalloc((size_t)n * sizeof *set)) ||
	    split_assign(n, (uint64_t)seed, p, set) || outfile_open(&o, out))
		goto done;
	fprintf(o.f, "case\tset\n");
	for (i = 0; i < n; i++)
		fprintf(o.f, "%s\t%s\n", names[i], split_set_name[set[i]]);
	if (outfile_commit(&o))
		goto done;
	rc = 0;
done:
	free(set), free(names), free(text);
	if (close_stdout())
		rc = 1;
	return rc;
}
