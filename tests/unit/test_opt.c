/* test_opt: the option table (lib/opt.h) and the "N<sep>N" parser
 * (parse_tuple in lib/util.h): every kind, ranges, junk after numbers,
 * -h/--help anywhere, --long=value and --long value, clustered letters,
 * operand counts and order. Error lines on stderr are expected. */
#include "check.h"
#include "opt.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static int flag, flag2, ival, eval;
static long lval;
static double dval, dd[2];
static const char *sval;
static int ii[3];
static int called;
static const char *const colours[] = { "red", "green", "blue", NULL };

static int parse_even(const char *v, void *dest)
{
	long x;
	called++;
	if (parse_long(v, 0, 100, "even", &x))
		return -1;
	if (x % 2)
		return error("even: not even: '%s'", v);
	*(long *)dest = x;
	return 0;
}

static long even = -1;
static const struct opt shared[] = {
	OPT_CALL('e', "even", &even, "N", parse_even, "an even number"),
	OPT_END
};
static const struct opt table[] = {
	OPT_FLAG('a', "all", &flag, "a flag"),
	OPT_FLAG('b', NULL, &flag2, "another flag"),
	OPT_INT('n', "number", &ival, "N", 1, 10, "an int 1..10\nsecond line"),
	OPT_LONG('l', "long", &lval, "L", -5, 5, "a long"),
	OPT_DOUBLE('t', "threshold", &dval, "THR", 0, 1, "a double"),
	OPT_STRING('o', "output", &sval, "OUT", "a string"),
	OPT_ENUM('c', "colour", &eval, NULL, colours, "an enum"),
	OPT_INTS('s', "size", ii, 2, 'x', "WxH", 1, 100, "a pair"),
	OPT_INTS(0, "xyz", ii, 3, ',', "X,Y,Z", 0, 9, "a triple, long only"),
	OPT_DOUBLES('r', "range", dd, 2, ':', "A:B", -1, 1, "a double pair"),
	OPT_GROUP(shared),
	OPT_END
};
static const struct opt_tool tool = {
	.name = "test_opt", .operands = "IN [OUT]", .min_operands = 1, .max_operands = 2,
	.about = "A test tool.", .opts = table, .notes = "The end."
};

static void reset(void)
{
	flag = flag2 = ival = eval = 0;
	lval = 0;
	dval = dd[0] = dd[1] = 0;
	sval = NULL;
	ii[0] = ii[1] = ii[2] = 0;
	even = -1;
}

/* Parse a space-separated command line; returns opt_parse's result and
 * leaves the reordered argv in av. */
static char *av[32];
static int ac;
static int run(const char *line)
{
	static char buf[512];
	char *save = NULL, *tok;
	reset();
	snprintf(buf, sizeof buf, "test_opt %s", line);
	ac = 0;
	for (tok = strtok_r(buf, " ", &save); tok && ac < 31; tok = strtok_r(NULL, " ", &save))
		av[ac++] = tok;
	av[ac] = NULL;
	return opt_parse(&tool, ac, av);
}

