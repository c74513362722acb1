"""The TensorFlow Lite interpreter the kiosk has: LiteRT (``ai-edge-litert``) first, the old
``tflite-runtime`` where only that is installed (it needs ``numpy<2``). Imported when first
used, so modules that never read a camera never load it."""

from __future__ import annotations

import importlib
from importlib import metadata
from pathlib import Path
from typing import Any

# distribution name -> module that holds its Interpreter, in order of preference
_RUNTIMES = (("ai-edge-litert", "ai_edge_litert.interpreter"), ("tflite-runtime", "tflite_runtime.interpreter"))


class RuntimeMissing(ImportError):
    """Neither ``ai-edge-litert`` nor ``tflite-runtime`` is installed."""


def _runtime() -> tuple[str, Any]:
    for name, module_name in _RUNTIMES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        return name, module.Interpreter
    raise RuntimeMissing("no TensorFlow Lite runtime: install ai-edge-litert")


def runtime_name() -> str:
    """``'ai-edge-litert'`` or ``'tflite-runtime'``; raises ``RuntimeMissing``."""
    return _runtime()[0]


def runtime_version() -> str:
    """The installed runtime's version, for ``safar diag``; raises ``RuntimeMissing``."""
    name = runtime_name()
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def load_interpreter(model_path: Path, threads: int = 1) -> Any:
    """An interpreter for the model file, tensors not yet allocated."""
    interpreter_class = _runtime()[1]
    return interpreter_class(model_path=str(model_path), num_threads=threads)
