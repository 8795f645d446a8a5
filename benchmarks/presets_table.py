"""Markdown tables for the README from benchmarks/presets.sh's presets.jsonl.

    python benchmarks/presets_table.py runs/presets/presets.jsonl

The metric cells are the rows every gankit table shows (gankit.metrics.result_rows).
"""

import json
import sys

from gankit.config import PRESETS
from gankit.metrics import result_rows

COLUMNS = ["FID", "IS", "precision (k=3)", "recall (k=3)", "coverage", "Parzen LL",
           "label accuracy"]


def row(r: dict) -> str:
    shown = dict(result_rows(r))
    cells = [f"`{r['preset']}`", *(shown.get(column, "") for column in COLUMNS),
             f"{r['steps']:,}", f"{r['train_time_s'] / 60:.1f} min ({r['autocast']})"]
    return "| " + " | ".join(cells) + " |"


# Class names for the per-class tables (the datasets' own documentation).
CLASS_NAMES = {
    "mnist": [str(k) for k in range(10)],
    "fashion-mnist": ["T-shirt/top", "trouser", "pullover", "dress", "coat", "sandal",
                      "shirt", "sneaker", "bag", "ankle boot"],
}


def per_class(r: dict) -> str:
    """Each class's label accuracy beside the classifier's accuracy on its real test images."""
    accuracy = r["label_accuracy"]
    lines = [f"\n`{r['preset']}` on {r['dataset']}, per class\n",
             "| class | label accuracy | classifier on real test images |", "| --- | --- | --- |"]
    for name, generated, real in zip(CLASS_NAMES[r["dataset"]], accuracy["per_class"],
                                     accuracy["real_per_class"], strict=True):
        lines.append(f"| {name} | {generated:.3f} | {real:.3f} |")
    return "\n".join(lines)


def main(path: str) -> None:
    rows = [json.loads(line) for line in open(path)]
    header = "| preset | " + " | ".join(COLUMNS) + " | steps | training time |"
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        print(f"\n{dataset}\n\n{header}\n|{' --- |' * (len(COLUMNS) + 3)}")
        ordered = [r for r in sorted(rows, key=lambda r: list(PRESETS).index(r["preset"]))
                   if r["dataset"] == dataset]
        for r in ordered:
            print(row(r))
        for r in ordered:
            if "real_per_class" in r.get("label_accuracy", {}):
                print(per_class(r))


if __name__ == "__main__":
    main(sys.argv[1])
