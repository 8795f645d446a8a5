"""Errors that the CLI reports as one line on stderr with exit code 2, and interrupts."""

import signal

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


class GankitError(Exception):
    """Bad input or usage: the message is meant for the user, not a traceback."""

    def _render_traceback_(self) -> list[str]:
        """What IPython and Jupyter show: the CLI's one line, not a traceback."""
        return [f"gankit: error: {self}"]


class DataError(GankitError):
    """A dataset that is missing, corrupt or inconsistent."""


class ConfigError(GankitError):
    """A configuration value, key or file that gankit cannot accept."""


class Interrupted(Exception):
    """Training stopped on SIGINT/SIGTERM after saving; the CLI exits 130 or 143."""

    def __init__(self, signum: int, message: str, run_dir=None, *, language: str = "en",
                 prefix: str = "gankit:", resume_with: str = "Resume with:"):
        """`language` is the stopped run's, so that the hint resumes in it; `prefix` and
        `resume_with` are the words around the message, in that language."""
        super().__init__(message)
        self.exit_code = EXIT_CODES.get(signum, 128 + signum)
        self.run_dir = run_dir
        self.language, self.prefix, self.resume_with = language, prefix, resume_with

    def resume_hint(self, python: bool = False) -> str:
        if self.run_dir is None:
            return ""
        english = self.language == "en"
        if python:
            language = "" if english else f", language={self.language!r}"
            command = f"gankit.train(config, resume={str(self.run_dir)!r}{language})"
        else:
            command = f"gankit train --resume {self.run_dir}" + (
                "" if english else f" --language {self.language}")
        return f" {self.resume_with} {command}"

    def _render_traceback_(self) -> list[str]:
        """In Jupyter, the kernel's interrupt ends the cell with this one line."""
        return [f"{self.prefix} {self}{self.resume_hint(python=True)}"]
