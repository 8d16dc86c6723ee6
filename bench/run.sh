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
#
#   bench/run.sh --side-by-side [N...]   # default N = 1000 10000
#
# Side by side with the design note's shell layer (../shared/bench/seed-baseline.sh,
# or $SEED_BASELINE; needs sqlite3 and mikefarah yq v4 as $YQ_BIN or yq): for
# each N it builds the shell layer's hybrid repository of the same documents
# (files copied, its SQLite index built in one transaction), then runs ours
# (hybrid and SQLite database at N >= 10,000; file mode at N <= 1,000) and the
# shell's equivalent interleaved, $ROUNDS rounds (default 7), and prints medians
# of wall-clock, ratio ours/shell, CPU time (user+system, children included),
# peak RSS and the issue's target for each row (bench/sidebyside.py).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
side_by_side=false
if [ "${1:-}" = --side-by-side ]; then side_by_side=true; shift; fi
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || { if $side_by_side; then sizes=(1000 10000); else sizes=(100 1000); fi; }
backends=${BACKENDS:-file}
work=${BENCH_DIR:-/tmp/git-milestone-bench}
code_files=${CODE_FILES:-20000}
runs=${RUNS:-20}
mkdir -p "$work/bin"
$side_by_side || command -v hyperfine >/dev/null || { echo "bench: hyperfine is required (apt-get install hyperfine)" >&2; exit 1; }
CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -o "$work/bin/git-milestone" ./cmd/git-milestone # as install.sh builds it
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

