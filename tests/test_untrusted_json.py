"""One reader for untrusted JSON: bounded in size and depth, one error type (issue 12, item 3)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware.untrusted_json import UntrustedJSONError, loads, nesting_depth

tricky_text = st.text(alphabet='[]{}"\\ab,:')  # brackets and quotes inside strings do not nest
values = st.recursive(st.none() | st.booleans() | st.integers() | tricky_text,
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3),
                      max_leaves=20)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@given(values)
def test_depth_is_measured_outside_strings(value: object) -> None:
    text = json.dumps(value)
    assert nesting_depth(text) == _depth(value)
    assert loads(text.encode(), max_bytes=len(text.encode())) == value


@pytest.mark.parametrize("text", ["[" * 60000, '{"a":' + "[" * 200000, "[" * 33 + "]" * 33])
def test_deep_nesting_is_refused_without_recursing(text: str) -> None:
    with pytest.raises(UntrustedJSONError, match="nested"):
        loads(text, max_bytes=1 << 20)


def test_the_plain_parser_would_crash_on_it() -> None:
    """What the bound guards against: json.loads itself recurses and dies."""
    with pytest.raises(RecursionError):
        json.loads("[" * 60000 + "]" * 60000)


@pytest.mark.parametrize("data, why", [(b"x" * 11, "larger than 10 bytes"), (b"\xff", "not UTF-8 (byte offset 0)"),
                                       (b'{"a": }', "not JSON (line 1, column 7)")])
def test_every_failure_is_one_error_type_that_says_why(data: bytes, why: str) -> None:
    with pytest.raises(UntrustedJSONError) as e:
        loads(data, max_bytes=10)
    assert str(e.value) == why
