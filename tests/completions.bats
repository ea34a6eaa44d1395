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
	assert_equal "$(bash_complete --app "")" $'mycli\nothercli'
	assert_equal "$(bash_complete --app my)" mycli
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
	assert_equal "$(fish_complete 'usage-report --app ')" $'mycli\nothercli'
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

@test "make install puts them where each shell looks" {
	local stage=$BATS_TEST_TMPDIR/stage prefix
	make -s -C "$BUILDDIR" install DESTDIR="$stage" >/dev/null
	prefix=$(sed -n 's/^prefix = //p' "$BUILDDIR/Makefile")
	assert_file_exist "$stage$prefix/share/bash-completion/completions/usage-report"
	assert_file_exist "$stage$prefix/share/zsh/site-functions/_usage-report"
	assert_file_exist "$stage$prefix/share/fish/vendor_completions.d/usage-report.fish"
	# and the examples keep their run bit
	assert_file_executable "$stage$prefix/share/doc/usage-report/examples/wrapper.sh"
	assert_file_executable "$stage$prefix/share/doc/usage-report/examples/caller.py"
}
