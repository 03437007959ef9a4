"""core.imaging: every way an upload can be bad, and every colour mode a good one can use."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from core import imaging
from core.errors import InvalidImage
from core.imaging import load_image, read_image_file

MB = 1024 * 1024
LIMITS: dict[str, int] = {"max_bytes": 20 * MB, "max_pixels": 40_000_000}


def encode(image: Image.Image, fmt: str, **kwargs: Any) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kwargs)
    return buf.getvalue()


def noise_photo(width: int = 96, height: int = 64) -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def with_ihdr_size(png: bytes, width: int, height: int) -> bytes:
    """Rewrite a PNG's declared size (IHDR) with a valid CRC; the pixel data stays tiny."""
    assert png[12:16] == b"IHDR"
    chunk = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:12] + chunk + struct.pack(">I", zlib.crc32(chunk)) + png[33:]


def reason_of(data: bytes, **limits: int) -> str:
    with pytest.raises(InvalidImage) as info:
        load_image(data, **{**LIMITS, **limits})
    message = str(info.value)
    assert message.startswith("Sorry,") and message.endswith(".")
    return info.value.reason


def load(data: bytes) -> Image.Image:
    image = load_image(data, **LIMITS)
    assert image.mode == "RGB"
    return image


# --- refusals ---------------------------------------------------------------------------


def test_empty() -> None:
    assert reason_of(b"") == "empty"


def test_too_large_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_decode(*args: object, **kwargs: object) -> None:
        raise AssertionError("Image.open called on an oversized upload")

    monkeypatch.setattr(Image, "open", must_not_decode)
    data = encode(noise_photo(), "PNG") + bytes(20 * MB)
    assert reason_of(data) == "too_large"


def test_file_size_checked_with_stat_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.jpg"
    with open(big, "wb") as f:
        f.truncate(21 * MB)  # sparse: costs no disk

    def must_not_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("file opened before its size was checked")

    monkeypatch.setattr(imaging, "open", must_not_read, raising=False)
    with pytest.raises(InvalidImage) as info:
        read_image_file(big, **LIMITS)
    assert info.value.reason == "too_large"
    assert "21.0 MB" in str(info.value) and "20.0 MB" in str(info.value)


@pytest.mark.parametrize(
    ("size", "size_text", "limit_text"),
    [
        (21_000_000, "20.03 MB", "20.00 MB"),  # once printed as "20.0 MB; the limit is 20.0 MB"
        (20 * MB + 1, "20,971,521 bytes", "20,971,520 bytes"),
        (30 * MB, "30.0 MB", "20.0 MB"),
    ],
)
def test_the_refusal_tells_the_size_from_the_limit(
    tmp_path: Path, size: int, size_text: str, limit_text: str
) -> None:
    photo = tmp_path / "photo.jpg"
    with open(photo, "wb") as f:
        f.truncate(size)
    with pytest.raises(InvalidImage, match="too large") as info:
        read_image_file(photo, **LIMITS)
    assert f"({size_text}; the limit is {limit_text})" in str(info.value)


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(InvalidImage) as info:
        read_image_file(empty, **LIMITS)
    assert info.value.reason == "empty"


@pytest.mark.parametrize(
    "data",
    [
        b"Hello, this is a plain text note and not a photo.\n" * 20,
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n",
        np.random.default_rng(1).bytes(4096),
        b'{"photo": "not really"}',
    ],
    ids=["text", "pdf", "random", "json"],
)
def test_not_an_image(data: bytes) -> None:
    assert reason_of(data) == "not_image"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.7, 0.97])
def test_truncated(fmt: str, fraction: float) -> None:
    data = encode(noise_photo(), fmt)
    assert reason_of(data[: int(len(data) * fraction)]) == "truncated"


def test_jpeg_missing_its_last_bytes_is_truncated() -> None:
    assert reason_of(encode(noise_photo(), "JPEG")[:-2]) == "truncated"


def test_real_decompression_bomb_is_refused_from_the_header(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bomb = encode(Image.new("1", (8000, 8000)), "PNG")  # 64 megapixels in a few KB
    assert len(bomb) < 100_000

    def must_not_load(self: Image.Image) -> None:
        raise AssertionError("pixels decoded before the pixel count was checked")

    monkeypatch.setattr(Image.Image, "load", must_not_load)
    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", must_not_load)
    with pytest.raises(InvalidImage) as info:
        load_image(bomb, **LIMITS)
    assert info.value.reason == "too_many_pixels"
    assert "8000x8000" in str(info.value)


def test_header_declaring_30000x30000_is_refused() -> None:
    small = encode(Image.new("L", (8, 8)), "PNG")
    assert reason_of(with_ihdr_size(small, 30_000, 30_000)) == "too_many_pixels"


def test_pil_bomb_warning_becomes_invalid_image_even_with_a_generous_limit() -> None:
    small = encode(Image.new("L", (8, 8)), "PNG")
    max_pixels_before = Image.MAX_IMAGE_PIXELS
    data = with_ihdr_size(small, 10_000, 10_000)  # above PIL's own 89 MP warning threshold
    assert reason_of(data, max_pixels=10**10) == "too_many_pixels"
    assert max_pixels_before == Image.MAX_IMAGE_PIXELS


def test_zero_width_is_refused() -> None:
    small = encode(Image.new("L", (8, 8)), "PNG")
    assert reason_of(with_ihdr_size(small, 0, 8)) == "truncated"


@pytest.mark.parametrize("size", [(2000, 10), (3, 600)])
def test_absurd_aspect_ratio(size: tuple[int, int]) -> None:
    assert reason_of(encode(Image.new("RGB", size), "PNG")) == "unsupported"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64), "HEIC"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        (b"8BPS\x00\x01" + bytes(64), "PSD"),
    ],
    ids=["heic", "svg", "psd"],
)
def test_known_but_unsupported_formats(data: bytes, name: str) -> None:
    with pytest.raises(InvalidImage) as info:
        load_image(data, **LIMITS)
    assert info.value.reason == "unsupported"
    assert name in str(info.value)


