"""Build the kiosk's Debian package with Debian's own tool, ``dpkg-deb --build``.

The package carries a *wheelhouse*: the project's wheel and binary wheels of every
dependency for the target (CPython 3.11, glibc of Debian 12, arm64 or amd64); its postinst
(``hw/debian/postinst``) makes ``/opt/safar/venv`` and installs from there with
``--no-index``, so a kiosk needs no network to install. The application is architecture
independent, its wheelhouse (numpy, Pillow, cryptography, LiteRT) is not: hence one package
per architecture. Layout, maintainer scripts and the reasons: ``docs/packaging.md``.
"""

from __future__ import annotations

import email.parser
import hashlib
import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from firmware.app.config import EXAMPLE as EXAMPLE_CONFIG

ROOT = Path(__file__).resolve().parents[2]
HW = ROOT / "hw"
DEBIAN = HW / "debian"
DEFAULT_OUT = Path("build/deb")

# Debian architecture -> the machine name in wheel tags and ``platform_machine``
ARCHES = {"amd64": "x86_64", "arm64": "aarch64"}
# Debian 12 bookworm (Raspberry Pi OS Bookworm): glibc 2.36, CPython 3.11
TARGET_GLIBC = (2, 36)
TARGET_PYTHON = (3, 11)
# Dependencies PyPI publishes as source only: built into a wheel for the target here
# (natively) or taken from --wheels-from (a foreign architecture).
SOURCE_ONLY = ("evdev",)

VENV = "/opt/safar/venv"
WHEELS = "opt/safar/wheels"
# what /usr/share/doc/safar holds: name there -> file in the source (optional ones may be missing)
DOCS = {
    "README.md": "hw/README.md",
    "os-setup.md": "hw/os-setup.md",
    "ioboard.md": "hw/ioboard.md",
    "wiring.svg": "hw/wiring.svg",
    "packaging.md": "docs/packaging.md",
    "kiosk.md": "docs/kiosk.md",
    "next-steps.md": "docs/next-steps.md",
    "trust.md": "docs/trust.md",
    "diag.md": "docs/diag.md",
    "fleet.md": "docs/fleet.md",
}
OPTIONAL_DOCS: dict[str, str] = {}
# systemd units (hw/systemd/ -> /lib/systemd/system/): the kiosk, and the daily list poll
UNITS = ("safar-kiosk.service", "safar-update-poll.service", "safar-update-poll.timer")
# never in a build's copy of the source: what a checkout accumulates
UNCLONED = shutil.ignore_patterns(".git", ".venv", "node_modules", "build", "dist", "*.egg-info", "__pycache__",
                                  ".pytest_cache", ".mypy_cache", ".hypothesis", "demo-out")


def dotted(version: tuple[int, ...]) -> str:
    """A version tuple as text: (3, 11) -> '3.11'."""
    return ".".join(map(str, version))


class PackagingError(Exception):
    """The package cannot be built; the message says what is missing and where."""


@dataclass(frozen=True)
class Target:
    """The kiosk the wheelhouse is for."""

    arch: str  # Debian architecture: arm64, amd64

    @property
    def machine(self) -> str:
        """The target's platform_machine (aarch64, armv7l, x86_64), for environment markers."""
        return ARCHES[self.arch]

    def platforms(self) -> list[str]:
        """pip's ``--platform`` tags a bookworm kiosk runs: every manylinux up to its glibc, and plain
        ``linux_<machine>`` for the wheels built here from source."""
        major, newest = TARGET_GLIBC
        tags = [f"manylinux_{major}_{minor}_{self.machine}" for minor in range(newest, 16, -1)]
        return tags + [f"manylinux2014_{self.machine}", f"linux_{self.machine}"]

    def accepts(self, wheel: Path) -> bool:
        """Whether a wheel runs on the target: pure Python, or built for its platform and Python."""
        _, _, _, tags = parse_wheel_filename(wheel.name)
        platforms = set(self.platforms()) | {"any"}
        return any(t.platform in platforms and t.interpreter in ("py3", "cp311") or
                   t.platform in platforms and t.abi == "abi3" for t in tags)


def host_arch() -> str:
    """This machine's Debian architecture (``dpkg --print-architecture``)."""
    try:
        arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        arch = {v: k for k, v in ARCHES.items()}.get(platform.machine(), platform.machine())
    return arch


