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


def main(path: str) -> None:
    rows = [json.loads(line) for line in open(path)]
    header = "| preset | " + " | ".join(COLUMNS) + " | steps | training time |"
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        print(f"\n{dataset}\n\n{header}\n|{' --- |' * (len(COLUMNS) + 3)}")
        for r in sorted(rows, key=lambda r: list(PRESETS).index(r["preset"])):
            if r["dataset"] == dataset:
                print(row(r))


if __name__ == "__main__":
    main(sys.argv[1])
