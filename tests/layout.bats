#!/usr/bin/env bats
# layout.bats — the architecture is enforced by the build, not by convention: src/common/ is
# what both programs share, src/foreground/ is usage-report, src/sender/ the helper; the
# foreground never sees a sender header and never links libcurl.

load helpers

# Compile a probe that includes $1 with the include path the foreground is built with.
foreground_compiles() {
	printf '#include "config.h"\n#include "%s"\nint probe;\n' "$1" |
		${CC:-cc} -fsyntax-only -I"$BUILDDIR" -iquote "$SRCDIR/src/common" -iquote "$SRCDIR/src/foreground" -x c - 2>/dev/null
}

@test "src/ shows the two programs and what they share" {
	assert_equal "$(cd "$SRCDIR/src" && find . -mindepth 1 -maxdepth 1 -type d ! -name ".*" | sort | tr '\n' ' ')" \
		"./common ./foreground ./sender "
	assert_exist "$SRCDIR/src/common/sender-proto.h"
	assert_exist "$SRCDIR/src/foreground/main.c"
	assert_exist "$SRCDIR/src/sender/sender.c"
}

@test "a foreground file that includes a sender header does not compile" {
	local h
	foreground_compiles util.h # the probe itself works
	for h in "$SRCDIR"/src/sender/*.h; do
		run foreground_compiles "$(basename "$h")"
		assert_failure
	done
}

# Compile code $1 after the headers $2 with the foreground's include path, warnings as errors.
probe_compiles() {
	printf '#include "config.h"\n%s\nvoid probe(void);\nvoid probe(void) { %s }\n' "$2" "$1" |
		${CC:-cc} -fsyntax-only -Werror -Wall -I"$BUILDDIR" -iquote "$SRCDIR/src/common" $(pkg-config --cflags jansson) -x c - 2>/dev/null
}

@test "usage.json has one owner: outside identity.c an identity's document cannot be read or edited as JSON" {
	local h='#include "identity.h"'
	probe_compiles 'struct identity id = {0}; (void)identity_anon(&id); identity_release(&id);' "$h" # the probe works
	run probe_compiles 'struct identity id = {0}; (void)json_object_get(id.doc, "anon_id");' "$h"
	assert_failure
	run probe_compiles 'struct identity id = {0}; json_t *doc = id.doc; (void)doc;' "$h"
	assert_failure
	run probe_compiles 'struct identity id = {0}; (void)*id.doc;' "$h"
	assert_failure
}

@test "the queue record has one owner: outside record.c a record cannot be read or edited as JSON" {
	local h='#include "record.h"'
	probe_compiles 'struct record *r = record_new(RECORD_EVENT, "a", NULL, json_object()); (void)record_anon(r); record_free(r);' "$h" # the probe works
	run probe_compiles 'struct record *r = record_parse("{}", 2); (void)json_object_get(r, "anon_id");' "$h"
	assert_failure
	run probe_compiles 'struct record *r = record_parse("{}", 2); json_decref(r);' "$h"
	assert_failure
	run probe_compiles 'json_t *r = record_new(RECORD_EVENT, "a", NULL, json_object()); (void)r;' "$h"
	assert_failure
	run probe_compiles 'struct record *r = record_parse("{}", 2); (void)*r;' "$h"
	assert_failure
	# and no file but record.c turns one back into JSON
	run grep -rlE "\(json_t \*\) *(rec|record)\b|\(struct record \*\)" "$SRCDIR/src" --include=*.c --include=*.h
	assert_output "$SRCDIR/src/common/record.c"
}

@test "src/common includes nothing outside itself, and the foreground includes no sender header" {
	local f inc
	for f in "$SRCDIR"/src/common/*.[ch]; do
		for inc in $(sed -n 's/^#include "\(.*\)"/\1/p' "$f"); do
			[ "$inc" = config.h ] || [ -e "$SRCDIR/src/common/$inc" ] || fail "$(basename "$f") includes $inc"
		done
	done
	for f in "$SRCDIR"/src/foreground/*.[ch]; do
		for inc in $(sed -n 's/^#include "\(.*\)"/\1/p' "$f"); do
			[ ! -e "$SRCDIR/src/sender/$inc" ] || fail "$(basename "$f") includes the sender's $inc"
		done
	done
}

@test "the modules' includes form no cycle: compat and the leaves below it never include what uses them" {
	# a module is a .c and its .h (compat-win32.c is compat); an edge is an #include "X.h"
	run python3 - "$SRCDIR" <<'PY'
import glob, os, re, sys
graph = {}
for path in glob.glob(os.path.join(sys.argv[1], 'src', '*', '*.[ch]')):
    mod = os.path.basename(path).rsplit('.', 1)[0].replace('compat-win32', 'compat')
    deps = graph.setdefault(mod, set())
    deps.update(i for i in re.findall(r'^#include "([^"/]+)\.h"', open(path).read(), re.M) if i not in (mod, 'config'))
state, stack = {}, []
def visit(m):
    state[m] = 1
    stack.append(m)
    for d in sorted(graph.get(m, ())):
        if state.get(d) == 1:
            print('cycle: ' + ' -> '.join(stack[stack.index(d):] + [d]))
        elif d not in state:
            visit(d)
    stack.pop()
    state[m] = 2
for m in sorted(graph):
    if m not in state:
        visit(m)
print('compat uses: ' + ' '.join(sorted(graph['compat'])))
print('leaves: ' + ' '.join(sorted(m for m in ('xmalloc', 'trace', 'uuid') if not graph.get(m))))
PY
	assert_success
	assert_output "compat uses: buf trace xmalloc
leaves: trace uuid xmalloc"
}

@test "neither src/common nor the foreground program refers to libcurl" {
	run bash -c "nm '$BUILDDIR/src/libcommon.a' | grep -ci 'curl\|yaml_\|deflate'"
	assert_output 0
	run bash -c "nm -D --undefined-only '$UR' 2>/dev/null | grep -ci curl"
	assert_output 0
	run bash -c "ldd '$UR' | grep -c 'libcurl\|libyaml\|libz\.'"
	assert_output 0
}

# Portability (compat.h): every facility beyond POSIX.1-2008 is used in src/common/compat.c
# alone; everything else is compiled as POSIX.

# Each source file but compat.c/compat.h with its comments removed (strings stay).
code_without_comments() {
	local f
	for f in "$SRCDIR"/src/*/*.[ch]; do
		case $f in */compat.[ch] | */compat-win32.c) continue ;; esac
		printf '== %s\n' "${f#"$SRCDIR"/}"
		${CC:-cc} -fpreprocessed -dD -E -P -x c "$f" 2>/dev/null
	done
}

