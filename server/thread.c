/* thread.c — threads (docs/API.md §5): creation with the thread's company and group taken from its
 * author, the list with filters and a total counted under the same visibility rule, one thread
 * with its posts (marking it read), follows, and the secretariat's thread update. Every query
 * that touches a thread embeds AUTHZ_THREAD_VISIBLE; an unreadable thread answers 404. */
#include "audit.h"
#include "authz.h"
#include "cache.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "moderation.h"
#include "post.h"
#include "ratelimit.h"
#include "reply.h"
#include "router.h"
#include "text.h"
#include "util.h"
#include "view.h"

#include <event2/buffer.h>
#include <pthread.h>
#include <sys/uio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_PAGE_SIZE 20
#define LIST_MAX_PAGE_SIZE 100
#define POSTS_PAGE_SIZE 100
#define TITLE_MAX_CODEPOINTS 200
#define MAX_TAGS 10
#define TAG_MAX_CODEPOINTS 40

/* A thread as the API shows it (view.h), with the caller's unread count; the caller joins users
 * u on the author. */
#define THREAD_COLUMNS VIEW_THREAD_COLUMNS VIEW_THREAD_UNREAD

#define LIST_OTHER_FILTERS                                                                         \
	" AND (:kind IS NULL OR t.kind = :kind) AND (:status IS NULL OR t.status = :status)"          \
	" AND (:tag IS NULL OR EXISTS (SELECT 1 FROM thread_tags tt JOIN tags g ON g.id = tt.tag_id"   \
	"   WHERE tt.thread_id = t.id AND g.name = :tag))"
#define LIST_FILTERS " AND (:cat IS NULL OR t.category_id = :cat)" LIST_OTHER_FILTERS

/* One page, in one statement per filter shape: with a category the equality lets SQLite walk
 * threads_category in order (0.25 ms for page 1 on 100,000 threads, against 0.35 ms through
 * the `:cat IS NULL OR` form, which hides the index); without one it walks threads_recent. */
#define LIST_PAGE_SQL(category)                                                                    \
	"SELECT " THREAD_COLUMNS " FROM threads t CROSS JOIN users u ON u.id = t.author_id"            \
	" WHERE " AUTHZ_THREAD_VISIBLE category LIST_OTHER_FILTERS                                     \
	" ORDER BY t.pinned DESC, t.last_post_at DESC, t.id DESC LIMIT :lim OFFSET :off"
static const char list_category_sql[] = LIST_PAGE_SQL(" AND t.category_id = :cat");
static const char list_all_sql[] = LIST_PAGE_SQL("");
/* The total, with the list epoch (schema/010_list_epoch.sql) read in the same statement, hence
 * the same snapshot: the count is cached against exactly the state it counted. The count
 * stays one statement for both shapes on purpose: it reads every matching row anyway, and a
 * plain scan of the table (15 ms for the busy category) beats threads_category plus a table
 * lookup per row (38 ms). */
static const char count_sql[] =
	"SELECT count(*), (SELECT value FROM epochs WHERE name = 'thread_count') FROM threads t WHERE "
	AUTHZ_THREAD_VISIBLE LIST_FILTERS;
static const char list_epoch_sql[] = "SELECT value FROM epochs WHERE name = 'thread_count'";
static const char one_sql[] =
	"SELECT " THREAD_COLUMNS " FROM threads t CROSS JOIN users u ON u.id = t.author_id"
	" WHERE t.id = :id AND " AUTHZ_THREAD_VISIBLE;
static const char posts_sql[] =
	"SELECT " VIEW_POST_COLUMNS " FROM posts p JOIN users u ON u.id = p.author_id"
	" WHERE p.thread_id = :id ORDER BY p.id LIMIT :lim OFFSET :off";
static const char category_exists_sql[] = "SELECT 1 FROM categories WHERE id = :id";
static const char company_group_sql[] = "SELECT coalesce(group_id, 0) FROM companies WHERE id = :id";
static const char group_exists_sql[] = "SELECT 1 FROM groups WHERE id = :id";
static const char insert_sql[] =
	"INSERT INTO threads (category_id, author_id, title, kind, visibility, company_id, group_id, status,"
	" created_at, last_post_at) VALUES (:cat, :author, :title, :kind, :vis, :company, :grp, :status, :now, :now)";
static const char tag_insert_sql[] = "INSERT INTO tags (name) VALUES (:name) ON CONFLICT (name) DO NOTHING";
static const char tag_link_sql[] =
	"INSERT OR IGNORE INTO thread_tags (thread_id, tag_id) SELECT :tid, id FROM tags WHERE name = :name";
static const char follow_sql[] =
	"INSERT OR IGNORE INTO thread_follows (thread_id, user_id, created_at) VALUES (:id, :uid, :now)";
