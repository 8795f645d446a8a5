"""Property tests: arbitrary input only ever produces a result or gankit's clear errors.

The examples are fixed under the "ci" profile (tests/conftest.py); `make fuzz` draws
many more at random.
"""

import dataclasses
import gzip
import itertools

import numpy as np
import pytest
import tomli_w
from hypothesis import event, given, settings
from hypothesis import strategies as st

from gankit.cli import main
from gankit.config import FIELDS, PRESETS, Config
from gankit.data import _idx_bytes, parse_idx, read_idx
from gankit.errors import ConfigError, DataError
from gankit.resolve import config_from_dict, resolve_config

IDX_CODES = [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E]


@given(st.binary(max_size=300))
def test_arbitrary_bytes_parse_exactly_or_raise_data_error(raw):
    try:
        array = parse_idx(raw)
    except DataError:
        event("refused")
        return
    event("parsed")
    assert _idx_bytes(array) == raw  # what parsed is exactly what the bytes say


@given(code=st.sampled_from([*IDX_CODES, 0x00, 0xFF]),
       dims=st.lists(st.one_of(st.integers(0, 40), st.integers(0, 2**32 - 1)), max_size=5),
       payload=st.binary(max_size=200))
def test_plausible_headers_parse_exactly_or_raise(code, dims, payload):
    raw = bytes([0, 0, code, len(dims)]) + np.asarray(dims, ">u4").tobytes() + payload
    try:
        array = parse_idx(raw)
    except DataError:
        event("refused")
        return
    event("parsed")
    assert list(array.shape) == dims and array.tobytes() == payload


@given(raw=st.one_of(st.binary(max_size=300), st.builds(
           lambda code, shape, seed: _idx_bytes(np.random.default_rng(seed).integers(
               0, 100, shape).astype(np.dtype(">i4") if code == 0x0C else np.uint8)),
           st.sampled_from([0x08, 0x0C]), st.lists(st.integers(0, 6), min_size=1, max_size=3),
           st.integers(0, 100))),
       form=st.sampled_from(["raw", "gzip", "truncated gzip"]))