def _run(argv: Sequence[str | Path], **kw: object) -> subprocess.CompletedProcess[str]:
    words = [str(a) for a in argv]
    p = subprocess.run(words, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    if p.returncode != 0:
        tail = "\n".join(line for line in (p.stdout + p.stderr).splitlines()
                         if "WARNING: Location" not in line)[-3000:]
        raise PackagingError(f"{' '.join(words)} exited {p.returncode}:\n{tail}")
    return p  # type: ignore[no-any-return]


def source_date_epoch() -> int:
    """The timestamp every file in the package gets: $SOURCE_DATE_EPOCH, else the last commit's."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        return int(_run(["git", "log", "-1", "--format=%ct"], cwd=ROOT).stdout.strip())
    except (PackagingError, ValueError, OSError):
        return 0


def copy_source(dest: Path) -> Path:
    """The files a clone of the working tree would hold (tracked, or new and not ignored): a
    stale ``build/`` in the checkout must not leak removed modules into the wheel."""
    try:
        listing = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT).stdout
    except (PackagingError, OSError):  # not a git checkout (an unpacked sdist)
        shutil.copytree(ROOT, dest, ignore=UNCLONED)
        return dest
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if source.is_file():  # tracked but deleted in the working tree: not in the next commit either
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def _pip(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args], env=env)


def checkout_version() -> str | None:
    """The version setuptools-scm reads from the checkout's git tags (pyproject.toml's
    [tool.setuptools_scm]); None outside a git checkout. The copy the wheel is built from has
    no .git, and would otherwise carry the fallback version whatever was checked out."""
    try:
        return _run([sys.executable, "-m", "setuptools_scm"], cwd=ROOT).stdout.strip().splitlines()[-1]
    except (PackagingError, OSError, IndexError):
        return None


def build_project_wheel(source: Path, out: Path, epoch: int) -> Path:
    """Safar's own wheel from the copied source, reproducible (SOURCE_DATE_EPOCH), with the checkout's version."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    version = checkout_version()
    if version is not None:
        env["SETUPTOOLS_SCM_PRETEND_VERSION_FOR_SAFAR"] = version
    _pip("wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", out, source, env=env)
    (wheel,) = out.glob("safar-*.whl")
    return wheel


def wheel_metadata(wheel: Path) -> email.message.Message:
    """A wheel's METADATA: its version and run-time requirements."""
    with zipfile.ZipFile(wheel) as z:
        (name,) = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(z.read(name).decode())


def requirements(wheel: Path, target: Target) -> list[Requirement]:
    """The wheel's run-time requirements that apply on the target (no extras)."""
    env = {"platform_machine": target.machine, "sys_platform": "linux", "platform_system": "Linux",
           "os_name": "posix", "implementation_name": "cpython", "platform_python_implementation": "CPython",
           "python_version": dotted(TARGET_PYTHON), "python_full_version": dotted(TARGET_PYTHON) + ".2",
           "extra": ""}
    reqs = [Requirement(r) for r in wheel_metadata(wheel).get_all("Requires-Dist") or []]
    return [r for r in reqs if r.marker is None or r.marker.evaluate(env)]


def build_environment_pins() -> dict[str, str]:
    """name -> version of what this build's Python has installed: the kiosk gets the versions the
    test suite ran with."""
    pins: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and canonicalize_name(name) != "safar":
            pins[canonicalize_name(name)] = dist.version
    return pins


def wheels_of(folder: Path, name: str, target: Target) -> list[Path]:
    """The wheels of distribution ``name`` in ``folder`` that run on the target."""
    want = canonicalize_name(name)
    return [w for w in sorted(folder.glob("*.whl")) if parse_wheel_filename(w.name)[0] == want and target.accepts(w)]


def build_source_only(reqs: Iterable[Requirement], pins: dict[str, str], target: Target, out: Path,
                      wheels_from: Path | None) -> None:
    """Wheels for the requirements PyPI has no binary wheel of (``SOURCE_ONLY``) into ``out``."""
    for req in reqs:
        name = canonicalize_name(req.name)
        if name not in SOURCE_ONLY:
            continue
        if wheels_from is not None and wheels_of(wheels_from, name, target):
            continue
        if target.arch != host_arch():
            raise PackagingError(
                f"{name} has no {target.machine} wheel on PyPI (source only), and --wheels-from "
                f"{wheels_from or '(not given)'} holds none: build one in a bookworm root for {target.arch} "
                "(host_tools/packaging/arm64_check.sh does) and pass its folder as --wheels-from")
        if sys.version_info[:2] != TARGET_PYTHON:
            raise PackagingError(f"{name} is built from source for the kiosk's Python "
                                 f"{dotted(TARGET_PYTHON)}, but this is Python {platform.python_version()}")
        spec = f"{name}=={pins[name]}" if name in pins else str(req)
        _pip("wheel", "--quiet", "--no-deps", "--no-binary", name, "--wheel-dir", out, spec)


