/* fuzz_request.c — raw bytes as an HTTP request through evhttp's parser, its limits, and the
 * whole router pipeline (session, access, CSRF, gate, parameters, handlers) against a real
 * database. TLS is left out (OpenSSL is fuzzed upstream); everything after it is ours. */
#include "config.h"
#include "db.h"
#include "server.h"
#include "util.h"

#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config cfg;
static struct worker w;
static int port;

static void setup(void)
{
	char dir[] = "/tmp/mamori-fuzz-XXXXXX";
	if (!mkdtemp(dir))
		abort();
	config_defaults(&cfg);
	cfg.data_dir = xstrdup(dir);
	cfg.timeout_seconds = 1;
	struct db *d;
	if (db_open(dir, true, &d) < 0 || db_migrate(d) < 0)
		abort();
	db_close(d);
	if (server_test_worker_open(&w, &cfg) < 0)
		abort();
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(w.http, "127.0.0.1", 0);
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &len);
	port = ntohs(sa.sin_port);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!w.base)
		setup();
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		abort();
	size_t off = 0;
	char sink[4096];
	/* Feed the request while running the server's loop, then read until the server closes
	 * or gives no more output. */
	for (int rounds = 0; rounds < 2000; rounds++) {
		if (off < size) {
			ssize_t n = send(fd, data + off, size - off, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			if (off == size)
				shutdown(fd, SHUT_WR);
		} else if (size == 0 && rounds == 0) {
			shutdown(fd, SHUT_WR);
		}
		event_base_loop(w.base, EVLOOP_NONBLOCK);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, off < size ? 0 : 1) > 0) {
			ssize_t n = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
			if (n == 0)
				break;
		}
	}
	close(fd);
	event_base_loop(w.base, EVLOOP_NONBLOCK);
	return 0;
}
