/* search.c — full-text search over titles and posts (docs/API.md §5) for Japanese and English, and
 * the index kept in step with every write (search.h). Text is folded (text_fold_new) on both
 * sides, so ＵＴＭ finds UTM. Terms of 3+ characters go to an FTS5 trigram index ranked by
 * search_rank; terms of 1-2 characters cannot match trigrams, so search_short indexes every
 * character and every adjacent pair as hex tokens (exact, indexed, no scan). User text never becomes FTS5
 * syntax (text_fts_query_new quotes every term; short tokens are hex). Every result query joins
 * threads t under AUTHZ_THREAD_VISIBLE, so only readable posts are matched, ranked or quoted; a
 * post the secretariat hid (posts.hidden_at, moderation.c) is never matched, whoever searches. */
#include "search.h"

#include "authz.h"
#include "db.h"
#include "http.h"
#include "router.h"
#include "text.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE 20
#define MAX_SHORT_CHECKS 4   /* short terms checked beside long ones (more are ignored) */
#define MAX_QUERY_BYTES 1000
#define SNIPPET_BEFORE 30    /* code points shown before the first match */
#define SNIPPET_TOTAL 120    /* code points in a snippet */


/* Long terms (trigram MATCH) with up to four short terms checked on the folded text of the
 * same rows. Only the newest RANK_WINDOW readable matches are ranked, by search_rank (below):
 * bm25 would read every match of each phrase for its corpus statistics, whatever the LIMIT
 * (70 ms for a common term on a million posts). The window is taken after the visibility rule,
 * so it holds only what the caller may read. Pages past the window list the following readable
 * matches newest first (long_tail_sql), up to MAX_RESULTS in all. */
#define RANK_WINDOW 200
#define MAX_RESULTS 1000
/* The index answers for a post only when no queue row above search.db's indexed mark names it
 * (search_file.c); queue_sql reads those rows. mamori.db's snapshot is taken before search.db's
 * in a statement, so a row gone from the queue is in the index this statement reads. */
#define INDEXED "coalesce((SELECT v FROM search.search_state WHERE k = 'indexed'), 0)"
#define NOT_QUEUED " AND NOT EXISTS (SELECT 1 FROM search_pending q WHERE q.post_id = p.id AND q.seq > " INDEXED ")"
#define LONG_MATCH                                                                                           \
	" FROM search_fts JOIN posts p ON p.id = search_fts.rowid JOIN threads t ON t.id = p.thread_id"      \
	" WHERE search_fts MATCH :q AND " AUTHZ_THREAD_VISIBLE " AND p.hidden_at IS NULL" NOT_QUEUED         \
	" AND (:s1 IS NULL OR instr(search_fts.title, :s1) > 0 OR instr(search_fts.body, :s1) > 0)"          \
	" AND (:s2 IS NULL OR instr(search_fts.title, :s2) > 0 OR instr(search_fts.body, :s2) > 0)"          \
	" AND (:s3 IS NULL OR instr(search_fts.title, :s3) > 0 OR instr(search_fts.body, :s3) > 0)"          \
	" AND (:s4 IS NULL OR instr(search_fts.title, :s4) > 0 OR instr(search_fts.body, :s4) > 0)"          \
	" ORDER BY search_fts.rowid DESC"
#define STR_(x) #x
#define STR(x) STR_(x)
static const char long_sql[] =
	"SELECT p.id, p.thread_id, t.title, p.body FROM ("
	"  SELECT search_fts.rowid AS id, search_rank(search_fts) AS score" LONG_MATCH
	"  LIMIT " STR(RANK_WINDOW) ") m"
	" JOIN posts p ON p.id = m.id JOIN threads t ON t.id = p.thread_id"
	" ORDER BY m.score DESC, m.id DESC LIMIT :lim OFFSET :off";
/* The readable matches after the window, newest first (:off >= RANK_WINDOW). */
static const char long_tail_sql[] = "SELECT p.id, p.thread_id, t.title, p.body" LONG_MATCH
				    " LIMIT :lim OFFSET :off";

