"""metrics.jsonl: the one module that writes, reads and truncates a run's records.

Each line is one JSON record of a kind (its "event"):
- "step": the numbers of the status lines (step, epoch, batch, d_loss, g_loss, D's mean
  outputs, time_s), every log_every batches;
- "eval": FID during training (step, epoch, fid, samples, time_s, eval_s);
- "toy": a lab run's measures of its fakes at each frame (step, epoch, modes, covered,
  high_quality, js, time_s, eval_s; modes, covered (the indices of the modes covered) and
  high_quality for toys with known modes);
- "evaluate": the results of `gankit evaluate RUN_DIR`;
- "end": a session's end (step, train_time_s, session_time_s, setup_time_s,
  eval_time_s, steps_per_s, device, world_size).
Runs written before the kinds were named have step records without "event".
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from gankit.atomic import append_line, end_line, replacing
from gankit.errors import naming, phrase

KINDS = ("step", "eval", "toy", "evaluate", "end")
# Reading is tolerant, writing strict: a line that is not a record of a known kind with
# these fields, numbers where numbers belong, is skipped (and counted), so that one bad
# line never blocks a resume, `runs` or a report.
REQUIRED = {"step": ("step", "d_loss", "g_loss"), "eval": ("step", "fid", "samples"),
            "toy": ("step", "js"),
            "evaluate": (), "end": ("step", "train_time_s", "steps_per_s")}
NUMBERS = {"step", "epoch", "batch", "d_loss", "g_loss", "d_x", "d_g_z", "critic_x",
           "critic_g_z", "time_s", "eval_s", "fid", "samples", "train_time_s",
           "session_time_s", "setup_time_s", "eval_time_s", "steps_per_s", "ms_per_step",
           "peak_memory_gib", "world_size", "modes", "high_quality", "js"}
WHOLE = {"step", "epoch", "batch", "samples", "world_size", "modes"}


def kind(record: dict) -> str:
    return record.get("event", "step")


def of_kind(records: list[dict], wanted: str) -> list[dict]:
    """The records of one kind, in the order they were written."""
    return [r for r in records if kind(r) == wanted]


def is_record(value) -> bool:
    """Whether a parsed line is a record gankit can use."""
    if not isinstance(value, dict) or kind(value) not in KINDS:
        return False
    if not all(key in value for key in REQUIRED[kind(value)]):
        return False
    for key in NUMBERS.intersection(value):
        number = value[key]
        if (isinstance(number, bool) or not isinstance(number, int | float)
                or key in WHOLE and not isinstance(number, int)):
            return False
    covered = value.get("covered", [])  # a lab run's covered modes, by index
    return isinstance(covered, list) and all(
        isinstance(mode, int) and not isinstance(mode, bool) and mode >= 0 for mode in covered)


def parse(line: bytes) -> dict | None:
    """The record on one line of metrics.jsonl, or None for anything else."""
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or cut short by a crash
        return None
    return record if is_record(record) else None


def read(path: Path, quiet: bool = False) -> list[dict]:
    """Every record in `path` (none when it does not exist). Lines that are not records
    are skipped, and counted in one warning line on stderr unless `quiet`."""
    records, skipped = [], 0
    for line in _lines(path):
        record = parse(line)
        if record is not None:
            records.append(record)
        elif line.strip():
            skipped += 1
    if skipped and not quiet:
        print(phrase("gankit: skipped {count} line(s) of {path} that are not gankit records",
                     count=skipped, path=path), file=sys.stderr)
    return records


def truncate(path: Path, last_step: int) -> None:
    """Forget what a crashed run recorded after `last_step`, the step it resumes from
    (and lines that are not records, such as one cut short by the crash)."""
    if not Path(path).exists():
        return
    kept = [line if line.endswith(b"\n") else line + b"\n" for line in _lines(path)
            if (record := parse(line)) is not None and record.get("step", 0) <= last_step]
    with replacing(Path(path)) as temporary:
        temporary.write_bytes(b"".join(kept))


def make(event: str, **fields) -> dict:
    """A record of kind `event` holding `fields`."""
    if event not in KINDS:
        raise ValueError(f"unknown record kind {event!r}")
    return {"event": event, **fields}


def append(path: Path, record: dict) -> None:
    """Add one record to `path` (for a command run on a finished run, `gankit evaluate`)."""
    append_line(path, json.dumps(record))


class RecordFile:
    """metrics.jsonl open for appending while a run trains (line-buffered, so a crash
    loses at most the line being written); `None` writes nowhere (ranks other than 0)."""

    def __init__(self, path: Path | None):
        self.path = path
        if path:
            end_line(path)
        with naming(path):
            self.file = open(path if path else os.devnull, "a", buffering=1)

    def write(self, record: dict) -> None:
        with naming(self.path):  # a full disk: say which file
            self.file.write(json.dumps(record) + "\n")

    def close(self) -> None:
        with naming(self.path):
            self.file.close()


def _lines(path: Path) -> list[bytes]:
    with naming(path, "read"):
        return Path(path).read_bytes().splitlines(keepends=True) if Path(path).is_file() else []
