/* test_source.c — checks on the server's own source text. Threads share nothing by accident:
 * no server file calls a libc function whose result or state is shared by every thread
 * (strtok's position, localtime's struct tm, strerror's buffer, rand's seed, the environment,
 * a DIR's dirent, ...). The reentrant forms (strtok_r, gmtime_r, strerror_r, ...) are fine.
 * Reads server/NAME.c from MAMORI_SOURCE_DIR; comments, string and character literals are blanked
 * first, so a comment naming strtok( does not count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdbool.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The calls refused in server code. getenv is refused too, but in main.c: the environment is
 * read there once at start, before any thread, and handed on. */
static const char *const banned[] = {
	"strtok",   "localtime", "gmtime",     "ctime",       "asctime",  "strerror", "rand",
	"srand",    "random",    "drand48",    "lrand48",     "mrand48",  "getpwnam", "getpwuid",
	"getgrnam", "getgrgid",  "setenv",     "unsetenv",    "putenv",   "getenv",   "readdir",
	"tmpnam",   "ttyname",   "strsignal",  "inet_ntoa",   "gethostbyname", "gethostbyaddr",
	"getlogin", "crypt",     "ecvt",       "fcvt",        "ptsname",  "setlocale", "localeconv",
};

/* Blanks comments and the contents of string and character literals (keeping newlines, so
 * line numbers stay right). */
static void strip(char *s)
{
	enum { CODE, LINE, BLOCK, STR, CHR } st = CODE;
	for (char *p = s; *p; p++) {
		switch (st) {
		case CODE:
			if (p[0] == '/' && p[1] == '/') {
				st = LINE;
				*p = ' ';
			} else if (p[0] == '/' && p[1] == '*') {
				st = BLOCK;
				*p = ' ';
				*++p = ' ';
			} else if (*p == '"') {
				st = STR;
			} else if (*p == '\'') {
				st = CHR;
			}
			break;
		case LINE:
			if (*p == '\n')
				st = CODE;
			else
				*p = ' ';
			break;
		case BLOCK:
			if (p[0] == '*' && p[1] == '/') {
				*p = ' ';
				*++p = ' ';
				st = CODE;
			} else if (*p != '\n') {
				*p = ' ';
			}
			break;
		case STR:
		case CHR:
			if (*p == '\\' && p[1]) {
				*p = ' ';
				if (*++p != '\n')
					*p = ' ';
			} else if ((st == STR && *p == '"') || (st == CHR && *p == '\'')) {
				st = CODE;
			} else if (*p != '\n') {
				*p = ' ';
			}
			break;
		}
	}
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Counts (and prints) the banned calls in text: `name` then optional blanks then `(`, not
 * preceded by an identifier character, `.` or `->` (a member named like a function is fine). */
static int scan(const char *file, const char *text)
{
	int found = 0;
	for (size_t b = 0; b < sizeof banned / sizeof *banned; b++) {
		if (strcmp(file, "main.c") == 0 && strcmp(banned[b], "getenv") == 0)
			continue;
		size_t n = strlen(banned[b]);
		for (const char *p = strstr(text, banned[b]); p; p = strstr(p + 1, banned[b])) {
			if (p > text && (ident_char(p[-1]) || p[-1] == '.' || (p[-1] == '>' && p > text + 1 && p[-2] == '-')))
				continue;
			const char *q = p + n;
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q != '(')
				continue;
			int line = 1;
			for (const char *c = text; c < p; c++)
				line += *c == '\n';
			fprintf(stderr, "%s:%d: non-reentrant call %s()\n", file, line, banned[b]);
			found++;
		}
	}
	return found;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	if (s)
		s[n] = '\0';
	fclose(f);
	return s;
}

/* The scanner itself: it finds what it must and ignores comments, strings and members. */
static void test_scanner(void **state)
{
	(void)state;
	char a[] = "x = strtok(s, \" \");\n";
	strip(a);
	assert_int_equal(scan("a", a), 1);
	char b[] = "/* strtok(s) */ // gmtime(&t)\n p = \"rand()\"; c = '(';\n";
	strip(b);
	assert_int_equal(scan("b", b), 0);
	char c[] = "strtok_r(s, d, &save); my_rand(); o.rand(); o->rand (); gmtime_r(&t, &tm);\n";
	strip(c);
	assert_int_equal(scan("c", c), 0);
	char d[] = "if (1) strerror (errno); e = localtime(&t);\n";
	strip(d);
	assert_int_equal(scan("d", d), 2);
}

/* Every server source file. */
static void test_server_is_reentrant(void **state)
{
	(void)state;
	const char *src = getenv("MAMORI_SOURCE_DIR");
	assert_non_null(src);
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/server", src);
	DIR *d = opendir(dir);
	assert_non_null(d);
	int files = 0, found = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 3 || strcmp(e->d_name + n - 2, ".c") != 0)
			continue;
		char path[8192];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		char *text = slurp(path);
		assert_non_null(text);
		strip(text);
		found += scan(e->d_name, text);
		free(text);
		files++;
	}
	closedir(d);
	assert_true(files > 20);
	assert_int_equal(found, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scanner),
		cmocka_unit_test(test_server_is_reentrant),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
