/* json.c: a small recursive-descent JSON reader (see json.h). */
#include "json.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH_MAX 512

struct parser {
	const char *s, *end, *src;
	const char *p;
	int failed;
};

static int fail(struct parser *ps, const char *at, const char *what)
{
	const char *q;
	int line = 1, col = 1;
	if (ps->failed)
		return -1;
	ps->failed = 1;
	for (q = ps->s; q < at && q < ps->end; q++) {
		if (*q == '\n')
			line++, col = 1;
		else
			col++;
	}
	return error("%s: line %d column %d: %s", ps->src, line, col, what);
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

/* Append bytes to a growing buffer. */
struct buf { char *b; size_t n, cap; };
static int buf_add(struct buf *b, const char *data, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 32;
		char *nb;
		while (cap < b->n + n + 1)
			cap *= 2;
		nb = realloc(b->b, cap);
		if (!nb)
			return error("out of memory");
		b->b = nb, b->cap = cap;
	}
	memcpy(b->b + b->n, data, n);
	b->n += n;
	b->b[b->n] = '\0';
	return 0;
}

static int hex4(const char *p, const char *end, unsigned *out)
{
	unsigned v = 0;
	int i;
	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
		else return -1;
	}
	*out = v;
	return 0;
}

static int put_utf8(struct buf *b, unsigned cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) u[0] = (char)cp, n = 1;
	else if (cp < 0x800) u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	else if (cp < 0x10000)
		u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3f)),
		u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	else
		u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3f)),
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	return buf_add(b, u, n);
}

/* Parse a string at ps->p (which is at the opening quote). */
static int parse_string(struct parser *ps, char **out, size_t *len)
{
	struct buf b = {0};
	const char *start = ps->p;
	ps->p++;
	if (buf_add(&b, "", 0))
		return -1;
	for (;;) {
		const char *run = ps->p;
		while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' &&
		       (unsigned char)*ps->p >= 0x20)
			ps->p++;
		if (buf_add(&b, run, (size_t)(ps->p - run)))
			goto bad;
		if (ps->p >= ps->end) {
			fail(ps, start, "string not closed");
			goto bad;
		}
		if (*ps->p == '"') {
			ps->p++;
			break;
		}
		if ((unsigned char)*ps->p < 0x20) {
			fail(ps, ps->p, "control character in string");
			goto bad;
		}
		/* backslash escape */
		if (ps->end - ps->p < 2) {
			fail(ps, ps->p, "string not closed");
			goto bad;
		}
		{
			char c = ps->p[1], e;
			unsigned cp, lo;
			ps->p += 2;
			switch (c) {
			case '"': e = '"'; break;
			case '\\': e = '\\'; break;
			case '/': e = '/'; break;
			case 'b': e = '\b'; break;
			case 'f': e = '\f'; break;
			case 'n': e = '\n'; break;
			case 'r': e = '\r'; break;
			case 't': e = '\t'; break;
			case 'u':
				if (hex4(ps->p, ps->end, &cp)) {
					fail(ps, ps->p - 2, "bad \\u escape in string");
					goto bad;
				}
				ps->p += 4;
				if (cp >= 0xd800 && cp < 0xdc00) {
					if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
					    hex4(ps->p + 2, ps->end, &lo) || lo < 0xdc00 || lo > 0xdfff) {
						fail(ps, ps->p - 6, "unpaired surrogate in \\u escape");
						goto bad;
					}
					ps->p += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				} else if (cp >= 0xdc00 && cp < 0xe000) {
					fail(ps, ps->p - 6, "unpaired surrogate in \\u escape");
					goto bad;
				}
				if (put_utf8(&b, cp))
					goto bad;
				continue;
			default:
				fail(ps, ps->p - 2, "bad escape in string");
				goto bad;
			}
			if (buf_add(&b, &e, 1))
				goto bad;
		}
	}
	*out = b.b;
	*len = b.n;
	return 0;
bad:
	free(b.b);
	return -1;
}

static int parse_number(struct parser *ps, double *out)
{
	const char *p = ps->p, *start = p;
	char tmp[64];
	size_t n;
	if (p < ps->end && *p == '-')
		p++;
	if (p < ps->end && *p == '0')
		p++;
	else if (p < ps->end && *p >= '1' && *p <= '9')
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	else
		return fail(ps, start, "bad number");
	if (p < ps->end && *p == '.') {
		p++;
		if (!(p < ps->end && *p >= '0' && *p <= '9'))
			return fail(ps, start, "bad number");
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (!(p < ps->end && *p >= '0' && *p <= '9'))
			return fail(ps, start, "bad number");
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	}
	n = (size_t)(p - start);
	if (n >= sizeof tmp)
		return fail(ps, start, "number too long");
	memcpy(tmp, start, n);
	tmp[n] = '\0';
	*out = strtod(tmp, NULL);
	if (!isfinite(*out))
		return fail(ps, start, "number out of range");
	ps->p = p;
	return 0;
}

