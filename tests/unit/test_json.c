/* JSON reader: values of every kind, escapes and \u with surrogate pairs,
 * nesting, an MSD-style dataset.json; and rejection of malformed text with
 * the line and column. */
#include "check.h"
#include "json.h"
#include "util.h"

#include <string.h>

static struct json *parse(const char *s)
{
	return json_parse(s, strlen(s), "t.json");
}

int main(void)
{
	struct json *v;
	const struct json *t;
	static const char *bad[] = {
		"", "   ", "{", "[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":1,}", "{a:1}", "'x'",
		"\"abc", "\"a\\qb\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"tab\there\"",
		"01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "[1] x", "{} {}", "1e999",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
	};
	size_t i;
	char deep[2000];

	progname = "test_json";
	v = parse(" {\"name\": \"Hippo\\\"campus\\\\\", \"n\": -12.5e1, \"ok\": true, \"no\": false,"
	          " \"nil\": null, \"list\": [1, [2, {\"x\": \"y\"}], []], \"u\": \"\\u00e9\\ud83d\\ude00\\/\","
	          " \"e\": {}, \"n\": 3}\n");
	CHECK(v && v->type == JSON_OBJECT);
	if (v) {
		CHECK((t = json_get(v, "name")) && t->type == JSON_STRING && !strcmp(t->str, "Hippo\"campus\\"));
		CHECK((t = json_get(v, "n")) && t->type == JSON_NUMBER && t->num == 3); /* last wins */
		CHECK((t = json_get(v, "ok")) && t->type == JSON_TRUE);
		CHECK((t = json_get(v, "no")) && t->type == JSON_FALSE);
		CHECK((t = json_get(v, "nil")) && t->type == JSON_NULL);
		CHECK((t = json_get(v, "list")) && t->type == JSON_ARRAY && t->len == 3);
		if (t && t->len == 3) {
			CHECK(t->items[0].num == 1);
			CHECK(t->items[1].type == JSON_ARRAY && t->items[1].len == 2);
			CHECK(!strcmp(json_get(&t->items[1].items[1], "x")->str, "y"));
			CHECK(t->items[2].type == JSON_ARRAY && t->items[2].len == 0);
		}
		CHECK((t = json_get(v, "u")) && !strcmp(t->str, "\xc3\xa9\xf0\x9f\x98\x80/"));
		CHECK((t = json_get(v, "e")) && t->type == JSON_OBJECT && t->len == 0);
		CHECK(json_get(v, "missing") == NULL);
		CHECK(json_get(&v->items[0], "x") == NULL); /* not an object */
		CHECK(v->len == 9);
	}
	json_free(v);

	v = parse("\"a\\u0000b\"");
	CHECK(v && v->type == JSON_STRING && v->len == 3 && v->str[1] == '\0');
	json_free(v);
	v = parse("-0.25E+2");
	CHECK(v && v->type == JSON_NUMBER && v->num == -25);
	json_free(v);

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		v = parse(bad[i]);
		CHECK(v == NULL);
		if (v)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		json_free(v);
	}
	/* deep nesting is refused, not a stack overflow */
	memset(deep, '[', sizeof deep - 1);
	deep[sizeof deep - 1] = '\0';
	CHECK(parse(deep) == NULL);
	return CHECK_DONE();
}
