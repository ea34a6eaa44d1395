/* compat.h — every facility beyond POSIX.1-2008 that usage-report uses, each behind a
 * configure check with a portable fallback. Every other file is compiled as POSIX.1-2008
 * (-D_POSIX_C_SOURCE=200809L); this module alone sees each system's extensions.
 *
 *   facility            tried in order                                         configure
 *   our executable      /proc/self/exe, _NSGetExecutablePath, argv[0] + PATH   HAVE_PROC_SELF_EXE,
 *                       (then the caller's configured libexec folder)          HAVE__NSGETEXECUTABLEPATH
 *   random bytes        getentropy, getrandom, /dev/urandom                    HAVE_GETENTROPY, HAVE_GETRANDOM
 *   closing descriptors close_range, closefrom, a close() loop                 HAVE_CLOSE_RANGE, HAVE_CLOSEFROM
 *   starting a child    vfork, fork + waiting on a close-on-exec pipe         HAVE_VFORK
 *   durable writes      fcntl(F_FULLFSYNC), fsync                              HAVE_DECL_F_FULLFSYNC
 *   UTC calendar time   timegm, arithmetic on the civil calendar               HAVE_TIMEGM
 *   wiping a secret     explicit_bzero, a memset the compiler cannot drop      HAVE_EXPLICIT_BZERO
 *   a folder's changes  inotify (Linux), else a nap of the timeout and a look  HAVE_INOTIFY_INIT1
 *   whole-file locks    flock (BSD; Linux, macOS and the BSDs all have it:
 *                       configure stops without it)
 *
 * ./configure --enable-portable-fallbacks skips every check above but flock, so that each
 * fallback runs on this machine; compat_paths() names the paths this build takes
 * (usage-report --debug --version prints them).
 *
 * Error convention: like the system calls they stand for, 0 or a descriptor on success and
 * -1 with errno on failure. None allocates except compat_self_exe. */
#ifndef USAGE_REPORT_COMPAT_H
#define USAGE_REPORT_COMPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* Call once from main with argv[0]: the last way of finding our own executable. */
void compat_set_argv0(const char *argv0);

/* Call first in main: saves argv[0] (compat_set_argv0); on Windows replaces argc and argv
 * with the command line in UTF-8 and puts stdin, stdout and stderr in binary mode. */
void compat_main(int *argc, char ***argv);

/* End this process after seconds, whatever it is doing then: alarm(); on Windows a thread
 * that terminates the process. */
void compat_deadline(unsigned seconds);

/* Waiting for new names in a folder without polling it: compat_watch_open returns a watch
 * (an inotify descriptor, close-on-exec, non-blocking), or -1 where there is none (no
 * inotify, its limits reached, the folder missing). compat_watch_wait(watch, ms) returns
 * once something was created or moved into the folder since the last wait, or after ms:
 * 1 when it may have changed, 0 when it did not; with watch -1 it sleeps ms and returns 1
 * (the caller looks again, as a poll). Close with compat_watch_close (-1 is ignored). */
int compat_watch_open(const char *dir);
int compat_watch_wait(int watch, int timeout_ms);
void compat_watch_close(int watch);

/* Run at a lower priority, for a background job: nice 10; Windows' below-normal class. */
void compat_background_priority(void);

/* The absolute path of the running executable, or NULL when no way finds it. Caller frees. */
char *compat_self_exe(void);

/* Fill buf with len cryptographically random bytes: 0, or -1 with errno. */
int compat_random_bytes(void *buf, size_t len);

/* Close every descriptor >= lowest. Async-signal-safe: for a child between vfork and exec. */
void compat_close_from(int lowest);

/* Start a child that runs child(arg), which must end in execve or _exit, and return its pid
 * (-1 with errno) once the child has exec'd, exited or closed its descriptors: vfork where it works, else fork and
 * wait on a close-on-exec pipe. Either way the caller resumes only after the child has done
 * what comes before its exec. Until then the child may share the caller's memory: system
 * calls only. Call with every signal blocked. */
pid_t compat_spawn(void (*child)(void *), void *arg);

/* Flush fd's data to stable storage (on macOS fsync alone stops at the drive's cache). */
int compat_fsync(int fd);

/* timegm: broken-down UTC time to seconds since the epoch; (time_t)-1 when out of range. */
time_t compat_timegm(const struct tm *tm);

/* Overwrite a secret so that the compiler cannot elide it. */
void compat_wipe(void *p, size_t len);

/* Whole-file advisory locks that belong to the open file description, so that a locked
 * descriptor passed across fork and exec keeps its lock (flock semantics). */
enum compat_lock {
	COMPAT_LOCK_SHARED = 1,
	COMPAT_LOCK_EXCLUSIVE = 2,
	COMPAT_LOCK_UNLOCK = 4,
	COMPAT_LOCK_NOWAIT = 8, /* fail with EWOULDBLOCK instead of waiting */
};
int compat_lock(int fd, int how);

/* The number of signals, for resetting every disposition (NSIG is not POSIX). */
int compat_signal_count(void);

/* One line naming the path each facility above takes in this build, e.g.
 * "self-exe=/proc/self/exe random=getentropy close=close_range spawn=vfork+setsid sync=fsync
 * timegm=timegm wipe=explicit_bzero watch=inotify lock=flock". Static storage. */
const char *compat_paths(void);

#ifdef _WIN32
/* Windows has neither fork nor exec: spawn.c, exec.c and the sender start programs with
 * these (compat-win32.c). Each returns 0, or -1 with errno. */

/* Start exe with argv; its environment only the variables keep names (NULL-ended), its
 * working folder exe's, no handle of ours inherited. detached: no console, a process group
 * of its own, out of the caller's job (unless the job forbids it), not waited for; else
 * waited for, its exit code in *status. */
int compat_start(const char *exe, char *const argv[], const char *const keep[], bool detached, int *status);

/* exec: run argv[0] found as cmd finds it (the working folder, then PATH, with PATHEXT),
 * with our environment less the variables drop names plus add ("NAME=VALUE"), our stdin,
 * stdout and stderr and console; Ctrl-C and Ctrl-Break reach it and not us while it runs.
 * Its exit code, all 32 bits, in *code. */
int compat_run_program(char *const argv[], const char *const drop[], const char *add, unsigned long *code);

/* argv as one command line that the MSVC runtime splits back into argv. Caller frees. */
char *compat_command_line(char *const argv[]);
#endif

#endif