static const char unfollow_sql[] = "DELETE FROM thread_follows WHERE thread_id = :id AND user_id = :uid";
static const char mark_read_sql[] =
	"INSERT INTO thread_reads (user_id, thread_id, seen_count, last_post_id, read_at)"
	" SELECT :uid, t.id, t.post_count, coalesce((SELECT max(id) FROM posts WHERE thread_id = t.id), 0), :now"
	" FROM threads t WHERE t.id = :id"
	" ON CONFLICT (user_id, thread_id) DO UPDATE SET seen_count = excluded.seen_count,"
	" last_post_id = excluded.last_post_id, read_at = excluded.read_at";
static const char update_sql[] =
	"UPDATE threads SET locked = coalesce(:locked, locked), pinned = coalesce(:pinned, pinned),"
	" category_id = coalesce(:cat, category_id), visibility = coalesce(:vis, visibility) WHERE id = :id";
static const char thread_scope_sql[] =
	"SELECT visibility, coalesce(company_id, 0), coalesce(group_id, 0) FROM threads WHERE id = :id";
/* Whether s is one of the NULL-terminated set. */
static bool one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return true;
	return false;
}
static const char *const kinds[] = {"discussion", "question", "announcement", NULL};
static const char *const visibilities[] = {"community", "group", "company", "staff", NULL};
static const char *const statuses[] = {"open", "escalated", "answered", "resolved", NULL};

/* The list's total scans every thread the filters allow (the rule is evaluated per row), so
 * totals are cached per worker thread, keyed by everything the rule and the filters read: the
 * principal's id, role, company and group, the filters, and the list epoch of
 * schema/010_list_epoch.sql, which triggers move on every change to what the count reads
 * (threads' category, kind, status and scope, tags, assignments, companies' groups,
 * escalations) but not on posts, read marks or sign-ins. Each move draws a new random value,
 * so an epoch seen inside a batch that is then rolled back never comes back. */
#define COUNT_SLOTS 256 /* in pairs: a key may live in either slot of its pair */
struct count_slot {
	bool used, has_cat;
	int64_t uid, company, group, cat;
	int role;
	char filters[160]; /* kind \x1f status \x1f tag */
	int64_t epoch;
	int64_t total;
	uint64_t last_used;
};
/* Allocated on a thread's first list (58 KB: as a thread-local array every thread of the process
 * had it, zeroed, at start) and freed when the thread ends (count_cache_key's destructor). */
static _Thread_local struct count_slot *count_cache;
static _Thread_local uint64_t count_clock;
static pthread_key_t count_cache_key;
static pthread_once_t count_once = PTHREAD_ONCE_INIT;

/* Creates the key whose destructor frees a thread's count_cache (pthread_once). */
static void count_key_create(void)
{
	pthread_key_create(&count_cache_key, free);
}

/* Fills *key for the request, with the current list epoch; returns false when it cannot be
 * cached (filters too long, or a request routed to the writer's connection, which the shared
 * caches never serve either: see cache.c). */
static bool count_key(struct req *r, struct count_slot *key)
{
	memset(key, 0, sizeof *key);
	if (db_routed(r->db))
		return false;
	const char *kind = req_query_str(r, "kind"), *status = req_query_str(r, "status"), *tag = req_query_str(r, "tag");
	int n = snprintf(key->filters, sizeof key->filters, "%s\x1f%s\x1f%s", kind ? kind : "", status ? status : "",
			 tag ? tag : "");
	if (n < 0 || (size_t)n >= sizeof key->filters)
		return false;
	key->used = true;
	key->uid = r->who->user_id;
	key->role = (int)r->who->role;
	key->company = r->who->company_id;
	key->group = r->who->group_id;
	key->has_cat = req_query_str(r, "category_id") != NULL;
	key->cat = key->has_cat ? req_query_int(r, "category_id", 0) : 0;
	key->epoch = db_one_int64(db_stmt(r->db, list_epoch_sql), 0);
	return true;
}

/* Whether slot a holds the same key as b (whatever the epochs). */
static bool count_same_key(const struct count_slot *a, const struct count_slot *b)
{
	return a->used && a->uid == b->uid && a->role == b->role && a->company == b->company && a->group == b->group &&
	       a->has_cat == b->has_cat && a->cat == b->cat && strcmp(a->filters, b->filters) == 0;
}

