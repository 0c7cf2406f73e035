"""Is this upload really an image we accept? Decided by its content (Pillow), never by its name."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from dispatch.errors import DomainError, Invalid

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class TooLarge(DomainError):
    """The upload is bigger than the configured limit (HTTP 413)."""

    status = 413


class NotAnImage(DomainError):
    """The upload is not an image of a supported kind (HTTP 415)."""

    status = 415


@dataclass(frozen=True)
class ImageInfo:
    """What the content says the image is."""

    content_type: str
    width: int
    height: int


def inspect(data: bytes, *, max_bytes: int, max_pixels: int) -> ImageInfo:
    """Check that ``data`` is a whole JPEG, PNG or WebP image inside the size and pixel limits."""
    if not data:
        raise Invalid(
            "the upload is empty: send the image bytes as the request body", errors={"body": ["empty"]}
        )
    if len(data) > max_bytes:
        raise TooLarge(
            f"the image is {len(data):,} bytes; at most {max_bytes:,} are accepted (downscale it)",
            errors={"body": [f"at most {max_bytes} bytes"]},
        )
    try:
        with warnings.catch_warnings():
            # A decompression bomb must be refused, not merely warned about.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                if kind not in FORMATS:
                    raise NotAnImage(
                        f"{kind} images are not accepted: send JPEG, PNG or WebP",
                        errors={"body": [f"unsupported format {kind}"]},
                    )
                if width * height > max_pixels:
                    raise TooLarge(
                        f"the image is {width}x{height} pixels; at most {max_pixels:,} pixels are accepted",
                        errors={"body": [f"at most {max_pixels} pixels"]},
                    )
                image.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # verify() does not decode the pixels: a truncated file fails here
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise NotAnImage(
            "the upload is not an image (JPEG, PNG or WebP), whatever its name or type says",
            errors={"body": ["not an image"]},
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage(
            f"the image is damaged or truncated: {exc}", errors={"body": ["damaged image"]}
        ) from exc
    return ImageInfo(content_type=FORMATS[kind], width=width, height=height)
