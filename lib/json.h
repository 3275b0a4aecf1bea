/* json.h: a small JSON reader (RFC 8259), enough for MSD dataset.json.
 *
 * The whole text is parsed into a tree of values. Strings are decoded
 * (escapes, \uXXXX with surrogate pairs, as UTF-8); numbers are doubles.
 * Malformed text is rejected with the line and column of the problem. */
#ifndef SL_JSON_H
#define SL_JSON_H

#include <stddef.h>

enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY,
                 JSON_OBJECT };

struct json {
	enum json_type type;
	double num;          /* JSON_NUMBER */
	char *str;           /* JSON_STRING: decoded, NUL-terminated (may hold \0 bytes) */
	size_t len;          /* JSON_STRING: byte length; ARRAY/OBJECT: item count */
	struct json *items;  /* ARRAY/OBJECT: `len` values */
	char **keys;         /* OBJECT: `len` keys, decoded */
};

/* Parse `len` bytes of text. `src` names the text in messages. Returns the
 * root value (free with json_free), or NULL with a message
 * "src: line L column C: what is wrong". Nesting deeper than 512 levels is
 * refused. */
struct json *json_parse(const char *text, size_t len, const char *src);

/* Free a tree from json_parse. Safe on NULL. */
void json_free(struct json *v);

/* The value of `key` in an object (the last one if repeated), or NULL when
 * v is not an object or has no such key. Cannot fail. */
const struct json *json_get(const struct json *v, const char *key);

#endif
