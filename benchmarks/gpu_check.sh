#!/usr/bin/env bash
# One short GPU session: speed benchmark, full 50-epoch seed runs and the tutorial notebook,
# figures on stdout and under $OUT (or ./gpu-results). Run from the repository root on a
# CUDA machine with a CUDA build of torch already installed (pip install -e . keeps it).
set -euo pipefail
out=${OUT:-gpu-results}
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
python -m pip install --quiet --no-deps -e . && python -m pip install --quiet numpy pillow \
  safetensors tensorboard tqdm tomli-w
python benchmarks/bench_train.py --device cuda --out "$out/bench_train.json" | tee "$out/bench.txt"
# The CUDA-only code paths: the fourth status line (ms/step by CUDA events, peak memory),
# TF32 off and on side by side (dcgan: convolutions and matrix products), --compile with
# R1's double backward (cdcgan), and a run saved on cuda resumed on the CPU.
for tf32 in no-tf32 tf32; do
  python -m gankit train --preset dcgan --device cuda --"$tf32" --max-steps 600 \
    --log-every 200 --run-dir "$out/dcgan-$tf32" | grep "^Step:" | tee "$out/timing-$tf32.txt"
done
python -m gankit train --preset cdcgan --compile --device cuda --max-steps 300 --quiet \
  --run-dir "$out/cdcgan-compile" && tail -n 1 "$out/cdcgan-compile/metrics.jsonl"
python -m gankit train --resume "$out/cdcgan-compile" --device cpu --no-compile \
  --max-steps 310 | tee "$out/resume-on-cpu.txt"
# A lab run on the GPU: its frames (G's map, D's field) and measures come from CUDA tensors.
python -m gankit lab --device cuda --max-steps 400 --sample-every 200 --quiet \
  --run-dir "$out/lab" && tail -n 2 "$out/lab/metrics.jsonl"
python -m pip install --quiet pytest hypothesis
# A failing test is recorded, not fatal: the runs below still have their minutes.
python -m pytest -q tests/test_run_parts.py tests/test_reliability.py tests/test_train.py \
  > "$out/pytest-cuda.txt" 2>&1 || true
tail -n 3 "$out/pytest-cuda.txt"
for precision in bf16 fp32; do
  python -m gankit train --device cuda --precision "$precision" --quiet \
    --run-dir "$out/seed-50-$precision"
  tail -n 1 "$out/seed-50-$precision/metrics.jsonl" | tee -a "$out/full_runs.txt"
done
# The notebooks' code path on the GPU: the tutorial's hand-written networks and steps in
# gankit.Run, its exercises, evaluation and sampling, and a conditional run, with papermill.
python -m pip install --quiet ipykernel papermill nbconvert
python -m papermill notebooks/gan_mnist.ipynb "$out/gan_mnist.cuda.ipynb" -p max_steps 2000 \
  --cwd "$out" | tee "$out/notebook.txt"
