# bash completion for git-milestone                      -*- shell-script -*-
#
# Completes "git milestone ..." (git's own completion calls _git_milestone)
# and "git-milestone ...". The candidates come from the command definitions
# and the milestone ids in the work tree, through `git-milestone __complete`,
# which never writes anything.
#
# Load: source <(git milestone completion bash), or install this file as
# ~/.local/share/bash-completion/completions/git-milestone.

_git_milestone ()
{
	local _gm_words=() _gm_i _gm_start=0 _gm_cur _gm_pre
	if [ -n "${cword-}" ] && [ "${#words[@]}" -gt 0 ]; then
		# Called by git's completion: words/cword keep "--a=b" as one word.
		_gm_words=("${words[@]:0:cword+1}")
	else
		_gm_words=("${COMP_WORDS[@]:0:COMP_CWORD+1}")
	fi
	for ((_gm_i = 0; _gm_i < ${#_gm_words[@]} - 1; _gm_i++)); do
		case "${_gm_words[_gm_i]}" in
		milestone|git-milestone|*/git-milestone) _gm_start=$((_gm_i + 1)); break ;;
		esac
	done
	_gm_cur="${_gm_words[${#_gm_words[@]}-1]}"
	local IFS=$'\n'
	COMPREPLY=($(git-milestone __complete -- "${_gm_words[@]:_gm_start}" 2>/dev/null))
	# bash splits "--status=ac" at "=": replace only what follows it.
	if [[ "$_gm_cur" == *=* && "$COMP_WORDBREAKS" == *=* ]]; then
		_gm_pre="${_gm_cur%%=*}="
		COMPREPLY=("${COMPREPLY[@]#"$_gm_pre"}")
	fi
	# git's completion runs with -o nospace: add the space after a full word.
	for ((_gm_i = 0; _gm_i < ${#COMPREPLY[@]}; _gm_i++)); do
		COMPREPLY[_gm_i]="${COMPREPLY[_gm_i]} "
	done
}

_git_milestone_direct ()
{
	local cur words cword prev
	if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
		_get_comp_words_by_ref -n =: cur words cword prev
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi
	_git_milestone
}

complete -o bashdefault -o default -o nospace -F _git_milestone_direct git-milestone 2>/dev/null ||
	complete -o default -o nospace -F _git_milestone_direct git-milestone
