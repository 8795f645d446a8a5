"""Files replaced whole: a reader sees the old file or the new one, never half of one.

Every file gankit writes whole goes through `replacing`: a temporary file beside the
target, flushed to disk, then renamed over it. Two files grow instead: metrics.jsonl
(appended a line at a time: `append_line` syncs one record to disk; a training's
records.RecordFile is line-buffered and never synced, so a crash of the machine, not of
the process, may lose its last lines) and TensorBoard's event files. A process
killed midway leaves a `.NAME.tmpPID` file, which `remove_stale_temporaries` clears at
the next start of that run. A failure of the machine's (disk full, read-only, a bad
path) becomes one StorageError naming the path.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

from gankit.errors import naming, storage_error

TEMPORARY = re.compile(r"\..+\.tmp(\d+)")


@contextlib.contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path` to write; when the block ends without an
    error it is synced and renamed over `path` (atomic on one file system), otherwise
    removed, and `path` is left as it was."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        yield temporary
        sync(temporary)
        os.replace(temporary, path)
        sync(path.parent)
    except OSError as e:
        raise storage_error(e, path) from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def write_bytes(path: str | Path, data: bytes) -> None:
    with replacing(path) as temporary:
        temporary.write_bytes(data)


def write_text(path: str | Path, text: str) -> None:
    write_bytes(path, text.encode())


def append_line(path: str | Path, line: str) -> None:
    """Append `line` to a text file, on a line of its own even when the file ends in
    half a line (a crash mid-write): the new line never glues onto the broken one."""
    with naming(path), open(path, "ab+") as f:
        _end_line(f)
        f.write(line.encode() + b"\n")
        f.flush()
        os.fsync(f.fileno())


def end_line(path: str | Path) -> None:
    """End a text file that ends in half a line, so that what is appended next starts
    on a line of its own."""
    with naming(path), open(path, "ab+") as f:
        _end_line(f)


def _end_line(f) -> None:
    if os.fstat(f.fileno()).st_size:
        f.seek(-1, os.SEEK_END)
        if f.read(1) != b"\n":
            f.write(b"\n")


def sync(path: Path) -> None:
    """Flush a file's (or a folder's entries') data to disk; where the system cannot
    sync a folder, the rename is still atomic."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        if path.is_dir():
            return
        raise
    try:
        os.fsync(descriptor)
    except OSError:
        if not path.is_dir():
            raise
    finally:
        os.close(descriptor)


def remove_stale_temporaries(*folders: Path) -> None:
    """Delete the temporary files that killed processes left in `folders` (a live
    process's are its own, and kept)."""
    for folder in folders:
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            match = TEMPORARY.fullmatch(entry.name)
            if match and not process_alive(int(match.group(1))):
                with contextlib.suppress(OSError):
                    entry.unlink()


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except PermissionError:  # another user's live process
        return True
    except (ProcessLookupError, OverflowError):
        return False
    return True