static void numbers(void)
{
	double v[3] = { -1, -1, -1 };
	CHECK(parse_tuple("64x48", 'x', 2, 1, 1, 100, 0, "size", v) == 0);
	CHECK(v[0] == 64 && v[1] == 48);
	CHECK(parse_tuple("64x48x", 'x', 2, 1, 1, 100, 0, "size", v) < 0);
	CHECK(parse_tuple("64x48junk", 'x', 2, 1, 1, 100, 0, "size", v) < 0);
	CHECK(parse_tuple("64", 'x', 2, 1, 1, 100, 0, "size", v) < 0);
	CHECK(parse_tuple("x48", 'x', 2, 1, 1, 100, 0, "size", v) < 0);
	CHECK(parse_tuple(" 6x4", 'x', 2, 1, 1, 100, 0, "size", v) < 0);
	CHECK(parse_tuple("+6x4", 'x', 2, 1, 1, 100, 0, "size", v) < 0);
	CHECK(parse_tuple("0x10", 'x', 2, 1, 1, 100, 0, "size", v) < 0); /* not hex */
	CHECK(parse_tuple("101x4", 'x', 2, 1, 1, 100, 0, "size", v) < 0);
	CHECK(parse_tuple("6.5x4", 'x', 2, 1, 1, 100, 0, "size", v) < 0);
	CHECK(parse_tuple("-0.5:2e-1", ':', 2, 0, -1, 1, 0, "range", v) == 0);
	CHECK(v[0] == -0.5 && v[1] == 0.2);
	CHECK(parse_tuple("0.5:nan", ':', 2, 0, -1, 1, 0, "range", v) < 0);
	CHECK(parse_tuple("0.5:1e999", ':', 2, 0, -1e300, 1e300, 0, "range", v) < 0);
	CHECK(parse_tuple("1,2,3", ',', 3, 1, 0, 9, 0, "xyz", v) == 0);
	CHECK(v[0] == 1 && v[1] == 2 && v[2] == 3);
	CHECK(parse_tuple("1,2", ',', 3, 1, 0, 9, 0, "xyz", v) < 0);
	CHECK(parse_tuple("1,2,3,4", ',', 3, 1, 0, 9, 0, "xyz", v) < 0);
	CHECK(parse_tuple("", ',', 3, 1, 0, 9, 0, "xyz", v) < 0);
	CHECK(parse_tuple(NULL, ',', 1, 1, 0, 9, 0, "xyz", v) < 0);
	/* empty fields keep their values when allowed */
	v[0] = 7, v[1] = 8;
	CHECK(parse_tuple("3:", ':', 2, 1, 0, 99, 1, "range", v) == 0);
	CHECK(v[0] == 3 && v[1] == 8);
	v[0] = 7, v[1] = 8;
	CHECK(parse_tuple(":5", ':', 2, 1, 0, 99, 1, "range", v) == 0);
	CHECK(v[0] == 7 && v[1] == 5);
	CHECK(parse_tuple(":", ':', 2, 1, 0, 99, 1, "range", v) == 0);
	CHECK(parse_tuple("3:", ':', 2, 1, 0, 99, 0, "range", v) < 0);
}

static void kinds(void)
{
	int i = run("-a -n 3 -l -5 -t 0.25 -o out.x -c blue -s 64x48 -r -1:0.5 --xyz 1,2,3 -e 4 in");
	CHECK(i == ac - 1 && !strcmp(av[i], "in"));
	CHECK(flag == 1 && flag2 == 0 && ival == 3 && lval == -5 && dval == 0.25);
	CHECK(sval && !strcmp(sval, "out.x") && eval == 2 && even == 4 && called == 1);
	CHECK(dd[0] == -1 && dd[1] == 0.5);
	CHECK(ii[0] == 1 && ii[1] == 2 && ii[2] == 3); /* --xyz came after -s */
	/* defaults stay when an option is not given */
	CHECK(run("in") == 1 && ival == 0 && sval == NULL && even == -1);
	/* ranges: both ends inclusive */
	CHECK(run("-n 1 in") > 0 && ival == 1);
	CHECK(run("-n 10 in") > 0 && ival == 10);
	CHECK(run("-n 0 in") == OPT_ERROR);
	CHECK(run("-n 11 in") == OPT_ERROR);
	CHECK(run("-l 6 in") == OPT_ERROR);
	CHECK(run("-t 1.5 in") == OPT_ERROR);
	CHECK(run("-t -0.1 in") == OPT_ERROR);
	CHECK(run("-s 0x48 in") == OPT_ERROR);
	CHECK(run("-s 64x101 in") == OPT_ERROR);
	CHECK(run("-r -2:0 in") == OPT_ERROR);
	/* junk after numbers */
	CHECK(run("-n 3x in") == OPT_ERROR);
	CHECK(run("-t 0.5s in") == OPT_ERROR);
	CHECK(run("-s 64x48x2 in") == OPT_ERROR);
	CHECK(run("-s 64 in") == OPT_ERROR);
	CHECK(run("--xyz 1,2,3, in") == OPT_ERROR);
	CHECK(run("-n in") == OPT_ERROR); /* "in" is -n's value */
	/* enum, callback */
	CHECK(run("-c green in") > 0 && eval == 1);
	CHECK(run("-c grey in") == OPT_ERROR);
	CHECK(run("-c Red in") == OPT_ERROR);
	CHECK(run("-e 3 in") == OPT_ERROR);
	CHECK(run("--even=8 in") > 0 && even == 8);
}