/* The slot for key: a hit when it holds key at key's epoch, else the slot to overwrite. */
static struct count_slot *count_slot_for(const struct count_slot *key)
{
	uint64_t h = 1469598103934665603ull;
	const int64_t parts[] = {key->uid, key->company, key->group, key->cat, key->has_cat, key->role};
	for (size_t i = 0; i < ARRAY_LEN(parts); i++)
		h = (h ^ (uint64_t)parts[i]) * 1099511628211ull;
	for (const char *c = key->filters; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	h ^= h >> 29;
	/* Two-way: the slot already holding this key (whatever its epoch), else the one used least
	 * recently, so two lists one reader alternates between do not evict each other. */
	if (!count_cache) {
		pthread_once(&count_once, count_key_create);
		count_cache = xcalloc(COUNT_SLOTS, sizeof *count_cache);
		pthread_setspecific(count_cache_key, count_cache);
	}
	struct count_slot *pair = &count_cache[(h % COUNT_SLOTS) & ~(size_t)1];
	struct count_slot *s;
	if (count_same_key(&pair[0], key))
		s = &pair[0];
	else if (count_same_key(&pair[1], key))
		s = &pair[1];
	else
		s = pair[0].last_used <= pair[1].last_used ? &pair[0] : &pair[1];
	s->last_used = ++count_clock;
	return s;
}

/* Binds the list filters; returns 0 or a 422 status set on r. */
static int bind_filters(struct req *r, sqlite3_stmt *st)
{
	const char *kind = req_query_str(r, "kind"), *status = req_query_str(r, "status"), *tag = req_query_str(r, "tag");
	if (kind && !one_of(kind, kinds))
		return req_error(r, 422, "invalid", "unknown kind");
	if (status && !one_of(status, statuses))
		return req_error(r, 422, "invalid", "unknown status");
	if (req_query_str(r, "category_id"))
		db_bind_int64(st, ":cat", req_query_int(r, "category_id", 0));
	db_bind_text(st, ":kind", kind);
	db_bind_text(st, ":status", status);
	if (tag) {
		char *folded = text_fold_new(tag, strlen(tag));
		db_bind_text(st, ":tag", folded);
		free(folded);
	}
	return 0;
}

/* GET /api/v1/threads?category_id=&kind=&status=&tag=&page=&per_page= — gated readers; 200
 * {threads:[...], total, page, per_page}: only threads the caller may read, pinned first, then
 * by latest post; `total` is counted under the same rule and filters. Each thread carries the
 * caller's `unread` count. A bad kind or status → 422 invalid. */
static int handle_thread_list(struct req *r)
{
	int64_t page = req_query_int(r, "page", 1), per = req_query_int(r, "per_page", LIST_PAGE_SIZE);
	if (page < 1)
		page = 1;
	if (per < 1 || per > LIST_MAX_PAGE_SIZE)
		per = LIST_PAGE_SIZE;
	struct count_slot key;
	bool cacheable = count_key(r, &key);
	struct count_slot *slot = cacheable ? count_slot_for(&key) : NULL;
	int64_t total;
	sqlite3_stmt *st;
	if (slot && count_same_key(slot, &key) && slot->epoch == key.epoch) {
		total = slot->total;
	} else {
		st = db_stmt(r->db, count_sql);
		authz_bind(st, r->who);
		int rc = bind_filters(r, st);
		if (rc) {
			sqlite3_reset(st);
			return rc;
		}
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			return req_internal(r, "count threads");
		}
		total = sqlite3_column_int64(st, 0);
		int64_t counted_at = sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
		if (slot) {
			/* Stored under the epoch the count itself saw: a change committed between the
			 * lookup in count_key and the count only makes this entry miss later. */
			uint64_t last_used = slot->last_used;
			*slot = key;
			slot->epoch = counted_at;
			slot->total = total;
			slot->last_used = last_used;
		}
	}
	st = db_stmt(r->db, req_query_str(r, "category_id") ? list_category_sql : list_all_sql);
	authz_bind(st, r->who);
	int rc = bind_filters(r, st);
	if (rc) {
		sqlite3_reset(st);
		return rc;
	}
	db_bind_int64(st, ":lim", per);
	db_bind_int64(st, ":off", (page - 1) * per);
	json_t *arr = view_rows(st, view_thread_json);
	return req_reply(r, 200, json_pack("{s:o, s:I, s:I, s:I}", "threads", arr, "total", (json_int_t)total, "page",
					   (json_int_t)page, "per_page", (json_int_t)per));
}

/* Loads the thread as the caller sees it, or NULL when missing or unreadable. New reference. */
static json_t *thread_load(struct req *r, int64_t id)
{
	sqlite3_stmt *st = db_stmt(r->db, one_sql);
	db_bind_int64(st, ":id", id);
	authz_bind(st, r->who);
	json_t *t = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		t = view_thread_json(st);
	sqlite3_reset(st);
	return t;
}

/* Marks the thread read by the caller inside the request's transaction (one short write, only
 * when something is unread). Returns 0 or -1. */
static int thread_mark_read(struct req *r, int64_t id, int64_t unread)
{
	if (unread == 0)
		return 0;
	if (req_tx(r) < 0)
		return -1;
	sqlite3_stmt *st = db_stmt(r->db, mark_read_sql);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_int64(st, ":id", id);
	db_bind_int64(st, ":now", now_unix());
	return db_exec_stmt(r->db, st) < 0 ? -1 : 0;
}

