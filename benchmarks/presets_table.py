"""Markdown tables for the README from benchmarks/presets.sh's presets.jsonl.

    python benchmarks/presets_table.py runs/presets/presets.jsonl
"""

import json
import sys

ORDER = ["seed", "mlp-plus", "dcgan", "cdcgan"]


def row(r: dict) -> str:
    parzen = r["parzen_ll"]
    minutes = r["train_time_s"] / 60
    cells = [
        f"`{r['preset']}`",
        f"{r['fid']:.1f}",
        f"{r['inception_score']['mean']:.2f}",
        f"{r['precision']:.3f}",
        f"{r['recall']:.3f}",
        f"{r['coverage']}/10",
        f"{parzen['mean']:.1f} ± {parzen['sem']:.1f}",
        f"{r['steps']:,}",
        f"{minutes:.1f} min ({r['autocast']})",
    ]
    accuracy = r.get("label_accuracy")
    cells.append(f"{accuracy['mean']:.3f} ({accuracy['min']:.3f})" if accuracy else "")
    return "| " + " | ".join(cells) + " |"


def main(path: str) -> None:
    rows = [json.loads(line) for line in open(path)]
    header = ("| preset | FID | IS | precision | recall | coverage | Parzen LL ± s.e. | steps "
              "| training time | label accuracy (worst class) |")
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        print(f"\n{dataset}\n\n{header}\n|{' --- |' * 10}")
        for r in sorted(rows, key=lambda r: ORDER.index(r["preset"])):
            if r["dataset"] == dataset:
                print(row(r))


if __name__ == "__main__":
    main(sys.argv[1])