# --- good images ------------------------------------------------------------------------


def test_jpeg_and_png_round_trip() -> None:
    photo = noise_photo()
    assert load(encode(photo, "PNG")).tobytes() == photo.tobytes()
    assert load(encode(photo, "JPEG")).size == (96, 64)


def test_result_is_a_standalone_image() -> None:
    image = load(encode(noise_photo(), "JPEG"))
    assert type(image) is Image.Image  # not a lazily-decoded JpegImageFile


def _two_colour(width: int = 40, height: int = 20) -> Image.Image:
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))  # left half red, right half blue
    return image


def _is(pixel: Any, rgb: tuple[int, int, int], tol: int = 12) -> bool:
    return all(abs(int(a) - b) <= tol for a, b in zip(pixel, rgb, strict=True))


@pytest.mark.parametrize(
    ("orientation", "size", "red_at", "blue_at"),
    [
        (1, (40, 20), (5, 10), (35, 10)),
        (3, (40, 20), (35, 10), (5, 10)),  # rotated 180
        (6, (20, 40), (10, 5), (10, 35)),  # stored sideways: rotate 90 clockwise
        (8, (20, 40), (10, 35), (10, 5)),  # rotate 90 counter-clockwise
    ],
)
def test_exif_orientation_is_applied(
    orientation: int, size: tuple[int, int], red_at: tuple[int, int], blue_at: tuple[int, int]
) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    image = load(encode(_two_colour(), "JPEG", exif=exif.tobytes(), quality=95))
    assert image.size == size
    assert _is(image.getpixel(red_at), (255, 0, 0))
    assert _is(image.getpixel(blue_at), (0, 0, 255))


def test_corrupt_exif_is_ignored() -> None:
    bad_exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01\x12\x00\x03\xff\xff\xff\xff"
    image = load(encode(_two_colour(), "JPEG", exif=bad_exif))
    assert image.size == (40, 20)


def test_rgba_is_composited_on_white() -> None:
    rgba = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    rgba.putpixel((1, 1), (255, 0, 0, 255))
    rgba.putpixel((2, 2), (255, 0, 0, 128))
    image = load(encode(rgba, "PNG"))
    assert image.getpixel((0, 0)) == (255, 255, 255)
    assert image.getpixel((1, 1)) == (255, 0, 0)
    assert _is(image.getpixel((2, 2)), (255, 127, 127), tol=2)


def test_la_is_composited_on_white() -> None:
    image = load(encode(Image.new("LA", (4, 4), (0, 0)), "PNG"))
    assert image.getpixel((0, 0)) == (255, 255, 255)


def test_palette_with_transparency() -> None:
    pal = Image.new("P", (4, 4), 0)
    pal.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    pal.putpixel((3, 3), 1)
    image = load(encode(pal, "PNG", transparency=0))
    assert image.getpixel((0, 0)) == (255, 255, 255)
    assert image.getpixel((3, 3)) == (255, 0, 0)


def test_palette_without_transparency() -> None:
    pal = Image.new("P", (4, 4), 1)
    pal.putpalette([0, 0, 0, 0, 128, 0] + [0] * 762)
    assert load(encode(pal, "PNG")).getpixel((0, 0)) == (0, 128, 0)


def test_cmyk_jpeg() -> None:
    image = load(encode(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG"))
    assert _is(image.getpixel((4, 4)), (255, 0, 0))


def test_sixteen_bit_png_is_scaled_not_clipped() -> None:
    arr = np.array([[0, 32896, 65535, 1000]], dtype=np.uint16)
    sixteen = Image.fromarray(arr)
    assert sixteen.mode == "I;16"
    image = load(encode(sixteen, "PNG"))
    assert [image.getpixel((x, 0)) for x in range(4)] == [
        (0, 0, 0),
        (128, 128, 128),
        (255, 255, 255),
        (4, 4, 4),
    ]


def test_32bit_int_and_float_tiffs() -> None:
    as_int = Image.fromarray(np.array([[0, 70000, 140000]], dtype=np.int32))
    assert as_int.mode == "I"
    assert list(load(encode(as_int, "TIFF")).getchannel(0).tobytes()) == [0, 128, 255]
    as_float = Image.fromarray(np.array([[0.0, 0.5, 1.0]], dtype=np.float32) * 255)
    assert as_float.mode == "F"
    assert list(load(encode(as_float, "TIFF")).getchannel(0).tobytes()) == [0, 128, 255]


@pytest.mark.parametrize("mode", ["1", "L"])
def test_bilevel_and_grey(mode: str) -> None:
    image = load(encode(Image.new(mode, (4, 4), 1 if mode == "1" else 200), "PNG"))
    assert image.getpixel((0, 0)) == ((255,) * 3 if mode == "1" else (200,) * 3)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animation_gives_the_first_frame(fmt: str) -> None:
    frames = [Image.new("RGB", (16, 16), colour) for colour in ("red", "lime", "blue")]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], lossless=True)
    with Image.open(io.BytesIO(data)) as check:
        assert getattr(check, "n_frames", 1) == 3
    assert _is(load(data).getpixel((8, 8)), (255, 0, 0))


def test_read_image_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(encode(noise_photo(), "PNG"))
    assert read_image_file(path, **LIMITS).size == (96, 64)
