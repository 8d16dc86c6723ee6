#!/bin/sh
# install.sh: build git-milestone and install it into $PREFIX/bin (default ~/.local/bin).
# Usage: ./install.sh [--hooks REPO]   (--hooks also installs the git hooks into REPO)
set -eu
cd "$(dirname "$0")"
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
if [ "${1:-}" = "--hooks" ]; then
  repo=${2:?usage: ./install.sh --hooks REPO}
  PATH="$bindir:$PATH" git -C "$repo" milestone hooks install
fi
echo "then, in a repository:  git milestone init"