/* search_rank's per-statement state (FTS5 auxdata): the mean row length and per-phrase counts. */
struct rank_state {
	double avg_len;
	int nphrase;
	int counts[]; /* [2 * phrase] title hits, [2 * phrase + 1] body hits, for the current row */
};

#define RANK_K1 1.2
#define RANK_B 0.75
#define RANK_TITLE_WEIGHT 4.0

/* search_rank(search_fts): a row's relevance from the row alone, higher first. It is
 * T * 3 + S, where T is how many of the query's phrases occur in the title, and S the mean over
 * phrases of bm25's term part tf*(k1+1)/(tf + k1*(1-b+b*len/avg_len)) (tf = 4 x title hits +
 * body hits, len the row's tokens); S < k1+1 < 3, so any title match outranks any body-only
 * row. Unlike bm25 it has no IDF, which needs every match of each phrase read: for a one-term
 * query IDF is a constant factor, so rows order as bm25 orders them; with several terms each
 * term weighs the same. avg_len comes from FTS5's totals record (one read a statement). */
static void search_rank(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nval,
			sqlite3_value **vals)
{
	(void)nval;
	(void)vals;
	struct rank_state *rs = api->xGetAuxdata(fts, 0);
	int rc = SQLITE_OK;
	if (!rs) {
		int nphrase = api->xPhraseCount(fts);
		sqlite3_int64 rows = 0, tokens = 0;
		rc = api->xRowCount(fts, &rows);
		if (rc == SQLITE_OK)
			rc = api->xColumnTotalSize(fts, -1, &tokens);
		if (rc != SQLITE_OK)
			goto out;
		rs = xcalloc(1, sizeof *rs + 2 * (size_t)(nphrase > 0 ? nphrase : 1) * sizeof rs->counts[0]);
		rs->nphrase = nphrase;
		rs->avg_len = rows > 0 && tokens > 0 ? (double)tokens / (double)rows : 1.0;
		rc = api->xSetAuxdata(fts, rs, free); /* frees rs itself on failure */
		if (rc != SQLITE_OK)
			goto out;
	}
	int ninst = 0, len = 0;
	rc = api->xInstCount(fts, &ninst);
	if (rc == SQLITE_OK)
		rc = api->xColumnSize(fts, -1, &len);
	if (rc != SQLITE_OK)
		goto out;
	memset(rs->counts, 0, 2 * (size_t)rs->nphrase * sizeof rs->counts[0]);
	for (int i = 0; i < ninst; i++) {
		int phrase = 0, col = 0, off = 0;
		rc = api->xInst(fts, i, &phrase, &col, &off);
		if (rc != SQLITE_OK)
			goto out;
		if (phrase >= 0 && phrase < rs->nphrase)
			rs->counts[2 * phrase + (col == 0 ? 0 : 1)]++;
	}
	double norm = RANK_K1 * (1.0 - RANK_B + RANK_B * (double)len / rs->avg_len), sum = 0;
	int in_title = 0;
	for (int i = 0; i < rs->nphrase; i++) {
		double tf = RANK_TITLE_WEIGHT * rs->counts[2 * i] + rs->counts[2 * i + 1];
		sum += tf * (RANK_K1 + 1.0) / (tf + norm);
		in_title += rs->counts[2 * i] > 0;
	}
	sqlite3_result_double(ctx, in_title * 3.0 + (rs->nphrase > 0 ? sum / rs->nphrase : 0.0));
out:
	if (rc != SQLITE_OK)
		sqlite3_result_error_code(ctx, rc);
}

int search_register(sqlite3 *h)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL) == SQLITE_OK)
		sqlite3_step(st);
	sqlite3_finalize(st);
	if (!api || api->xCreateFunction(api, "search_rank", NULL, search_rank, NULL) != SQLITE_OK) {
		log_error("search: cannot register search_rank: %s", sqlite3_errmsg(h));
		return -1;
	}
	return search_file_prepare(h);
}
/* Only short terms: exact token lookups, newest first (FTS5 walks rowids in order, so LIMIT
 * stops early). */
