# fish completion for usage-report(1): subcommands, options, --app values from the config
# folders, and the program after "exec --".

function __usage_report_apps
    for f in (set -q XDG_CONFIG_HOME; and echo $XDG_CONFIG_HOME; or echo $HOME/.config)/usage-report/*.conf /etc/usage-report/*.conf /usr/local/etc/usage-report/*.conf
        set -l name (basename $f .conf)
        test "$name" = policy; or echo $name
    end
end

set -l subcommands track login logout exec status enable disable flush notice adopt level history forget
complete -c usage-report -f
complete -c usage-report -n "not __fish_seen_subcommand_from $subcommands" -a track -d 'record one command run (the default)'
complete -c usage-report -n "not __fish_seen_subcommand_from $subcommands" -a login -d "the host's login succeeded"
complete -c usage-report -n "not __fish_seen_subcommand_from $subcommands" -a logout -d "the host's logout succeeded"
complete -c usage-report -n "not __fish_seen_subcommand_from $subcommands" -a exec -d 'run a program, then record it'
complete -c usage-report -n "not __fish_seen_subcommand_from $subcommands" -a status -d 'is reporting on, and which setting decided'
complete -c usage-report -n "not __fish_seen_subcommand_from $subcommands" -a enable -d "persist the user's yes"
complete -c usage-report -n "not __fish_seen_subcommand_from $subcommands" -a disable -d "persist the user's no"
complete -c usage-report -n "not __fish_seen_subcommand_from $subcommands" -a flush -d 'deliver queued events now'
complete -c usage-report -n "not __fish_seen_subcommand_from $subcommands" -a notice -d 'print the first-run notice'
complete -c usage-report -n "not __fish_seen_subcommand_from $subcommands" -a adopt -d "take the host's existing device id"
complete -c usage-report -n "not __fish_seen_subcommand_from $subcommands" -a level -d 'share every run, or failed runs only'
complete -c usage-report -n "not __fish_seen_subcommand_from $subcommands" -a history -d 'what left the machine, and what is queued'
complete -c usage-report -n "not __fish_seen_subcommand_from $subcommands" -a forget -d "ask for this device's data to be deleted"
complete -c usage-report -n "__fish_seen_subcommand_from forget" -l disable -d 'turn reporting off too'
complete -c usage-report -n "__fish_seen_subcommand_from history" -s n -x -d 'the newest N requests'
complete -c usage-report -n "__fish_seen_subcommand_from level" -a 'all errors' 
complete -c usage-report -l app -x -a '(__usage_report_apps)' -d "the host CLI's name"
complete -c usage-report -l config -r -F -d 'read this config file'
complete -c usage-report -l dry-run -d 'print the requests instead'
complete -c usage-report -l debug -d 'trace decisions, deliver in the foreground'
complete -c usage-report -l wait -d 'deliver in the foreground before exiting'
complete -c usage-report -l help -d 'print the help'
complete -c usage-report -l version -d 'print the version'
complete -c usage-report -l command -x -d 'the command path'
complete -c usage-report -l duration -x -d 'wall-clock milliseconds'
complete -c usage-report -l exit-code -x -d '0-255'
complete -c usage-report -l error -x -d 'the run failed: its message'
complete -c usage-report -l error-type -x -d 'a failure class'
complete -c usage-report -l event -x -d 'the event name'
complete -c usage-report -l cli-version -x -d "the host CLI's version"
complete -c usage-report -l property -x -d 'KEY=VALUE or KEY:=JSON'
complete -c usage-report -n '__fish_seen_subcommand_from login' -l principal-id -x -d 'the account id'
complete -c usage-report -n '__fish_seen_subcommand_from status' -l json -d 'one JSON object'
complete -c usage-report -n '__fish_seen_subcommand_from history' -l json -d 'one JSON object per line'
complete -c usage-report -n '__fish_seen_subcommand_from exec; and contains -- -- (commandline -opc)' -a '(__fish_complete_command)'
