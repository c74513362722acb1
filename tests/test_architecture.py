"""The folder tree's rules, checked on the source (docs/architecture.md, "Who owns what").

Each rule is one dependency the architecture forbids; the test names the module and
line that breaks it, so a newcomer sees the rule when they trip over it.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("firmware", "kiosk_ui", "host_tools")

# the composition root wires kiosk_ui's renderer, display and input into the kiosk
COMPOSITION_ROOT = "firmware/app/compose.py"
LAYERS_DOC = ROOT / "docs/architecture.md"


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "board" not in p.parts)


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(path: Path) -> Iterator[tuple[str, int]]:
    """Every module ``path`` imports (absolute names), with its line."""
    tree = _tree(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno
            for a in node.names:
                yield f"{node.module}.{a.name}", node.lineno


def _violations(rule: str, files: list[Path], forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    out = []
    for path in files:
        for name, line in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden) and not any(
                    name == a or name.startswith(a + ".") for a in allowed):
                out.append(f"{_rel(path)}:{line} imports {name} ({rule})")
    return out


def test_firmware_never_imports_the_ui_or_the_workstation_tools() -> None:
    files = [p for p in _sources() if _rel(p).startswith("firmware/") and _rel(p) != COMPOSITION_ROOT]
    assert _violations("only the composition root wires kiosk_ui in", files, ("kiosk_ui", "host_tools")) == []
    # firmware/cli.py names its commands' modules as strings; it imports none of them
    assert _violations("the dispatcher imports a command only when it runs", [ROOT / "firmware/cli.py"],
                       ("kiosk_ui", "host_tools")) == []
    assert _violations("the composition root wires the kiosk, not the workstation",
                       [ROOT / COMPOSITION_ROOT], ("host_tools",)) == []


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layers(doc: Path = LAYERS_DOC) -> dict[str, int]:
    """The "Layers" table of docs/architecture.md: each module prefix (in backticks) -> its layer."""
    text = doc.read_text(encoding="utf-8")
    section = text.split("\n## Layers\n", 1)[1].split("\n## ", 1)[0]
    found: dict[str, int] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].isdigit():
            for prefix in re.findall(r"`([\w.]+)`", cells[1]):
                found[prefix] = int(cells[0])
    return found


def layer_of(name: str, table: dict[str, int]) -> int | None:
    """The layer of a module: its longest declared prefix's (None: not in the project's layers)."""
    best = max((p for p in table if _within(name, p)), key=len, default=None)
    return None if best is None else table[best]


def test_the_layers_are_declared_once_and_cover_every_module() -> None:
    table = layers()
    assert set(range(max(table.values()) + 1)) == set(table.values()), "layers are numbered 0, 1, 2, ... upwards"
    unplaced = [_rel(p) for p in _sources() if _module(p) not in ("firmware",)
                and layer_of(_module(p), table) is None]
    assert unplaced == [], "every module belongs to a layer in docs/architecture.md (## Layers)"


def upward_imports(table: dict[str, int]) -> list[str]:
    out = []
    for path in _sources():
        mine = layer_of(_module(path), table)
        for name, line in _imports(path):
            theirs = layer_of(name, table)
            if mine is not None and theirs is not None and theirs > mine:
                out.append(f"{_rel(path)}:{line} imports {name} (layer {theirs} above {mine})")
    return sorted(set(out))


def test_no_import_runs_up_a_layer() -> None:
    """A lower layer never imports a higher one: the settings reach the kiosk as values, and
    the composition root is the only place that knows every part."""
    assert upward_imports(layers()) == []


def test_the_diagnostics_and_the_kiosk_are_independent() -> None:
    """diag judges the kiosk's hardware and list, the kiosk runs with or without it: what both
    read (check states, the SoC temperature) lives below them in firmware/readings.py."""
    kiosk = [p for p in _sources() if _rel(p).startswith("firmware/kiosk/")]
    diag = [p for p in _sources() if _rel(p).startswith("firmware/diag/")]
    assert _violations("the kiosk does not import the diagnostics", kiosk, ("firmware.diag",)) == []
    assert _violations("the diagnostics do not import the kiosk", diag, ("firmware.kiosk",)) == []


def test_the_kiosk_is_wired_in_one_place() -> None:
    """Kiosk(...) is made only by the composition root: the service, the demo and the benchmark
    all go through it (tests may make one directly from parts)."""
    out = []
    for path in _sources() + sorted((ROOT / "benchmarks").glob("*.py")):
        if _rel(path) == COMPOSITION_ROOT:
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Kiosk":
                out.append(f"{_rel(path)}:{node.lineno}")
    assert out == [], "the kiosk is built by firmware/app/compose.py's build()"


def test_the_ui_sees_only_the_kiosks_pure_values() -> None:
    files = [p for p in _sources() if _rel(p).startswith("kiosk_ui/")]
    assert _violations("kiosk_ui renders screens from firmware.kiosk.screen values", files, ("firmware",),
                       allowed=("firmware.kiosk.screen", "firmware.kiosk.kinds", "firmware.core",
                                "firmware.durable")) == []


def test_input_handling_does_not_load_the_renderer() -> None:
    files = [ROOT / "kiosk_ui/input.py"]
    assert _violations("touch and buttons need no Pillow or segno", files, ("PIL", "segno", "kiosk_ui.render")) == []


def test_the_portable_core_depends_only_on_itself() -> None:
    files = [p for p in _sources() if _rel(p).startswith("firmware/core/")]
    out = []
    for path in files:
        for name, line in _imports(path):
            top = name.split(".")[0]
            if top in ("firmware", "kiosk_ui", "host_tools") and not name.startswith("firmware.core"):
                out.append(f"{_rel(path)}:{line} imports {name}")
    assert out == [], "firmware/core is pure and runs on MicroPython: it imports nothing of the shell"


def test_only_the_adapter_touches_tufs_private_modules() -> None:
    out = []
    for path in _sources():
        if _rel(path) == "firmware/update/tuf_adapter.py":
            continue
        for name, line in _imports(path):
            if name.startswith("tuf.") and any(part.startswith("_") for part in name.split(".")):
                out.append(f"{_rel(path)}:{line} imports {name}")
    assert out == [], "tuf's private API is pinned behind firmware/update/tuf_adapter.py"


def _string_constants(path: Path) -> Iterator[tuple[str, int]]:
    """String literals that are not docstrings."""
    tree = _tree(path)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.value, node.lineno


@pytest.mark.parametrize("literal", ["floors.json", "audit.log", "time-floor", "/var/lib/safar", "SAFAR-LISTS"])
def test_the_state_directory_and_the_stick_layout_have_one_owner(literal: str) -> None:
    owners = {"firmware/update/layout.py", "firmware/usb.py"}
    out = [f"{_rel(p)}:{line}" for p in _sources() if _rel(p) not in owners
           for text, line in _string_constants(p) if literal in text]
    assert out == [], f"{literal!r} is spelled outside firmware/update/layout.py and firmware/usb.py"


# third-party errors that carry nothing but text: (file, the words looked for, why)
FOREIGN_TEXT = {
    ("firmware/untrusted_toml.py", "(at line "): "tomllib.TOMLDecodeError gives its position only in the message",
}


def test_no_caller_decides_by_an_error_messages_words() -> None:
    """``"expired" in reason`` breaks the day someone rewords a message: errors carry codes."""
    out = []
    excused = set()
    for path in _sources():
        for node in ast.walk(_tree(path)):
            if not (isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant)
                    and isinstance(node.left.value, str) and any(isinstance(o, (ast.In, ast.NotIn)) for o in node.ops)):
                continue
            for right in node.comparators:
                target = right.attr if isinstance(right, ast.Attribute) else getattr(right, "id", None)
                if isinstance(right, ast.Call):  # str(e), str(e).lower()
                    func = right.func
                    while isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
                        func = func.value.func
                    target = getattr(func, "id", None)
                if target in ("reason", "message", "msg", "detail", "str"):
                    if (_rel(path), node.left.value) in FOREIGN_TEXT:
                        excused.add((_rel(path), node.left.value))
                    else:
                        out.append(f"{_rel(path)}:{node.lineno}")
    assert out == []
    assert excused == set(FOREIGN_TEXT), f"stale FOREIGN_TEXT entries: {set(FOREIGN_TEXT) - excused}"


def test_the_update_packages_lazy_exports_all_resolve() -> None:
    """An export named like a submodule would turn into the module once that is imported."""
    import importlib
    import pkgutil
    import types

    import firmware.update as update

    for sub in pkgutil.iter_modules(update.__path__):
        importlib.import_module(f"firmware.update.{sub.name}")
    assert sorted(update.__all__) == sorted(update._EXPORTS)
    for name in update.__all__:
        assert not isinstance(getattr(update, name), types.ModuleType), f"firmware.update.{name} is a module"


# what reads a clock: a call of one of these names (time.monotonic(), self._clock(), clock())
CLOCK_CALLS = {"monotonic", "perf_counter", "time", "clock", "_clock"}


def _is_clock_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call) or node.args or node.keywords:
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in CLOCK_CALLS


def test_one_deadline_type() -> None:
    """A time limit is a ``firmware.deadline.Deadline``: no other module adds a timeout to a
    clock reading (``time.monotonic() + timeout``) or defines a class of its own for it."""
    out = []
    for path in _sources():
        if _rel(path) == "firmware/deadline.py":
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ClassDef) and node.name.endswith(("Deadline", "Timeout")) and not any(
                    isinstance(b, ast.Name) and b.id in ("Exception", "OSError", "TimeoutError") for b in node.bases):
                out.append(f"{_rel(path)}:{node.lineno} defines {node.name}")
            elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)
                  and (_is_clock_call(node.left) or _is_clock_call(node.right))):
                out.append(f"{_rel(path)}:{node.lineno} adds to a clock reading")
    assert out == [], "use firmware.deadline.Deadline (expired(), remaining(), restart())"


def _renames(path: Path) -> Iterator[int]:
    """Lines that replace or rename a file: ``os.replace``/``os.rename`` and ``Path.replace(x)``/
    ``.rename(x)`` (one argument: ``str.replace`` takes two, ``datetime.replace`` keywords)."""
    for node in ast.walk(_tree(path)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        func = node.func
        if func.attr in ("replace", "rename") and isinstance(func.value, ast.Name) and func.value.id == "os":
            yield node.lineno
        elif func.attr in ("replace", "rename") and len(node.args) == 1 and not node.keywords:
            yield node.lineno


def test_one_atomic_writer() -> None:
    """Replacing a file (temp file, mode, fsync, rename, the directory's fsync, the crash
    explorer's hook) is done by ``firmware/durable.py`` alone; everyone else calls it."""
    out = [f"{_rel(p)}:{line}" for p in _sources() if _rel(p) != "firmware/durable.py" for line in _renames(p)]
    assert out == [], "write through firmware.durable.atomic_write (or durable.replace for a streamed file)"


# CPython-only modules the portable core may name for the type checkers, never at run time
TYPE_ONLY_MODULES = ("typing", "typing_extensions", "collections.abc", "dataclasses", "enum")


def _type_checking_blocks(tree: ast.Module) -> set[int]:
    """ids of the statements inside ``if TYPE_CHECKING:`` (never run: MicroPython has no typing)."""
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            inside |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return inside


def test_the_portable_core_imports_no_typing_at_run_time() -> None:
    """Annotations are strings or builtins MicroPython ignores; type-only names are imported under
    ``if TYPE_CHECKING:`` with the core's own ``TYPE_CHECKING = False``."""
    out = []
    for path in [p for p in _sources() if _rel(p).startswith("firmware/core/")]:
        tree = _tree(path)
        guarded = _type_checking_blocks(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "TYPE_CHECKING"
                                                    for t in node.targets):
                if not (isinstance(node.value, ast.Constant) and node.value.value is False):
                    out.append(f"{_rel(path)}:{node.lineno} TYPE_CHECKING must be False at run time")
            if not isinstance(node, (ast.Import, ast.ImportFrom)) or id(node) in guarded:
                continue
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                if any(name == m or name.startswith(m + ".") for m in TYPE_ONLY_MODULES):
                    out.append(f"{_rel(path)}:{node.lineno} imports {name} at run time")
    assert out == [], "firmware/core runs on MicroPython"


def test_one_table_of_screen_kinds() -> None:
    """What a kind of screen is (timed, printable, its lamp, its band...) is its record in
    ``firmware/kiosk/kinds.py``; a tuple, set or dict of kind names elsewhere is a second
    table that a new kind would have to find (the board once kept one, and a kind missing
    from it turned every lamp off). A match's kinds (``firmware.core.match``: possible,
    strong) are another vocabulary that shares two of the names."""
    from firmware.core.match import NONE, POSSIBLE, STRONG
    from firmware.kiosk.kinds import KINDS

    owner = "firmware/kiosk/kinds.py"
    files = _sources() + sorted((ROOT / "benchmarks").rglob("*.py"))
    out = []
    for path in files:
        if _rel(path) == owner:
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                items = node.elts
            elif isinstance(node, ast.Dict):
                items = [k for k in node.keys if k is not None]
            else:
                continue
            values = {i.value if isinstance(i, ast.Constant) else None for i in items}
            if len(items) >= 2 and values <= set(KINDS) and not values <= {NONE, POSSIBLE, STRONG}:
                out.append(f"{_rel(path)}:{node.lineno}")
    assert out == [], f"a list of screen kinds outside {owner}: read the kinds' records instead"
