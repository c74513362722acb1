"""The kiosk's Debian package for Raspberry Pi OS Bookworm (and Debian 12): ``python -m
host_tools.packaging [--arch arm64|amd64] [--out DIR]`` builds it with ``dpkg-deb``
(``deb.py``; the package's control files are in ``hw/debian/``, the docs in
``docs/packaging.md``)."""