static const char short_sql[] =
	"SELECT p.id, p.thread_id, t.title, p.body FROM search_short"
	" JOIN posts p ON p.id = search_short.rowid JOIN threads t ON t.id = p.thread_id"
	" WHERE search_short MATCH :q AND " AUTHZ_THREAD_VISIBLE " AND p.hidden_at IS NULL" NOT_QUEUED
	" ORDER BY search_short.rowid DESC LIMIT :lim OFFSET :off";

/* Folds raw[0..n) one character at a time, recording for each folded byte the raw offset of
 * the character it came from (map has folded length + 1 entries, the last = n). A katakana
 * followed by a voiced mark is folded together, as text_fold_new composes them. */
static char *fold_with_map(const char *raw, size_t n, size_t **map_out, size_t *flen)
{
	struct buf f = {0};
	size_t cap = n + 16, *map = xmalloc(cap * sizeof *map), k = 0;
	const char *end = raw + n;
	for (const char *s = raw; s < end;) {
		size_t l = search_cp_len(s, end);
		if ((unsigned char)*s < 0x80) {
			char c = (*s >= 'A' && *s <= 'Z') ? (char)(*s + 32) : *s;
			buf_append(&f, &c, 1);
		} else {
			size_t l2 = s + l < end ? search_cp_len(s + l, end) : 0;
			/* U+3099/309A (e3 82 99/9a) and U+FF9E/FF9F (ef be 9e/9f) compose with the kana before */
			if (l2 == 3 && ((memcmp(s + l, "\xe3\x82", 2) == 0 && (s[l + 2] == '\x99' || s[l + 2] == '\x9a')) ||
					(memcmp(s + l, "\xef\xbe", 2) == 0 && (s[l + 2] == '\x9e' || s[l + 2] == '\x9f'))))
				l += l2;
			char *one = text_fold_new(s, l);
			buf_puts(&f, one);
			free(one);
		}
		while (k < f.len) {
			if (k + 1 >= cap)
				map = xrealloc(map, (cap *= 2) * sizeof *map);
			map[k++] = (size_t)(s - raw);
		}
		s += l;
	}
	if (k + 1 >= cap)
		map = xrealloc(map, (cap + 1) * sizeof *map);
	map[k] = n;
	*map_out = map;
	*flen = f.len;
	char *out = xstrdup(f.data ? buf_cstr(&f) : "");
	buf_free(&f);
	return out;
}

/* A plain-text snippet of body around the first occurrence of any folded term (or its start),
 * on one line, with "…" where cut. New string. The caller passes only readable posts. */
static char *snippet_new(const char *body, char **terms, size_t nterms)
{
	size_t n = strlen(body), *map = NULL, flen = 0;
	char *folded = fold_with_map(body, n, &map, &flen);
	size_t start = n; /* raw offset of the earliest match */
	for (size_t i = 0; i < nterms; i++) {
		const char *hit = *terms[i] ? strstr(folded, terms[i]) : NULL;
		if (hit && map[hit - folded] < start)
			start = map[hit - folded];
	}
	free(folded);
	free(map);
	if (start == n)
		start = 0;
	const char *end = body + n, *s = body + start;
	/* back up SNIPPET_BEFORE characters */
	for (int back = 0; back < SNIPPET_BEFORE && s > body; back++) {
		s--;
		while (s > body && ((unsigned char)*s & 0xC0) == 0x80)
			s--;
	}
	struct buf out = {0};
	if (s > body)
		buf_puts(&out, "…");
	bool space = false;
	int cps = 0;
	while (s < end && cps < SNIPPET_TOTAL) {
		size_t l = search_cp_len(s, end);
		if (search_is_space((unsigned char)*s)) {
			space = out.len > 0;
		} else {
			if (space)
				buf_append(&out, " ", 1);
			space = false;
			buf_append(&out, s, l);
		}
		s += l;
		cps++;
	}
	if (s < end)
		buf_puts(&out, "…");
	char *res = xstrdup(out.data ? buf_cstr(&out) : "");
	buf_free(&out);
	if (!utf8_valid(res, strlen(res))) { /* an invalid byte cannot be stored, but be safe */
		char *fixed = text_fold_new(res, strlen(res));
		free(res);
		res = fixed;
	}
	return res;
}

