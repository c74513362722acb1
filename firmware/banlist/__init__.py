"""The ban list on the kiosk: manifest, safe expansion of bundles, and matching."""

from firmware.banlist.banlist import BanList, KeySet
from firmware.banlist.errors import BundleError
from firmware.banlist.manifest import MANIFEST_NAME, Manifest, parse_manifest
from firmware.banlist.unpack import unpack_bundle

__all__ = ["BanList", "BundleError", "KeySet", "MANIFEST_NAME", "Manifest", "parse_manifest", "unpack_bundle"]
