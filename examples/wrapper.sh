#!/bin/sh
# wrapper.sh — report every run of an existing CLI while keeping its output and exit status.
#
# Install a copy under the CLI's name, earlier on PATH than the real one, and point WRAPPED
# at the real program:
#     WRAPPED=/usr/bin/mycli APP=mycli wrapper.sh deploy --prod
# With USAGE_REPORT_EXEC=1 it lets `usage-report exec` run the program instead (simplest).
# Only the program's name and a first argument that looks like a subcommand word are
# reported; other arguments never are.
set -u
: "${WRAPPED:?set WRAPPED to the real program}"
APP=${APP:-$(basename "$WRAPPED" | tr -c 'a-z0-9._\n-' '-')}
name=$(basename "$WRAPPED")
case ${1:-} in
[a-z]*) case $1 in *[!a-z0-9-]*) command=$name ;; *) command="$name $1" ;; esac ;;
*) command=$name ;;
esac

if [ "${USAGE_REPORT_EXEC:-}" = 1 ]; then
	exec usage-report --app "$APP" exec --command "$command" -- "$WRAPPED" "$@"
fi

start=$(date +%s%N)
"$WRAPPED" "$@"
status=$?
end=$(date +%s%N)
# usage-report never fails the caller; "|| :" keeps even a missing binary harmless (its
# "not found" goes to /dev/null). Its own stderr is the user's: the first-run notice
# shows there once.
command -v usage-report >/dev/null 2>&1 &&
	usage-report --app "$APP" --command "$command" --duration $(((end - start) / 1000000)) \
		--exit-code "$status" </dev/null >/dev/null || :
exit "$status"
