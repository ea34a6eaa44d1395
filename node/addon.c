/* addon.c — usage-report.node: the Node helper's way to start usage-report without forking
 * Node (doc/design.md §8).
 *
 * child_process.spawn() starts a child with fork(): the kernel copies the page tables of the
 * whole Node process, and the caller waits until the child has exec'd, 1.5 to 2 ms on this
 * project's machines, most of the helper's cost. posix_spawn() (glibc: clone with CLONE_VM
 * and CLONE_VFORK) borrows the caller's memory until the exec, whatever Node's size. This
 * module is optional: index.cjs uses child_process.spawn() wherever it is missing or will not
 * load (Windows, a musl Node, a worker thread, a Node with addons forbidden).
 *
 *   const native = require('.../usage-report.node');
 *   native.start(file, args, input, skip)  ->  the child's pid (> 0), or -errno: not started
 *   native.reap()                          ->  how many of its children have not exited yet
 *
 *   file   the executable; a name without '/' is looked up on PATH
 *   args   its arguments after argv[0], strings
 *   input  a Buffer: the child's whole standard input, in a pipe before the child starts, so
 *          that nothing here ever waits for the child to read
 *   skip   names of variables of this process's environment the child must not inherit
 *
 * The child's stdout is /dev/null and its stderr this process's (the first-run notice shows
 * there); its signals are at their defaults and unblocked, as libuv leaves a child's. Nothing
 * waits for it. libuv reaps only the children it started, so the caller calls reap() from
 * its event loop until it returns 0 (index.cjs: an unref'd timer), as libuv reaps its own
 * from the loop; start() reaps too. Never throws: a bad argument is -EINVAL. Call both from
 * the main thread only (the children are kept in a static).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_ARGS 64     /* the helper passes a handful */
#define MAX_CHILDREN 64 /* children not yet reaped; more are left to init when the host ends */

/* glibc before 2.24 forks unless asked for vfork (later ones always use CLONE_VFORK). */
#ifdef POSIX_SPAWN_USEVFORK
#define SPAWN_FLAGS (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_USEVFORK)
#else
#define SPAWN_FLAGS (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
#endif

/* Only this module waits for these pids, so none is reused while it is remembered: a child
 * stays a zombie, holding its pid, until reap() collects it. */
static pid_t children[MAX_CHILDREN];

/* Reap the children that have exited; how many have not. */
static int reap(void)
{
	int running = 0;
	for (size_t i = 0; i < MAX_CHILDREN; i++) {
		if (children[i] <= 0)
			continue;
		pid_t done = waitpid(children[i], NULL, WNOHANG);
		if (done == children[i] || (done < 0 && errno == ECHILD))
			children[i] = 0;
		else
			running++;
	}
	return running;
}

static void remember(pid_t pid)
{
	for (size_t i = 0; i < MAX_CHILDREN; i++)
		if (children[i] == 0) {
			children[i] = pid;
			return;
		}
}

/* A JS string as a malloc'd UTF-8 string, or NULL. */
static char *string_of(napi_env env, napi_value value)
{
	size_t len;
	if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok)
		return NULL;
	char *s = malloc(len + 1);
	if (s && napi_get_value_string_utf8(env, value, s, len + 1, &len) != napi_ok) {
		free(s);
		s = NULL;
	}
	return s;
}

/* The strings of a JS array into out (malloc'd, NULL-terminated, at most max); their count,
 * or -1. */
static int strings_of(napi_env env, napi_value array, char **out, size_t max)
{
	uint32_t n;
	if (napi_get_array_length(env, array, &n) != napi_ok || n >= max)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		napi_value item;
		if (napi_get_element(env, array, i, &item) != napi_ok || !(out[i] = string_of(env, item))) {
			out[i] = NULL;
			return -1;
		}
	}
	out[n] = NULL;
	return (int)n;
}

static void free_strings(char **strings)
{
	for (size_t i = 0; strings[i]; i++)
		free(strings[i]);
}

static bool skipped(const char *entry, char **skip)
{
	for (size_t i = 0; skip[i]; i++) {
		size_t len = strlen(skip[i]);
		if (strncmp(entry, skip[i], len) == 0 && entry[len] == '=')
			return true;
	}
	return false;
}

/* This process's environment without the skipped names (the strings are environ's own). */
static char **child_environment(char **skip)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = malloc((n + 1) * sizeof *env);
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!skipped(environ[i], skip))
			env[k++] = environ[i];
	env[k] = NULL;
	return env;
}