def download_wheelhouse(project_wheel: Path, pins: dict[str, str], target: Target, find_links: Sequence[Path],
                        out: Path) -> None:
    """Binary wheels of the project's dependencies for the target, pinned to the build environment."""
    constraints = out.parent / "constraints.txt"
    constraints.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())))
    args: list[str | Path] = ["download", "--quiet", "--only-binary=:all:", "--dest", out,
                              "--python-version", dotted(TARGET_PYTHON), "--implementation", "cp",
                              "--abi", "cp311", "--abi", "abi3", "--abi", "none", "-c", constraints]
    for tag in target.platforms():
        args += ["--platform", tag]
    for folder in find_links:
        args += ["--find-links", folder]
    _pip(*args, project_wheel)
    # pip evaluates environment markers on the build machine, not the target: drop what the
    # target would not install, and make sure every wheel is one the target can run
    for wheel in sorted(out.glob("*.whl")):
        if not target.accepts(wheel):
            raise PackagingError(f"{wheel.name} in the wheelhouse is not for {target.arch} (CPython 3.11, "
                                 f"glibc {dotted(TARGET_GLIBC)})")
    names = [parse_wheel_filename(w.name)[0] for w in out.glob("*.whl")]
    doubles = sorted({n for n in names if names.count(n) > 1})
    if doubles:
        raise PackagingError(f"the wheelhouse {out} holds more than one wheel of {', '.join(doubles)}")


def glibc_floor(wheels: Iterable[Path]) -> tuple[int, int]:
    """The newest glibc any wheel's manylinux tag asks for (each wheel: its oldest tag, which is
    enough). Wheels built here from source (``linux_*``) were built on bookworm itself."""
    floor = (2, 17)
    for wheel in wheels:
        needs: list[tuple[int, int]] = []
        for tag in parse_wheel_filename(wheel.name)[3]:
            m = re.fullmatch(r"manylinux_(\d+)_(\d+)_\w+", tag.platform)
            if m:
                needs.append((int(m[1]), int(m[2])))
            elif tag.platform.startswith("manylinux2014_"):
                needs.append((2, 17))
        if needs:
            floor = max(floor, min(needs))
    return floor


def debian_version(version: str) -> str:
    """A PEP 440 version as a Debian one that sorts the same: 1.2rc1 -> 1.2~rc1, 1.2.dev3 -> 1.2~dev3."""
    v = Version(version)
    out = v.base_version
    if v.pre:
        out += "~" + v.pre[0] + str(v.pre[1])
    if v.dev is not None:
        out += f"~dev{v.dev}"
    if v.post is not None:
        out += f"+post{v.post}"
    if v.local:
        out += "+" + v.local
    return out


def _fill(template: str, values: dict[str, str], where: Path) -> str:
    """The control file: its comment lines dropped, the @NAMES@ replaced."""
    text = "".join(line for line in template.splitlines(keepends=True) if not line.startswith("#"))
    return _fill_script(text, values, where)


def _fill_script(template: str, values: dict[str, str], where: Path) -> str:
    """A maintainer script: its comments stay (only the @NAMES@ are replaced)."""
    for key, value in values.items():
        template = template.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", template)
    if left:
        raise PackagingError(f"{where}: no value for {', '.join(sorted(set(left)))}")
    return template


def _install(source: Path | str, dest: Path, mode: int = 0o644) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, Path):
        if not source.is_file():
            raise PackagingError(f"{source}: missing (the package needs it as /{dest})")
        shutil.copyfile(source, dest)
    else:
        dest.write_text(source)
    dest.chmod(mode)


def stage_tree(stage: Path, wheelhouse: Path) -> None:
    """Everything but DEBIAN/: the wheels, the command, config, units, udev rules, docs."""
    for wheel in sorted(wheelhouse.glob("*.whl")):
        _install(wheel, stage / WHEELS / wheel.name)
    (stage / "usr/bin").mkdir(parents=True)
    (stage / "usr/bin/safar").symlink_to(f"{VENV}/bin/safar")
    _install(EXAMPLE_CONFIG, stage / "etc/safar/kiosk.toml")
    _install(HW / "systemd/system.conf.d/safar-watchdog.conf", stage / "etc/systemd/system.conf.d/safar-watchdog.conf")
    for unit in UNITS:
        _install(HW / "systemd" / unit, stage / "lib/systemd/system" / unit)
    _install(DEBIAN / "safar-update-poll.default", stage / "etc/default/safar-update-poll")
    _install(HW / "udev/99-safar.rules", stage / "lib/udev/rules.d/99-safar.rules")
    doc = stage / "usr/share/doc/safar"
    for name, source in DOCS.items():
        _install(ROOT / source, doc / name)
    for name, source in OPTIONAL_DOCS.items():
        if (ROOT / source).is_file():
            _install(ROOT / source, doc / name)
    _install(DEBIAN / "copyright", doc / "copyright")