/* The JSON array of one page of a thread's posts as the caller's class sees them (hidden text
 * withheld from all but the secretariat). New string; *len receives its length. */
static char *posts_page_json_new(struct req *r, int64_t id, int64_t page, size_t *len)
{
	json_t *posts = json_array();
	sqlite3_stmt *st = db_stmt(r->db, posts_sql);
	db_bind_int64(st, ":id", id);
	db_bind_int64(st, ":lim", POSTS_PAGE_SIZE);
	db_bind_int64(st, ":off", (page - 1) * POSTS_PAGE_SIZE);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *p = view_post_json(st);
		moderation_post_view(p, r->who, sqlite3_column_int(st, VIEW_POST_HIDDEN) != 0,
				     sqlite3_column_int(st, VIEW_POST_REDACTED) != 0);
		json_array_append_new(posts, p);
	}
	sqlite3_reset(st);
	char *text = json_dumps(posts, JSON_COMPACT);
	json_decref(posts);
	*len = strlen(text);
	return text;
}

/* The thread view's epoch (schema/022): moves with every write to what view_template_new reads. */
static const char view_epoch_sql[] = "SELECT value FROM epochs WHERE name = 'thread_view'";

/* Asked on every view, cached reply or not: may the caller read the thread (the one rule,
 * AUTHZ_THREAD_VISIBLE, bound to the caller), and the caller's own members of it. */
static const char view_sql[] =
	"SELECT t.post_count - coalesce((SELECT seen_count FROM thread_reads rd"
	"   WHERE rd.user_id = :p_uid AND rd.thread_id = t.id), 0),"
	" EXISTS (SELECT 1 FROM thread_follows f WHERE f.thread_id = t.id AND f.user_id = :p_uid),"
	" t.visibility = 'company' AND coalesce(t.company_id, 0) <> :p_company" /* an outsider's read */
	" FROM threads t WHERE t.id = :id AND " AUTHZ_THREAD_VISIBLE;

/* view_sql's answer for one caller and thread, with everything it was bound to. */
struct view_access {
	int64_t thread_id, user_id, company_id, group_id;
	int64_t role;
	int64_t unread;
	bool following, outsider;
};

/* Runs view_sql for the caller and thread id: false when the caller may not read it, else true
 * with *v filled. The answer is kept for the database epoch (cache.c: until any connection
 * commits anything), keyed by the thread and every value the statement binds, so a request of
 * the same epoch gets exactly the answer the statement would give. Only inside the request's
 * read transaction (cache_epoch_current); a refusal is not kept. */
static bool view_access(struct req *r, int64_t id, struct view_access *v)
{
	memset(v, 0, sizeof *v);
	v->thread_id = id;
	v->user_id = r->who ? r->who->user_id : 0;
	v->company_id = r->who ? r->who->company_id : 0;
	v->group_id = r->who ? r->who->group_id : 0;
	v->role = r->who ? (int64_t)r->who->role : 0;
	size_t len = 0;
	bool cacheable = cache_epoch_current(r->db);
	const char *hit = cacheable ? cache_get(r->db, CACHE_VIEW, id, v->user_id, v->role, &len) : NULL;
	struct view_access c;
	if (hit && len == sizeof c) {
		memcpy(&c, hit, sizeof c);
		if (c.thread_id == v->thread_id && c.user_id == v->user_id && c.company_id == v->company_id &&
		    c.group_id == v->group_id && c.role == v->role) {
			*v = c;
			return true;
		}
	}
	sqlite3_stmt *st = db_stmt(r->db, view_sql);
	db_bind_int64(st, ":id", id);
	authz_bind(st, r->who);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return false;
	}
	v->unread = sqlite3_column_int64(st, 0);
	v->following = sqlite3_column_int(st, 1) != 0;
	v->outsider = sqlite3_column_int(st, 2) != 0;
	sqlite3_reset(st);
	if (cacheable)
		cache_put(r->db, CACHE_VIEW, id, v->user_id, v->role, (const char *)v, sizeof *v);
	return true;
}

/* The reply to a thread view as every reader of one class sees it (the class decides hidden
 * text), without the caller's own members: `{"thread":{…,"unread":` NUL `},"posts":[…],"page":N}`.
 * The caller puts `N,"following":B` where the NUL is (JSON text never holds a raw NUL). New
 * string, *len its length; NULL when the caller may not read the thread (any more). */
