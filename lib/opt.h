/* opt.h: a tool's command-line options, declared once in a table.
 *
 * Each option is one table entry: its letter and long name, what kind of
 * value it takes and its range, where the value goes, and its help line.
 * opt_parse() reads argv against the table (getopt_long's syntax: "-t 0.5",
 * "-t0.5", "-Zs 3" clustered letters, "--threshold 0.5", "--threshold=0.5",
 * a unique prefix of a long name, "--" ends the options, options and
 * operands in any order) and writes the usage (synopsis, about, one line
 * per option, notes) from the same table.
 *
 * Conventions every tool shares:
 * - "-h" or "--help" anywhere among the options prints the usage on stdout;
 *   the tool exits 0 and does nothing else, whatever else is on the line.
 *   "--version" likewise prints "tool (selflabel) VERSION" (lib/version.h).
 * - A bad value, an unknown option, a missing value or a wrong number of
 *   operands prints ONE line on stderr, "tool: what is wrong: 'value'"
 *   (a bad value: "tool: -t/--threshold: out of range 0..1: '2'"),
 *   and the tool exits 2 (usage error), before reading any input.
 * The library never exits; a main reads:
 *
 *	int i = opt_parse(&tool, argc, argv);
 *	if (i < 0)
 *		return opt_status(i);
 *	... operands are argv[i] .. argv[argc - 1] ...
 */
#ifndef SL_OPT_H
#define SL_OPT_H

#include <stdio.h>

enum opt_kind {
	OPT_T_END,     /* ends a table */
	OPT_T_FLAG,    /* no value; sets *(int *)dest to 1 */
	OPT_T_INT,     /* whole number in [min, max] into *(int *)dest */
	OPT_T_LONG,    /* whole number in [min, max] into *(long *)dest */
	OPT_T_DOUBLE,  /* finite number in [min, max] into *(double *)dest */
	OPT_T_STRING,  /* any text into *(const char **)dest (points into argv) */
	OPT_T_ENUM,    /* one of names[] into *(int *)dest as its index */
	OPT_T_INTS,    /* n whole numbers in [min, max] separated by sep ("64x48",
	                * "32,32,8") into ((int *)dest)[0..n-1] */
	OPT_T_DOUBLES, /* n numbers as OPT_T_INTS ("0:1") into ((double *)dest)[0..n-1] */
	OPT_T_CALL     /* parse(value, dest): 0, or -1 with its own one-line message */
};

struct opt {
	int letter;               /* 't', or 0: long name only */
	const char *name;         /* "threshold", or NULL: letter only */
	enum opt_kind kind;
	void *dest;
	const char *arg;          /* the value's name in the usage ("THR"); NULL for a flag */
	const char *help;         /* the help text; each '\n' starts an indented line */
	double min, max;          /* range of numbers */
	const char *const *names; /* OPT_T_ENUM: accepted words, NULL-terminated */
	int n;                    /* OPT_T_INTS, OPT_T_DOUBLES: how many numbers */
	char sep;                 /* ... and their separator */
	int (*parse)(const char *value, void *dest); /* OPT_T_CALL */
	const char *implicit;     /* the value of "--name" given without "=value" (then
	                           * the next argument is not its value), or NULL */
};

/* Table entries. L is the letter (0: none), NAME the long name (NULL: none),
 * ARG the value's name in the usage, HELP the help text. */
#define OPT_FLAG(L, NAME, DEST, HELP) \
	{ .letter = (L), .name = (NAME), .kind = OPT_T_FLAG, .dest = (DEST), .help = (HELP) }
#define OPT_INT(L, NAME, DEST, ARG, MIN, MAX, HELP) \
	{ .letter = (L), .name = (NAME), .kind = OPT_T_INT, .dest = (DEST), .arg = (ARG), \
	  .help = (HELP), .min = (MIN), .max = (MAX) }
#define OPT_LONG(L, NAME, DEST, ARG, MIN, MAX, HELP) \
	{ .letter = (L), .name = (NAME), .kind = OPT_T_LONG, .dest = (DEST), .arg = (ARG), \
	  .help = (HELP), .min = (MIN), .max = (MAX) }
