/* static.c — the web front end's files. Paths are checked segment by segment (no "..", no
 * hidden files, no backslashes) and opened with openat2(RESOLVE_BENEATH) below the web
 * directory, so not even a symlinked directory leads outside it; types come from a fixed table;
 * assets are cached briefly and revalidated by ETag. */
#include "static.h"

#include "config.h"
#include "http.h"
#include "util.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
	const char *ext, *type;
} types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".json", "application/json; charset=utf-8"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".woff2", "font/woff2"},
	{".txt", "text/plain; charset=utf-8"},
	{".webmanifest", "application/manifest+json"},
};

/* The Content-Type for path's extension, or NULL for an extension not served. */
static const char *type_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < ARRAY_LEN(types); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

/* True when p starts with '/' and has no backslash, no empty segment ("//") and no segment starting
 * with '.' ("..", ".", hidden files). */
static bool path_safe(const char *p)
{
	if (p[0] != '/' || strchr(p, '\\') || strstr(p, "//"))
		return false;
	for (const char *s = p; s; s = strchr(s + 1, '/')) {
		if (s[1] == '.')
			return false; /* "..", ".", and hidden files */
	}
	return true;
}

/* Opens rel ("/a/b.css") for reading strictly below dir: no symlink or ".." may resolve to a
 * place outside it. Kernels without openat2 (before 5.6) fall back to O_NOFOLLOW on the last
 * component. Returns the fd or -1. */
static int open_beneath(const char *dir, const char *rel)
{
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	struct open_how how = {.flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, dfd, rel + 1, &how, sizeof how);
	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		fd = openat(dfd, rel + 1, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	return fd;
}

int static_serve(struct req *r)
{
	if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD)
		return req_error(r, 405, "method_not_allowed", "method not allowed");
	const char *rel = strcmp(r->path, "/") == 0 ? "/index.html" : r->path;
	if (!path_safe(rel) || strlen(rel) > 512)
		return req_not_found(r);
	const char *type = type_of(rel);
	if (!type)
		return req_not_found(r);
	int fd = open_beneath(r->cfg->web_dir, rel);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return req_not_found(r);
	}
	char etag[64];
	snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st.st_mtime, (unsigned long long)st.st_size);
	req_header(r, "ETag", etag);
	req_header(r, "Cache-Control", strcmp(rel, "/index.html") == 0 ? "no-cache" : "public, max-age=300");
	req_header(r, "Content-Type", type);
	const char *inm = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "If-None-Match");
	if (inm && strcmp(inm, etag) == 0) {
		close(fd);
		r->raw_out = evbuffer_new();
		return 304;
	}
	r->raw_out = evbuffer_new();
	if (st.st_size > 0 && evbuffer_add_file(r->raw_out, fd, 0, st.st_size) < 0)
		return req_internal(r, "static file");
	if (st.st_size == 0)
		close(fd);
	return 200;
}