static char *view_template_new(struct req *r, int64_t id, int64_t page, size_t *len)
{
	json_t *t = thread_load(r, id);
	if (!t)
		return NULL;
	json_object_del(t, "unread"); /* the last member of view_thread_json: it goes back in its place */
	char *thread_text = json_dumps(t, JSON_COMPACT);
	json_decref(t);
	size_t posts_len = 0;
	char *posts_text = posts_page_json_new(r, id, page, &posts_len);
	struct buf b = {0};
	buf_puts(&b, "{\"thread\":");
	buf_append(&b, thread_text, strlen(thread_text) - 1); /* without its closing brace */
	buf_puts(&b, ",\"unread\":");
	buf_append(&b, "", 1);
	buf_puts(&b, "},\"posts\":");
	buf_append(&b, posts_text, posts_len);
	buf_printf(&b, ",\"page\":%lld}", (long long)page);
	free(thread_text);
	free(posts_text);
	*len = b.len;
	return b.data;
}

/* GET /api/v1/threads/{id}?page= — readers of the thread; 200 {thread, posts:[{id, author:{id,
 * name, role}, body, html, created_at, edited_at, hidden, redacted}]} with 100 posts a page,
 * oldest first (a hidden post's text withheld from all but the secretariat); marks the thread
 * read; a `company` thread read from outside its company is audited (thread.read). Missing or
 * unreadable → 404. */
static int handle_thread_get(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0)
		return req_not_found(r);
	/* Whether the caller may read it is decided here, per request, before anything cached: by
	 * view_sql (the one rule, bound to the caller), or by its answer to this very caller in the
	 * same database epoch, which is the answer it would give now. */
	struct view_access v;
	if (!view_access(r, id, &v))
		return req_not_found(r);
	int64_t unread = v.unread;
	bool following = v.following, outsider = v.outsider;
	int64_t page = req_query_int(r, "page", 1);
	if (page < 1)
		page = 1;
	/* The rest of the reply is the same for every reader of one class (the secretariat sees
	 * hidden text, others do not) until what it reads changes, so it is cached, keyed by
	 * thread, page and class; only readers who passed the check above get it. */
	int64_t withheld = moderation_post_text_withheld(r->who, true) ? 1 : 0;
	size_t len = 0;
	const char *tmpl = cache_get(r->db, CACHE_POSTS, id, page, withheld, &len);
	char *made = NULL;
	if (!tmpl) {
		/* Something was committed since: a sign-in, a read mark, a follow... The reply is
		 * still good while the thread view's epoch (schema/022) has not moved: it moves with
		 * every write to what the reply reads, in the transaction that writes. */
		int64_t at = cache_epoch_current(r->db)
				     ? db_one_int64(db_stmt(r->db, view_epoch_sql), INT64_MIN)
				     : INT64_MIN;
		bool cacheable = at != INT64_MIN;
		tmpl = cacheable ? cache_get_since(r->db, CACHE_POSTS, id, page, withheld, at, &len) : NULL;
		if (!tmpl) {
			made = view_template_new(r, id, page, &len);
			if (!made)
				return req_not_found(r);
			if (cacheable)
				cache_put_since(r->db, CACHE_POSTS, id, page, withheld, at, made, len);
			else
				cache_put(r->db, CACHE_POSTS, id, page, withheld, made, len);
			tmpl = made;
		}
	}
	/* The reply is assembled now, while the cached bytes are borrowed: one chain (one copy),
	 * with the caller's members in the hole. `unread` is 0: the thread is marked read below
	 * (and on failure the reply is an error instead). */
	const char *hole = memchr(tmpl, 0, len);
	if (!hole) {
		free(made);
		return req_internal(r, "thread view template");
	}
	size_t head = (size_t)(hole - tmpl);
	static const char on[] = "0,\"following\":true", off[] = "0,\"following\":false";
	const struct iovec parts[] = {
		{(void *)tmpl, head},
		{following ? (void *)on : (void *)off, following ? sizeof on - 1 : sizeof off - 1},
		{(void *)(hole + 1), len - head - 1},
	};
	req_raw_out_parts(r, parts, 3);
	free(made);
	/* The outsider's audit first: it is a transaction of its own (audit.h), which does not nest
	 * in the request's. */
	if (outsider && audit_thread_outsider_read(r, id, NULL) < 0)
		return req_internal(r, "audit read");
	return thread_mark_read(r, id, unread) < 0 ? req_internal(r, "mark read") : 200;
}

/* Folds, trims and checks the tags member (an array, as declared) into a NULL-terminated new
 * array (*out, free with text_terms_free). Returns 0 or a 422 status set on r. */
