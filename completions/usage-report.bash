# bash completion for usage-report(1)                               -*- shell-script -*-
# Subcommands, options, --app values from the config folders, files for --config, and
# the program and its arguments after "exec --".

# The apps that have a config: *.conf in the user's and the system's usage-report folders.
_usage_report_apps()
{
    local dir f
    for dir in "${XDG_CONFIG_HOME:-$HOME/.config}/usage-report" /etc/usage-report /usr/local/etc/usage-report; do
        for f in "$dir"/*.conf; do
            [[ -f $f ]] || continue
            f=${f##*/}
            [[ $f == policy.conf ]] || printf '%s\n' "${f%.conf}"
        done
    done
}

_usage_report()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local subcommands="track login logout exec status enable disable flush notice adopt level history forget"
    local global="--app --config --dry-run --debug --wait --help --version"
    local event="--command --duration --exit-code --error --error-type --event --cli-version --property"
    local i word sub=""
    COMPREPLY=()

    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ $word == -- && $sub == exec ]]; then
            # the program, then its own arguments
            if ((i == COMP_CWORD - 1)); then
                COMPREPLY=($(compgen -c -- "$cur"))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
            return
        fi
        [[ -z $sub && " $subcommands " == *" $word "* ]] && sub=$word
    done

    case $prev in
    --app)
        COMPREPLY=($(compgen -W "$(_usage_report_apps)" -- "$cur"))
        return
        ;;
    --config)
        COMPREPLY=($(compgen -f -- "$cur"))
        return
        ;;
    --command | --duration | --exit-code | --error | --error-type | --event | --cli-version | --property | --principal-id)
        return # a value of the host's
        ;;
    esac

    if [[ $cur == -* ]]; then
        case $sub in
        "" | track | logout) COMPREPLY=($(compgen -W "$global $event --json" -- "$cur")) ;;
        login) COMPREPLY=($(compgen -W "$global $event --principal-id" -- "$cur")) ;;
        exec) COMPREPLY=($(compgen -W "$global $event --" -- "$cur")) ;;
        status) COMPREPLY=($(compgen -W "$global --json" -- "$cur")) ;;
        history) COMPREPLY=($(compgen -W "$global --json -n" -- "$cur")) ;;
        forget) COMPREPLY=($(compgen -W "$global --disable" -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "$global" -- "$cur")) ;;
        esac
    elif [[ -z $sub ]]; then
        COMPREPLY=($(compgen -W "$subcommands" -- "$cur"))
    elif [[ $sub == level && $prev == level ]]; then
        COMPREPLY=($(compgen -W "all errors" -- "$cur"))
    fi
}

complete -F _usage_report usage-report
