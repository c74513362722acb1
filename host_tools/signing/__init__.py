"""Keys, root versions, signed bundles and published repositories (the workstation side of
``firmware.update.trust``), with python-tuf's Metadata API and Ed25519 keys.

Roles (docs/trust.md):

* ``root`` - the officials' root keys (threshold, e.g. 2 of 3): sign root versions,
  which name every role's keys and thresholds, and the deployment;
* ``targets`` - the list signers (e.g. border service, migration service, partner;
  threshold e.g. 2 of 3): sign ``targets.json``, which gives the length and sha256 of
  every file of a bundle;
* ``snapshot`` and ``timestamp`` - one *publish* key held by the technician who lays
  out a repository: binds the targets version so files cannot be mixed and matched;
  the timestamp runs out in days and is re-signed (``refresh_timestamp``) in between.

A keys directory (``safar keys init DIR``)::

    DIR/root.json                 newest root: ship it in the kiosk image
    DIR/root/N.root.json          every root version (the chain the kiosks walk)
    DIR/keys/ROLE-NAME.pem        Ed25519 private key, PKCS#8 PEM, passphrase-encrypted
    DIR/keys/ROLE-NAME.pub.json   its public key, keyid and name

One module per step: ``keyfiles`` (key files, passphrases), ``roots`` (root versions),
``bundles`` (the list signers' targets), ``publishing`` (repositories), ``demo``. Callers
use the names re-exported here: ``from host_tools import signing; signing.sign_bundle(...)``.
"""

from host_tools.signing.bundles import TARGETS_FILE, bundle_targets, read_bundle_targets, sign_bundle, targets_report
from host_tools.signing.demo import make_demo_repository
from host_tools.signing.errors import SigningError
from host_tools.signing.keyfiles import (
    PASSPHRASE_ENV,
    KeyInfo,
    check_name,
    load_private_key,
    load_signer,
    public_key_of,
    signer_of,
    write_key_pair,
    write_public,
)
from host_tools.signing.publishing import DEFAULT_TIMESTAMP_DAYS, publish, refresh_timestamp
from host_tools.signing.roots import (
    DEFAULT_ROOT_DAYS,
    KEY_ROLES,
    PUBLISH_ROLES,
    add_role_key,
    current_root,
    describe_root,
    init_keys,
    keyid_named,
    load_root_signers,
    new_root,
    next_root_version,
    pending_root_versions,
    read_root,
    read_root_bytes,
    remove_role_key,
    root_chain,
    root_keys_in,
    root_signatures_ok,
    set_threshold,
    sign_root_version,
    tuf_roles,
    utcnow,
    write_root_version,
)

__all__ = [
    "DEFAULT_ROOT_DAYS", "DEFAULT_TIMESTAMP_DAYS", "KEY_ROLES", "PASSPHRASE_ENV", "PUBLISH_ROLES", "TARGETS_FILE",
    "KeyInfo", "SigningError",
    "add_role_key", "bundle_targets", "check_name", "current_root", "describe_root", "init_keys", "keyid_named",
    "load_private_key", "load_root_signers", "load_signer", "make_demo_repository", "new_root",
    "next_root_version", "pending_root_versions", "public_key_of", "publish", "read_bundle_targets",
    "read_root", "read_root_bytes", "refresh_timestamp", "remove_role_key", "root_chain",
    "root_keys_in",
    "root_signatures_ok", "set_threshold", "sign_bundle", "sign_root_version", "signer_of", "targets_report",
    "tuf_roles", "utcnow", "write_key_pair", "write_public", "write_root_version",
]