static int tags_from_request(struct req *r, char ***out)
{
	json_t *tags = req_field_json(r, "tags");
	char **list = xcalloc(MAX_TAGS + 1, sizeof *list);
	*out = list;
	if (!tags)
		return 0;
	if (json_array_size(tags) > MAX_TAGS)
		return req_error(r, 422, "invalid", "tags must be an array of at most %d strings", MAX_TAGS);
	size_t i, n = 0;
	json_t *v;
	json_array_foreach(tags, i, v) {
		if (!json_is_string(v))
			return req_error(r, 422, "invalid", "tags must be strings");
		char *f = text_fold_new(json_string_value(v), json_string_length(v));
		char *s = f, *e = f + strlen(f);
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
			e--;
		*e = 0;
		size_t cps = text_codepoints(s, strlen(s));
		bool bad = text_blank(s) || cps > TAG_MAX_CODEPOINTS || strpbrk(s, "\n\r\t") != NULL;
		bool dup = false;
		for (size_t k = 0; k < n && !bad; k++)
			dup = dup || strcmp(list[k], s) == 0;
		if (!bad && !dup)
			list[n++] = xstrdup(s);
		free(f);
		if (bad)
			return req_error(r, 422, "invalid", "a tag must be 1-%d characters on one line", TAG_MAX_CODEPOINTS);
	}
	return 0;
}

/* Decides the new thread's company and group (docs/API.md §5: the author's at creation). A
 * participant's come from their company; experts and the secretariat have none, so a `group`
 * or `company` thread of theirs needs a group_id or company_id, which only the secretariat may
 * give (422 invalid otherwise); participants may not create `staff` threads (403 forbidden).
 * Returns 0 or an error status set on r. */
static int thread_scope(struct req *r, const char *vis, int64_t *company, int64_t *group)
{
	bool hc = req_field_present(r, "company_id"), hg = req_field_present(r, "group_id");
	int64_t want_company = req_field_int(r, "company_id", 0), want_group = req_field_int(r, "group_id", 0);
	if (strcmp(vis, "staff") == 0 && authz_is_participant(r->who))
		return req_forbidden(r);
	if (!authz_is_secretariat(r->who)) {
		if (hc || hg)
			return req_error(r, 422, "invalid", "only the secretariat chooses a thread's company or group");
		*company = r->who->company_id;
		*group = r->who->group_id;
		if (strcmp(vis, "group") == 0 && !*group)
			return req_error(r, 422, "invalid", "group visibility needs a workshop group; you have none");
		if (strcmp(vis, "company") == 0 && !*company)
			return req_error(r, 422, "invalid", "company visibility needs a company; you have none");
		return 0;
	}
	if (hc) {
		sqlite3_stmt *st = db_stmt(r->db, company_group_sql);
		db_bind_int64(st, ":id", want_company);
		int64_t g = db_one_int64(st, -1);
		if (g < 0)
			return req_error(r, 422, "invalid", "no such company");
		if (hg && want_group != g)
			return req_error(r, 422, "invalid", "group_id is not the company's group");
		*company = want_company;
		*group = g;
	} else if (hg) {
		sqlite3_stmt *st = db_stmt(r->db, group_exists_sql);
		db_bind_int64(st, ":id", want_group);
		if (db_one_int64(st, 0) != 1)
			return req_error(r, 422, "invalid", "no such group");
		*group = want_group;
	}
	if (strcmp(vis, "company") == 0 && !*company)
		return req_error(r, 422, "invalid", "a company thread by the secretariat needs company_id");
	if (strcmp(vis, "group") == 0 && !*group)
		return req_error(r, 422, "invalid", "a group thread by the secretariat needs group_id or company_id");
	return 0;
}

/* 0 when category cat exists, else 422 invalid set on r. */
static int category_check(struct req *r, int64_t cat)
{
	sqlite3_stmt *st = db_stmt(r->db, category_exists_sql);
	db_bind_int64(st, ":id", cat);
	return db_one_int64(st, 0) == 1 ? 0 : req_error(r, 422, "invalid", "no such category");
}

/* A thread about to be stored: the checked members of the request. */
struct new_thread {
	int64_t cat, company, group; /* company, group: 0 for none */
	const char *title, *kind, *vis, *body;
	char **tags; /* NULL-terminated, folded */
};

/* Stores t inside the request's transaction: the thread, its tags, the author's follow and its
 * first post (post_insert). Returns 0 with *thread_id and *post_id, or -1. */
