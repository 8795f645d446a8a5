"""One writer per run dir: an advisory lock (flock) that the system drops when its
holder exits, however it exits, so a killed process never leaves a stale lock.

A training, a resume and an overwrite hold it for their whole life; the commands that
only read a run (sample, evaluate, report, runs) never take it and never wait.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

from gankit.errors import GankitError, phrase, storage_error

try:
    import fcntl
except ImportError:  # Windows: runs are not locked there
    fcntl = None

# What a file system that cannot lock (some network and FUSE mounts) answers flock with.
NO_LOCKS = {errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}


class RunInUse(GankitError):
    """Another process (or an unfinished Run in this one) writes this run dir."""


class RunLock:
    """A run dir's lock file (`RunDir.lock`), held from construction until `release()`
    (or until this object is collected, or the process ends). Taking it writes nothing:
    the holder's pid comes from the system's table of locks."""

    def __init__(self, path: Path):
        self.path = path
        self.descriptor: int | None = None
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
        except OSError as e:
            raise storage_error(e, path, "lock") from None
        try:
            if fcntl is not None:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = holder_pid(descriptor)
            os.close(descriptor)
            raise RunInUse(in_use_message(path.parent, holder)) from None
        except OSError as e:
            os.close(descriptor)
            if e.errno not in NO_LOCKS:
                raise storage_error(e, path, "lock") from None
            print(phrase("gankit: warning: the file system of {folder} cannot lock it "
                         "({reason}): nothing stops a second process from writing this run",
                         folder=path.parent, reason=e.strerror), file=sys.stderr)
            return
        self.descriptor = descriptor

    def release(self) -> None:
        if self.descriptor is not None:
            os.close(self.descriptor)
            self.descriptor = None

    def __del__(self) -> None:
        self.release()


def holder_pid(descriptor: int) -> int | None:
    """The pid holding a flock on the file open as `descriptor`, from Linux's
    /proc/locks (None elsewhere, or when it cannot tell)."""
    inode = os.fstat(descriptor).st_ino
    try:
        table = Path("/proc/locks").read_text()
    except OSError:
        return None
    for line in table.splitlines():
        # "1: FLOCK  ADVISORY  WRITE 4242 00:2f:1234 0 EOF"; waiters' lines hold "->".
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK" and "->" not in fields:
            if fields[5].rsplit(":", 1)[-1] == str(inode) and fields[4].isdigit():
                return int(fields[4])
    return None


def in_use_message(root: Path, holder: int | None) -> str:
    if holder == os.getpid():
        return phrase("{root} is in use by an earlier gankit Run in this same process that has "
                      "not ended (a notebook cell's Run never entered, or still referenced): "
                      "finish its `with` block, or delete it, first", root=root)
    who = phrase("process {pid}", pid=holder) if holder else phrase("another process")
    return phrase("{root} is in use by {who}, which is training it; wait for it to end (or stop "
                  "it: it saves on Ctrl-C or kill) before resuming or overwriting it", root=root,
                  who=who)