def test_files_read_like_their_bytes_or_raise_data_error(tmp_path_factory, raw, form):
    path = tmp_path_factory.mktemp("idx") / "file"
    compressed = gzip.compress(raw, mtime=0)
    path.write_bytes({"raw": raw, "gzip": compressed,
                      "truncated gzip": compressed[: len(compressed) // 2]}[form])
    try:
        expected = parse_idx(raw)
    except DataError:
        expected = None
    try:
        array = read_idx(path)
    except DataError:
        event("refused")
        assert expected is None or form == "truncated gzip"
        return
    event("read")
    assert form != "truncated gzip"
    assert expected is not None and array.dtype == expected.dtype
    assert np.array_equal(array, expected)


values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.just(10**400), st.floats(),
    st.text(max_size=10), st.lists(st.integers(-5, 5000), max_size=3),
    st.lists(st.floats(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers()),
)


def assert_valid(config: Config) -> None:
    """An accepted config survives its own round trip, as a resumed run reloads it."""
    assert config_from_dict(config.to_dict()) == config


@given(st.dictionaries(st.sampled_from([*FIELDS, "bogus"]), values, max_size=4))
def test_arbitrary_settings_resolve_or_raise_config_error(overrides):
    try:
        config = resolve_config("seed", None, overrides)
    except ConfigError:
        event("refused")
        return
    event("accepted")
    assert_valid(config)
    assert all(getattr(config, key) == value for key, value in overrides.items())


@given(st.text(max_size=200))
def test_arbitrary_config_files_resolve_or_raise_config_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("config") / "c.toml"
    path.write_text(text)
    try:
        config = resolve_config("seed", path)
    except ConfigError:
        event("refused")
        return
    event("accepted")
    assert_valid(config)


# The CLI itself, driven with generated flags and config files: every outcome is exit 0,
# 2 or 3 with at most 3 lines on stderr, and every configuration that --dry-run accepts
# trains one step on 300 digits (or stops as diverged, exit 3).
# Mostly values that train, so that many examples get as far as a training step.
SMALL_INTS = st.one_of(st.integers(1, 32), st.integers(-3, 64),
                       st.sampled_from([2**31, 2**63, -(2**63), 10**30]))
FLOATS = st.one_of(st.floats(0, 0.99), st.floats(-1, 2),
                   st.floats(allow_nan=True, allow_infinity=True))
NAMES = {"arch": ["mlp", "dcgan", "resnet"],
         "loss": ["nonsaturating", "minimax", "hinge", "lsgan", "wgan-gp", "l1"],
         "precision": ["fp32", "bf16", "fp16"]}
# Set by the harness (the 300 digits, where the run goes, on what, for how long), or
# tested on their own (compile; datasets in test_data.py).
HARNESS = {"dataset", "data_dir", "run_dir", "device", "compile", "max_steps", "epochs"}
FLAGS = [f for f in dataclasses.fields(Config) if f.metadata["flag"] and f.name not in HARNESS]


def flag_words(field: dataclasses.Field):
    """A flag and its values; a boolean is switched on (--name) or off (--no-name)."""
    name = field.name.replace("_", "-")
    if isinstance(field.default, bool):
        return st.sampled_from([[f"--{name}"], [f"--no-{name}"]])
    return flag_values(field).map(lambda values: [f"--{name}", *values])


def flag_values(field: dataclasses.Field):
    default = field.default_factory() if field.default is dataclasses.MISSING else field.default
    if isinstance(default, list):
        item = SMALL_INTS if isinstance(default[0], int) else FLOATS
        return st.lists(item.map(str), min_size=1, max_size=3)
    if isinstance(default, int):
        strategy = st.one_of(SMALL_INTS.map(str), st.sampled_from(["", "x", "1.5"]))
    elif isinstance(default, float):
        strategy = st.one_of(FLOATS.map(repr), st.sampled_from(["", "x", "1e400"]))
    else:
        strategy = st.sampled_from(NAMES.get(field.name, ["", "?", "auto"]))
    return strategy.map(lambda value: [value])


arguments = st.lists(st.sampled_from(FLAGS).flatmap(flag_words), max_size=4).map(
    lambda parts: list(itertools.chain.from_iterable(parts)))
config_files = st.one_of(
    st.none(), st.text(max_size=60),
    st.dictionaries(st.sampled_from([f.name for f in FLAGS] + ["bogus"]),
                    st.one_of(st.integers(-3, 64), st.floats(-1, 2), st.booleans(),
                              st.sampled_from(["mlp", "hinge", "bf16", ""])),
                    max_size=3).map(tomli_w.dumps))
presets = st.one_of(st.none(), st.sampled_from([*PRESETS, "x"]))
CLI_EXAMPLES = max(settings.default.max_examples * 2 // 3, 20)  # 200 with the "ci" profile


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    from tests.conftest import mnist_subset

    return mnist_subset(tmp_path_factory.mktemp("digits"), 300, 100)


@settings(max_examples=CLI_EXAMPLES)
@given(preset=presets, argv=arguments, config_text=config_files)
def test_the_cli_trains_or_refuses_in_one_line(digits, tmp_path_factory, capsys, preset,
                                               argv, config_text):
    workdir = tmp_path_factory.mktemp("cli")
    if config_text is not None:
        (workdir / "c.toml").write_text(config_text)
        argv = [*argv, "--config", str(workdir / "c.toml")]
    if preset is not None:
        argv = ["--preset", preset, *argv]
    run = workdir / "run"
    harness = ["--data-dir", str(digits), "--run-dir", str(run), "--device", "cpu",
               "--max-steps", "1", "--quiet"]
    outcomes = []
    for extra in (["--dry-run"], []):
        capsys.readouterr()
        try:
            code = main(["train", *argv, *harness, *extra])
        except SystemExit as e:  # argparse's usage errors
            code = e.code
        err = capsys.readouterr().err
        assert code in (0, 2, 3), err
        assert len(err.splitlines()) <= 3 and "Traceback" not in err, err
        outcomes.append(code)
        if code == 2:
            assert not run.exists(), "an error left files behind"
    accepted, trained = outcomes
    event(f"gankit train exit {trained}")  # how the examples split (--hypothesis-show-statistics)
    assert trained in ((0, 3) if accepted == 0 else (2,))
    if trained == 0:
        assert (run / "generator.safetensors").is_file()
