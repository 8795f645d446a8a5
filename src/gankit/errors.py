"""Errors that the CLI reports as one line on stderr with exit code 2."""


class GankitError(Exception):
    """Bad input or usage: the message is meant for the user, not a traceback."""


class DataError(GankitError):
    """A dataset that is missing, corrupt or inconsistent."""


class ConfigError(GankitError):
    """A configuration value, key or file that gankit cannot accept."""
