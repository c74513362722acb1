"""The I/O board protocol tests pass unchanged under the MicroPython WebAssembly port,
the same interpreter family that runs firmware/ioboard/protocol.py on the RP2040."""

from pathlib import Path

from mpy_runner import run_under_micropython

HERE = Path(__file__).parent


def test_ioboard_protocol_tests_pass_on_micropython() -> None:
    # Only protocol.py (and the package __init__ files above it) is copied: the
    # board ships it alone, so it must not import anything else from the repo.
    result = run_under_micropython([HERE / "portable" / "test_ioboard_protocol_portable.py"],
                                   copy=("firmware/ioboard/protocol.py",))
    assert result["failed"] == [], result["output"][-3000:]
    assert result["passed"] >= 20, result["output"][-3000:]
