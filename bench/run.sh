#!/usr/bin/env bash
# Whole-process benchmark: builds git-milestone, generates repositories with N
# milestones beside a code tree of 20,000 other tracked files, times the
# commands with hyperfine and prints a table of medians (milliseconds).
#
#   bench/run.sh                     # N = 100 1000, backend file
#   BACKENDS="file hybrid sqlite postgresql" bench/run.sh 1000 10000
#
# Backends: file, hybrid, sqlite (database, SQLite flavour), postgresql
# (database on $BENCH_DATABASE_URL, default the local server; a database
# gm_bench_<N> is created there). Besides the commands, it times the
# migration into the backend (and index rebuild for hybrid).
#
# Needs hyperfine (Debian: apt-get install hyperfine). Repositories are cached
# in ${BENCH_DIR:-/tmp/git-milestone-bench}; delete it to regenerate.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(100 1000)
backends=${BACKENDS:-file}
work=${BENCH_DIR:-/tmp/git-milestone-bench}
code_files=${CODE_FILES:-20000}
runs=${RUNS:-20}
mkdir -p "$work/bin"
command -v hyperfine >/dev/null || { echo "bench: hyperfine is required (apt-get install hyperfine)" >&2; exit 1; }
go build -o "$work/bin/git-milestone" ./cmd/git-milestone
export PATH="$work/bin:$PATH"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

# make_repo DIR N: a repository with N milestones and $code_files other files.
make_repo() {
  local dir=$1 n=$2
  rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
  git init -q -b main .
  git config gc.autoDetach false
  for d in $(seq -f 'src/pkg%03g' 0 199); do mkdir -p "$d"; done
  awk -v n="$code_files" 'BEGIN { for (i = 0; i < n; i++) { f = sprintf("src/pkg%03d/file%05d.go", i % 200, i); printf "package pkg\n\n// file %d\n", i > f; close(f) } }'
  git add -A && git commit -q -m "code tree"
  git milestone init --backend file >/dev/null 2>&1
  awk -v n="$n" 'BEGIN {
    split("planned active blocked completed cancelled", st, " "); split("low medium high critical", pr, " ");
    for (i = 1; i <= n; i++) {
      s = st[(i % 5) + 1]; folder = (s == "completed" || s == "cancelled") ? "completed" : "active";
      f = sprintf(".milestones/%s/m-%05d.yaml", folder, i);
      printf "title: Milestone %d of the roadmap\nstatus: %s\npriority: %s\nowner: owner%d@example.com\ndue: 2027-%02d-%02d\nlabels: [team%d, area%d]\nprogress: %d\ndescription: |\n  Work item %d: ship the %s feature.\n  Second line mentions keyword%d.\ncreated_at: 2026-01-01T00:00:00Z\nupdated_at: 2026-01-01T00:00:00Z\n", i, s, pr[(i % 4) + 1], i % 37, (i % 12) + 1, (i % 28) + 1, i % 10, i % 7, i % 101, i, (i % 3 == 0) ? "zanzibar" : "roadmap", i % 50 > f
      close(f)
    } }'
  git add -A .milestones && git commit -q -m "milestones"
  git gc -q
  cd - >/dev/null
}