static int thread_store(struct req *r, const struct new_thread *t, int64_t *thread_id, int64_t *post_id)
{
	assert(db_in_write_tx(r->db));
	int64_t now = now_unix();
	sqlite3_stmt *st = db_stmt(r->db, insert_sql);
	db_bind_int64(st, ":cat", t->cat);
	db_bind_int64(st, ":author", r->who->user_id);
	db_bind_text(st, ":title", t->title);
	db_bind_text(st, ":kind", t->kind);
	db_bind_text(st, ":vis", t->vis);
	if (t->company)
		db_bind_int64(st, ":company", t->company);
	if (t->group)
		db_bind_int64(st, ":grp", t->group);
	db_bind_text(st, ":status", strcmp(t->kind, "question") == 0 ? "open" : NULL);
	db_bind_int64(st, ":now", now);
	if (db_exec_stmt(r->db, st) < 0)
		return -1;
	*thread_id = sqlite3_last_insert_rowid(db_handle(r->db));
	for (char **tag = t->tags; *tag; tag++) {
		st = db_stmt(r->db, tag_insert_sql);
		db_bind_text(st, ":name", *tag);
		if (db_exec_stmt(r->db, st) < 0)
			return -1;
		st = db_stmt(r->db, tag_link_sql);
		db_bind_int64(st, ":tid", *thread_id);
		db_bind_text(st, ":name", *tag);
		if (db_exec_stmt(r->db, st) < 0)
			return -1;
	}
	st = db_stmt(r->db, follow_sql);
	db_bind_int64(st, ":id", *thread_id);
	db_bind_int64(st, ":uid", r->who->user_id);
	db_bind_int64(st, ":now", now);
	if (db_exec_stmt(r->db, st) < 0 || post_insert(r, *thread_id, t->title, t->body, post_id) < 0)
		return -1;
	events_publish_thread(r->db, *thread_id);
	return 0;
}

/* POST /api/v1/threads {category_id, title, body, kind?, visibility, tags?, company_id?,
 * group_id?} — gated writers; 201 the thread (as in the list) with first_post_id. kind
 * announcement is the secretariat's (403 forbidden); question threads start `open`; kind
 * defaults to discussion. Empty title or body → 422 invalid; body over 65,536 bytes → 413
 * too_large. */
static int handle_thread_create(struct req *r)
{
	struct new_thread t = {
		.cat = req_field_int(r, "category_id", 0),
		.title = req_field_str(r, "title"),
		.kind = req_field_str(r, "kind"),
		.vis = req_field_str(r, "visibility"),
		.body = req_field_str(r, "body"),
	};
	int rc;
	if (text_codepoints(t.title, strlen(t.title)) > TITLE_MAX_CODEPOINTS || strpbrk(t.title, "\n\r"))
		return req_error(r, 422, "invalid", "title must be one line of at most %d characters", TITLE_MAX_CODEPOINTS);
	if (t.kind && !one_of(t.kind, kinds))
		return req_error(r, 422, "invalid", "kind must be discussion, question or announcement");
	if (!t.kind)
		t.kind = "discussion";
	if (!one_of(t.vis, visibilities))
		return req_error(r, 422, "invalid", "visibility must be community, group, company or staff");
	if ((rc = post_body_size(r, t.body)) != 0)
		return rc;
	if (strcmp(t.kind, "announcement") == 0 && !authz_is_secretariat(r->who))
		return req_forbidden(r);
	if ((rc = thread_scope(r, t.vis, &t.company, &t.group)) != 0 ||
	    (rc = ratelimit_check(r, RATELIMIT_POSTS)) != 0 || (rc = category_check(r, t.cat)) != 0)
		return rc;
	int64_t thread_id = 0, post_id = 0;
	if ((rc = tags_from_request(r, &t.tags)) == 0 && (req_tx(r) < 0 || thread_store(r, &t, &thread_id, &post_id) < 0))
		rc = req_internal(r, "create thread");
	text_terms_free(t.tags);
	if (rc)
		return rc;
	json_t *o = thread_load(r, thread_id);
	if (!o) /* the author can always read what they wrote; a failure here is a bug */
		return req_internal(r, "reload new thread");
	json_object_set_new(o, "first_post_id", json_integer(post_id));
	return req_reply(r, 201, o);
}

/* Follows (follow) or unfollows thread {id} for the caller: 204; missing or unreadable → 404. */
static int thread_follow_set(struct req *r, bool follow)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0 || !authz_can_read_thread(r->db, r->who, id))
		return req_not_found(r);
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, follow ? follow_sql : unfollow_sql);
	db_bind_int64(st, ":id", id);
	db_bind_int64(st, ":uid", r->who->user_id);
	if (follow)
		db_bind_int64(st, ":now", now_unix());
	return db_exec_stmt(r->db, st) < 0 ? req_internal(r, "follow") : 204;
}

/* POST /api/v1/threads/{id}/follow — readers of the thread; 204. Following means being
 * notified of replies. Missing or unreadable → 404. */
static int handle_thread_follow(struct req *r)
{
	return thread_follow_set(r, true);
}

/* DELETE /api/v1/threads/{id}/follow — readers of the thread; 204 (also when not following).
 * Missing or unreadable → 404. */
static int handle_thread_unfollow(struct req *r)
{
	return thread_follow_set(r, false);
}

/* The members of PATCH /api/v1/threads/{id}, in the order the audit detail lists them. */
static const char *const update_members[] = {"locked", "pinned", "category_id", "visibility", NULL};

