/* main.c — the `mamori` command line (docs/API.md §1): init, user add, serve, backup, audit verify,
 * calendar. The only file that exits the process. Bad arguments: one line on stderr, exit 2. */
#include "attachment.h"
#include "audit.h"
#include "calendar.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "router.h"
#include "server.h"
#include "tls.h"
#include "text.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Prints msg and the list of commands on stderr. Returns 2, the exit code for bad arguments. */
static int usage(const char *msg)
{
	fprintf(stderr, "mamori: %s (commands: init, user add, serve, backup, audit verify, calendar)\n", msg);
	return 2;
}

/* Parses --name VALUE pairs into vals[] by the index of names[]; returns 0 or 2 (usage). */
static int parse_flags(int argc, char **argv, int start, const char *const *names, const char **vals,
		       const char *cmd)
{
	for (int i = start; i < argc; i++) {
		int k = -1;
		for (int j = 0; names[j]; j++)
			if (strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i] + 2, names[j]) == 0)
				k = j;
		if (k < 0) {
			fprintf(stderr, "mamori %s: unknown argument '%s'\n", cmd, argv[i]);
			return 2;
		}
		if (i + 1 >= argc || !*argv[i + 1]) {
			fprintf(stderr, "mamori %s: %s needs a value\n", cmd, argv[i]);
			return 2;
		}
		vals[k] = argv[++i];
	}
	return 0;
}

/* mamori init --data DIR: creates DIR (0700) with tls/ and files/, the database at the newest
 * schema, and a self-signed certificate unless both files exist. Returns the exit code. */
static int cmd_init(int argc, char **argv)
{
	static const char *const names[] = {"data", NULL};
	const char *vals[1] = {0};
	if (parse_flags(argc, argv, 2, names, vals, "init"))
		return 2;
	if (!vals[0]) {
		fprintf(stderr, "mamori init: --data DIR is required\n");
		return 2;
	}
	const char *dir = vals[0];
	char eb[ERR_STR_LEN];
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "mamori init: cannot create %s: %s\n", dir, err_str(errno, eb));
		return 1;
	}
	char *tls_dir = xasprintf("%s/tls", dir), *files = xasprintf("%s/files", dir);
	char *cert = xasprintf("%s/cert.pem", tls_dir), *key = xasprintf("%s/key.pem", tls_dir);
	int rc = 1;
	struct db *d = NULL;
	if ((mkdir(tls_dir, 0700) < 0 && errno != EEXIST) || (mkdir(files, 0700) < 0 && errno != EEXIST)) {
		fprintf(stderr, "mamori init: cannot create directories in %s: %s\n", dir, err_str(errno, eb));
		goto out;
	}
	if (db_open(dir, true, &d) < 0 || db_migrate(d) < 0)
		goto out;
	if (tls_make_self_signed(cert, key) < 0)
		goto out;
	printf("initialised %s (schema version %d)\n", dir, db_schema_version());
	rc = 0;
out:
	db_close(d);
	free(tls_dir);
	free(files);
	free(cert);
	free(key);
	return rc;
}

static const char user_insert_sql[] =
	"INSERT INTO users (email, name, role, company_id, status, password_hash, created_at)"
	" VALUES (:email, :name, :role, :company, 'active', :hash, :now)";
static const char company_exists_sql[] = "SELECT count(*) FROM companies WHERE id = :id";

/* mamori user add --data DIR --role ROLE --email E --name N [--company ID] (argv[0] is "user"):
 * takes the password from the first line of stdin, checks the policy, and inserts the active
 * account with its audit entry in one transaction. Returns the exit code: 2 for refused input or an
 * e-mail already taken. */
