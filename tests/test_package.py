"""The kiosk's Debian package (``host_tools/packaging``, ``hw/debian/``, docs/packaging.md):
built for this machine's architecture, installed with ``dpkg -i`` into a minimal Debian
bookworm root made by ``debootstrap`` that holds only the package's ``Depends``, run there,
and purged. A wheel, a unit or a shared library the package forgets shows up here, not on
a kiosk.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from host_tools.packaging.deb import (
    EXAMPLE_CONFIG,
    Target,
    build_package,
    build_project_wheel,
    checkout_version,
    copy_source,
    debian_version,
    glibc_floor,
    host_arch,
    source_date_epoch,
    wheel_metadata,
)

MIRROR = "http://deb.debian.org/debian"
CHROOT_ENV = ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "HOME=/root"]
DIAG_CHECKS = {"scanner", "display", "storage", "list", "clock", "power", "temperature", "watchdog", "ioboard"}
# what the package must hold besides its wheels
PACKAGE_FILES = {
    "./usr/bin/safar",
    "./etc/safar/kiosk.toml",
    "./etc/systemd/system.conf.d/safar-watchdog.conf",
    "./lib/systemd/system/safar-kiosk.service",
    "./lib/systemd/system/safar-update-poll.service",
    "./lib/systemd/system/safar-update-poll.timer",
    "./etc/default/safar-update-poll",
    "./lib/udev/rules.d/99-safar.rules",
    "./usr/share/doc/safar/README.md",
    "./usr/share/doc/safar/copyright",
    "./usr/share/doc/safar/wiring.svg",
}
# the wheels that make the kiosk work; a missing one fails only on a kiosk without network
WHEELS = {"safar", "numpy", "pillow", "cryptography", "tuf", "securesystemslib", "pyserial", "segno",
          "python_escpos", "ai_edge_litert", "evdev", "prometheus_client", "tqdm"}


def _run(argv: list[str], check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {p.returncode}:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p


def _have_debootstrap() -> bool:
    if shutil.which("debootstrap"):
        return True
    p = subprocess.run(["apt-get", "install", "-y", "-qq", "debootstrap"], capture_output=True, text=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return p.returncode == 0 and shutil.which("debootstrap") is not None


class Bookworm:
    """A debootstrapped Debian bookworm root with /proc and /dev mounted; commands run in it by chroot."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.mounts: list[Path] = []

    def mount(self) -> None:
        for what, where, how in (("proc", "proc", ["-t", "proc"]), ("/dev", "dev", ["--bind"]),
                                 ("/dev/pts", "dev/pts", ["--bind"])):
            target = self.root / where
            _run(["mount", *how, what, str(target)])
            self.mounts.append(target)

    def unmount(self) -> None:
        for target in reversed(self.mounts):
            if subprocess.run(["umount", str(target)], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", str(target)], capture_output=True)
        self.mounts.clear()

    def still_mounted(self) -> list[str]:
        prefix = str(self.root.resolve()) + "/"
        return [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()
                if line.split()[1].startswith(prefix)]

    def run(self, *argv: str, user: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        chroot = ["chroot"] + (["--userspec", user] if user else []) + [str(self.root)]
        return _run(chroot + CHROOT_ENV + list(argv), check=check)


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb is missing: not a Debian machine")
    return build_package(host_arch(), tmp_path_factory.mktemp("deb"))


@pytest.fixture(scope="module")
def bookworm(tmp_path_factory: pytest.TempPathFactory, deb: Path) -> Iterator[Bookworm]:
    if os.geteuid() != 0:
        pytest.skip("debootstrap, chroot and mount need root")
    if not _have_debootstrap():
        pytest.skip("debootstrap is missing and apt-get install debootstrap failed")
    depends = _run(["dpkg-deb", "-f", str(deb), "Depends"]).stdout
    names = sorted({part.split()[0] for part in depends.replace("|", ",").split(",") if part.strip()})
    root = tmp_path_factory.mktemp("bookworm") / "root"
    cache = Path("/var/cache/safar-debootstrap")  # the .debs only; every run makes a fresh root
    cache.mkdir(parents=True, exist_ok=True)
    _run(["debootstrap", "--variant=minbase", "--include=" + ",".join(names), f"--cache-dir={cache}",
          "bookworm", str(root), MIRROR])
    chroot = Bookworm(root)
    try:
        chroot.mount()
        yield chroot
    finally:
        chroot.unmount()
        left = chroot.still_mounted()
        assert left == [], f"still mounted under the test root, not removed: {left}"
        shutil.rmtree(root, ignore_errors=True)


def _contents(deb: Path) -> dict[str, str]:
    """path -> the tar listing's owner/group and mode column, from ``dpkg-deb -c``."""
    out = {}
    for line in _run(["dpkg-deb", "-c", str(deb)]).stdout.splitlines():
        fields = line.split()
        path = fields[5]
        out[path.rstrip("/") if path != "./" else path] = f"{fields[1]} {fields[0]}"
    return out


@pytest.mark.slow(seconds=75)
def test_package_installs_runs_and_purges_in_a_minimal_bookworm(deb: Path, bookworm: Bookworm) -> None:
    # what the archive holds, as dpkg-deb reads it
    contents = _contents(deb)
    assert PACKAGE_FILES <= contents.keys(), sorted(PACKAGE_FILES - contents.keys())
    assert {owner for owner, _ in (v.split() for v in contents.values())} == {"root/root"}
    wheels = {Path(p).name.split("-")[0].lower() for p in contents if p.endswith(".whl")}
    assert WHEELS <= wheels, sorted(WHEELS - wheels)
    assert all(p.startswith("./opt/safar/wheels/") for p in contents if p.endswith(".whl"))
    fields = {f: _run(["dpkg-deb", "-f", str(deb), f]).stdout.strip() for f in ("Package", "Architecture")}
    assert fields == {"Package": "safar", "Architecture": host_arch()}
    control = _run(["dpkg-deb", "-I", str(deb)]).stdout
    for script in ("postinst", "prerm", "postrm"):
        assert f"*  {script}" in control, f"{script} missing or not executable:\n{control}"

    shutil.copy(deb, bookworm.root / "tmp" / deb.name)
    bookworm.run("dpkg", "-i", f"/tmp/{deb.name}")

    # the units: systemd's own checker, with nothing to say
    verify = bookworm.run("systemd-analyze", "verify", "/lib/systemd/system/safar-kiosk.service",
                          "/lib/systemd/system/safar-update-poll.service",
                          "/lib/systemd/system/safar-update-poll.timer", check=False)
    assert (verify.returncode, verify.stdout + verify.stderr) == (0, "")
    assert (bookworm.root / "etc/systemd/system/multi-user.target.wants/safar-kiosk.service").is_symlink()
    assert (bookworm.root / "etc/systemd/system/timers.target.wants/safar-update-poll.timer").is_symlink()
    poll = (bookworm.root / "lib/systemd/system/safar-update-poll.service").read_text()
    assert "ExecStart=/opt/safar/venv/bin/safar update poll " in poll
    unit = (bookworm.root / "lib/systemd/system/safar-kiosk.service").read_text()
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert exec_start.split("=", 1)[1].split()[0] == "/opt/safar/venv/bin/safar"

    # the program, from the venv the postinst made, as root and as the kiosk's user
    diag = bookworm.run("safar", "diag", "--json", check=False)
    assert diag.returncode == 2, diag.stderr  # no screen, no scanner in a chroot: a FAIL, reported
    report = json.loads(diag.stdout)
    assert {c["name"] for c in report["checks"]} == DIAG_CHECKS
    assert all(c["status"] in ("pass", "warn", "fail") and c["message"] for c in report["checks"])
    assert report["worst"] == "fail"
    example = bookworm.run("safar", "kiosk", "--example-config", user="safar:safar").stdout
    assert example == EXAMPLE_CONFIG == (bookworm.root / "etc/safar/kiosk.toml").read_text()
    refused = bookworm.run("safar", "kiosk", user="safar:safar", check=False)
    assert refused.returncode != 0 and "still a placeholder" in refused.stderr
    venv = (bookworm.root / "opt/safar/venv/pyvenv.cfg").read_text()
    assert "include-system-site-packages = true" in venv
    # Dari and Arabic-script layout: Pillow's raqm, which loads the system's libfribidi
    raqm = bookworm.run("/opt/safar/venv/bin/python", "-c", "from PIL import features; print(features.check('raqm'))")
    assert raqm.stdout.strip() == "True"

    # dpkg's view: the conffiles, and the user, groups and state directory the postinst made
    conffiles = bookworm.run("dpkg-query", "-W", "-f=${Conffiles}", "safar").stdout.split()
    assert "/etc/safar/kiosk.toml" in conffiles
    assert "/etc/systemd/system.conf.d/safar-watchdog.conf" in conffiles
    assert "/etc/default/safar-update-poll" in conffiles
    passwd = bookworm.run("getent", "passwd", "safar").stdout.strip().split(":")
    assert (passwd[5], passwd[6]) == ("/var/lib/safar", "/usr/sbin/nologin")
    assert int(passwd[2]) < 1000  # a system user
    groups = set(bookworm.run("id", "-nG", "safar").stdout.split())
    assert {"safar", "dialout", "video", "input", "lp"} <= groups
    assert "gpio" not in groups  # Debian has no gpio group; Raspberry Pi OS does, and gets it
    state = bookworm.run("stat", "-c", "%U:%G %a", "/var/lib/safar").stdout.strip()
    assert state == "safar:safar 750"

    # purge: nothing of the package is left, the state directory neither
    bookworm.run("dpkg", "--purge", "safar")
    status = bookworm.run("dpkg-query", "-W", "-f=${db:Status-Abbrev}", "safar", check=False).stdout.strip()
    assert status in ("", "un"), status
    for gone in ("opt/safar", "var/lib/safar", "etc/safar", "usr/bin/safar", "lib/systemd/system/safar-kiosk.service",
                 "etc/systemd/system/multi-user.target.wants/safar-kiosk.service", "etc/default/safar-update-poll",
                 "etc/systemd/system/timers.target.wants/safar-update-poll.timer"):
        assert not os.path.lexists(bookworm.root / gone), f"/{gone} is left after dpkg --purge"


def test_target_tags_versions_and_glibc_floor() -> None:
    """The wheelhouse's rules: what a bookworm kiosk runs, Debian version order, the libc6 floor."""
    arm = Target("arm64")
    tags = arm.platforms()
    assert "manylinux_2_36_aarch64" in tags and "manylinux_2_37_aarch64" not in tags
    assert "manylinux2014_aarch64" in tags and "linux_aarch64" in tags
    assert arm.accepts(Path("numpy-2.4.6-cp311-cp311-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl"))
    assert arm.accepts(Path("cryptography-50.0.2-cp311-abi3-manylinux2014_aarch64.manylinux_2_17_aarch64.whl"))
    assert arm.accepts(Path("tuf-7.0.1-py3-none-any.whl"))
    assert not arm.accepts(Path("numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"))
    assert not arm.accepts(Path("numpy-2.4.6-cp312-cp312-manylinux_2_27_aarch64.whl"))
    assert not arm.accepts(Path("pillow-13.0.0-cp311-cp311-manylinux_2_39_aarch64.whl"))
    assert glibc_floor([Path("a-1-cp311-abi3-manylinux_2_34_x86_64.whl"),
                        Path("b-1-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"),
                        Path("c-1-py3-none-any.whl")]) == (2, 34)
    assert [debian_version(v) for v in ("0.1.0", "1.2rc1", "1.2.dev3", "1.2.post1")] == [
        "0.1.0", "1.2~rc1", "1.2~dev3", "1.2+post1"]


@pytest.mark.slow(seconds=15)
def test_the_packaged_wheel_carries_the_checkouts_version_from_git(tmp_path: Path) -> None:
    """The wheel is built from a copy without .git: it gets the checkout's setuptools-scm version,
    not the fallback a tree without history reports."""
    version = checkout_version()
    assert version is not None and version != "0.1.0", version  # this test runs in a git checkout
    (tmp_path / "built").mkdir()
    wheel = build_project_wheel(copy_source(tmp_path / "source"), tmp_path / "built", source_date_epoch())
    assert wheel_metadata(wheel)["Version"] == version