# make_shell_repo SRC DST: the shell layer's hybrid repository holding SRC's
# documents: files copied as they are, its index.db (the seed's schema, made by
# its own init) filled in one transaction.
make_shell_repo() {
  local src=$1 dst=$2
  rm -rf "$dst"; mkdir -p "$dst"; cd "$dst"
  SEED_BACKEND=hybrid bash "$seed" init >/dev/null
  cp -a "$src/.milestones/active" "$src/.milestones/completed" .milestones/
  {
    echo 'BEGIN;'
    for f in .milestones/active/*.yaml .milestones/completed/*.yaml; do
      awk -v f="$f" -v id="$(basename "$f" .yaml)" -F': ' '
        /^title: / { t = substr($0, 8) } /^status: / { s = $2 } /^priority: / { p = $2 } /^created_at: / { c = $2 }
        END { gsub(/\x27/, "\x27\x27", t); printf "INSERT INTO milestones (id, title, status, priority, created_at, file_path) VALUES (\x27%s\x27, \x27%s\x27, \x27%s\x27, \x27%s\x27, \x27%s\x27, \x27%s\x27);\n", id, t, s, p, c, f }' "$f"
    done
    echo 'COMMIT;'
  } | sqlite3 .milestones/index.db
  cd - >/dev/null
}

# copy_repo SRC DST: a copy of the generated repository (cheaper than generating).
copy_repo() { rm -rf "$2"; cp -a "$1" "$2"; }

if $side_by_side; then
  seed=${SEED_BASELINE:-$root/../shared/bench/seed-baseline.sh}
  [ -f "$seed" ] || seed=/work/shared/bench/seed-baseline.sh
  [ -f "$seed" ] || { echo "bench: the shell layer seed-baseline.sh was not found (set SEED_BASELINE)" >&2; exit 1; }
  command -v sqlite3 >/dev/null || { echo "bench: sqlite3 is required (apt-get install sqlite3)" >&2; exit 1; }
  yq_bin=${YQ_BIN:-$(command -v yq || true)}
  if ! "$yq_bin" --version 2>/dev/null | grep -q 'mikefarah.* v4'; then
    echo "bench: the shell layer needs mikefarah yq v4 as \$YQ_BIN (go install github.com/mikefarah/yq/v4@v4.54.3)" >&2; exit 1
  fi
  rounds=${ROUNDS:-7}
  gm="$work/bin/git-milestone"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr), $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "git-milestone $(git -C "$root" rev-parse --short HEAD); shell layer $(basename "$seed"); $("$yq_bin" --version); $(sqlite3 --version | cut -d' ' -f1)"
  for n in "${sizes[@]}"; do
    base="$work/sbs-$n-file"
    if [ ! -f "$base/.bench-done" ]; then make_repo "$base" "$n" >/dev/null; touch "$base/.bench-done"; fi
    mid=$(printf 'm-%05d' $((n / 2)))   # an open milestone (the shell reads active/ only)
    shell="$work/sbs-$n-shell"
    make_shell_repo "$base" "$shell"
    rows=()
    # row NAME OURS_DIR OURS_CMD SHELL_CMD TARGET_RATIO TARGET_MS TARGET_MIB
    row() {
      local sh=null
      [ -n "$4" ] && sh=$(python3 -c 'import json,sys; print(json.dumps({"cwd": sys.argv[1], "cmd": "YQ_BIN=" + sys.argv[3] + " bash " + sys.argv[2] + " " + sys.argv[4], "exec": False}))' "$shell" "$seed" "$yq_bin" "$4")
      rows+=("$(python3 -c 'import json,sys; print(json.dumps({"name": sys.argv[1], "ours": {"cwd": sys.argv[2], "cmd": sys.argv[3], "exec": False}, "shell": json.loads(sys.argv[4]), "target": float(sys.argv[5]) if sys.argv[5] else None, "target_ms": float(sys.argv[6]) if sys.argv[6] else None, "target_mib": float(sys.argv[7]) if sys.argv[7] else None}))' "$1" "$2" "$3" "$sh" "$5" "$6" "$7")")
    }
    reads() { # reads LABEL DIR RATIO MIB
      row "$1 show" "$2" "$gm show $mid" "read $mid" "$3" "" "$4"
      row "$1 list --status blocked" "$2" "$gm list --status blocked" "list blocked" "$3" "" "$4"
      row "$1 search zanzibar" "$2" "$gm search zanzibar" "search zanzibar" "$3" "" "$4"
      row "$1 stats" "$2" "$gm stats" "analytics" "$3" "" "$4"
    }
    writes() { # writes LABEL DIR RATIO MS
      row "$1 create" "$2" "$gm create 'Bench {n} {i}'" "create b-{n}-{i} \$'title: Bench {i}\\nstatus: planned\\npriority: medium'" "$3" "$4" ""
      row "$1 update --priority" "$2" "p=(low high); $gm update $mid --priority \${p[{i} % 2]}" "set-status $mid \$([ \$(({i} % 2)) = 0 ] && echo active || echo blocked)" "$3" "$4" ""
    }
    mib=""; [ "$n" -le 10000 ] && mib=30
    if [ "$n" -le 1000 ]; then
      copy_repo "$base" "$work/sbs-$n-ours-file"
      reads "file $n" "$work/sbs-$n-ours-file" 1.5 "$mib"
      writes "file $n" "$work/sbs-$n-ours-file" "" 25
    fi
    if [ "$n" -ge 10000 ]; then
      copy_repo "$base" "$work/sbs-$n-ours-hybrid"
      (cd "$work/sbs-$n-ours-hybrid" && "$gm" migrate --to hybrid >/dev/null)
      copy_repo "$base" "$work/sbs-$n-ours-sqlite"
      (cd "$work/sbs-$n-ours-sqlite" && "$gm" migrate --to database --database-type sqlite --yes >/dev/null)
      sleep 3 # past the 2 s racy window of the migration's writes
      reads "hybrid $n" "$work/sbs-$n-ours-hybrid" 1.0 "$mib"
      reads "sqlite-db $n" "$work/sbs-$n-ours-sqlite" 1.0 "$mib"
      writes "hybrid $n" "$work/sbs-$n-ours-hybrid" 0.5 ""
    fi
    echo
    echo "N = $n, $rounds rounds interleaved; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    printf '%s\n' "${rows[@]}" | python3 -c 'import json,sys; print(json.dumps({"rounds": int(sys.argv[1]), "rows": [json.loads(l) for l in sys.stdin]}))' "$rounds" |
      python3 "$root/bench/sidebyside.py"
    echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  done
  exit 0
fi

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