def installed_size_kib(stage: Path) -> int:
    """Installed-Size as dpkg-gencontrol counts it: each file's size in KiB rounded up, 1 per other entry."""
    total = 0
    for path in stage.rglob("*"):
        if path.is_relative_to(stage / "DEBIAN"):
            continue
        if path.is_file() and not path.is_symlink():
            total += -(-path.stat().st_size // 1024)
        else:
            total += 1
    return total


def write_control(stage: Path, values: dict[str, str]) -> None:
    """The package's DEBIAN/: control filled in, conffiles (each checked to be staged), maintainer scripts, md5sums."""
    control = stage / "DEBIAN"
    control.mkdir()
    _install(_fill((DEBIAN / "control").read_text(), values, DEBIAN / "control"), control / "control")
    _install(DEBIAN / "conffiles", control / "conffiles")
    for conffile in (DEBIAN / "conffiles").read_text().split():
        if not (stage / conffile.lstrip("/")).is_file():
            raise PackagingError(f"{DEBIAN / 'conffiles'}: {conffile} is not in the package")
    for script in ("postinst", "prerm", "postrm"):
        source = DEBIAN / script
        _install(_fill_script(source.read_text(), values, source), control / script, 0o755)
    lines = []
    for path in sorted(p for p in stage.rglob("*") if p.is_file() and not p.is_symlink()):
        rel = path.relative_to(stage).as_posix()
        if not rel.startswith("DEBIAN/"):
            lines.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {rel}\n")
    _install("".join(lines), control / "md5sums")


def normalise(stage: Path, epoch: int) -> None:
    """Fixed modes and mtimes, so the same inputs give the same archive."""
    for path in [stage, *stage.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
        os.utime(path, (epoch, epoch), follow_symlinks=False)


def build_package(arch: str, out: Path = DEFAULT_OUT, wheels_from: Path | None = None,
                  maintainer: str | None = None) -> Path:
    """Build ``safar_<version>_<arch>.deb`` in ``out`` and return its path."""
    if arch not in ARCHES:
        raise PackagingError(f"--arch {arch}: not one of {', '.join(sorted(ARCHES))}")
    if shutil.which("dpkg-deb") is None:
        raise PackagingError("dpkg-deb not found: build on Debian or Raspberry Pi OS (package dpkg)")
    if wheels_from is not None and not wheels_from.is_dir():
        raise PackagingError(f"--wheels-from {wheels_from}: not a folder")
    target = Target(arch)
    epoch = source_date_epoch()
    maintainer = maintainer or (f"{os.environ['DEBFULLNAME']} <{os.environ['DEBEMAIL']}>"
                                if os.environ.get("DEBFULLNAME") and os.environ.get("DEBEMAIL")
                                else "Safar kiosk maintainers <safar-kiosk@example.org>")
    with tempfile.TemporaryDirectory(prefix="safar-deb-") as tmp:
        work = Path(tmp)
        wheelhouse = work / "wheels"
        built = work / "built"
        for d in (wheelhouse, built):
            d.mkdir()
        project = build_project_wheel(copy_source(work / "source"), built, epoch)
        version = wheel_metadata(project)["Version"]
        pins = build_environment_pins()
        build_source_only(requirements(project, target), pins, target, built, wheels_from)
        links = [built] + ([wheels_from] if wheels_from is not None else [])
        download_wheelhouse(project, pins, target, links, wheelhouse)
        stage = work / "stage"
        stage_tree(stage, wheelhouse)
        values = {
            "VERSION": debian_version(version),
            "SAFAR_VERSION": version,
            "ARCH": arch,
            "MAINTAINER": maintainer,
            "INSTALLED_SIZE": str(installed_size_kib(stage)),
            "GLIBC": dotted(glibc_floor(wheelhouse.glob("*.whl"))),
        }
        write_control(stage, values)
        normalise(stage, epoch)
        out.mkdir(parents=True, exist_ok=True)
        deb = out / f"safar_{values['VERSION']}_{arch}.deb"
        _run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", stage, deb],
             env={**os.environ, "SOURCE_DATE_EPOCH": str(epoch)})
    return deb
