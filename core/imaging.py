"""Untrusted bytes -> one upright RGB photo, or `InvalidImage` with a polite reason.

Checks run cheapest first: byte count, then the header (format, width x height) before any
pixel is decoded, so neither an oversized upload nor a decompression bomb costs memory.
PIL's global limits (`Image.MAX_IMAGE_PIXELS`, `LOAD_TRUNCATED_IMAGES`) are left untouched.
"""

from __future__ import annotations

import io
import logging
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import InvalidImage

log = logging.getLogger(__name__)

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "AVIF")
MAX_ASPECT_RATIO = 25  # wider/taller than 25:1 is a banner or a trick, not a photo
_FORMATS_TEXT = "JPEG, PNG, WebP, GIF, BMP, TIFF or AVIF"
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
# Signatures of the allowed formats: a file starting like this but unreadable is damaged.
_KNOWN_PREFIXES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF8", b"II*\x00", b"MM\x00*")
_OTHER_FORMATS = {b"8BPS": "Photoshop (PSD)", b"\x00\x00\x00\x0cjP  ": "JPEG 2000"}


def size_texts(size: int, limit: int) -> tuple[str, str]:
    """A size and its limit in MB (KB when small), with just enough decimals to differ:
    21,000,000 bytes over a 20 MB limit is '20.03 MB; the limit is 20.00 MB', not '20.0 … 20.0'."""
    unit, scale = ("MB", 1024 * 1024) if max(size, limit) >= 1024 * 1024 else ("KB", 1024)
    for digits in (1, 2, 3):
        texts = f"{size / scale:.{digits}f} {unit}", f"{limit / scale:.{digits}f} {unit}"
        if texts[0] != texts[1]:
            return texts
    return f"{size:,} bytes", f"{limit:,} bytes"


def _too_large(size: int, max_bytes: int) -> InvalidImage:
    size_text, limit_text = size_texts(size, max_bytes)
    return InvalidImage(
        "too_large",
        f"Sorry, this photo is too large ({size_text}; the limit is {limit_text}). "
        "Please send a smaller or more compressed version.",
    )


def _unrecognised(data: bytes) -> InvalidImage:
    """Tell a damaged photo from a file that is not a photo at all (text, PDF, noise)."""
    head = data[:32]
    ftyp = head[8:12] if head[4:8] == b"ftyp" else b""
    webp = head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if head.startswith(_KNOWN_PREFIXES) or webp or ftyp in (b"avif", b"avis"):
        return InvalidImage("truncated", _truncated_message())
    other = next((name for sig, name in _OTHER_FORMATS.items() if head.startswith(sig)), None)
    if ftyp in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
        other = "HEIC/HEIF"
    if other is None and b"<svg" in data[:2048].lower():
        other = "SVG"
    if other is not None:
        return InvalidImage(
            "unsupported",
            f"Sorry, {other} images are not supported. Please send the photo as {_FORMATS_TEXT}.",
        )
    return InvalidImage(
        "not_image",
        f"Sorry, this file does not look like an image. Please send a photo ({_FORMATS_TEXT}).",
    )


def _truncated_message() -> str:
    return (
        "Sorry, this photo seems to be incomplete or damaged (perhaps cut off during upload). "
        "Please try sending it again."
    )


def _check_dimensions(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0 or max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise InvalidImage(
            "unsupported",
            f"Sorry, this image has an unusual shape ({width}x{height} pixels). "
            "Please send a regular photo.",
        )
    if width * height > max_pixels:
        raise InvalidImage(
            "too_many_pixels",
            f"Sorry, this image has too many pixels ({width}x{height}; the limit is "
            f"{max_pixels / 1e6:g} megapixels). Please send a smaller version.",
        )


def _gray8(image: Image.Image) -> Image.Image:
    """16-bit / 32-bit / float greyscale -> 8-bit L, scaled rather than clipped."""
    arr = np.asarray(image, dtype=np.float64)
    lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
    if image.mode.startswith("I;16") or (lo >= 0 and 255 < hi <= 65535):
        arr = arr / 257.0
    elif lo < 0 or hi > 255:
        arr = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(arr)
    return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8))


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        image = _gray8(image)
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


def load_image(data: bytes, *, max_bytes: int, max_pixels: int) -> Image.Image:
    """Decode untrusted bytes into an upright RGB image (first frame if animated)."""
    if not data:
        raise InvalidImage("empty", "Sorry, this photo is empty (0 bytes). Please try again.")
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    # catch_warnings is process-global in Python 3.11: a lost race between threads only turns
    # PIL's own bomb check into a logged warning; the explicit max_pixels check still applies.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # corrupt-metadata notices are logged, not printed
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _decode(data, max_pixels)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise InvalidImage(
                "too_many_pixels",
                "Sorry, this image has far too many pixels to process. "
                "Please send a smaller version.",
            ) from exc
        except UnidentifiedImageError as exc:
            raise _unrecognised(data) from exc
        except _DECODE_ERRORS as exc:
            log.info("image decode failed: %s", exc)
            raise InvalidImage("truncated", _truncated_message()) from exc
        finally:
            for w in caught:
                log.info("while decoding an image: %s", w.message)
    try:
        return _to_rgb(image)
    except (ValueError, OSError) as exc:
        raise InvalidImage(
            "unsupported",
            f"Sorry, this image uses a colour format ({image.mode}) that cannot be read. "
            f"Please send it as an ordinary {_FORMATS_TEXT} photo.",
        ) from exc


def _decode(data: bytes, max_pixels: int) -> Image.Image:
    with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as im:
        _check_dimensions(im.width, im.height, max_pixels)  # header only, nothing decoded yet
        im.seek(0)  # animated GIF/WebP: the first frame
        im.load()
        return _exif_upright(im)


def _exif_upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a malformed EXIF block is ignored, not fatal."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception as exc:  # EXIF is only metadata: the pixels are fine
        log.info("ignoring unreadable EXIF orientation: %s", exc)
        return image.copy()


def read_image_file(path: str | Path, *, max_bytes: int, max_pixels: int) -> Image.Image:
    """`load_image` for a file; the size is checked with stat() before anything is read."""
    size = Path(path).stat().st_size
    if size > max_bytes:
        raise _too_large(size, max_bytes)
    with open(path, "rb") as f:
        data = f.read(max_bytes + 1)  # the file may have grown since stat()
    return load_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
