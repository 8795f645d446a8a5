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

    def __init__(self, signum: int, message: str, run_dir=None, prefix: str = "gankit:",
                 resume_label: str = "Resume with:"):
        super().__init__(message)
        self.exit_code = EXIT_CODES.get(signum, 128 + signum)
        self.run_dir = run_dir
        # The words around the message, in the language of the run that stopped.
        self.prefix, self.resume_label = prefix, resume_label

    def resume_hint(self, python: bool = False) -> str:
        if self.run_dir is None:
            return ""
        if python:
            return f" {self.resume_label} gankit.train(config, resume={str(self.run_dir)!r})"
        return f" {self.resume_label} gankit train --resume {self.run_dir}"

    def _render_traceback_(self) -> list[str]:
        """In Jupyter, the kernel's interrupt ends the cell with this one line."""
        return [f"{self.prefix} {self}{self.resume_hint(python=True)}"]
