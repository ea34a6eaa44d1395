/* sender-proto.h — the contract between usage-report and its sender helper.
 *
 * usage-report (the foreground) never loads the network library. It writes events to the
 * queue and starts the helper, which delivers them. This header is everything the two
 * programs agree on; nothing else passes between them. Event data and keys never travel in
 * the helper's arguments or environment: it reads them from the queue and the config.
 *
 * The helper
 * ----------
 * SENDER_NAME, installed in PKGLIBEXECDIR (libexec/usage-report/). The foreground looks
 * for it beside its own executable first (a build tree), then in ../libexec/usage-report/
 * (a relocated install), then in PKGLIBEXECDIR.
 *
 * Arguments, in this order:
 *
 *	usage-report-sender --app APP --config ABSOLUTE_FILE (--detached | --foreground)
 *	                    [--debug] [--ignore-backoff]
 *
 * --config is absolute: the detached helper runs in "/". --debug traces to its stderr;
 * --ignore-backoff (flush) sends even while the intake is in backoff. Anything else is a
 * usage error (exit 2). The helper always exits 0 otherwise: its results are in the state
 * folder (delivery.json, sent.log), never in its status.
 *
 * The environment holds only SENDER_ENV_ALLOWLIST: what locates files, proxies and
 * certificates, OpenTelemetry's own endpoint and headers variables (the user's settings for
 * the otlp backend, read by the helper like its config), and the sanitizers' options (for
 * the test suite).
 *
 * The lock: one sender at a time
 * ------------------------------
 * STATE_DIR/SENDER_LOCK_FILE is held with flock(LOCK_EX) by the one running sender.
 *
 * Detached (after a track, login, logout or exec):
 *   1. the foreground takes the lock with LOCK_EX | LOCK_NB; EWOULDBLOCK means a sender is
 *      running and will pick the new event up: start nothing;
 *   2. it starts the helper in a session of its own, stdin/stdout/stderr on /dev/null, cwd
 *      "/" and an empty signal mask, with the locked descriptor as SENDER_LOCK_FD and no
 *      other descriptor, and waits only until the helper has exec'd (never for it to end);
 *      the helper resets every signal disposition to its default itself;
 *   3. it closes its own copy; the helper holds the lock until it exits.
 * The helper sets FD_CLOEXEC on SENDER_LOCK_FD, drains the queue, then releases the lock,
 * looks at the queue once more and takes the lock back if an event arrived meanwhile (its
 * writer saw the lock held and started nothing).
 *
 * Foreground (flush, --wait, --debug): the helper is a plain child that is waited for; it
 * takes the lock itself, waiting for a running sender to finish (bounded by its deadline).
 *
 * Either way the helper is gone SENDER_DEADLINE_S seconds after it started, whatever the
 * network or the disk does.
 */
#ifndef USAGE_REPORT_SENDER_PROTO_H
#define USAGE_REPORT_SENDER_PROTO_H

#define SENDER_NAME "usage-report-sender"
#ifdef _WIN32
#define SENDER_FILE SENDER_NAME ".exe"
#else
#define SENDER_FILE SENDER_NAME
#endif
#define SENDER_LOCK_FILE "sender.lock"
/* The descriptor on which a detached sender receives its locked SENDER_LOCK_FILE. */
#define SENDER_LOCK_FD 3
#define SENDER_DEADLINE_S 10

/* The version of this contract: the foreground passes it, and a sender of another version
 * does nothing and says so under --debug (a half-upgraded install: design.md §10). */
#define SENDER_PROTO_VERSION 1
#define SENDER_PROTO_TEXT SENDER_STR(SENDER_PROTO_VERSION)
#define SENDER_STR(x) SENDER_STR_(x)
#define SENDER_STR_(x) #x
#define SENDER_ARG_PROTO "--proto"

#define SENDER_ARG_APP "--app"
#define SENDER_ARG_CONFIG "--config"
#define SENDER_ARG_DETACHED "--detached"
#define SENDER_ARG_FOREGROUND "--foreground"
#define SENDER_ARG_DEBUG "--debug"
#define SENDER_ARG_IGNORE_BACKOFF "--ignore-backoff"

/* The only environment variables the helper receives (a NULL-ended initialiser). */
#define SENDER_ENV_ALLOWLIST                                                                       \
	{                                                                                          \
		"HOME", "PATH", "TZ", "LANG", "LC_ALL", "XDG_CONFIG_HOME", "XDG_STATE_HOME",       \
		"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy",  \
		"NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "ASAN_OPTIONS",     \
		"UBSAN_OPTIONS", "LSAN_OPTIONS", "OTEL_EXPORTER_OTLP_ENDPOINT",                    \
		"OTEL_EXPORTER_OTLP_HEADERS", SENDER_ENV_SYSTEM NULL,                              \
	}
#ifdef _WIN32
/* What a Windows program needs to run at all (Winsock needs SystemRoot), and the profile's
 * folders, where the sender finds its files. */
#define SENDER_ENV_SYSTEM                                                                          \
	"SystemRoot", "SystemDrive", "windir", "TEMP", "TMP", "USERPROFILE", "USERNAME", "APPDATA",        \
	    "LOCALAPPDATA", "PROGRAMDATA", "PATHEXT",
#else
#define SENDER_ENV_SYSTEM
#endif

#endif