static int parse_value(struct parser *ps, struct json *v, int depth);

/* Parse the items of an array or object after its opening bracket. */
static int parse_items(struct parser *ps, struct json *v, int depth, int obj)
{
	size_t cap = 0;
	char close = obj ? '}' : ']';
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		size_t klen;
		if (v->len == cap) {
			size_t nc = cap ? cap * 2 : 8;
			struct json *ni = realloc(v->items, nc * sizeof *ni);
			if (!ni)
				return error("out of memory");
			v->items = ni;
			if (obj) {
				char **nk = realloc(v->keys, nc * sizeof *nk);
				if (!nk)
					return error("out of memory");
				v->keys = nk;
			}
			cap = nc;
		}
		skip_ws(ps);
		if (obj) {
			if (ps->p >= ps->end || *ps->p != '"')
				return fail(ps, ps->p, "expected a string key in object");
			if (parse_string(ps, &key, &klen))
				return -1;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(key);
				return fail(ps, ps->p, "expected ':' after object key");
			}
			ps->p++;
			v->keys[v->len] = key;
		}
		memset(&v->items[v->len], 0, sizeof v->items[0]);
		v->len++;
		if (parse_value(ps, &v->items[v->len - 1], depth + 1))
			return -1;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return 0;
		}
		return fail(ps, ps->p, obj ? "expected ',' or '}' in object" : "expected ',' or ']' in array");
	}
}

static int parse_value(struct parser *ps, struct json *v, int depth)
{
	memset(v, 0, sizeof *v);
	skip_ws(ps);
	if (depth > DEPTH_MAX)
		return fail(ps, ps->p, "nested too deeply");
	if (ps->p >= ps->end)
		return fail(ps, ps->p, "unexpected end of text");
	switch (*ps->p) {
	case '{':
		ps->p++;
		v->type = JSON_OBJECT;
		return parse_items(ps, v, depth, 1);
	case '[':
		ps->p++;
		v->type = JSON_ARRAY;
		return parse_items(ps, v, depth, 0);
	case '"':
		v->type = JSON_STRING;
		return parse_string(ps, &v->str, &v->len);
	case 't': case 'f': case 'n': {
		static const char *words[] = {"true", "false", "null"};
		static const enum json_type types[] = {JSON_TRUE, JSON_FALSE, JSON_NULL};
		int i;
		for (i = 0; i < 3; i++) {
			size_t n = strlen(words[i]);
			if ((size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, words[i], n)) {
				ps->p += n;
				v->type = types[i];
				return 0;
			}
		}
		return fail(ps, ps->p, "unexpected word");
	}
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
			v->type = JSON_NUMBER;
			return parse_number(ps, &v->num);
		}
		return fail(ps, ps->p, "unexpected character");
	}
}

static void free_value(struct json *v)
{
	size_t i;
	if (v->type == JSON_STRING)
		free(v->str);
	if (v->type == JSON_ARRAY || v->type == JSON_OBJECT) {
		for (i = 0; i < v->len; i++) {
			free_value(&v->items[i]);
			if (v->keys)
				free(v->keys[i]);
		}
		free(v->items);
		free(v->keys);
	}
}

struct json *json_parse(const char *text, size_t len, const char *src)
{
	struct parser ps = {text, text + len, src, text, 0};
	struct json *root = xcalloc(1, sizeof *root);
	if (!root)
		return NULL;
	/* a UTF-8 byte order mark is tolerated */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		ps.p += 3;
	if (parse_value(&ps, root, 0))
		goto bad;
	skip_ws(&ps);
	if (ps.p != ps.end) {
		fail(&ps, ps.p, "trailing characters after the JSON value");
		goto bad;
	}
	return root;
bad:
	json_free(root);
	return NULL;
}

void json_free(struct json *v)
{
	if (!v)
		return;
	free_value(v);
	free(v);
}

const struct json *json_get(const struct json *v, const char *key)
{
	size_t i;
	const struct json *hit = NULL;
	if (!v || v->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < v->len; i++)
		if (!strcmp(v->keys[i], key))
			hit = &v->items[i];
	return hit;
}
