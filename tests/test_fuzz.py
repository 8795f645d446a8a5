"""Property tests: arbitrary bytes and values only ever produce gankit's clear errors."""

import gzip

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gankit.config import FIELDS, Config, resolve_config
from gankit.data import parse_idx, read_idx
from gankit.errors import ConfigError, DataError

fuzz = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@fuzz
@given(st.binary(max_size=300))
def test_arbitrary_bytes_parse_or_raise_data_error(raw):
    try:
        array = parse_idx(raw)
    except DataError:
        return
    assert isinstance(array, np.ndarray)


@fuzz
@given(code=st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0xFF]),
       dims=st.lists(st.integers(0, 2**32 - 1), max_size=4),
       payload=st.binary(max_size=200))
def test_plausible_headers_parse_exactly_or_raise(code, dims, payload):
    raw = bytes([0, 0, code, len(dims)]) + np.asarray(dims, ">u4").tobytes() + payload
    try:
        array = parse_idx(raw)
    except DataError:
        return
    assert list(array.shape) == dims and array.nbytes == len(payload)


@fuzz
@given(st.binary(max_size=300), st.booleans())
def test_arbitrary_files_read_or_raise_data_error(tmp_path_factory, raw, compress):
    path = tmp_path_factory.mktemp("idx") / "file"
    path.write_bytes(gzip.compress(raw)[: len(raw) // 2 + 10] if compress else raw)
    try:
        read_idx(path)
    except DataError:
        pass


values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.just(10**400), st.floats(),
    st.text(max_size=10), st.lists(st.integers(-5, 5000), max_size=3),
    st.lists(st.floats(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers()),
)


@fuzz
@given(st.dictionaries(st.sampled_from([*FIELDS, "bogus"]), values, max_size=4))
def test_arbitrary_settings_resolve_or_raise_config_error(overrides):
    try:
        config = resolve_config("seed", None, overrides)
    except ConfigError:
        return
    assert isinstance(config, Config)


@fuzz
@given(st.text(max_size=200))
def test_arbitrary_config_files_resolve_or_raise_config_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("config") / "c.toml"
    path.write_text(text)
    try:
        resolve_config("seed", path)
    except ConfigError:
        pass