static int cmd_user_add(int argc, char **argv)
{
	static const char *const names[] = {"data", "role", "email", "name", "company", NULL};
	const char *v[5] = {0};
	if (argc < 2 || strcmp(argv[1], "add") != 0)
		return usage("usage: mamori user add --data DIR --role ROLE --email E --name N [--company ID]");
	if (parse_flags(argc, argv, 2, names, v, "user add"))
		return 2;
	if (!v[0] || !v[1] || !v[2] || !v[3]) {
		fprintf(stderr, "mamori user add: --data, --role, --email and --name are required\n");
		return 2;
	}
	enum role role = role_from_name(v[1]);
	if (role == ROLE_NONE) {
		fprintf(stderr, "mamori user add: --role must be participant, expert or secretariat\n");
		return 2;
	}
	/* Who belongs to a company is the access module's rule, asked of the account to be. */
	if (authz_is_participant(&(struct principal){.role = role}) != (v[4] != NULL)) {
		fprintf(stderr, "mamori user add: --company is required for participants and only for them\n");
		return 2;
	}
	if (!strchr(v[2], '@') || !utf8_valid(v[2], strlen(v[2]))) {
		fprintf(stderr, "mamori user add: --email must be an e-mail address\n");
		return 2;
	}
	if (!utf8_valid(v[3], strlen(v[3])) || !text_line_ok(v[3], 200)) {
		fprintf(stderr, "mamori user add: --name must be one line of UTF-8, not blank, at most 200 bytes\n");
		return 2;
	}
	if (v[4] && (strspn(v[4], "0123456789") != strlen(v[4]) || strlen(v[4]) > 18 || !*v[4])) {
		fprintf(stderr, "mamori user add: --company must be a company id (digits)\n");
		return 2;
	}
	char line[1100];
	if (!fgets(line, sizeof line, stdin)) {
		fprintf(stderr, "mamori user add: expected the password on standard input\n");
		return 2;
	}
	if (!strchr(line, '\n') && !feof(stdin)) {
		explicit_bzero(line, sizeof line);
		fprintf(stderr, "mamori user add: the password is longer than %zu bytes\n", sizeof line - 2);
		return 2;
	}
	line[strcspn(line, "\r\n")] = 0;
	int pol = crypto_password_policy(line);
	if (pol != 0) {
		fprintf(stderr, "mamori user add: password refused (%s)\n",
			pol == -1 ? "at least 12 characters" : pol == -3 ? "too common" : "not acceptable");
		return 2;
	}
	char *hash = crypto_password_hash_new(line);
	explicit_bzero(line, sizeof line);
	struct db *d = NULL;
	int rc = 1;
	if (!hash || db_open(v[0], false, &d) < 0 || db_migrate(d) < 0)
		goto out;
	int64_t company = v[4] ? strtoll(v[4], NULL, 10) : 0;
	if (v[4]) {
		sqlite3_stmt *st = db_stmt(d, company_exists_sql);
		db_bind_int64(st, ":id", company);
		if (db_one_int64(st, 0) != 1) {
			fprintf(stderr, "mamori user add: no company %s\n", v[4]);
			rc = 2;
			goto out;
		}
	}
	if (db_tx_begin(d, "cmd_user_add") < 0)
		goto out;
	sqlite3_stmt *st = db_stmt(d, user_insert_sql);
	db_bind_text(st, ":email", v[2]);
	db_bind_text(st, ":name", v[3]);
	db_bind_text(st, ":role", v[1]);
	if (company)
		db_bind_int64(st, ":company", company);
	db_bind_text(st, ":hash", hash);
	db_bind_int64(st, ":now", now_unix());
	int e = db_exec_stmt(d, st);
	if (e == -2) {
		db_tx_rollback(d);
		fprintf(stderr, "mamori user add: a user with e-mail %s exists\n", v[2]);
		rc = 2;
		goto out;
	}
	int64_t id = sqlite3_last_insert_rowid(db_handle(d));
	json_t *detail = json_pack("{s:s,s:s}", "role", v[1], "via", "cli");
	char target[32];
	snprintf(target, sizeof target, "user:%lld", (long long)id);
	if (e < 0 || audit_append(d, 0, "user.create", target, "", detail) < 0 || db_tx_commit(d) < 0) {
		json_decref(detail);
		db_tx_rollback(d);
		goto out;
	}
	json_decref(detail);
	printf("user %lld created\n", (long long)id);
	rc = 0;
out:
	free(hash);
	db_close(d);
	return rc;
}

/* Brings the database to the newest schema before the server starts (server_run's own check then
 * finds nothing to do) and gives the heap that did it back to the kernel: an upgrade's schema files
 * can build indexes over whole tables through a 16 MB page cache, and glibc keeps what is freed
 * (M_TRIM_THRESHOLD above), so an idle server would carry that memory until it stops (issue 17:
 * +4.4 MB on the large benchmark dataset for schema 019). Returns 0 or -1 (logged). */
