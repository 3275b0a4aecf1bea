/* Fuzz harness: the JSON parser (lib/json.c).
 *
 * Oracle: a tree the parser accepts, written back as JSON by the harness
 * (strings \u-escaped below 0x20, numbers as %.17g), parses again to an
 * equal tree; json_get finds the last of repeated keys. */
#include "fuzz.h"
#include "json.h"

static void put_string(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == '"' || c == '\\')
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void put_value(FILE *f, const struct json *v)
{
	switch (v->type) {
	case JSON_NULL: fputs("null", f); break;
	case JSON_FALSE: fputs("false", f); break;
	case JSON_TRUE: fputs("true", f); break;
	case JSON_NUMBER: fprintf(f, "%.17g", v->num); break;
	case JSON_STRING: put_string(f, v->str, v->len); break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		fputc(v->type == JSON_ARRAY ? '[' : '{', f);
		for (size_t i = 0; i < v->len; i++) {
			if (i)
				fputc(',', f);
			if (v->type == JSON_OBJECT) {
				put_string(f, v->keys[i], strlen(v->keys[i]));
				fputc(':', f);
			}
			put_value(f, &v->items[i]);
		}
		fputc(v->type == JSON_ARRAY ? ']' : '}', f);
		break;
	}
}

static void same(const struct json *a, const struct json *b)
{
	FUZZ_CHECK(a->type == b->type);
	if (a->type == JSON_NUMBER)
		FUZZ_CHECK(a->num == b->num);
	if (a->type == JSON_STRING) {
		FUZZ_CHECK(a->len == b->len);
		FUZZ_CHECK(!memcmp(a->str, b->str, a->len + 1));
	}
	if (a->type == JSON_ARRAY || a->type == JSON_OBJECT) {
		FUZZ_CHECK(a->len == b->len);
		for (size_t i = 0; i < a->len; i++) {
			/* a key is NUL-terminated: one holding \u0000 ends there */
			if (a->type == JSON_OBJECT)
				FUZZ_CHECK(!strcmp(a->keys[i], b->keys[i]));
			same(&a->items[i], &b->items[i]);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json *v = json_parse((const char *)data, size, "fuzz"), *w;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	if (!v)
		return 0;
	if (v->type == JSON_OBJECT && v->len > 0) {
		const struct json *hit = json_get(v, v->keys[v->len - 1]);
		FUZZ_CHECK(hit == &v->items[v->len - 1]);
	}
	f = open_memstream(&buf, &len);
	FUZZ_CHECK(f != NULL);
	put_value(f, v);
	FUZZ_CHECK(fclose(f) == 0);
	w = json_parse(buf, len, "fuzz written back");
	FUZZ_CHECK(w != NULL);
	same(v, w);
	json_free(w);
	json_free(v);
	free(buf);
	return 0;
}
