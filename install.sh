#!/bin/sh
# install.sh: build git-milestone and install it into $PREFIX/bin (default ~/.local/bin),
# with its manual page (git-milestone(1), so `man git-milestone` and `git milestone --help`
# work) and its completion for bash, zsh and fish; then register its merge and diff
# drivers in your global git config (`git milestone setup --global`, like `git lfs install`).
# Usage: ./install.sh [--no-setup] [--hooks REPO]
#   --no-setup   do not touch your global git config
#   --hooks REPO also install the git hooks into REPO
# The completion goes where the shells look: system-wide when run as root, for
# your user otherwise. BASH_COMPLETION_DIR, ZSH_COMPLETION_DIR and
# FISH_COMPLETION_DIR choose other places; NO_COMPLETION=1 skips it.
# GIT_MILESTONE_BINARY=PATH installs that binary instead of building one.
set -eu
cd "$(dirname "$0")"
setup=1
hooks_repo=
while [ $# -gt 0 ]; do
  case "$1" in
    --no-setup) setup=0; shift;;
    --hooks) hooks_repo=${2:?usage: ./install.sh --hooks REPO}; shift 2;;
    *) echo "install.sh: unknown option $1 (usage: ./install.sh [--no-setup] [--hooks REPO])" >&2; exit 2;;
  esac
done
PREFIX=${PREFIX:-$HOME/.local}
bindir="$PREFIX/bin"
mandir="$PREFIX/share/man/man1"
mkdir -p "$bindir" "$mandir"
if [ -n "${GIT_MILESTONE_BINARY:-}" ]; then
  # a binary built already (packaging, tests): installed as it is
  cp "$GIT_MILESTONE_BINARY" "$bindir/git-milestone.tmp" && mv "$bindir/git-milestone.tmp" "$bindir/git-milestone"
else
  command -v go >/dev/null 2>&1 || { echo "install.sh: Go is required (https://go.dev/dl/)" >&2; exit 1; }
  # -buildvcs=auto stamps the commit and its date into `git milestone --version`
  # when building from a git checkout. CGO_ENABLED=0: a static binary starts
  # without the dynamic loader and libc (~0.5 ms and 1.5 MiB less per command).
  # urfave_cli_no_docs leaves out urfave/cli's Markdown man-page generator
  # (we write our own roff), whose package start-up every command paid.
  CGO_ENABLED=0 go build -trimpath -buildvcs=auto -tags urfave_cli_no_docs -o "$bindir/git-milestone" ./cmd/git-milestone
fi
echo "installed $bindir/git-milestone"
"$bindir/git-milestone" man > "$mandir/git-milestone.1"
echo "installed $mandir/git-milestone.1"

if [ "${NO_COMPLETION:-}" != 1 ]; then
  data=${XDG_DATA_HOME:-$HOME/.local/share}
  if [ "$(id -u)" = 0 ]; then
    bashdir=${BASH_COMPLETION_DIR:-$(pkg-config --variable=completionsdir bash-completion 2>/dev/null || echo /usr/share/bash-completion/completions)}
    zshdir=${ZSH_COMPLETION_DIR:-/usr/local/share/zsh/site-functions}
    fishdir=${FISH_COMPLETION_DIR:-/usr/share/fish/vendor_completions.d}
  else
    bashdir=${BASH_COMPLETION_DIR:-$data/bash-completion/completions}
    zshdir=${ZSH_COMPLETION_DIR:-$data/zsh/site-functions}
    fishdir=${FISH_COMPLETION_DIR:-${XDG_CONFIG_HOME:-$HOME/.config}/fish/completions}
  fi
  mkdir -p "$bashdir" "$zshdir" "$fishdir"
  "$bindir/git-milestone" completion bash > "$bashdir/git-milestone"
  "$bindir/git-milestone" completion zsh > "$zshdir/_git-milestone"
  "$bindir/git-milestone" completion fish > "$fishdir/git-milestone.fish"
  echo "installed completion: $bashdir/git-milestone, $zshdir/_git-milestone, $fishdir/git-milestone.fish"
  if [ "$(id -u)" != 0 ]; then
    echo "  bash: loaded on demand by bash-completion; without it, add to ~/.bashrc:  . $bashdir/git-milestone"
    echo "  zsh: add to ~/.zshrc before compinit:  fpath=($zshdir \$fpath)"
  fi
fi

case ":$PATH:" in
  *":$bindir:"*) ;;
  *) echo "add it to your PATH:  export PATH=\"$bindir:\$PATH\"  (e.g. in ~/.profile)";;
esac
if [ "$setup" = 1 ]; then
  echo "running: git milestone setup --global  (merge and diff drivers in your global git config, for every clone; --no-setup skips this)"
  "$bindir/git-milestone" setup --global
else
  echo "skipped: git milestone setup --global (--no-setup); run it, or \`git milestone setup\` in each clone"
fi
if [ -n "$hooks_repo" ]; then
  PATH="$bindir:$PATH" git -C "$hooks_repo" milestone hooks install
fi
echo "then, in a repository:  git milestone init      (help: git milestone --help, man git-milestone)"
