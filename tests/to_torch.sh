#!/usr/bin/env bash
# to_torch.sh ENGRAM - scripts/to-torch.py: a model converted to a PyTorch
# state_dict, loaded into its EngramLM, scores a data set's test split as one
# stream from a zero state, and must give engram eval --batch 1's loss to
# 1e-4: a full softmax, a tied one, and an adaptive softmax.  Skipped (77)
# where Debian's python3-torch or python3-h5py is not installed.
set -u
engram=$1
here=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
"$py" -c 'import torch, h5py' 2>/dev/null || { echo "to_torch: skipped: no python3-torch or python3-h5py"; exit 77; }
. "$(dirname "$0")/lib.sh"

grammar_text 3000 "" > "$dir/toy.txt"
head -200 "$dir/toy.txt" > "$dir/v.txt"
"$engram" prepare --quiet --tokenizer word -o "$dir/w.h5" "$dir/toy.txt" "$dir/v.txt" "$dir/v.txt" || bad "prepare"

# the test split's mean nats per token after the first, as one stream
torch_loss() { # PT DATA
	"$py" - "$here/scripts/to-torch.py" "$1" "$2" <<'EOF'
import importlib.util, sys, h5py, torch
spec = importlib.util.spec_from_file_location("to_torch", sys.argv[1])
tt = importlib.util.module_from_spec(spec); spec.loader.exec_module(tt)
model, saved = tt.load(sys.argv[2])
ids = torch.from_numpy(h5py.File(sys.argv[3], "r")["test"][()].astype("int64")).reshape(-1, 1)
with torch.no_grad():
    nll, _ = model.nll(ids[:-1], ids[1:])
print("%.9g" % nll.double().mean().item())
EOF
}

for variant in "full:" "tied:--tie --embed 16" "adaptive:--softmax adaptive --cutoffs 4,8 --head-bias on --div-value 2"; do
	name=${variant%%:*}
	flags=${variant#*:}
	# shellcheck disable=SC2086
	"$engram" train --data "$dir/w.h5" --run-dir "$dir/$name" --layers 2 --hidden 16 --embed 8 $flags \
		--batch 8 --bptt 10 --optimizer adam --lr 0.01 --steps 40 --threads 1 --quiet > "$dir/$name.log" 2>&1 ||
		{ bad "$name: train: $(tail -2 "$dir/$name.log")"; continue; }
	out=$("$py" "$here/scripts/to-torch.py" "$dir/$name" "$dir/$name.pt" 2>&1) ||
		{ bad "$name: to-torch: $out"; continue; }
	want=$("$engram" eval --ckpt "$dir/$name" --data "$dir/w.h5" --split test --batch 1 --bptt 1 --json |
		sed 's/.*"loss":\([0-9.e+-]*\).*/\1/')
	got=$(torch_loss "$dir/$name.pt" "$dir/w.h5" 2>&1)
	awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-4 * b) }' &&
		ok || bad "$name: PyTorch's loss $got, engram eval's $want"
	echo "to_torch: $name: PyTorch $got, engram eval $want nats/token"
done
"$py" "$here/scripts/to-torch.py" --help | grep -q 'tt.load' && ok || bad "--help does not say how to load the module"
out=$("$py" "$here/scripts/to-torch.py" "$dir/w.h5" "$dir/x.pt" 2>&1)
[ $? -ne 0 ] && grep -q 'not an engram checkpoint' <<<"$out" && ok || bad "a data set taken for a checkpoint: $out"

echo "to_torch: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