static int serve_migrate(const char *dir)
{
	struct db *d = NULL;
	if (db_open(dir, false, &d) < 0)
		return -1;
	bool behind = db_one_int64(db_stmt(d, "PRAGMA user_version"), 0) < db_schema_version();
	int rc = db_migrate(d);
	db_close(d);
	/* Only after an upgrade: on a current database this would cost more than it gives (a trimmed
	 * top of the heap is faulted in again by the connections the server opens next). */
	if (behind)
		malloc_trim(0);
	return rc;
}

/* One server per data directory: `mamori serve` holds an exclusive lock on DIR/serve.lock for
 * its whole life (the kernel lets go of it when the process ends, even by kill -9). A second
 * server on the same files would run its own writer, indexer and caches beside the first, and a
 * post written through one would never reach the event streams of the other. The command-line
 * tools (user add, backup, ...) take no lock: they are meant to run beside the server. Returns 0,
 * or -1 with one line on stderr. The descriptor stays open on purpose. */
static int serve_lock(const char *dir)
{
	char *path = xasprintf("%s/serve.lock", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int rc = 0;
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char eb[ERR_STR_LEN];
		if (fd >= 0 && errno == EWOULDBLOCK)
			fprintf(stderr, "mamori serve: another mamori serve is running on %s\n", dir);
		else
			fprintf(stderr, "mamori serve: %s: %s\n", path, err_str(errno, eb));
		if (fd >= 0)
			close(fd);
		rc = -1;
	}
	free(path);
	return rc;
}

/* mamori serve --data DIR [--listen HOST:PORT] [--config FILE]: builds the configuration (defaults,
 * then the file, then the flag), refuses the test clock without MAMORI_TEST_CLOCK=1 and a missing
 * database, and runs the server until SIGTERM/SIGINT. Returns the exit code. */
static int cmd_serve(int argc, char **argv)
{
	static const char *const names[] = {"data", "listen", "config", NULL};
	const char *v[3] = {0};
	if (parse_flags(argc, argv, 1, names, v, "serve"))
		return 2;
	if (!v[0]) {
		fprintf(stderr, "mamori serve: --data DIR is required\n");
		return 2;
	}
	struct config cfg;
	config_defaults(&cfg);
	char err[256];
	if (v[2] && config_load_file(&cfg, v[2], err) < 0) {
		fprintf(stderr, "mamori serve: %s\n", err);
		config_free(&cfg);
		return 2;
	}
	if (v[1] && config_set(&cfg, "listen", v[1], err) < 0) {
		fprintf(stderr, "mamori serve: %s\n", err);
		config_free(&cfg);
		return 2;
	}
	cfg.data_dir = xstrdup(v[0]);
	config_finish(&cfg);
	if (cfg.clock_offset_seconds != 0) {
		/* A shifted clock is for tests only; never let it slip into production silently. */
		const char *tc = getenv("MAMORI_TEST_CLOCK");
		if (!tc || strcmp(tc, "1") != 0) {
			fprintf(stderr, "mamori serve: config: clock_offset_seconds is for tests only"
					" (set MAMORI_TEST_CLOCK=1 to use it)\n");
			config_free(&cfg);
			return 2;
		}
		util_clock_offset_set(cfg.clock_offset_seconds);
		log_warn("test clock: now is shifted by %lld s", (long long)cfg.clock_offset_seconds);
	}
	char *dbpath = xasprintf("%s/mamori.db", cfg.data_dir);
	bool exists = access(dbpath, R_OK | W_OK) == 0;
	free(dbpath);
	if (!exists) {
		fprintf(stderr, "mamori serve: no database in %s (run mamori init --data %s)\n", cfg.data_dir, cfg.data_dir);
		config_free(&cfg);
		return 2;
	}
	if (router_check_table(err) < 0) {
		fprintf(stderr, "mamori serve: %s\n", err);
		config_free(&cfg);
		return 1;
	}
	if (serve_lock(cfg.data_dir) < 0) {
		config_free(&cfg);
		return 1;
	}
	if (serve_migrate(cfg.data_dir) < 0) {
		config_free(&cfg);
		return 1;
	}
	int rc = server_run(&cfg);
	config_free(&cfg);
	return rc;
}

