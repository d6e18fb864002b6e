"""Signed releases: bundle building, TUF repository signing and verification.

The release operator side (keys, publish, rotation) and the verifying side used by the kiosk and
by ``openreg release verify`` both live here so they agree on the repository layout:

    REPO/metadata/   1.root.json, 2.root.json, ..., N.targets.json, N.snapshot.json, timestamp.json
    REPO/targets/    <sha256>.openreg-<version>.tar.gz, <sha256>.latest.json  (consistent snapshots)

``latest.json`` is itself a signed target naming the newest bundle, so a client learns what to
download through TUF without reading private updater state.
"""
