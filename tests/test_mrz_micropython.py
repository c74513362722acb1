"""The portable MRZ tests pass unchanged under the MicroPython WebAssembly port."""

from pathlib import Path

from mpy_runner import run_under_micropython

HERE = Path(__file__).parent


def test_mrz_tests_pass_on_micropython() -> None:
    result = run_under_micropython([HERE / "portable" / "test_mrz_portable.py"])
    assert result["failed"] == [], result["output"][-3000:]
    assert result["passed"] >= 20
