#!/usr/bin/env bash
# The arm64 package checked on an x86-64 machine, under qemu-user-static (docs/packaging.md):
#   sudo host_tools/packaging/arm64_check.sh [WORKDIR]        (default /var/tmp/safar-arm64)
# 1. registers qemu-aarch64 with binfmt_misc (Debian's qemu-user-static + binfmt-support);
# 2. debootstraps an arm64 Debian bookworm root (minbase + the package's Depends), once;
# 3. in a copy of it with a compiler, builds the wheels PyPI has only as source (evdev);
# 4. builds the arm64 .deb with those (python -m host_tools.packaging --arch arm64 --wheels-from);
# 5. in a clean copy: dpkg -i, systemd-analyze verify, safar diag --json, dpkg --purge.
# Prints what it ran and what came out; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK="$(realpath -m "${1:-/var/tmp/safar-arm64}")"
MIRROR=http://deb.debian.org/debian
PY=.venv/bin/python

[ "$(id -u)" = 0 ] || { echo "arm64_check: run as root (debootstrap, chroot, mount)" >&2; exit 2; }
[ -x "$PY" ] || { echo "arm64_check: no $PY: run ./dev test or ./dev demo once first" >&2; exit 2; }

step() { printf '\n== %s\n' "$*"; }

need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
[ -x /usr/bin/qemu-aarch64-static ] || need+=(qemu-user-static)
command -v update-binfmts >/dev/null || need+=(binfmt-support)
if [ ${#need[@]} -gt 0 ]; then
  step "apt-get install ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

step "binfmt_misc: qemu-aarch64"
[ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
grep -E '^(enabled|interpreter|flags)' /proc/sys/fs/binfmt_misc/qemu-aarch64

MOUNTED=()
mount_in() {  # ROOT: /proc, /dev, /dev/pts for a chroot
  mount -t proc proc "$1/proc"; MOUNTED+=("$1/proc")
  mount --bind /dev "$1/dev"; MOUNTED+=("$1/dev")
  mount --bind /dev/pts "$1/dev/pts"; MOUNTED+=("$1/dev/pts")
}
unmount_all() {
  local i
  for ((i=${#MOUNTED[@]}-1; i>=0; i--)); do umount "${MOUNTED[i]}" 2>/dev/null || umount -l "${MOUNTED[i]}"; done
  MOUNTED=()
}
trap unmount_all EXIT
fresh_copy() {  # NAME: a copy of the base root, never with anything still mounted in the old one
  if findmnt -rn -o TARGET | grep -q "^$WORK/$1/"; then echo "arm64_check: $WORK/$1 still has mounts" >&2; exit 1; fi
  rm -rf "${WORK:?}/$1"
  cp -a "$WORK/base" "$WORK/$1"
}
in_root() { local root="$1"; shift; chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root "$@"; }

depends="$(sed -n 's/^Depends: //p' hw/debian/control | tr ',' '\n' | awk '{print $1}' | sort -u | paste -sd, -)"
mkdir -p "$WORK"
if [ ! -e "$WORK/base/.safar-done" ]; then
  step "debootstrap --arch arm64 --variant=minbase --include=$depends bookworm"
  rm -rf "$WORK/base"
  start=$(date +%s)
  debootstrap --arch arm64 --variant=minbase --include="$depends" bookworm "$WORK/base" "$MIRROR" >"$WORK/debootstrap.log"
  echo "arm64 root made in $(( $(date +%s) - start )) s"
  touch "$WORK/base/.safar-done"
fi

step "wheels PyPI has only as source, built in arm64 bookworm (gcc, python3-dev under qemu)"
# The sources and their build requirements are fetched here on the host (whose pip has the
# network set up) and built offline in the chroot: the chroot needs apt's mirror only.
evdev_version="$($PY -c 'import importlib.metadata as m; print(m.version("evdev"))')"
if [ ! -e "$WORK/build/.safar-done" ]; then
  fresh_copy build
  mount_in "$WORK/build"
  in_root "$WORK/build" apt-get update -qq
  in_root "$WORK/build" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    gcc libc6-dev python3-dev python3-venv >/dev/null
  in_root "$WORK/build" python3 -m venv /tmp/wheel-venv
  unmount_all
  touch "$WORK/build/.safar-done"
fi
rm -rf "$WORK/build/src" "$WORK/build/wheels"
mkdir -p "$WORK/build/src"
$PY -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: -d "$WORK/build/src" \
  "evdev==$evdev_version" 2> >(grep -v "WARNING: Location" >&2)
$PY -m pip download -q --disable-pip-version-check --no-deps --only-binary :all: -d "$WORK/build/src" \
  "setuptools>=77" 2> >(grep -v "WARNING: Location" >&2)
mount_in "$WORK/build"
in_root "$WORK/build" /tmp/wheel-venv/bin/pip wheel -q --disable-pip-version-check --no-index --find-links /src \
  --no-deps -w /wheels "/src/evdev-$evdev_version.tar.gz"
unmount_all
ls "$WORK/build/wheels"

step "python -m host_tools.packaging --arch arm64 --wheels-from $WORK/build/wheels"
deb="$($PY -m host_tools.packaging --arch arm64 --wheels-from "$WORK/build/wheels" --out "$WORK")"
ls -l "$deb"
dpkg-deb -f "$deb" Package Version Architecture Depends Installed-Size

step "dpkg -i in a clean arm64 root"
fresh_copy target
mount_in "$WORK/target"
cp "$deb" "$WORK/target/tmp/"
in_root "$WORK/target" uname -m
start=$(date +%s)
in_root "$WORK/target" dpkg -i "/tmp/$(basename "$deb")"
echo "dpkg -i took $(( $(date +%s) - start )) s under qemu"
in_root "$WORK/target" /opt/safar/venv/bin/python -c \
  'import platform, numpy, PIL.features as f; print(platform.machine(), "numpy", numpy.__version__, "raqm", f.check("raqm"))'

step "systemd-analyze verify /lib/systemd/system/safar-kiosk.service"
in_root "$WORK/target" systemd-analyze verify /lib/systemd/system/safar-kiosk.service && echo "verify: ok"

step "safar diag --json"
set +e
in_root "$WORK/target" safar diag --json >"$WORK/diag.json"
rc=$?
set -e
echo "exit code $rc (2: a check failed; a chroot has no screen, scanner or watchdog)"
$PY -c 'import json, sys
r = json.load(open(sys.argv[1]))
for c in r["checks"]: print("%-5s %-12s %s" % (c["status"].upper(), c["name"], c["message"][:90]))
print("worst:", r["worst"])' "$WORK/diag.json"

step "safar kiosk --example-config (as user safar), the user, the state directory"
in_root "$WORK/target" chroot --userspec=safar:safar / safar kiosk --example-config | head -n 1
in_root "$WORK/target" id safar
in_root "$WORK/target" stat -c '%n %U:%G %a' /var/lib/safar

step "dpkg --purge safar"
in_root "$WORK/target" dpkg --purge safar
for gone in /opt/safar /var/lib/safar /etc/safar /usr/bin/safar; do
  [ ! -e "$WORK/target$gone" ] || { echo "arm64_check: $gone left after purge" >&2; exit 1; }
done
echo "purged: /opt/safar /var/lib/safar /etc/safar /usr/bin/safar gone"
unmount_all
echo
echo "arm64_check: ok ($deb)"