/* mamori backup --data DIR --out FILE: an online backup into FILE.partial (owner-only, umask 077),
 * then linked to FILE so that a FILE that exists is never replaced. Returns the exit code. */
static int cmd_backup(int argc, char **argv)
{
	static const char *const names[] = {"data", "out", NULL};
	const char *v[2] = {0};
	if (parse_flags(argc, argv, 1, names, v, "backup"))
		return 2;
	if (!v[0] || !v[1]) {
		fprintf(stderr, "mamori backup: --data DIR and --out FILE are required\n");
		return 2;
	}
	if (access(v[1], F_OK) == 0) {
		fprintf(stderr, "mamori backup: %s exists; refusing to overwrite\n", v[1]);
		return 2;
	}
	char *dbpath = xasprintf("%s/mamori.db", v[0]);
	bool exists = access(dbpath, R_OK) == 0;
	free(dbpath);
	if (!exists) {
		fprintf(stderr, "mamori backup: no database in %s\n", v[0]);
		return 2;
	}
	/* The copy holds password hashes and confidential threads: readable by the owner only. */
	umask(077);
	struct db *d = NULL;
	if (db_open(v[0], false, &d) < 0)
		return 1;
	char *tmp = xasprintf("%s.partial", v[1]);
	unlink(tmp);
	/* link() rather than rename(): a file that appeared at --out meanwhile is never replaced. */
	int rc = 1;
	if (db_backup(d, tmp) == 0) {
		if (link(tmp, v[1]) == 0) {
			rc = 0;
		} else if (errno == EEXIST) {
			fprintf(stderr, "mamori backup: %s exists; refusing to overwrite\n", v[1]);
			rc = 2;
		} else {
			char eb[ERR_STR_LEN];
			fprintf(stderr, "mamori backup: cannot create %s: %s\n", v[1], err_str(errno, eb));
		}
	}
	unlink(tmp);
	if (rc == 0)
		printf("backup written to %s\n", v[1]);
	free(tmp);
	db_close(d);
	return rc;
}

int main(int argc, char **argv)
{
	/* No allocation statistics (nothing reads them): without them SQLite's malloc takes no
	 * global mutex, which the workers contended on for every small allocation. Must come
	 * before the library initialises. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	/* No initial bulk allocation of 20 page slots per connection (~88 KiB each, written through
	 * at open, so resident even when idle: issue 17); pages are allocated as they are read. */
	sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
	/* glibc gives memory freed at the top of each thread's heap back to the kernel (madvise)
	 * and takes it again on the next request: page faults and TLB-shootdown interrupts on every
	 * request (perf: ~5% of a thread view). Keep up to 64 MiB per heap; a fixed mmap threshold
	 * stops glibc from moving it (and the trim threshold with it). */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	/* The environment is read here, before any thread starts (getenv is not thread-safe). */
	const char *pe = getenv("MAMORI_SQL_PROFILE");
	if (pe && *pe == '1')
		db_profile_enable();
	const char *delay = getenv("MAMORI_TEST_SETTLE_DELAY_MS"), *upload = getenv("MAMORI_TEST_UPLOAD_DELAY_MS");
	db_test_hooks(delay ? atoi(delay) : 0, getenv("MAMORI_TEST_FAIL_MARKER"));
	attachment_test_hooks(upload ? atoi(upload) : 0);
	if (argc < 2)
		return usage("missing command");
	const char *cmd = argv[1];
	if (strcmp(cmd, "init") == 0)
		return cmd_init(argc, argv);
	if (strcmp(cmd, "user") == 0)
		return cmd_user_add(argc - 1, argv + 1);
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc - 1, argv + 1);
	if (strcmp(cmd, "backup") == 0)
		return cmd_backup(argc - 1, argv + 1);
	if (strcmp(cmd, "audit") == 0)
		return audit_cli(argc - 1, argv + 1);
	if (strcmp(cmd, "calendar") == 0)
		return calendar_cli(argc - 1, argv + 1);
	fprintf(stderr, "mamori: unknown command '%s'\n", cmd);
	return 2;
}
