/* opt.c: a tool's command-line options, declared once in a table. */
#include "opt.h"
#include "util.h"
#include "version.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Column where option help texts start in the usage. */
#define HELP_COL 22

/* Visit the entries of a table and of the groups it splices in; stops and
 * returns the first entry for which fn returns non-zero, else NULL. */
/* one()'s answer for "--version" (never a count of arguments) */
enum { OPT_VERSION_ARG = -3 };

static const struct opt *walk(const struct opt *o, int (*fn)(const struct opt *, const void *),
                              const void *arg)
{
	for (; o->kind != OPT_T_END || o->dest; o++) {
		const struct opt *r = o->kind == OPT_T_END ? walk(o->dest, fn, arg)
		                                           : fn(o, arg) ? o : NULL;
		if (r)
			return r;
	}
	return NULL;
}

static int has_letter(const struct opt *o, const void *c)
{
	return o->letter && o->letter == *(const int *)c;
}

static int has_name(const struct opt *o, const void *name)
{
	return o->name && !strcmp(o->name, name);
}

/* A long name and its length, to match unique prefixes. */
struct prefix {
	const char *s;
	size_t n;
	int count;
	const struct opt *last;
};

static int count_prefix(const struct opt *o, const void *arg)
{
	struct prefix *p = (struct prefix *)arg;
	if (o->name && !strncmp(o->name, p->s, p->n))
		p->count++, p->last = o;
	return 0;
}

static int takes_value(const struct opt *o)
{
	return o->kind != OPT_T_FLAG;
}

/* Store value v of option o, named `as` in messages. */
static int store(const struct opt *o, const char *as, const char *v)
{
	long l;
	double d, a[16];
	int i;

	switch (o->kind) {
	case OPT_T_FLAG:
		*(int *)o->dest = 1;
		return 0;
	case OPT_T_INT:
	case OPT_T_LONG:
		if (parse_long(v, (long)o->min, (long)o->max, as, &l))
			return -1;
		if (o->kind == OPT_T_INT)
			*(int *)o->dest = (int)l;
		else
			*(long *)o->dest = l;
		return 0;
	case OPT_T_DOUBLE:
		if (parse_double(v, o->min, o->max, as, &d))
			return -1;
		*(double *)o->dest = d;
		return 0;
	case OPT_T_STRING:
		*(const char **)o->dest = v;
		return 0;
	case OPT_T_ENUM:
		for (i = 0; o->names[i]; i++)
			if (!strcmp(v, o->names[i])) {
				*(int *)o->dest = i;
				return 0;
			}
		{
			char want[256] = "";
			size_t n = 0;
			for (i = 0; o->names[i] && n < sizeof want; i++)
				n += (size_t)snprintf(want + n, sizeof want - n, "%s%s",
				                      i == 0 ? "" : o->names[i + 1] ? ", " : " or ",
				                      o->names[i]);
			return error("%s: want %s: '%s'", as, want, v);
		}
	case OPT_T_INTS:
	case OPT_T_DOUBLES:
		if (o->n < 1 || o->n > 16)
			return error("%s: bad option table (n = %d)", as, o->n);
		if (parse_tuple(v, o->sep, o->n, o->kind == OPT_T_INTS, o->min, o->max, 0, as, a))
			return -1;
		for (i = 0; i < o->n; i++)
			if (o->kind == OPT_T_INTS)
				((int *)o->dest)[i] = (int)a[i];
			else
				((double *)o->dest)[i] = a[i];
		return 0;
	case OPT_T_CALL:
		return o->parse(v, o->dest);
	case OPT_T_END:
		break;
	}
	return error("%s: bad option table", as);
}

/* An option's name in messages: "-t/--threshold", "-t" or "--threshold". */
static void name_of(const struct opt *o, char *buf, size_t n)
{
	if (o->letter && o->name)
		snprintf(buf, n, "-%c/--%s", o->letter, o->name);
	else if (o->letter)
		snprintf(buf, n, "-%c", o->letter);
	else
		snprintf(buf, n, "--%s", o->name);
}

/* One argument of argv in the options: a long option "--name[=value]", or
 * a cluster of letters "-abc" / "-tVALUE". Looks up the options, and with
 * doit stores their values. Returns the number of argv entries used (1 or 2),
 * 0 when -h or --help is among them, -1 on an error (printed when doit). */
