"""metrics.jsonl: the one module that writes, reads and truncates a run's records.

Each line is one JSON record of a kind (its "event"):
- "step": the numbers of the status lines (step, epoch, batch, d_loss, g_loss, D's mean
  outputs, time_s), every log_every batches;
- "eval": FID during training (step, epoch, fid, samples, time_s, eval_s);
- "evaluate": the results of `gankit evaluate RUN_DIR`;
- "end": a session's end (step, train_time_s, session_time_s, setup_time_s,
  eval_time_s, steps_per_s, device, world_size).
Runs written before the kinds were named have step records without "event".
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from gankit.atomic import replacing

KINDS = ("step", "eval", "evaluate", "end")


def kind(record: dict) -> str:
    return record.get("event", "step")


def of_kind(records: list[dict], wanted: str) -> list[dict]:
    """The records of one kind, in the order they were written."""
    return [r for r in records if kind(r) == wanted]


def read(path: Path) -> list[dict]:
    """Every record in `path` (none when it does not exist); a line cut short by a crash
    is skipped."""
    if not Path(path).is_file():
        return []
    records = []
    for line in Path(path).read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def truncate(path: Path, last_step: int) -> None:
    """Forget what a crashed run recorded after `last_step`, the step it resumes from."""
    if not Path(path).exists():
        return

    def recorded_by_then(line: str) -> bool:
        try:
            return json.loads(line).get("step", 0) <= last_step
        except (ValueError, AttributeError):  # a line cut short by the crash
            return False

    kept = [line for line in Path(path).read_text().splitlines(keepends=True)
            if recorded_by_then(line)]
    with replacing(Path(path)) as temporary:
        temporary.write_text("".join(kept))


def make(event: str, **fields) -> dict:
    """A record of kind `event` holding `fields`."""
    if event not in KINDS:
        raise ValueError(f"unknown record kind {event!r}")
    return {"event": event, **fields}


def append(path: Path, record: dict) -> None:
    """Add one record to `path` (for a command run on a finished run, `gankit evaluate`)."""
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")


class RecordFile:
    """metrics.jsonl open for appending while a run trains (line-buffered, so a crash
    loses at most the line being written); `None` writes nowhere (ranks other than 0)."""

    def __init__(self, path: Path | None):
        self.file = open(path if path else os.devnull, "a", buffering=1)

    def write(self, record: dict) -> None:
        self.file.write(json.dumps(record) + "\n")

    def close(self) -> None:
        self.file.close()
