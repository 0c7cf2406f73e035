"""The vendored npm libraries are exactly the versions package-lock.json names (no Node needed)."""

from __future__ import annotations

import hashlib
import json

from tests.conftest import repo_root

PWA = repo_root() / "mobile_pwa"


def test_vendored_files_match_the_lockfile_and_their_recorded_hashes():
    lock = json.loads((PWA / "package-lock.json").read_text())
    package = json.loads((PWA / "package.json").read_text())
    recorded = json.loads((PWA / "vendor" / "VERSIONS.json").read_text())
    assert set(recorded) == set(package["dependencies"])
    for name, entry in recorded.items():
        locked = lock["packages"][f"node_modules/{name}"]["version"]
        assert entry["version"] == locked == package["dependencies"][name], name
        for filename, digest in entry["files"].items():
            data = (PWA / "vendor" / filename).read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest, (
                f"{filename} was edited: run scripts/vendor-pwa"
            )
    assert (
        "Signature Pad v" + recorded["signature_pad"]["version"]
        in (PWA / "vendor" / "signature_pad.js").read_text()
    )


def test_the_service_worker_precaches_every_file_the_app_loads():
    sw = (PWA / "sw.js").read_text()
    for name in (
        "index.html",
        "app.css",
        "app.js",
        "store.js",
        "manifest.webmanifest",
        "vendor/idb.js",
        "vendor/signature_pad.js",
    ):
        assert f'"/app/{name}"' in sw, name
        assert (PWA / name).exists(), name
