#compdef git-milestone
# zsh completion for git-milestone: "git-milestone ..." and, through zsh's
# git completion (which calls _git-milestone), "git milestone ...".
# Load: source <(git milestone completion zsh), or install this file as
# _git-milestone in a directory of $fpath.

_git-milestone() {
	local -a cands
	local i start=1
	for ((i = 1; i < CURRENT; i++)); do
		case $words[i] in
		milestone|git-milestone|*/git-milestone) start=$((i + 1)); break ;;
		esac
	done
	cands=("${(@f)$(git-milestone __complete -- "${(@)words[start,CURRENT]}" 2>/dev/null)}")
	cands=(${cands:#})
	(( ${#cands} )) || return 1
	compadd -Q -- "${cands[@]}"
}

if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
	_git-milestone "$@"
else
	compdef _git-milestone git-milestone
fi