static int one(const struct opt_tool *t, int argc, char **argv, int i, int doit)
{
	const char *a = argv[i];
	const struct opt *o;
	char as[64];

	if (a[1] == '-') { /* --name, --name=value */
		const char *eq = strchr(a + 2, '=');
		struct prefix p = { a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2), 0, NULL };
		char name[64];
		if (p.n >= sizeof name)
			return doit ? error("unknown option: '%s'", a) : -1;
		memcpy(name, a + 2, p.n);
		name[p.n] = 0;
		if (!strcmp(name, "help"))
			return 0;
		o = walk(t->opts, has_name, name);
		if (!o && !strcmp(name, "version") && !eq)
			return OPT_VERSION_ARG;
		if (!o) {
			walk(t->opts, count_prefix, &p);
			if (p.count > 1)
				return doit ? error("ambiguous option: '%s'", a) : -1;
			o = p.last;
		}
		if (!o) {
			if (!strncmp("help", name, p.n))
				return 0; /* --he */
			return doit ? error("unknown option: '%s'", a) : -1;
		}
		name_of(o, as, sizeof as);
		if (!takes_value(o)) {
			if (eq)
				return doit ? error("option takes no value: '%s'", a) : -1;
			return doit ? store(o, as, NULL) ? -1 : 1 : 1;
		}
		if (eq)
			return doit ? store(o, as, eq + 1) ? -1 : 1 : 1;
		if (o->implicit)
			return doit ? store(o, as, o->implicit) ? -1 : 1 : 1;
		if (i + 1 >= argc)
			return doit ? error("option needs a value: '%s'", a) : -1;
		return doit ? store(o, as, argv[i + 1]) ? -1 : 2 : 2;
	}
	for (const char *c = a + 1; *c; c++) { /* -abc, -tVALUE, -t VALUE */
		int letter = (unsigned char)*c;
		if (letter == 'h')
			return 0;
		o = walk(t->opts, has_letter, &letter);
		if (!o)
			return doit ? error("unknown option: '-%c'", *c) : -1;
		name_of(o, as, sizeof as);
		if (!takes_value(o)) {
			if (doit && store(o, as, NULL))
				return -1;
			continue;
		}
		if (c[1])
			return doit ? store(o, as, c + 1) ? -1 : 1 : 1;
		if (i + 1 >= argc)
			return doit ? error("option needs a value: '-%c'", *c) : -1;
		return doit ? store(o, as, argv[i + 1]) ? -1 : 2 : 2;
	}
	return 1;
}

/* Is argv[i] an option (not an operand)? "-" alone is an operand. */
static int is_option(const char *a)
{
	return a[0] == '-' && a[1];
}

/* Is -h, --help or --version among the options? 1 for help, 2 for the
 * version (the first of them wins). Options whose value cannot be read are
 * skipped as one argument, so "-x -h" with an unknown -x asks for help. */
static int wants_help(const struct opt_tool *t, int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		int used;
		if (!is_option(argv[i]))
			continue;
		used = one(t, argc, argv, i, 0);
		if (used == 0)
			return 1;
		if (used == OPT_VERSION_ARG)
			return 2;
		if (used == 2)
			i++;
	}
	return 0;
}

int opt_parse(const struct opt_tool *t, int argc, char **argv)
{
	char **ops, **rest;
	int nops = 0, nrest = 0, i;

	progname = t->name;
	switch (wants_help(t, argc, argv)) {
	case 1:
		opt_usage(t, stdout);
		return OPT_HELP;
	case 2:
		printf("%s (selflabel) %s\n", t->name, selflabel_version);
		return OPT_HELP;
	}
	ops = xcalloc((size_t)argc + 1, sizeof *ops);
	rest = xcalloc((size_t)argc + 1, sizeof *rest);
	if (!ops || !rest) {
		free(ops), free(rest);
		return OPT_ERROR;
	}
	for (i = 1; i < argc; i++) {
		int used;
		if (!strcmp(argv[i], "--")) {
			rest[nrest++] = argv[i];
			for (i++; i < argc; i++)
				ops[nops++] = argv[i];
			break;
		}
		if (!is_option(argv[i])) {
			ops[nops++] = argv[i];
			continue;
		}
		used = one(t, argc, argv, i, 1);
		if (used < 0) {
			free(ops), free(rest);
			return OPT_ERROR;
		}
		for (int k = 0; k < used; k++)
			rest[nrest++] = argv[i + k];
		i += used - 1;
	}
	/* the options keep their order at the front, the operands follow */
	memcpy(argv + 1, rest, (size_t)nrest * sizeof *rest);
	memcpy(argv + 1 + nrest, ops, (size_t)nops * sizeof *ops);
	free(ops), free(rest);
	if (nops < t->min_operands) {
		error("missing operand, want %s: '%s'", t->operands ? t->operands : "more",
		      nops ? argv[argc - 1] : "");
		return OPT_ERROR;
	}
	if (t->max_operands >= 0 && nops > t->max_operands) {
		error("too many operands, want %s: '%s'", t->operands ? t->operands : "fewer",
		      argv[1 + nrest + t->max_operands]);
		return OPT_ERROR;
	}
	return 1 + nrest;
}