/* Splits the folded query into terms (for snippets). NULL-terminated; free with text_terms_free. */
static char **terms_new(const char *q, size_t *count)
{
	char *f = text_fold_new(q, strlen(q));
	size_t cap = 8, n = 0;
	char **terms = xcalloc(cap + 1, sizeof *terms);
	char *save = NULL;
	for (char *tok = strtok_r(f, " \t\n\r\f\v", &save); tok; tok = strtok_r(NULL, " \t\n\r\f\v", &save)) {
		if (n == cap) {
			terms = xrealloc(terms, (cap * 2 + 1) * sizeof *terms);
			cap *= 2;
		}
		terms[n++] = xstrdup(tok);
		terms[n] = NULL;
	}
	free(f);
	*count = n;
	return terms;
}

/* GET /api/v1/search?q=&page= — gated readers; 200 {results:[{thread_id, post_id, title,
 * snippet}], page}, 20 a page. Terms are ANDed; with a term of 3+ characters the newest 200
 * readable matches are ranked (search_rank: title matches first, then term frequency, then
 * newest), the next 800 follow newest first, and pages past 1,000 results are empty; a query
 * of only 1-2 character terms lists the newest matching posts first. Any
 * input is a literal: FTS5 syntax in it is searched for, never run. A blank query gives no
 * results; a query over 1,000 bytes → 422 invalid. */
/* Posts waiting in the index's queue (search_index.c) are matched here, on the same folded
 * text, every term a substring of the title or the body as the indexes match them; the newest
 * QUEUE_SCAN readable ones are looked at. The queue is short: the indexer thread empties it
 * beside the writes, and the writes wait for it past SEARCH_QUEUE_FULL (search_before_commit). */
#define STR_(x) #x
#define STR(x) STR_(x)
#define QUEUE_SCAN STR(SEARCH_QUEUE_SCAN)
static const char queue_sql[] =
	"SELECT p.id, p.thread_id, t.title, p.body, q.title, q.body FROM search_pending q"
	" JOIN posts p ON p.id = q.post_id JOIN threads t ON t.id = p.thread_id"
	" WHERE q.seq > " INDEXED " AND " AUTHZ_THREAD_VISIBLE " AND p.hidden_at IS NULL"
	" ORDER BY q.post_id DESC LIMIT " QUEUE_SCAN;

/* A result object {thread_id, post_id, title, snippet} from a row whose first columns are post id,
 * thread id, title and body; the snippet is cut from the body around terms. Returns a new
 * reference. */
static json_t *result_json(sqlite3_stmt *st, char **terms, size_t nterms)
{
	char *snip = snippet_new(db_col_text(st, 3), terms, nterms);
	json_t *o = json_pack("{s:I, s:I, s:s, s:s}", "thread_id", (json_int_t)sqlite3_column_int64(st, 1), "post_id",
			      (json_int_t)sqlite3_column_int64(st, 0), "title", db_col_text(st, 2), "snippet", snip);
	free(snip);
	return o;
}

/* The queued posts matching every term, newest first, into a new array. Returns it or NULL on
 * a database error. */
static json_t *queue_matches(struct req *r, char **terms, size_t nterms)
{
	json_t *found = json_array();
	if (!nterms)
		return found;
	sqlite3_stmt *st = db_stmt(r->db, queue_sql);
	authz_bind(st, r->who);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *ft = db_col_text(st, 4), *fb = db_col_text(st, 5);
		size_t i = 0;
		while (i < nterms && (strstr(ft, terms[i]) || strstr(fb, terms[i])))
			i++;
		if (i == nterms)
			json_array_append_new(found, result_json(st, terms, nterms));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(found);
		return NULL;
	}
	return found;
}