/* The read end of a pipe that holds all of input (its write end closed); -errno when input
 * cannot fit. Node opens /dev/null on any standard descriptor it started without, so the
 * pipe is never one of them and dup2 onto stdin always clears its close-on-exec. */
static int input_pipe(const char *input, size_t len)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -errno;
	int err = 0;
	long capacity = fcntl(fds[1], F_GETPIPE_SZ);
	if (capacity >= 0 && (size_t)capacity < len && fcntl(fds[1], F_SETPIPE_SZ, (int)len) < 0)
		err = -E2BIG;
	if (!err && fcntl(fds[1], F_SETFL, O_NONBLOCK) != 0)
		err = -errno;
	for (size_t done = 0; !err && done < len;) {
		ssize_t w = write(fds[1], input + done, len - done);
		if (w < 0 && errno != EINTR)
			err = -errno; /* EAGAIN: it did not fit after all */
		done += w > 0 ? (size_t)w : 0;
	}
	close(fds[1]);
	if (err)
		close(fds[0]);
	return err ? err : fds[0];
}

/* posix_spawn(p) file with argv and envp: stdin from fd, stdout /dev/null, stderr ours. */
static int spawn_child(pid_t *pid, char *const argv[], char *const envp[], int fd)
{
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	sigset_t all, none;
	sigfillset(&all);
	sigemptyset(&none);
	int rc = posix_spawn_file_actions_init(&actions);
	if (rc)
		return rc;
	if ((rc = posix_spawnattr_init(&attr))) {
		posix_spawn_file_actions_destroy(&actions);
		return rc;
	}
	if (!(rc = posix_spawn_file_actions_adddup2(&actions, fd, STDIN_FILENO)) &&
	    !(rc = posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0)) &&
	    !(rc = posix_spawnattr_setsigdefault(&attr, &all)) && !(rc = posix_spawnattr_setsigmask(&attr, &none)) &&
	    !(rc = posix_spawnattr_setflags(&attr, SPAWN_FLAGS)))
		rc = strchr(argv[0], '/') ? posix_spawn(pid, argv[0], &actions, &attr, argv, envp)
		                          : posix_spawnp(pid, argv[0], &actions, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&actions);
	return rc;
}

/* Spawn with the arguments already converted; the pid or -errno. */
static int spawn_with(char **args, char **skip, const char *input, size_t len)
{
	char **envp = child_environment(skip);
	int fd = envp ? input_pipe(input, len) : -ENOMEM;
	int result = fd;
	if (fd >= 0) {
		pid_t pid;
		int rc = spawn_child(&pid, args, envp, fd);
		result = rc ? -rc : (int)pid;
		if (!rc)
			remember(pid);
		close(fd);
	}
	free(envp);
	return result;
}

static int start_child(napi_env env, napi_value *argv)
{
	char *args[MAX_ARGS + 2] = {NULL}, *skip[MAX_ARGS + 1] = {NULL};
	void *input;
	size_t len;
	bool is_buffer = false;
	int result = -EINVAL;
	if (napi_is_buffer(env, argv[2], &is_buffer) == napi_ok && is_buffer &&
	    napi_get_buffer_info(env, argv[2], &input, &len) == napi_ok && (args[0] = string_of(env, argv[0])) &&
	    strings_of(env, argv[1], args + 1, MAX_ARGS + 1) >= 0 && strings_of(env, argv[3], skip, MAX_ARGS + 1) >= 0)
		result = spawn_with(args, skip, input, len);
	free_strings(args);
	free_strings(skip);
	return result;
}

static napi_value start(napi_env env, napi_callback_info info)
{
	size_t argc = 4;
	napi_value argv[4], out;
	(void)reap();
	int result = -EINVAL;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 4)
		result = start_child(env, argv);
	return napi_create_int32(env, result, &out) == napi_ok ? out : NULL;
}

static napi_value reap_children(napi_env env, napi_callback_info info)
{
	(void)info;
	napi_value out;
	return napi_create_int32(env, reap(), &out) == napi_ok ? out : NULL;
}

NAPI_MODULE_INIT()
{
	napi_value fn, reaper;
	if (napi_create_function(env, "start", NAPI_AUTO_LENGTH, start, NULL, &fn) != napi_ok ||
	    napi_set_named_property(env, exports, "start", fn) != napi_ok ||
	    napi_create_function(env, "reap", NAPI_AUTO_LENGTH, reap_children, NULL, &reaper) != napi_ok ||
	    napi_set_named_property(env, exports, "reap", reaper) != napi_ok)
		return NULL;
	return exports;
}