@test "no system-specific call outside the compatibility module" {
	# Linux, glibc, macOS and BSD extensions, and GNU/BSD conveniences POSIX.1-2008 lacks
	local ext='close_range|closefrom|getrandom|getentropy|_NSGetExecutablePath|F_FULLFSYNC|vfork|timegm|explicit_bzero|memset_s|mkostemp|vasprintf|asprintf|flock|LOCK_(EX|SH|NB|UN)|NSIG|prctl|epoll_[a-z]+|inotify_[a-z]+|signalfd|eventfd|pipe2|dup3|accept4|memmem|strcasestr|strsep|strlcpy|strlcat|secure_getenv|getauxval|sysinfo|sendfile|splice|O_PATH|O_TMPFILE|MAP_ANONYMOUS|reallocarray|qsort_r|program_invocation_name|getprogname|arc4random[a-z_]*|_GNU_SOURCE|_BSD_SOURCE|_DARWIN_C_SOURCE'
	local code
	code=$(code_without_comments)
	[ "$(wc -l <<<"$code")" -gt 3000 ] # the sources really were read
	run grep -nEw -e "$ext" -e '/proc/' <<<"$code"
	assert_output ""
	# _DEFAULT_SOURCE only where a header needs it, and each use says why
	run grep -rn --include='*.[ch]' '_DEFAULT_SOURCE' "$SRCDIR/src"
	assert_output --regexp "^$SRCDIR/src/common/conf.c:[0-9]+:#define _DEFAULT_SOURCE /\* glibc declares realpath"
	assert_equal "${#lines[@]}" 1
}

