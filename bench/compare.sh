#!/usr/bin/env bash
# Side by side: `rlhfsim train --data FILE` against the Python peers in
# bench/peers.py (numpy, scipy, scikit-learn, PyTorch) on the same JSONL,
# run alternately REPEATS times; prints each median and the ratio
# peer / rlhfsim (above 1: rlhfsim is faster), with the machine.
# A peer whose Python modules are missing is skipped, with the package to
# install (Debian: python3-numpy python3-scipy python3-sklearn python3-torch).
#
# usage: [PYTHON=/usr/bin/python3] bench/compare.sh [PROMPTS] [REPEATS]
#        (defaults: python3 on the PATH, 20000 prompts, 3 repeats)
set -euo pipefail
prompts=${1:-20000}
reps=${2:-3}
python=${PYTHON:-python3}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/rlhfsim" ./cmd/rlhfsim
"$tmp/rlhfsim" data --prompts "$prompts" --out "$tmp/data.jsonl" >/dev/null
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(go version | cut -d' ' -f3)"
echo "data: $prompts prompts, K=4, $(wc -l <"$tmp/data.jsonl") pairs, $(du -h "$tmp/data.jsonl" | cut -f1)"

seconds() { # run a command, print its wall time in seconds; its stderr goes to $tmp/err
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >"$tmp/out" 2>"$tmp/err" || { echo "failed: $*" >&2; cat "$tmp/err" >&2; return 1; }
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
row() { # row NAME OURS THEIRS PEER: medians and the ratio peer / rlhfsim
	local a b
	a=$(printf '%s\n' $2 | median)
	b=$(printf '%s\n' $3 | median)
	printf '%-36s rlhfsim %6.2f s   %-10s %6.2f s   ratio %5.2f\n' "$1" "$a" "$4" "$b" "$(echo "$b / $a" | bc -l)"
}

compare() { # compare NAME "rlhfsim flags" PEER MODULE
	local name=$1 flags=$2 peer=$3 module=$4 ours=() theirs=() ourRead=() theirRead=() ourTrain=() theirTrain=()
	if ! "$python" -c "import $module" 2>/dev/null; then
		printf '%-36s skipped: %s cannot import %s\n' "$name vs $peer" "$python" "$module"
		return
	fi
	for ((i = 0; i < reps; i++)); do
		# shellcheck disable=SC2086
		ours+=("$(seconds "$tmp/rlhfsim" train --data "$tmp/data.jsonl" --timings $flags)")
		# timings: data X s, training Y s, evaluating Z s
		ourRead+=("$(sed -n 's/^timings: data \([0-9.]*\) s.*/\1/p' "$tmp/err")")
		ourTrain+=("$(sed -n 's/^timings: .*training \([0-9.]*\) s.*/\1/p' "$tmp/err")")
		theirs+=("$(seconds "$python" bench/peers.py "$peer" "$tmp/data.jsonl" 10)")
		# MODE: import X s  parse Y s  train Z s ...
		theirRead+=("$(sed -n 's/.*parse \([0-9.]*\) s.*/\1/p' "$tmp/out")")
		theirTrain+=("$(sed -n 's/.*train \([0-9.]*\) s.*/\1/p' "$tmp/out")")
	done
	row "$name" "${ours[*]}" "${theirs[*]}" "$peer"
	row "  reading the JSONL" "${ourRead[*]}" "${theirRead[*]}" "$peer"
	row "  training" "${ourTrain[*]}" "${theirTrain[*]}" "$peer"
	if [[ $flags == *lbfgs* ]]; then
		# The peer's last run printed its weights; set them beside ours.
		cp "$tmp/out" "$tmp/peer"
		# shellcheck disable=SC2086
		"$tmp/rlhfsim" train --data "$tmp/data.jsonl" $flags --json >"$tmp/ours.json"
		"$python" - "$tmp/ours.json" "$tmp/peer" <<'PY'
import json, sys
ours = [w['learned'] for w in json.load(open(sys.argv[1]))['weights']]
line = next(l for l in open(sys.argv[2]) if l.startswith('weights'))
theirs = [float(x) for x in line.split()[1:]]
print(f"  weights: largest difference {max(abs(a - b) for a, b in zip(ours, theirs)):.1e} over {len(ours)}")
PY
	fi
}

echo "medians of $reps alternating runs: whole commands (reading, training, reporting), then the reading and the training as each reports them:"
compare "linear, L-BFGS" "--optimizer lbfgs --epochs 500" scipy scipy
compare "linear, L-BFGS" "--optimizer lbfgs --epochs 500" sklearn sklearn
compare "linear, Adam, 10 epochs" "--optimizer adam --epochs 10 --patience -1" np-adam numpy
compare "linear, Adam, 10 epochs" "--optimizer adam --epochs 10 --patience -1" torch-adam torch
compare "MLP 32, Adam, 10 epochs" "--model mlp --hidden 32 --optimizer adam --epochs 10 --patience -1" np-mlp numpy
compare "MLP 32, Adam, 10 epochs" "--model mlp --hidden 32 --optimizer adam --epochs 10 --patience -1" torch-mlp torch
