#!/usr/bin/env bash
# Times `git milestone import --from json` of N milestones (default 10,000)
# into a fresh repository per run, per backend, as whole processes, and
# checks the round trip: `export --format json` gives the input back.
#
#   bench/import.sh                        # N=10000, backends file hybrid
#   BACKENDS="file hybrid postgresql" RUNS=3 bench/import.sh 10000
#
# postgresql uses $BENCH_DATABASE_URL (default the local server) and a
# database gm_import_bench created there and dropped afterwards (needs psql).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
backends=${BACKENDS:-file hybrid}
runs=${RUNS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/gm-import-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
go build -o "$work/bin/git-milestone" ./cmd/git-milestone
export PATH="$work/bin:$PATH"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

# The input: what `list --all --json` prints, with every kind of field:
# closed ones, multi-line descriptions, dates, unknown x- keys.
python3 - "$n" > "$work/in.json" <<'EOF'
import json, sys
n = int(sys.argv[1])
out = []
for i in range(n):
    closed = i % 5 == 0
    m = {"id": f"m-{i:05d}", "title": f"Milestone {i}: \"quoted\", with | pipes",
         "status": "completed" if closed else ["planned", "active", "blocked"][i % 3],
         "priority": ["low", "medium", "high", "critical"][i % 4],
         "owner": f"dev{i % 17}@example.com", "start": "2026-01-01", "due": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
         "labels": ["release", f"team-{i % 7}"], "depends_on": [f"m-{i - 1:05d}"] if i else [],
         "progress": i % 101, "description": f"Line one of {i}.\nLine two: a: b # not a comment\n",
         "created_at": "2026-01-01T10:00:00Z", "updated_at": "2026-02-01T10:00:00Z"}
    m["closed_at"] = "2026-03-01T10:00:00Z" if closed else None  # the JSON contract: every field, null where unset
    m["x-cost"] = {"amount": i, "currency": "EUR"}
    m["path"] = (".milestones/completed/" if closed else ".milestones/active/") + m["id"] + ".yaml"
    out.append(m)
print("[")
print(",\n".join("  " + json.dumps(m, ensure_ascii=False, separators=(",", ":")) for m in out))
print("]")
EOF

pgbase=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
pgdb=gm_import_bench
ms() { python3 -c 'import time; print(int(time.time()*1000))'; }

printf '%-11s %8s %10s %s\n' backend N import_ms runs_ms
for b in $backends; do
  times=()
  for r in $(seq "$runs"); do
    repo="$work/$b-$r"
    mkdir -p "$repo" && git -C "$repo" init -q
    case $b in
      postgresql)
        psql -q "$pgbase" -c "DROP DATABASE IF EXISTS $pgdb" -c "CREATE DATABASE $pgdb" >/dev/null
        export DATABASE_URL=${pgbase/\/postgres\?/\/$pgdb?}
        git -C "$repo" commit -q --allow-empty -m root
        (cd "$repo" && git milestone init --backend database --database-type postgresql --yes >/dev/null 2>&1 ||
          git milestone init --backend database --database-type postgresql >/dev/null 2>&1) ;;
      *) (cd "$repo" && git milestone init --backend "$b" >/dev/null 2>&1) ;;
    esac
    t0=$(ms)
    (cd "$repo" && git milestone import --from json "$work/in.json" 2>/dev/null)
    t1=$(ms)
    times+=($((t1 - t0)))
    (cd "$repo" && git milestone export --format json) > "$work/out.json"
    if [ "$b" = postgresql ]; then # database mode prints the folder path too: compare without it
      python3 - "$work/in.json" "$work/out.json" <<'EOF' || { echo "round trip differs ($b)" >&2; exit 1; }
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
sys.exit(0 if a == b else 1)
EOF
    else
      cmp -s "$work/in.json" "$work/out.json" || { echo "round trip differs ($b): diff $work/in.json $work/out.json" >&2; trap - EXIT; exit 1; }
    fi
    [ "$(git -C "$repo" rev-list --count HEAD)" -le 3 ] || { echo "more than one import commit ($b)" >&2; exit 1; }
  done
  sorted=($(printf '%s\n' "${times[@]}" | sort -n))
  printf '%-11s %8d %10d %s\n' "$b" "$n" "${sorted[$(( ${#sorted[@]} / 2 ))]}" "${times[*]}"
done
if [[ " $backends " == *" postgresql "* ]]; then psql -q "$pgbase" -c "DROP DATABASE IF EXISTS $pgdb" >/dev/null; fi