@test "Windows is spoken in compat-win32.c and the POSIX headers of src/common/win32/ alone" {
	local win='windows\.h|winsock2\.h|[A-Z][A-Za-z]+W\(|HANDLE|DWORD|GetLastError|CreateProcess[AW]?|LockFileEx|_get_osfhandle|_wgetenv'
	run grep -nE -e "$win" <<<"$(code_without_comments)"
	assert_output ""
	# and the layer is what the Windows build compiles instead of compat.c
	run grep -c 'CreateFileW\|MoveFileExW\|LockFileEx\|CreateProcessW' "$SRCDIR/src/common/compat-win32.c"
	[ "$output" -ge 4 ]
	run grep -lE "$win" "$SRCDIR"/src/common/win32/*.h "$SRCDIR"/src/common/win32/*/*.h
	assert_output --regexp 'win32/(arpa/inet|netinet/in)\.h'
}

@test "the build compiles as POSIX.1-2008, and says which facility each task uses" {
	run grep -E '^AM_CPPFLAGS = -D_POSIX_C_SOURCE=200809L ' "$SRCDIR/Makefile.am"
	assert_success
	run "$UR" --debug --version
	assert_success
	assert_line --index 0 --regexp '^usage-report [0-9]+\.[0-9]+\.[0-9]+$'
	local line=${lines[1]}
	if [ "$USAGE_REPORT_PORTABLE" = yes ]; then # ./configure --enable-portable-fallbacks
		assert_equal "$line" "portability: self-exe=argv0+PATH random=/dev/urandom close=loop spawn=fork+setsid sync=fsync timegm=civil wipe=volatile-memset watch=nap lock=flock"
	elif [ "$(uname -s)" = Linux ]; then
		assert_regex "$line" '^portability: self-exe=/proc/self/exe random=(getentropy|getrandom) close=(close_range|closefrom) spawn=vfork\+setsid sync=fsync timegm=timegm wipe=explicit_bzero watch=inotify lock=flock$'
	fi
	run "$UR" --version # without --debug: the version alone
	assert_output --regexp '^usage-report [0-9.]+$'
}

@test "found through PATH by a bare name, the program still finds its sender" {
	start_intake
	posthog_config
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cp "$UR" "$BUILDDIR/src/usage-report-sender" "$BATS_TEST_TMPDIR/bin/"
	(cd / && PATH="$BATS_TEST_TMPDIR/bin:$PATH" exec -a usage-report usage-report --command via-path --wait)
	assert_equal "$(delivered_count)" 1
	rm -rf "$BATS_TEST_TMPDIR/bin"
}

@test "the two programs' contract is versioned: a sender of another version does nothing, and says so" {
	local sender=$BUILDDIR/src/usage-report-sender
	posthog_config
	mkdir -p "$STATE/queue"
	"$UR" --command kept # queued (no intake: the sender it starts cannot deliver)
	wait_for '[ -z "$(senders)" ]'
	local before
	before=$(ls "$STATE/queue")
	run "$sender" --app usage-report --config "$CONF" --foreground --debug --proto 0
	assert_success
	assert_output "usage-report: debug: this sender speaks protocol 1, usage-report 0: nothing done (reinstall usage-report)"
	run "$sender" --app usage-report --config "$CONF" --foreground --debug
	assert_output --partial "usage-report (none given): nothing done"
	assert_equal "$(ls "$STATE/queue")" "$before"
	# the pair of one build agrees
	run "$UR" --debug flush
	refute_output --partial "nothing done"
}
