#!/usr/bin/env bash
# same-bytes.sh [BASE]: the refactoring guard. Builds rlhfsim at BASE (a
# git revision, default HEAD) and from the working tree, runs the same
# commands with both on fixed seeds (data, training, scoring, pipelines,
# figures, sweeps, step-by-step answers, the whole course in every format,
# a student's variant and its key), and compares every byte written.
# Exits 1 and lists the files that differ; takes a few minutes.
# SAME_BYTES_KEEP=DIR keeps the working tree's outputs in DIR, and the
# base's in DIR.base, to look at.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-HEAD}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base-src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach -q "$work/base-src" "$base"
(cd "$work/base-src" && go build -o "$work/base" ./cmd/rlhfsim)
go build -o "$work/new" ./cmd/rlhfsim
printf 'rlhfsim same-bytes secret\n' > "$work/course.secret"
printf 'Ada Lovelace\ngrace\n' > "$work/roster.txt"

battery() {
  local bin=$1 out=$2
  mkdir -p "$out" && cd "$out"
  export NO_COLOR=1 RLHFSIM_SECRET="rlhfsim same-bytes secret"
  {
    "$bin" data --prompts 500 --out d.jsonl
    "$bin" data --prompts 300 --k 3 --tau 0.5 --length-bias 1 --json
    "$bin" train --prompts 500 --json --save-model rm.json
    "$bin" train --data d.jsonl --model mlp --hidden 8 --json
    "$bin" score --model rm.json --data d.jsonl --json
    "$bin" pipeline --steps 100 --json --out p1
    "$bin" pipeline --policy pool --algo ppo --steps 60 --json --out p2
    "$bin" pipeline --policy pool --method dpo --prompts 500 --json --out p3
    "$bin" pipeline --method ipo --prompts 500 --json --out p4
    "$bin" figures --out figs --format svg,png,pdf
    "$bin" sweep --prompts 200,500 --betas 0.1,0.4 --seeds 1 --out sw
    "$bin" seq --updates 100 --out sq
    "$bin" codes --secret "$work/course.secret" --roster "$work/roster.txt"
    "$bin" key --secret "$work/course.secret" --student ada 04 08
  } > stdout.txt 2> stderr.txt || echo "exit $?" >> stdout.txt
  "$bin" run --format md,html,ipynb --out course --style plain > course.txt 2>&1 || echo "exit $?" >> course.txt
  "$bin" run 03 04 07 --student ada --secret "$work/course.secret" --format md,html --out ada --style plain > ada.txt 2>&1 || echo "exit $?" >> ada.txt
  # Wall-clock times are the one thing allowed to differ.
  sed -i -E 's/[0-9]+(\.[0-9]+)?(ms|µs|s)\b/TIME/g' stdout.txt stderr.txt course.txt ada.txt
}

battery "$work/base" "$work/out-base" &
battery "$work/new" "$work/out-new"
wait
if [ -n "${SAME_BYTES_KEEP:-}" ]; then
  rm -rf "$SAME_BYTES_KEEP" "$SAME_BYTES_KEEP.base" && cp -r "$work/out-new" "$SAME_BYTES_KEEP" && cp -r "$work/out-base" "$SAME_BYTES_KEEP.base"
fi
if diff -rq "$work/out-base" "$work/out-new"; then
  echo "same bytes: every file the battery writes is identical to $base's"
else
  echo "the files above differ from $base's"
  exit 1
fi
