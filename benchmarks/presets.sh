#!/usr/bin/env bash
# The README's preset tables and time-to-quality chart: train each preset on each dataset
# with FID on 5,000 samples after every epoch (--eval-every 1), then score it with
# `gankit evaluate` (all metrics, 10,000 samples vs the test split). One JSON line per
# run is appended to $OUT/presets.jsonl (default runs/presets); its training time leaves
# out the per-epoch evaluations. Run it alone: the times it records are the machine's,
# and a second heavy job doubles them.
#   benchmarks/presets.sh                       # every preset, MNIST and Fashion-MNIST
#   benchmarks/presets.sh "dcgan cdcgan" mnist  # a subset
#   EXTRA="--r1 1" OUT=runs/presets-r1 benchmarks/presets.sh cdcgan  # flags over presets
#   PRECISION=bf16 benchmarks/presets.sh        # bf16 autocast (fast with AMX; default fp32)
set -euo pipefail
presets=${1:-seed mlp-plus dcgan dcgan-clusters cdcgan}
datasets=${2:-mnist fashion-mnist}
out=${OUT:-runs/presets}
gankit=${GANKIT:-gankit}
read -r -a extra <<< "${EXTRA:-}"
mkdir -p "$out"
for dataset in $datasets; do
  for preset in $presets; do
    run="$out/$preset-$dataset"
    # The seed preset is the notebook exactly, fp32 whatever PRECISION says.
    precision=${PRECISION:-fp32}
    [ "$preset" = seed ] && precision=fp32
    $gankit train --preset "$preset" --dataset "$dataset" --precision "$precision" \
      --eval-every 1 --run-dir "$run" --quiet ${extra[@]+"${extra[@]}"}
    $gankit evaluate "$run" --json > "$run/evaluation.json"
    python3 - "$run" "$preset" "$dataset" "$precision" >> "$out/presets.jsonl" <<'PY'
import json, sys
run, preset, dataset, precision = sys.argv[1:]
end = [json.loads(l) for l in open(f"{run}/metrics.jsonl") if '"event": "end"' in l][-1]
row = {"preset": preset, "dataset": dataset, "autocast": precision, "steps": end["step"],
       "train_time_s": round(end["train_time_s"] - end["eval_time_s"], 1)}
print(json.dumps(row | json.load(open(f"{run}/evaluation.json"))))
PY
  done
done
