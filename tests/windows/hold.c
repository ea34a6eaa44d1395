/* hold.c — a Windows program for tests/windows.bats that holds a file as an antivirus
 * scanner does: open with no sharing at all, for MS milliseconds or until the file RELEASE
 * exists. Prints "held" once it holds it (exit 1 if it cannot).
 * Usage: hold.exe PATH MS [RELEASE] */
#include <stdio.h>
#include <fcntl.h>
#include <io.h>
#include <stdlib.h>
#include <windows.h>

int wmain(int argc, wchar_t **argv)
{
	_setmode(1, _O_BINARY); /* "\n", not "\r\n" */
	if (argc != 3 && argc != 4)
		return 2;
	HANDLE h = CreateFileW(argv[1], GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return 1;
	puts("held");
	fflush(stdout);
	for (int waited = 0; waited < _wtoi(argv[2]); waited += 10) {
		if (argc == 4 && GetFileAttributesW(argv[3]) != INVALID_FILE_ATTRIBUTES)
			break;
		Sleep(10);
	}
	CloseHandle(h);
	return 0;
}
