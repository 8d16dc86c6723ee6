#!/bin/sh
# install.sh: build git-milestone and install it into $PREFIX/bin (default ~/.local/bin),
# then register its merge and diff drivers in your global git config
# (`git milestone setup --global`, like `git lfs install`).
# Usage: ./install.sh [--no-setup] [--hooks REPO]
#   --no-setup   do not touch your global git config
#   --hooks REPO also install the git hooks into REPO
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
command -v go >/dev/null 2>&1 || { echo "install.sh: Go is required (https://go.dev/dl/)" >&2; exit 1; }
mkdir -p "$bindir"
go build -trimpath -o "$bindir/git-milestone" ./cmd/git-milestone
echo "installed $bindir/git-milestone"
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
echo "then, in a repository:  git milestone init"