/* Appends up to lim indexed matches from offset off. Returns 0 or -1. */
static int index_matches(struct req *r, const char *expr, char **shorts, int64_t off, int64_t lim, char **terms,
			 size_t nterms, json_t *results)
{
	while (lim > 0) {
		sqlite3_stmt *st;
		int64_t n = lim;
		if (expr) {
			if (off >= MAX_RESULTS) /* no results past it, not the short terms alone */
				return 0;
			st = db_stmt(r->db, off < RANK_WINDOW ? long_sql : long_tail_sql);
			if (off < RANK_WINDOW && off + n > RANK_WINDOW)
				n = RANK_WINDOW - off; /* the rest from the tail, next time round */
			db_bind_text(st, ":q", expr);
			static const char *const names[MAX_SHORT_CHECKS] = {":s1", ":s2", ":s3", ":s4"};
			for (int i = 0; i < MAX_SHORT_CHECKS && shorts[i]; i++)
				db_bind_text(st, names[i], shorts[i]);
		} else if (shorts && shorts[0]) {
			struct buf m = {0};
			for (char **s = shorts; *s; s++) {
				size_t len = strlen(*s);
				bool pair = text_codepoints(*s, len) == 2;
				buf_append(&m, "\"", 1);
				search_put_hex(&m, pair ? 'b' : 'u', *s, len);
				buf_append(&m, "\" ", 2);
			}
			st = db_stmt(r->db, short_sql);
			db_bind_text(st, ":q", buf_cstr(&m));
			buf_free(&m);
		} else {
			return 0;
		}
		authz_bind(st, r->who);
		db_bind_int64(st, ":lim", n);
		db_bind_int64(st, ":off", off);
		int rc;
		int64_t got = 0;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			json_array_append_new(results, result_json(st, terms, nterms));
			got++;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return -1;
		if (got < n)
			return 0;
		off += n;
		lim -= n;
	}
	return 0;
}

/* GET /api/v1/search?q=&page= — gated readers; 200 {results:[{thread_id, post_id, title,
 * snippet}], page}, 20 a page. Terms are ANDed. Posts not indexed yet (the queue) come first,
 * newest first; then, with a term of 3+ characters, the newest 200 readable indexed matches
 * ranked (search_rank: title matches first, then term frequency, then newest), the next 800
 * newest first, and nothing past 1,000 indexed results; a query of only 1-2 character terms
 * lists the newest matching posts first. Any input is a literal: FTS5 syntax in it is searched
 * for, never run. A blank query gives no results; a query over 1,000 bytes → 422 invalid. */
static int handle_search(struct req *r)
{
	const char *q = req_query_str(r, "q");
	int64_t page = req_query_int(r, "page", 1);
	if (page < 1 || page > 1000)
		page = 1;
	if (q && strlen(q) > MAX_QUERY_BYTES)
		return req_error(r, 422, "invalid", "the query is over %d bytes", MAX_QUERY_BYTES);
	/* search.db is attached to the worker's own connection, not the writer's: a request that
	 * wrote before getting here (a session's last_seen_at) lets go of the writer first; its write
	 * is still answered only once durable (req_finish). */
	db_release(r->db);
	json_t *results = json_array();
	char **shorts = NULL, **terms = NULL;
	size_t nterms = 0;
	char *expr = q ? text_fts_query_new(q, &shorts) : NULL;
	int64_t off = (page - 1) * PAGE_SIZE;
	int rc = 0;
	if (expr || (shorts && shorts[0])) {
		terms = terms_new(q, &nterms);
		json_t *queued = queue_matches(r, terms, nterms);
		if (!queued) {
			rc = -1;
		} else {
			int64_t nq = (int64_t)json_array_size(queued);
			for (int64_t i = off; i < nq && i < off + PAGE_SIZE; i++)
				json_array_append(results, json_array_get(queued, (size_t)i));
			json_decref(queued);
			int64_t ioff = off > nq ? off - nq : 0;
			rc = index_matches(r, expr, shorts, ioff, PAGE_SIZE - (int64_t)json_array_size(results), terms, nterms,
					   results);
		}
	}
	free(expr);
	text_terms_free(shorts);
	text_terms_free(terms);
	if (rc < 0) {
		json_decref(results);
		return req_internal(r, "search");
	}
	return req_reply(r, 200, json_pack("{s:o, s:I}", "results", results, "page", (json_int_t)page));
}

const struct route search_routes[] = {
	ROUTE(GET, "/api/v1/search", ACCESS_CONTENT, handle_search,
	      .params = {{"q", PARAM_STR}, {"page", PARAM_INT}}),
	{0},
};
