/* feature.c — the loops that run the features table's hooks for the infrastructure (feature.h). */
#include "feature.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

int feature_index(const char *name)
{
	for (int i = 0; features[i].name; i++)
		if (strcmp(features[i].name, name) == 0)
			return i;
	log_error("feature_index: no feature \"%s\"", name);
	abort();
}

int features_db_open(struct sqlite3 *h)
{
	for (const struct feature *f = features; f->name; f++)
		if (f->db_open && f->db_open(h) < 0)
			return -1;
	return 0;
}

int features_before_commit(struct db *writer, int holds)
{
	int more = 0;
	for (const struct feature *f = features; f->name; f++) {
		if (!f->before_commit)
			continue;
		int rc = f->before_commit(writer, holds);
		if (rc < 0)
			return -1;
		if (rc > 0)
			more = 1;
	}
	return more;
}

void features_access_changed(struct db *d, int64_t user_id, int64_t company_id)
{
	for (const struct feature *f = features; f->name; f++)
		if (f->access_changed)
			f->access_changed(d, user_id, company_id);
}

int features_start(const char *data_dir)
{
	for (const struct feature *f = features; f->name; f++)
		if (f->start && f->start(data_dir) < 0)
			return -1;
	return 0;
}

void features_stop(void)
{
	for (const struct feature *f = features; f->name; f++)
		if (f->stop)
			f->stop();
}
