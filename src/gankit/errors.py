"""Errors that the CLI reports as one line on stderr (exit code 2, or 1 for a fault of
the machine's), and interrupts. Every message is an English template given to `phrase`,
which the session's language (gankit.set_language) may turn into its French twin, found by
the English text in gankit.errors_fr."""

import contextlib
import errno
import numbers
import os
import signal
import string
import sys

from gankit.errors_fr import FRENCH
from gankit.wording import current_language, numeral

# The signals that stop a training after it saves: Ctrl-C, `kill`, and a closed terminal
# or dropped SSH link (SIGHUP). The exit codes are the shell's 128 + signal number.
# (Windows has no SIGHUP.)
EXIT_CODES = {signum: 128 + signum for signum in
              (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if signum}


def handle(signum: int, handler) -> None:
    """Install `handler` for `signum`, unless the signal is ignored: `nohup gankit ...`
    ignores SIGHUP, and a training it started must outlive the terminal."""
    if signal.getsignal(signum) is not signal.SIG_IGN:
        signal.signal(signum, handler)


def first_line(error: BaseException) -> str:
    """An exception's message cut to its first line (a library's may run to many), or its
    type's name when it has none."""
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__


def phrase(english: str, /, **values) -> str:
    """The message `english`, a str.format template, filled in with `values`, in the
    session's language (gankit.set_language)."""
    return phrase_in(current_language(), english, **values)


def phrase_in(language: str, english: str, /, **values) -> str:
    """`english` filled in with `values` as it is, or in French: its twin in
    gankit.errors_fr.FRENCH (the English one where there is none), with the numbers among
    `values` written the French way (-1,0; 60 000 for {n:,}), and the rest (paths, flags,
    keys, what the user typed) as in English."""
    if language != "fr":
        return english.format(**values)
    return _FrenchValues().format(FRENCH.get(english, english), **values)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class _FrenchValues(string.Formatter):
    """str.format, with numbers in French: {x} and {x!r} of 0.5 write 0,5."""

    def convert_field(self, value, conversion):
        if conversion == "r" and _is_number(value):
            return value  # a number reads as a number, not as Python's repr of it
        return super().convert_field(value, conversion)

    def format_field(self, value, format_spec):
        if isinstance(value, list | tuple) and value and all(map(_is_number, value)):
            inside = "\u202f; ".join(self.format_field(v, "") for v in value)  # [0,5 ; 0,999]
            return f"[{inside}]" if isinstance(value, list) else f"({inside})"
        text = format(value, format_spec)
        return numeral(text, "fr") if _is_number(value) else text


class GankitError(Exception):
    """Bad input or usage: the message is meant for the user, not a traceback. It keeps
    the session's language when raised, which its first words (`error_line`) follow."""

    def __init__(self, *args):
        super().__init__(*args)
        self.language = current_language()

    def _render_traceback_(self) -> list[str]:
        """What IPython and Jupyter show: the CLI's one line, not a traceback."""
        return [error_line(self)]


def error_line(error: GankitError) -> str:
    """The line the CLI ends with and Jupyter shows: gankit: error: MESSAGE, or in French
    gankit : erreur : MESSAGE (a no-break space before each colon)."""
    return phrase_in(getattr(error, "language", "en"), "gankit: error: {message}",
                     message=str(error))


class DataError(GankitError):
    """A dataset that is missing, corrupt or inconsistent."""


class ConfigError(GankitError):
    """A configuration value, key or file that gankit cannot accept."""


class StorageError(GankitError):
    """A file that could not be written or read for a reason of the machine's, not of
    the input (disk full, read-only file system, permissions): the CLI exits 1."""

    exit_code = 1


# What to do about an OSError, by its errno (given to `phrase`, as the templates below).
STORAGE_ADVICE = {
    errno.ENOSPC: "free some space on that disk and run the command again",
    errno.EDQUOT: "free some space within your quota and run the command again",
    errno.EROFS: "the file system is read-only: choose a writable folder",
    errno.EACCES: "check the permissions of the file and its folder",
    errno.EPERM: "check the permissions (and attributes, such as chattr +i) of the file",
    errno.ELOOP: "a symbolic link on the path points back to itself",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENOENT: "check the path (a symbolic link on it may point nowhere)",
    errno.EISDIR: "the path is a folder, not a file",
}


# What could not be done, by storage_error's `doing`.
DOING = {"write": "cannot write {what}: {reason}", "read": "cannot read {what}: {reason}",
         "lock": "cannot lock {what}: {reason}", "remove": "cannot remove {what}: {reason}",
         "write or read": "cannot write or read {what}: {reason}"}


def storage_error(error: OSError, path=None, doing: str = "write") -> StorageError:
    """One line for an OSError: `path` (else the error's own file), the system's reason,
    and what to do."""
    where = path if path is not None else error.filename
    reason = error.strerror or str(error)
    advice = STORAGE_ADVICE.get(error.errno)
    what = where if where is not None else phrase("a file")
    message = phrase(DOING[doing], what=what, reason=reason)
    return StorageError(phrase("{message} ({advice})", message=message, advice=phrase(advice))
                        if advice else message)


def stdout_gone() -> None:
    """After stdout's reader has gone (`| head`), point stdout at /dev/null: the exit's
    flush of what is still buffered then does not fail a second time."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@contextlib.contextmanager
def naming(path, doing: str = "write"):
    """Within the block, an OSError becomes the StorageError that names `path`."""
    try:
        yield
    except OSError as e:
        raise storage_error(e, path, doing) from None


class Stopped(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP outside the training loop (while starting up, or in
    `sample`): raised at once, as Ctrl-C's KeyboardInterrupt is, so that what is
    half-written is removed on the way out."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def raise_stopped(signum, frame) -> None:
    raise Stopped(signum)


class Interrupted(Exception):
    """Training stopped on SIGINT, SIGTERM or SIGHUP after saving; the CLI exits 130, 143
    or 129."""

    def __init__(self, signum: int, message: str, run_dir=None, *, language: str = "en",
                 prefix: str = "gankit:", resume_with: str = "Resume with:",
                 command: str = "train"):
        """`language` is the stopped run's, so that the hint resumes in it; `prefix` and
        `resume_with` are the words around the message, in that language; `command` the
        gankit command that resumes it (train, or lab for a lab run)."""
        super().__init__(message)
        self.exit_code = EXIT_CODES.get(signum, 128 + signum)
        self.run_dir, self.command = run_dir, command
        self.language, self.prefix, self.resume_with = language, prefix, resume_with

    def resume_hint(self, python: bool = False) -> str:
        if self.run_dir is None:
            return ""
        english = self.language == "en"
        if python:
            language = "" if english else f", language={self.language!r}"
            command = f"gankit.train(config, resume={str(self.run_dir)!r}{language})"
        else:
            world = os.environ.get("WORLD_SIZE", "1")
            launcher = (f"torchrun --nproc_per_node {os.environ.get('LOCAL_WORLD_SIZE', world)} "
                        "-m " if world not in ("", "1") else "")  # the same processes resume it
            command = f"{launcher}gankit {self.command} --resume {self.run_dir}" + (
                "" if english else f" --language {self.language}")
        return f" {self.resume_with} {command}"

    def _render_traceback_(self) -> list[str]:
        """In Jupyter, the kernel's interrupt ends the cell with this one line."""
        return [f"{self.prefix} {self}{self.resume_hint(python=True)}"]
