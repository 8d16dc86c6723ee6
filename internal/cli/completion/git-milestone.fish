# fish completion for git-milestone: "git-milestone ..." and "git milestone ...".
# Load: git milestone completion fish | source, or install this file as
# ~/.config/fish/completions/git-milestone.fish.

function __git_milestone_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l start 0
    for i in (seq (count $tokens))
        if contains -- $tokens[$i] milestone git-milestone
            set start $i
            break
        end
    end
    set -l rest
    if test $start -lt (count $tokens)
        set rest $tokens[(math $start + 1)..-1]
    end
    git-milestone __complete -- $rest $cur 2>/dev/null
end

complete -c git-milestone -f -a '(__git_milestone_complete)'
complete -c git -n '__fish_seen_subcommand_from milestone' -f -a '(__git_milestone_complete)'