printf '\n%-8s %-7s %-28s %10s\n' backend N command median_ms
for n in "${sizes[@]}"; do
  for backend in $backends; do
    repo="$work/repo-$n-$backend"
    unset DATABASE_URL
    if [ "$backend" = postgresql ]; then
      base=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
      psql -q "$base" -c "DROP DATABASE IF EXISTS gm_bench_$n WITH (FORCE)" -c "CREATE DATABASE gm_bench_$n" >/dev/null
      export DATABASE_URL=${base/\/postgres\?/\/gm_bench_$n?}
    fi
    make_repo "$repo" "$n" >/dev/null
    cd "$repo"
    case $backend in
      file) ;;
      hybrid) migrate_cmd="git-milestone migrate --to hybrid";;
      sqlite|postgresql) migrate_cmd="git-milestone migrate --to database --yes --database-type $backend";;
    esac
    if [ "$backend" != file ]; then
      start=$(date +%s.%N)
      $migrate_cmd >/dev/null 2>&1 || { echo "bench: $migrate_cmd failed" >&2; $migrate_cmd; exit 1; }
      end=$(date +%s.%N)
      printf '%-8s %-7s %-28s %10s\n' "$backend" "$n" "migrate from file (once)" "$(python3 -c "print('%.0f' % (($end-$start)*1000))")"
      # Files written in the last 2 s are "racy" for the index (as for git's): every query would
      # re-read them. Time steady state, as a user sees it seconds after a migration.
      sleep 3
    fi
    mid=$(printf 'm-%05d' $((n / 2)))
    declare -a names=(show "list --status blocked" "list --status X --limit 50" "search zanzibar" stats create update)
    declare -a cmds=(
      "git-milestone show $mid"
      "git-milestone list --status blocked"
      "git-milestone list --status blocked --limit 50"
      "git-milestone search zanzibar"
      "git-milestone stats"
      "git-milestone create 'Bench milestone'"
      "git-milestone update $mid --progress \$((RANDOM % 100))"
    )
    if [ "$backend" = file ]; then
      # review: a range changing 100 milestones, a milestone with a long history, one merge
      git tag -f bench-base >/dev/null
      for i in $(seq 1 100); do sed -i 's/^priority: .*/priority: critical/' ".milestones/active/$(printf 'm-%05d' $((i * 5)))".yaml 2>/dev/null || true; done
      git commit -q -a -m "bench: 100 changes" && git tag -f bench-head >/dev/null
      lid=$(printf 'm-%05d' $((n / 2 + 10)))
      if [ "$(git rev-list --count HEAD -- .milestones/active/$lid.yaml)" -lt 1000 ]; then
        for i in $(seq 1 1000); do sed -i "s/^progress: .*/progress: $((i % 100))/" ".milestones/active/$lid.yaml"; git commit -q -a -m "step $i"; done
        git gc -q # as git's auto-gc would have done by now; loose trees make git log 2-5x slower
      fi
      mkdir -p "$work/merge"; cp ".milestones/active/$lid.yaml" "$work/merge/base.yaml"
      sed 's/^priority: .*/priority: critical/' "$work/merge/base.yaml" > "$work/merge/theirs.yaml"
      sed 's/^owner: .*/owner: merged@example.com/' "$work/merge/base.yaml" > "$work/merge/ours.yaml"
      names+=("diff (100 of N changed)" "log ID (1,000 commits)" "merge-driver (1 document)")
      cmds+=("git-milestone diff bench-base..bench-head --format json" "git-milestone log $lid"
        "git-milestone merge-driver $work/merge/base.yaml $work/merge/ours.yaml $work/merge/theirs.yaml .milestones/active/$lid.yaml")
    fi
    if [ "$backend" = hybrid ]; then
      names+=("index rebuild" "pre-commit hook (1 file)")
      # one staged milestone, as in a commit touching one file
      hid=$(printf 'm-%05d' $((n / 2 + 5)))
      sed -i 's/^progress: .*/progress: 99/' ".milestones/active/$hid.yaml" && git add ".milestones/active/$hid.yaml"
      cmds+=("git-milestone index rebuild" "git-milestone hook pre-commit")
    fi
    for i in "${!cmds[@]}"; do
      out="$work/result-$n-$backend-$i.json"
      hyperfine --shell=bash --warmup 2 --runs "$runs" --export-json "$out" "${cmds[$i]}" >/dev/null 2>&1 || { printf '%-8s %-7s %-28s %10s\n' "$backend" "$n" "${names[$i]}" FAILED; continue; }
      med=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.1f" % (r["median"]*1000))' "$out")
      printf '%-8s %-7s %-28s %10s\n' "$backend" "$n" "${names[$i]}" "$med"
    done
    if [ "$backend" = postgresql ] || [ "$backend" = sqlite ]; then
      start=$(date +%s.%N)
      git-milestone migrate --to file >/dev/null 2>&1
      end=$(date +%s.%N)
      printf '%-8s %-7s %-28s %10s\n' "$backend" "$n" "migrate to file (once)" "$(python3 -c "print('%.0f' % (($end-$start)*1000))")"
    fi
    cd "$root"
    if [ "$backend" = postgresql ]; then psql -q "$base" -c "DROP DATABASE IF EXISTS gm_bench_$n WITH (FORCE)" >/dev/null; fi
  done
done
