/* view.c — the JSON shape of threads, posts, users and companies (view.h). */
#include "view.h"

#include "db.h"
#include "http.h"
#include "util.h"

#include <string.h>

/* ---- threads and posts ---------------------------------------------------------------------- */

/* ---- users ---------------------------------------------------------------------------------- */

/* ---- companies ------------------------------------------------------------------------------ */