#define OPT_DOUBLE(L, NAME, DEST, ARG, MIN, MAX, HELP) \
	{ .letter = (L), .name = (NAME), .kind = OPT_T_DOUBLE, .dest = (DEST), .arg = (ARG), \
	  .help = (HELP), .min = (MIN), .max = (MAX) }
#define OPT_STRING(L, NAME, DEST, ARG, HELP) \
	{ .letter = (L), .name = (NAME), .kind = OPT_T_STRING, .dest = (DEST), .arg = (ARG), \
	  .help = (HELP) }
#define OPT_ENUM(L, NAME, DEST, ARG, NAMES, HELP) \
	{ .letter = (L), .name = (NAME), .kind = OPT_T_ENUM, .dest = (DEST), .arg = (ARG), \
	  .help = (HELP), .names = (NAMES) }
#define OPT_INTS(L, NAME, DEST, N, SEP, ARG, MIN, MAX, HELP) \
	{ .letter = (L), .name = (NAME), .kind = OPT_T_INTS, .dest = (DEST), .arg = (ARG), \
	  .help = (HELP), .min = (MIN), .max = (MAX), .n = (N), .sep = (SEP) }
#define OPT_DOUBLES(L, NAME, DEST, N, SEP, ARG, MIN, MAX, HELP) \
	{ .letter = (L), .name = (NAME), .kind = OPT_T_DOUBLES, .dest = (DEST), .arg = (ARG), \
	  .help = (HELP), .min = (MIN), .max = (MAX), .n = (N), .sep = (SEP) }
#define OPT_CALL(L, NAME, DEST, ARG, PARSE, HELP) \
	{ .letter = (L), .name = (NAME), .kind = OPT_T_CALL, .dest = (DEST), .arg = (ARG), \
	  .help = (HELP), .parse = (PARSE) }
/* Another table's entries spliced in here (a fragment shared by tools,
 * e.g. surfdist.h's HD options): DEST is a struct opt array ending in
 * OPT_END. */
#define OPT_GROUP(TABLE) { .kind = OPT_T_END, .dest = (void *)(TABLE) }
#define OPT_END { .kind = OPT_T_END }

struct opt_tool {
	const char *name;      /* the program's name; opt_parse sets progname to it */
	const char *synopsis;  /* after "usage: "; NULL: made from the table and operands */
	const char *operands;  /* e.g. "PRED GT" or "[IN]", for the made synopsis */
	int min_operands;      /* how many operands it takes */
	int max_operands;      /* ... at most; -1: any number */
	const char *about;     /* a paragraph before the options, or NULL */
	const struct opt *opts;
	const char *notes;     /* text after the options, or NULL */
};

/* Returned by opt_parse (never a valid operand index). */
enum { OPT_ERROR = -1, OPT_HELP = -2 };

/* Parse argv against t's table, storing each value through its dest (an
 * option not given leaves its dest as it was: initialise dests to the
 * defaults). Reorders argv so the operands come last, in their order.
 * Returns the index of the first operand (argc when none), OPT_HELP when
 * -h, --help or --version is among the options (the usage or the version
 * is then printed on stdout and nothing else is parsed), or OPT_ERROR
 * after one line on stderr. */
int opt_parse(const struct opt_tool *t, int argc, char **argv);

/* The exit status for a negative opt_parse result: 0 after OPT_HELP (and
 * 1 when stdout cannot be written), 2 after OPT_ERROR. */
int opt_status(int rc);

/* Write the usage: "usage: SYNOPSIS", the about text, one line per option,
 * the notes. Cannot fail (write errors show at close_stdout). */
void opt_usage(const struct opt_tool *t, FILE *f);

/* Report a usage error found after opt_parse (options that go together,
 * operands that disagree): prints "tool: <fmt...>" and returns 2, the exit
 * status of a usage error: `return opt_fail("-k needs -M: '%s'", k);`. */
int opt_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
