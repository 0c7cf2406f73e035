"""Small real images made with Pillow, for upload tests (no files to download)."""

from __future__ import annotations

import io
import random

from PIL import Image


def png_bytes(width: int = 120, height: int = 60, colour: tuple[int, int, int] = (20, 40, 200)) -> bytes:
    """A plain PNG (a signature-sized image)."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes(width: int = 64, height: int = 48, *, seed: int = 1, quality: int = 85) -> bytes:
    """A noisy JPEG (noise does not compress, so the size grows with the pixel count)."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()
