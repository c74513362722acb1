"""The wheel is the product: built from what a fresh clone holds, installed into a fresh
virtualenv, it must run ``safar demo`` far from the checkout.

Everything a screen or the camera reader needs at run time (the fonts, the compiled ``.mo``
catalogues, the character model; the demo renders a data page in OCR-B) is
package data, so a wheel that drops it builds fine and fails only on a kiosk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("firmware", "kiosk_ui", "host_tools")
# what the screens and the camera reader load from the installed package at run time
RUNTIME_DATA = ("kiosk_ui/fonts/*.ttf", "kiosk_ui/locale/*/LC_MESSAGES/*.mo", "firmware/camera/model/*.tflite",
                "host_tools/ocr/fonts/*.otf")
DEMO_SCREENS = {"idle", "reading", "no_record", "strong", "possible", "read_failed", "out_of_service"}
# never in a clone: what a checkout accumulates by building, installing and testing
UNCLONED = shutil.ignore_patterns(".git", ".venv", "node_modules", "build", "dist", "*.egg-info", "__pycache__",
                                  ".pytest_cache", ".mypy_cache", ".hypothesis", "demo-out")


def _run(argv: list[object], cwd: Path | None = None, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    p = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    command = " ".join(map(str, argv))
    assert p.returncode == 0, f"{command} exited {p.returncode}:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p


def _clone(dest: Path) -> Path:
    """The files a clone of the working tree would hold (tracked, or new and not ignored)."""
    try:
        listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                 capture_output=True, check=True).stdout.decode()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (an unpacked sdist): all but build debris
        shutil.copytree(ROOT, dest, ignore=UNCLONED)
        return dest
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not in the next commit
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def _without_checkout(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


def build_wheel(source: Path, outdir: Path) -> Path:
    # the build backend pyproject asks for is in the test's environment: no isolated one to install
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", outdir, source], cwd=source,
         env=_without_checkout(dict(os.environ)))
    (wheel,) = outdir.glob("safar-*.whl")
    return wheel


def missing_from_wheel(wheel: Path, source: Path) -> list[str]:
    """Modules and run-time data of the source that the wheel lacks or holds in another version."""
    with zipfile.ZipFile(wheel) as z:
        held = {PurePosixPath(n): n for n in z.namelist()}
        wanted = [p for pattern in RUNTIME_DATA for p in source.glob(pattern)]
        wanted += [p for package in PACKAGES for p in (source / package).rglob("*.py")]
        missing = []
        for path in sorted(wanted):
            name = PurePosixPath(path.relative_to(source).as_posix())
            if name not in held:
                missing.append(f"{name}: not in the wheel")
            elif z.read(held[name]) != path.read_bytes():
                missing.append(f"{name}: differs from the source")
        return missing


@pytest.mark.slow(seconds=20)
def test_wheel_installs_and_runs_the_demo_outside_the_checkout(tmp_path: Path) -> None:
    source = _clone(tmp_path / "clone")
    assert list(source.glob("kiosk_ui/locale/*/LC_MESSAGES/*.mo")), "a fresh clone has no compiled catalogues"

    wheel = build_wheel(source, tmp_path / "dist")
    assert missing_from_wheel(wheel, source) == []
    with zipfile.ZipFile(wheel) as z:
        (entry_points,) = (n for n in z.namelist() if n.endswith(".dist-info/entry_points.txt"))
        assert "safar = firmware.cli:main" in z.read(entry_points).decode()

    # A fresh environment: no pip of its own (the test's pip installs into it), no editable link to the tree.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python, safar = venv / "bin" / "python", venv / "bin" / "safar"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-compile", "--disable-pip-version-check",
          "--quiet", wheel], env=_without_checkout(dict(os.environ)))

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin", "HOME": str(elsewhere), "LANG": "C.UTF-8"}
    where = _run([python, "-c", "import host_tools; print(host_tools.__file__)"], cwd=elsewhere, env=env)
    assert Path(where.stdout.strip()).is_relative_to(venv), f"imported from {where.stdout.strip()}, not the wheel"

    # the copy it was built from has no .git: setuptools-scm gives pyproject.toml's fallback version
    with (ROOT / "pyproject.toml").open("rb") as f:
        version = tomllib.load(f)["tool"]["setuptools_scm"]["fallback_version"]
    assert wheel.name.startswith(f"safar-{version}-")
    assert _run([safar, "--version"], cwd=elsewhere, env=env).stdout == f"safar {version}\n"

    out = elsewhere / "screens"
    _run([safar, "demo", "--out", out], cwd=elsewhere, env=env)
    shown = {png.stem.split("-")[1] for png in out.glob("*.png")}  # NNNN-KIND-LANG.png
    assert shown >= DEMO_SCREENS, f"the demo from the wheel showed only {sorted(shown)}"
    assert (out / "index.html").is_file()
