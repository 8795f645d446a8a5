"""The session's language, and how French writes numbers and punctuation: the bottom layer
that gankit.errors (every message) and gankit.language (every other word) both read, so
that neither imports the other's way of writing."""

import re

# French typography: a narrow no-break space groups thousands and stands before ; ! ? and
# inside « »; a no-break space stands before : and %.
NARROW_NBSP, NBSP = "\u202f", "\u00a0"

# The language of a session that sets none: a French notebook calls set_language("fr") once,
# and every Run, Lab, figure, check and error after it speaks French.
_session = {"language": "en"}


def current_language() -> str:
    """The language set by gankit.set_language, "en" until it is called."""
    return _session["language"]


def use_language(language: str) -> None:
    """Make `language` the session's; gankit.set_language checks it first."""
    _session["language"] = language


def numeral(text: str, language: str | None = None) -> str:
    """A number already written in English (1,000 or 0.5) as `language` writes it (the
    session's by default): 1 000 (narrow no-break space) and 0,5 in French."""
    if (language or current_language()) != "fr":
        return text
    return text.replace(",", NARROW_NBSP).replace(".", ",")


def typeset(text: str) -> str:
    """French spacing: a no-break space before : and %, a narrow one before ; ? ! and
    inside « »."""
    text = re.sub(r" ([:%])", NBSP + r"\1", text)
    text = re.sub(r" ([;?!»])", NARROW_NBSP + r"\1", text)
    return text.replace("« ", "«" + NARROW_NBSP)
