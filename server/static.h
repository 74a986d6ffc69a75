/* static.h — serving the web front end's files from the web directory. */
#ifndef MAMORI_STATIC_H
#define MAMORI_STATIC_H

struct req;

/* Serves GET/HEAD of a path outside /api/ from cfg->web_dir ("/" is index.html). Refuses any
 * path that could leave the directory. Returns the status (the body is set on r). */
int static_serve(struct req *r);

#endif
