/* argv.c — a Windows program for tests/windows.bats: prints each argument as the MSVC
 * runtime split its command line, in brackets, one per line, in UTF-8; then whether
 * USAGE_REPORT_PARENT and USAGE_REPORT_COMMAND reached it; exits with ARGV_EXIT. */
#include <stdio.h>
#include <fcntl.h>
#include <io.h>
#include <stdlib.h>
#include <windows.h>

static void put(const wchar_t *w)
{
	char s[4096];
	WideCharToMultiByte(CP_UTF8, 0, w, -1, s, sizeof s, NULL, NULL);
	fputs(s, stdout);
}

int wmain(int argc, wchar_t **argv)
{
	_setmode(1, _O_BINARY); /* "\n", not "\r\n" */
	for (int i = 1; i < argc; i++) {
		fputs("[", stdout);
		put(argv[i]);
		fputs("]\n", stdout);
	}
	const wchar_t *parent = _wgetenv(L"USAGE_REPORT_PARENT");
	printf("parent=%s command=%s\n", parent ? "set" : "unset", _wgetenv(L"USAGE_REPORT_COMMAND") ? "set" : "unset");
	const char *code = getenv("ARGV_EXIT");
	return code ? (int)strtoul(code, NULL, 0) : 0;
}
