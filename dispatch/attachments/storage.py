"""Where attachment bytes live: a small interface, and a content-addressed local folder behind it."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol


class BlobStore(Protocol):
    """Content-addressed storage: bytes go in, their SHA-256 comes out and finds them again."""

    def put(self, data: bytes) -> str:
        """Store ``data`` (once, whatever the number of calls) and return its SHA-256 hex digest."""

    def get(self, digest: str) -> bytes:
        """The bytes stored under ``digest``; raises :class:`FileNotFoundError` if none."""

    def exists(self, digest: str) -> bool:
        """Whether bytes are stored under ``digest``."""


def digest_of(data: bytes) -> str:
    """The SHA-256 hex digest that addresses ``data``."""
    return hashlib.sha256(data).hexdigest()


class LocalBlobStore:
    """Files under ``root/ab/cd/<sha256>``, written to a temporary file then renamed (never half a file)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise FileNotFoundError(digest)
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        """Store ``data`` under its digest; a second put of the same bytes writes nothing."""
        digest = digest_of(data)
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        """Read the bytes stored under ``digest``."""
        return self._path(digest).read_bytes()

    def exists(self, digest: str) -> bool:
        """Whether the file is there."""
        try:
            return self._path(digest).exists()
        except FileNotFoundError:
            return False
