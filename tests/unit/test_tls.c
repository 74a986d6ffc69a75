/* test_tls.c — tls_make_self_signed: the key is written private (0600) from its first byte, a
 * temporary file left by a crash does not block the next try, and what is written loads. */
#include "tls.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_key_is_private_and_stale_tmp_is_replaced(void **state)
{
	(void)state;
	char dir[] = "/tmp/mamori-test-tls-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char cert[128], key[128], tmp[160];
	snprintf(cert, sizeof cert, "%s/cert.pem", dir);
	snprintf(key, sizeof key, "%s/key.pem", dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", key);
	/* a crash between create and rename left this behind, readable by all */
	int fd = open(tmp, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "junk", 4), 4);
	close(fd);
	mode_t old = umask(0); /* the most permissive umask: the mode must not depend on it */
	int rc = tls_make_self_signed(cert, key);
	umask(old);
	assert_int_equal(rc, 0);
	struct stat st;
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(tls_load(cert, key), 0);
	tls_shutdown();
	unlink(cert);
	unlink(key);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_key_is_private_and_stale_tmp_is_replaced)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