int opt_status(int rc)
{
	if (rc == OPT_HELP)
		return close_stdout() ? 1 : 0;
	return 2;
}

int opt_fail(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* The value's name of an option in the usage: ARG, or a|b|c for an enum. */
static void arg_name(const struct opt *o, char *buf, size_t n)
{
	size_t k = 0;
	buf[0] = 0;
	if (o->arg) {
		snprintf(buf, n, "%s", o->arg);
		return;
	}
	if (o->kind == OPT_T_ENUM)
		for (int i = 0; o->names[i] && k < n; i++)
			k += (size_t)snprintf(buf + k, n - k, "%s%s", i ? "|" : "", o->names[i]);
	else if (takes_value(o))
		snprintf(buf, n, "VALUE");
}

/* The synopsis made from the table: "[-t THR] [--hd95] ..." wrapped at 80
 * columns. */
struct syn {
	FILE *f;
	int col, indent;
};

static int syn_one(const struct opt *o, const void *arg)
{
	struct syn *s = (struct syn *)arg;
	char a[128], item[192];
	int n;
	arg_name(o, a, sizeof a);
	if (o->letter)
		n = snprintf(item, sizeof item, "[-%c%s%s]", o->letter, *a ? " " : "", a);
	else if (o->implicit)
		n = snprintf(item, sizeof item, "[--%s[=%s]]", o->name, a);
	else
		n = snprintf(item, sizeof item, "[--%s%s%s]", o->name, *a ? " " : "", a);
	if (s->col + 1 + n > 80) {
		fprintf(s->f, "\n%*s", s->indent, "");
		s->col = s->indent;
	} else {
		fputc(' ', s->f);
		s->col++;
	}
	fputs(item, s->f);
	s->col += n;
	return 0;
}

static int help_one(const struct opt *o, const void *arg)
{
	FILE *f = (FILE *)arg;
	char a[128];
	const char *h = o->help ? o->help : "";
	int n;
	arg_name(o, a, sizeof a);
	if (o->letter && o->name)
		n = fprintf(f, "  -%c, --%s%s%s", o->letter, o->name, *a ? " " : "", a);
	else if (o->letter)
		n = fprintf(f, "  -%c%s%s", o->letter, *a ? " " : "", a);
	else if (o->implicit)
		n = fprintf(f, "      --%s[=%s]", o->name, a);
	else
		n = fprintf(f, "      --%s%s%s", o->name, *a ? " " : "", a);
	fprintf(f, "%*s", n < HELP_COL - 1 ? HELP_COL - n : 2, "");
	for (; *h; h++) {
		fputc(*h, f);
		if (*h == '\n')
			fprintf(f, "%*s", HELP_COL, "");
	}
	fputc('\n', f);
	return 0;
}

void opt_usage(const struct opt_tool *t, FILE *f)
{
	if (t->synopsis) {
		fprintf(f, "usage: %s\n", t->synopsis);
	} else {
		struct syn s = { f, 0, 0 };
		s.col = fprintf(f, "usage: %s", t->name);
		s.indent = s.col + 1;
		walk(t->opts, syn_one, &s);
		if (t->operands && *t->operands) {
			int n = (int)strlen(t->operands);
			if (s.col + 1 + n > 80)
				fprintf(f, "\n%*s", s.indent - 1, "");
			fprintf(f, " %s", t->operands);
		}
		fputc('\n', f);
	}
	fputc('\n', f);
	if (t->about)
		fprintf(f, "%s\n", t->about);
	walk(t->opts, help_one, f);
	if (t->notes)
		fprintf(f, "%s\n", t->notes);
	/* the one mechanism of util.h's limits, the same line in every tool */
	fprintf(f, "Environment: %s sets the size limits on inputs\n"
	           "(default 4G; README, \"Limits\").\n", LIMIT_ENV);
}