/* PATCH /api/v1/threads/{id} {locked?, pinned?, category_id?, visibility?} — secretariat; 200
 * the thread. A visibility change takes effect at once on every path (each query reads it
 * live); `company` needs a thread with a company and `group` one with a group (422 invalid).
 * Audited as thread.update with the members sent (and previous_visibility). (docs/API.md §7;
 * the moderation feature may extend this.) */
static int handle_thread_update(struct req *r)
{
	int64_t id;
	if (req_path_id(r, 0, &id) < 0 || !authz_can_read_thread(r->db, r->who, id))
		return req_not_found(r);
	const char *vis = req_field_str(r, "visibility");
	if (vis && !one_of(vis, visibilities))
		return req_error(r, 422, "invalid", "visibility must be community, group, company or staff");
	int rc;
	if (req_field_present(r, "category_id") && (rc = category_check(r, req_field_int(r, "category_id", 0))) != 0)
		return rc;
	if (req_tx(r) < 0)
		return req_internal(r, "begin");
	sqlite3_stmt *st = db_stmt(r->db, thread_scope_sql);
	db_bind_int64(st, ":id", id);
	int64_t company = 0, group = 0;
	char old_vis[16] = "";
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(old_vis, sizeof old_vis, "%s", db_col_text(st, 0));
		company = sqlite3_column_int64(st, 1);
		group = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (vis && ((strcmp(vis, "company") == 0 && !company) || (strcmp(vis, "group") == 0 && !group)))
		return req_error(r, 422, "invalid", "this thread has no %s to restrict it to",
				 strcmp(vis, "company") == 0 ? "company" : "group");
	st = db_stmt(r->db, update_sql);
	db_bind_int64(st, ":id", id);
	if (req_field_present(r, "locked"))
		db_bind_int64(st, ":locked", req_field_bool(r, "locked", false));
	if (req_field_present(r, "pinned"))
		db_bind_int64(st, ":pinned", req_field_bool(r, "pinned", false));
	if (req_field_present(r, "category_id"))
		db_bind_int64(st, ":cat", req_field_int(r, "category_id", 0));
	db_bind_text(st, ":vis", vis);
	if (db_exec_stmt(r->db, st) < 0)
		return req_internal(r, "update thread");
	json_t *detail = json_object();
	for (const char *const *m = update_members; *m; m++)
		if (req_field_present(r, *m))
			json_object_set(detail, *m, req_field_json(r, *m));
	if (vis)
		json_object_set_new(detail, "previous_visibility", json_string(old_vis));
	rc = audit_append_on(r->db, r->who->user_id, "thread.update", "thread", id, r->ip, detail);
	json_decref(detail);
	if (rc < 0)
		return req_internal(r, "audit thread update");
	events_publish_thread(r->db, id);
	json_t *t = thread_load(r, id);
	return t ? req_reply(r, 200, t) : req_not_found(r);
}

const struct route thread_routes[] = {
	ROUTE(GET, "/api/v1/threads", ACCESS_CONTENT, handle_thread_list,
	      .params = {{"category_id", PARAM_INT},
			 {"kind", PARAM_STR},
			 {"status", PARAM_STR},
			 {"tag", PARAM_STR},
			 {"page", PARAM_INT},
			 {"per_page", PARAM_INT}}),
	/* kind is optional (discussion), and title's rule (one line, 200 characters) and the body's
	 * 413 limit are the handler's. */
	ROUTE(POST, "/api/v1/threads", ACCESS_WRITE, handle_thread_create,
	      .body = {{"category_id", BODY_INT, BODY_REQUIRED | BODY_POSITIVE},
		       {"title", BODY_STR, BODY_REQUIRED | BODY_NOT_BLANK},
		       POST_BODY_FIELD,
		       {"kind", BODY_STR, 0},
		       {"visibility", BODY_STR, BODY_REQUIRED},
		       {"tags", BODY_ARRAY, 0},
		       {"company_id", BODY_INT, BODY_POSITIVE},
		       {"group_id", BODY_INT, BODY_POSITIVE}}),
	ROUTE(GET, "/api/v1/threads/{id}", ACCESS_CONTENT, handle_thread_get, .params = {{"page", PARAM_INT}}),
	ROUTE(PATCH, "/api/v1/threads/{id}", ACCESS_CONTENT | ACCESS_SECRETARIAT, handle_thread_update,
	      .body = {{"locked", BODY_BOOL, 0},
		       {"pinned", BODY_BOOL, 0},
		       {"category_id", BODY_INT, BODY_POSITIVE},
		       {"visibility", BODY_STR, 0}}),
	ROUTE(POST, "/api/v1/threads/{id}/follow", ACCESS_CONTENT, handle_thread_follow),
	ROUTE(DELETE, "/api/v1/threads/{id}/follow", ACCESS_CONTENT, handle_thread_unfollow),
	{0},
};
