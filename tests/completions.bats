#!/usr/bin/env bats
# completions.bats — the shell completions (design.md §7): bash's function answers what a user
# types, fish's completions do the same, zsh's file parses; make install puts each where
# its shell looks.

load helpers

setup() {
	common_setup
	mkdir -p "$XDG_CONFIG_HOME/usage-report"
	touch "$XDG_CONFIG_HOME/usage-report/mycli.conf" "$XDG_CONFIG_HOME/usage-report/othercli.conf"
}

# The apps the completions offer: ours, and any an administrator configured on this machine
# (the completions read the system's config folders too).
apps() {
	local f
	for f in "$XDG_CONFIG_HOME"/usage-report/*.conf /etc/usage-report/*.conf /usr/local/etc/usage-report/*.conf; do
		[ -e "$f" ] && basename "$f" .conf
	done | sort -u
}

# bash_complete WORD...: what bash's completion offers for the command line "WORD... <tab>"
# (the last word is the one being completed), one per line, sorted.
bash_complete() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _usage_report; printf "%s\n" "${COMPREPLY[@]}" | sort' \
		_ "$SRCDIR/completions/usage-report.bash" usage-report "$@"
}

@test "bash: registered for usage-report, with subcommands, options and the apps that have a config" {
	run bash -c 'source "$1"; complete -p usage-report' _ "$SRCDIR/completions/usage-report.bash"
	assert_output "complete -F _usage_report usage-report"
	assert_equal "$(bash_complete st)" status
	assert_equal "$(bash_complete "")" "$(printf '%s\n' adopt disable enable exec flush forget history level login logout notice status track | sort)"
	assert_equal "$(bash_complete level "")" $'all\nerrors'
	assert_equal "$(bash_complete --app "")" "$(apps)"
	assert_equal "$(bash_complete --app my)" "$(apps | grep '^my')"
	assert_equal "$(bash_complete status --j)" --json
	assert_equal "$(bash_complete login --pri)" --principal-id
	assert_equal "$(bash_complete --error-)" --error-type
	# a value of the host's is not guessed; the program after "exec --" is a command
	assert_equal "$(bash_complete --command "")" ""
	[[ $(bash_complete exec -- ls) == *$'\n'ls$'\n'* || $(bash_complete exec -- ls) == ls* ]]
	# every long option in --help is offered somewhere
	local opt
	for opt in $("$UR" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -q -- "$opt" "$SRCDIR/completions/usage-report.bash" || fail "$opt is not completed by bash"
		grep -q -- "${opt#--}" "$SRCDIR/completions/usage-report.fish" || fail "$opt is not completed by fish"
		grep -q -- "$opt" "$SRCDIR/completions/_usage-report" || fail "$opt is not completed by zsh"
	done
}

@test "fish: subcommands, options and apps" {
	command -v fish >/dev/null || skip "fish is not installed"
	run fish -n "$SRCDIR/completions/usage-report.fish"
	assert_success
	fish_complete() { fish -c "source '$SRCDIR/completions/usage-report.fish'; complete -C '$1'" | cut -f1 | sort; }
	assert_equal "$(fish_complete 'usage-report sta')" status
	assert_equal "$(fish_complete 'usage-report level ')" $'all\nerrors'
	assert_equal "$(fish_complete 'usage-report --app ')" "$(apps)"
	assert_equal "$(fish_complete 'usage-report status --j')" --json
}

@test "zsh: the completion file parses and defines the function compdef names" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	run zsh -n "$SRCDIR/completions/_usage-report"
	assert_success
	assert_equal "$(head -1 "$SRCDIR/completions/_usage-report")" "#compdef usage-report"
	run zsh -c 'autoload -U compinit && compinit -u -d "$1/zcd" && fpath=("$2" $fpath) && autoload -U _usage-report && whence -w _usage-report' \
		_ "$BATS_TEST_TMPDIR" "$SRCDIR/completions"
	assert_output "_usage-report: function"
}

@test "installed into a prefix, each shell completes from where make install put it; make uninstall leaves none of our folders" {
	local stage=$BATS_TEST_TMPDIR/stage prefix share
	make -s -C "$BUILDDIR" install DESTDIR="$stage" >/dev/null
	prefix=$(sed -n 's/^prefix = //p' "$BUILDDIR/Makefile")
	share=$stage$prefix/share
	# bash, through bash-completion's own loader (it looks in XDG_DATA_DIRS, by default
	# /usr/local/share and /usr/share), as an interactive shell would on the first <tab>
	if [ -f /usr/share/bash-completion/bash_completion ]; then
		run env XDG_DATA_DIRS="$share" bash -c 'source /usr/share/bash-completion/bash_completion
			__load_completion usage-report && COMP_WORDS=(usage-report sta) COMP_CWORD=1 && _usage_report && echo "${COMPREPLY[@]}"'
		assert_output status
	else
		skip "bash-completion is not installed: bash completes nothing without it (README, Installing)"
	fi
	# fish: its vendor folders under XDG_DATA_DIRS
	if command -v fish >/dev/null; then
		run env PATH="$stage$prefix/bin:$PATH" XDG_DATA_DIRS="$share" fish -c "complete -C 'usage-report sta'"
		assert_equal "$(cut -f1 <<<"$output")" status
	fi
	# zsh: site-functions on fpath, as compinit finds it
	if command -v zsh >/dev/null; then
		run zsh -c 'fpath=("$1" $fpath); autoload -U compinit && compinit -u -d "$2/zcd"; print -r -- ${_comps[usage-report]}' \
			_ "$share/zsh/site-functions" "$BATS_TEST_TMPDIR"
		assert_output _usage-report
	fi
	# the examples keep their run bit
	assert_file_executable "$share/doc/usage-report/examples/wrapper.sh"
	assert_file_executable "$share/doc/usage-report/examples/caller.py"
	make -s -C "$BUILDDIR" uninstall DESTDIR="$stage" >/dev/null
	run find "$stage" -path '*usage-report*' -o -path '*completion*' -o -path '*/zsh*' -o -path '*/fish*'
	assert_output ""
}
