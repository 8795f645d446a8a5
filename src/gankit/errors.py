"""Errors that the CLI reports as one line on stderr with exit code 2."""


class GankitError(Exception):
    """Bad input or usage: the message is meant for the user, not a traceback."""

    def _render_traceback_(self) -> list[str]:
        """What IPython and Jupyter show: the CLI's one line, not a traceback."""
        return [f"gankit: error: {self}"]


class DataError(GankitError):
    """A dataset that is missing, corrupt or inconsistent."""


class ConfigError(GankitError):
    """A configuration value, key or file that gankit cannot accept."""