static void syntax(void)
{
	/* --long=value and --long value, unique prefixes */
	CHECK(run("--number=4 in") > 0 && ival == 4);
	CHECK(run("--number 5 in") > 0 && ival == 5);
	CHECK(run("--num 6 in") > 0 && ival == 6);
	CHECK(run("--thr=0.5 in") > 0 && dval == 0.5);
	CHECK(run("--output= in") > 0 && sval && !*sval);
	CHECK(run("--all=1 in") == OPT_ERROR);
	CHECK(run("--nosuch in") == OPT_ERROR);
	CHECK(run("--number") == OPT_ERROR);
	/* clustered letters, values attached or in the next argument */
	CHECK(run("-ab in") > 0 && flag && flag2);
	CHECK(run("-abn7 in") > 0 && flag && flag2 && ival == 7);
	CHECK(run("-ban 8 in") > 0 && flag && flag2 && ival == 8);
	CHECK(run("-ax in") == OPT_ERROR);
	CHECK(run("-n") == OPT_ERROR);
	/* a value may start with '-'; "-" alone is an operand */
	CHECK(run("-o - -") > 0 && !strcmp(sval, "-") && !strcmp(av[ac - 1], "-"));
	CHECK(run("-l -3 in") > 0 && lval == -3);
	/* options after operands; "--" ends the options */
	CHECK(run("in -a out") == 2 && flag && !strcmp(av[2], "in") && !strcmp(av[3], "out"));
	CHECK(run("-n 2 in -- -a") == 4 && !flag && ival == 2 && !strcmp(av[5], "-a"));
	/* operand counts */
	CHECK(run("") == OPT_ERROR);
	CHECK(run("-a") == OPT_ERROR);
	CHECK(run("a b c") == OPT_ERROR);
	CHECK(run("a b") == 1);
}

static void help(void)
{
	/* -h and --help anywhere, even beside bad options or operands */
	CHECK(run("-h") == OPT_HELP);
	CHECK(run("--help") == OPT_HELP);
	CHECK(run("in out -a --help") == OPT_HELP);
	CHECK(run("-n 99 -h") == OPT_HELP);
	CHECK(run("--nosuch -h") == OPT_HELP);
	CHECK(run("a b c d -h") == OPT_HELP);
	CHECK(run("-ah") == OPT_HELP);
	CHECK(run("-o -h in") > 0 && !strcmp(sval, "-h")); /* a value, not help */
	CHECK(run("a b -- -h") == OPT_ERROR);               /* an operand: too many */
	CHECK(opt_status(OPT_ERROR) == 2);
	/* the usage names every option, its value and its help */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		opt_usage(&tool, f);
		fclose(f);
		CHECK(!strncmp(buf, "usage: test_opt [-a] [-b] [-n N]", 32));
		CHECK(strstr(buf, "[--xyz X,Y,Z]") != NULL);
		CHECK(strstr(buf, "[-c red|green|blue]") != NULL);
		CHECK(strstr(buf, " IN [OUT]\n\nA test tool.\n") != NULL);
		CHECK(strstr(buf, "\n  -n, --number N      an int 1..10\n"
		                  "                      second line\n") != NULL);
		CHECK(strstr(buf, "\n  -b                  another flag\n") != NULL);
		CHECK(strstr(buf, "\n      --xyz X,Y,Z     a triple") != NULL);
		CHECK(strstr(buf, "\n  -e, --even N        an even number\n") != NULL);
		CHECK(strstr(buf, "\nThe end.\n") != NULL);
		free(buf);
	}
}

int main(void)
{
	numbers();
	kinds();
	syntax();
	help();
	return CHECK_DONE();
}
