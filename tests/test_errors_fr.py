"""gankit's errors speak the session's language: every message a GankitError carries is an
English template given to gankit.errors.phrase, with a French twin in gankit.errors_fr, and
the words around it (« gankit : erreur : », argparse's own) follow."""

import ast
import errno
import os
import string
import subprocess
import sys
from pathlib import Path

import pytest

import gankit
from gankit.errors import (
    DOING,
    STORAGE_ADVICE,
    ConfigError,
    GankitError,
    error_line,
    phrase,
    storage_error,
)
from gankit.language import NARROW_NBSP, NBSP, current_language, set_language

SOURCE = Path(gankit.__file__).parent
PREFIX_FR = f"gankit{NBSP}: erreur{NBSP}: "


@pytest.fixture(autouse=True)
def english_after():
    """Each test leaves the session in English, whatever it set."""
    yield
    set_language("en")


def modules():
    for path in sorted(SOURCE.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def imports_phrase(path: Path, tree: ast.AST) -> bool:
    """Whether this module takes `phrase` from gankit.errors."""
    return path.name == "errors.py" and path.parent == SOURCE or any(
        isinstance(node, ast.ImportFrom) and node.module == "gankit.errors"
        and any(alias.name in ("phrase", "phrase_in") for alias in node.names)
        for node in ast.walk(tree))


def literals(node: ast.AST):
    """The literal templates an argument can be: "..." or one of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from literals(node.body)
        yield from literals(node.orelse)


def templates() -> dict[str, str]:
    """Every English template in the source, with where it is: the literal first argument
    of each phrase(...) (phrase_in's second), and the tables errors.py phrases from."""
    found = {text: "gankit.errors" for text in [*DOING.values(), *STORAGE_ADVICE.values()]}
    for path, tree in modules():
        if not imports_phrase(path, tree):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in (
                    "phrase", "phrase_in"):
                argument = node.args[0 if node.func.id == "phrase" else 1]
                for text in literals(argument):
                    found.setdefault(text, f"{path.name}:{node.lineno}")
    return found


def error_classes() -> set[str]:
    """GankitError and every class the source derives from it, by name."""
    names, bases = {"GankitError"}, {}
    for _, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {getattr(b, "id", getattr(b, "attr", None)) for b in node.bases}
    while grown := {name for name, of in bases.items() if of & names} - names:
        names |= grown
    return names


def test_every_english_template_has_a_french_twin():
    from gankit.errors_fr import FRENCH

    found = templates()
    assert len(found) > 150  # the scan sees the source's messages
    missing = {text: where for text, where in found.items() if text not in FRENCH}
    assert not missing


def test_no_gankit_error_is_raised_with_english_that_skips_phrase():
    """A GankitError (or subclass) built from a string or an f-string, not from phrase."""
    classes = error_classes()
    assert {"ConfigError", "DataError", "StorageError", "Corrupt", "RunInUse"} <= classes
    english = []
    for path, tree in modules():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in classes):
                continue
            phrased = {id(inner) for call in ast.walk(node) if isinstance(call, ast.Call)
                       and getattr(call.func, "id", None) in ("phrase", "phrase_in")
                       for inner in ast.walk(call)}
            for argument in node.args:
                for inner in ast.walk(argument):
                    if (isinstance(inner, ast.JoinedStr) or isinstance(inner, ast.Constant)
                            and isinstance(inner.value, str)) and id(inner) not in phrased:
                        english.append(f"{path.name}:{node.lineno}")
    assert not english


def test_each_french_template_has_the_english_ones_placeholders():
    from gankit.errors_fr import ARGPARSE, FRENCH

    def fields(text):
        return sorted({(name, conversion, spec) for _, name, spec, conversion
                       in string.Formatter().parse(text) if name is not None})

    for catalogue in (FRENCH, ARGPARSE):
        for english, french in catalogue.items():
            assert fields(french) == fields(english), english
            # French spacing: no plain space before : ; ? !
            assert not any(f" {mark}" in french for mark in ":;?!"), french


def test_a_setting_out_of_its_bounds_is_refused_in_french_with_a_decimal_comma():
    set_language("fr")
    with pytest.raises(ConfigError) as caught:
        gankit.resolve_config("seed", overrides={"g_lr": -1})
    message = str(caught.value)
    assert message == "g_lr doit être compris entre 0 et 10, et non -1,0"
    assert caught.value._render_traceback_() == [PREFIX_FR + message]
    with pytest.raises(ConfigError, match=f"entre 1 et 65{NARROW_NBSP}536, et non 0"):
        gankit.resolve_config("seed", overrides={"batch_size": 0})


def test_english_stays_as_it_was():
    with pytest.raises(ConfigError) as caught:
        gankit.resolve_config("seed", overrides={"g_lr": -1})
    assert str(caught.value) == "g_lr must be between 0 and 10, got -1.0"
    assert caught.value._render_traceback_() == [
        "gankit: error: g_lr must be between 0 and 10, got -1.0"]
    assert phrase("{name} has an implausible IDX shape {shape} (at most {dims} dimensions and "
                  "{elements:,} elements)", name="x", shape="1x2", dims=3,
                  elements=1_000_000) == ("x has an implausible IDX shape 1x2 (at most 3 "
                                          "dimensions and 1,000,000 elements)")


def test_numbers_and_storage_advice_in_french():
    set_language("fr")
    text = phrase("{name} has an implausible IDX shape {shape} (at most {dims} dimensions and "
                  "{elements:,} elements)", name="x.idx", shape="1x2", dims=3, elements=10**6)
    assert text == (f"x.idx a une forme IDX invraisemblable, 1x2 (au plus 3 dimensions et "
                    f"1{NARROW_NBSP}000{NARROW_NBSP}000 éléments)")
    assert phrase("{name} must be a finite number >= 0, got {value!r}", name="lr",
                  value=0.5) == "lr doit être un nombre fini >= 0, et non 0,5"
    error = storage_error(OSError(errno.ENOSPC, "No space left on device"), Path("/d/x.pt"))
    assert error_line(error) == (f"{PREFIX_FR}impossible d'écrire /d/x.pt{NBSP}: No space left "
                                 "on device (libérez de la place sur ce disque et relancez la "
                                 "commande)")


def test_an_error_keeps_the_language_it_was_raised_in():
    set_language("fr")
    error = GankitError(phrase("no such folder: {folder}", folder="runs"))
    set_language("en")
    assert error._render_traceback_() == [f"{PREFIX_FR}dossier introuvable{NBSP}: runs"]


def test_the_command_line_reports_a_bad_value_in_one_french_line():
    done = subprocess.run([sys.executable, "-m", "gankit", "train", "--language", "fr",
                           "--g-lr", "-1", "--dry-run"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=120)
    assert done.returncode == 2
    assert done.stderr == f"{PREFIX_FR}g_lr doit être compris entre 0 et 10, et non -1,0\n"
    assert done.stdout == ""


def test_argparse_errors_are_french_with_language_fr(capsys):
    from gankit.cli import main

    for argv, said in [
        (["train", "--language", "fr", "--epochs", "three"],
         f"gankit train{NBSP}: erreur{NBSP}: argument --epochs{NBSP}: 'three' n'est pas un "
         "nombre entier (voir gankit train --help)"),
        (["train", "--lang=fr", "--bogus"],
         f"gankit{NBSP}: erreur{NBSP}: arguments non reconnus{NBSP}: --bogus (voir gankit "
         "--help)"),
    ]:
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
        assert capsys.readouterr().err == said + "\n"
        assert current_language() == "en"  # main gives the session its language back
    with pytest.raises(SystemExit):
        main(["train", "--epochs", "three"])
    assert capsys.readouterr().err == ("gankit train: error: argument --epochs: invalid int "
                                       "value: 'three' (see gankit train --help)\n")
