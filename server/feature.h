/* feature.h — what a feature module contributes, and the features table (features.c). The
 * infrastructure (docs/ARCHITECTURE.md, "Layers") reaches a feature only through this table: it
 * includes no feature's header. A feature plugs in routes, per-worker hooks, per-worker state
 * (a worker slot), SQL functions for every connection and work before each write batch commits. */
#ifndef MAMORI_FEATURE_H
#define MAMORI_FEATURE_H

#include <stdint.h>

struct db;
struct req;
struct route;
struct sqlite3;
struct worker;

struct feature {
	const char *name;
	const struct route *routes; /* terminated by a zero route */
	/* Per worker thread. Worker state lives in w->slots[feature_index(name)] (server.h). */
	int (*worker_init)(struct worker *w);
	void (*worker_free)(struct worker *w);
	void (*drain)(struct worker *w); /* SIGTERM: end long-lived responses */
	void (*tick)(struct worker *w);  /* once a second */
	/* Called inside the writing transaction after a post is stored (a thread's first post
	 * included), so features can react (escalation answered, mentions...). Return 0 or -1
	 * (the whole write is then rolled back). */
	int (*on_post)(struct req *r, int64_t thread_id, int64_t post_id);
	/* Called by db_open on every new SQLite connection (workers, the writer, the command
	 * line, tests): SQL functions the feature's queries use. Return 0 or -1 (the open fails). */
	int (*db_open)(struct sqlite3 *h);
	/* Called by the writer thread before each batch commits, inside the batch's transaction
	 * (in a savepoint shared by every feature's hook); holds is how many requests wrote in this
	 * batch and the one before (0: a batch the writer opened for this work alone, the writes
	 * pause). Return -1 (the hooks' work is rolled back, the batch still commits), 0 (done) or
	 * >0 (work left: the writer calls again once the writes pause). */
	int (*before_commit)(struct db *writer, int holds);
	/* Called inside a write transaction when a user's or a company's access changed (the
	 * user's sessions ended...): user_id's, company_id's, or everyone's when both are 0. */
	void (*access_changed)(struct db *d, int64_t user_id, int64_t company_id);
	/* A thread of the feature's own, for the server's life: started before the writer (with
	 * the data directory; return 0 or -1, the server does not start), stopped after it. */
	int (*start)(const char *data_dir);
	void (*stop)(void);
};
/* Defined in features.c, terminated by {0}. */
extern const struct feature features[];

/* The index of the feature called name in features[] (its worker slot); aborts when there is
 * none (a programming error). */
int feature_index(const char *name);
/* Run every feature's hook of that name; see struct feature. */
int features_db_open(struct sqlite3 *h);
int features_before_commit(struct db *writer, int holds);
void features_access_changed(struct db *d, int64_t user_id, int64_t company_id);
int features_start(const char *data_dir);
void features_stop(void);

#endif
