/* route_index.c — the route table grouped by the path's first three segments (route_index.h).
 * A pattern's {name} matches one segment and its literal text must equal the path's, so a route
 * whose first three segments are literal can match only a path with the same first three
 * segments; routes with a parameter there are candidates for every path. Built once, from the
 * constant table, and read-only afterwards. */
#include "route_index.h"

#include "feature.h"
#include "http.h"
#include "util.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define BUCKETS 128 /* power of two; ~40 distinct keys */
#define KEY_SEGMENTS 3

struct bucket {
	const char *key; /* a pattern's prefix; NULL: unused */
	size_t key_len;
	const struct route **routes; /* in table order, the key's routes and the wildcard ones */
	size_t n;
	struct bucket *next;
};

static struct bucket *table[BUCKETS];
static const struct route **wild; /* routes with a parameter in their key, for unknown keys */
static size_t n_wild;
static pthread_once_t built = PTHREAD_ONCE_INIT;

/* The length of s's first KEY_SEGMENTS segments ("/api/v1/threads" of "/api/v1/threads/3"). */
static size_t key_len(const char *s)
{
	size_t i = 0;
	for (int seg = 0; seg < KEY_SEGMENTS; seg++) {
		if (s[i] != '/')
			return i;
		i++;
		while (s[i] && s[i] != '/')
			i++;
	}
	return i;
}

/* FNV-1a of the n bytes at s, reduced to a bucket. */
static size_t hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29)) & (BUCKETS - 1);
}

/* The bucket of key (n bytes), or NULL. */
static struct bucket *find(const char *key, size_t n)
{
	for (struct bucket *b = table[hash(key, n)]; b; b = b->next)
		if (b->key_len == n && memcmp(b->key, key, n) == 0)
			return b;
	return NULL;
}

/* Whether rt's key has a parameter, so that it may match any path's key. */
static bool is_wild(const struct route *rt)
{
	return memchr(rt->pattern, '{', key_len(rt->pattern)) != NULL;
}

/* Builds the buckets from features[]: one per distinct literal key, each with its routes and
 * the wildcard ones in table order. */
static void build(void)
{
	size_t total = 0;
	for (const struct feature *f = features; f->name; f++)
		for (const struct route *rt = f->routes; rt && rt->pattern; rt++)
			total++;
	wild = xcalloc(total + 1, sizeof *wild);
	for (const struct feature *f = features; f->name; f++)
		for (const struct route *rt = f->routes; rt && rt->pattern; rt++) {
			if (is_wild(rt)) {
				wild[n_wild++] = rt;
				continue;
			}
			size_t n = key_len(rt->pattern);
			if (find(rt->pattern, n))
				continue;
			struct bucket *b = xcalloc(1, sizeof *b);
			b->key = rt->pattern;
			b->key_len = n;
			b->routes = xcalloc(total + 1, sizeof *b->routes);
			size_t h = hash(rt->pattern, n);
			b->next = table[h];
			table[h] = b;
		}
	/* Second pass, in table order: each route into its bucket, wildcard ones into every bucket. */
	for (const struct feature *f = features; f->name; f++)
		for (const struct route *rt = f->routes; rt && rt->pattern; rt++) {
			bool w = is_wild(rt);
			for (size_t i = 0; i < BUCKETS; i++)
				for (struct bucket *b = table[i]; b; b = b->next)
					if (w || (b->key_len == key_len(rt->pattern) &&
						  memcmp(b->key, rt->pattern, b->key_len) == 0))
						b->routes[b->n++] = rt;
		}
}

const struct route *const *route_index_candidates(const char *path, size_t *n)
{
	pthread_once(&built, build);
	const struct bucket *b = find(path, key_len(path));
	if (!b) {
		*n = n_wild;
		return wild;
	}
	*n = b->n;
	return b->routes;
}
