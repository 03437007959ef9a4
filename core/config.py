"""One `Settings` object, read from the environment and `.env`, passed down explicitly."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

RESOURCES = Path(__file__).resolve().parent / "resources"
DEFAULT_CATALOG = RESOURCES / "catalog"


class Settings(BaseSettings):
    """Every knob of MRI. Field names map to `MRI_<NAME>` environment variables."""

    model_config = SettingsConfigDict(
        env_prefix="MRI_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    catalog_dir: Path = Field(
        default=DEFAULT_CATALOG,
        description="Catalog folder written by `mri catalog build` (default: the embedded one).",
    )
    tagger: Literal["imagenet"] = Field(default="imagenet", description="Photo tagger to use.")
    top_k: int = Field(default=10, ge=1, le=50, description="Songs per reply.")
    tags_shown: int = Field(default=6, ge=1, le=20, description="Tags shown per reply.")
    max_per_artist: int = Field(default=2, ge=1, description="Max songs by one artist in a reply.")
    popularity_weight: float = Field(
        default=1.0, ge=0.0, le=3.0, description="Scale of the catalog's popularity prior."
    )
    max_image_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Refuse photos larger than this."
    )
    max_image_pixels: int = Field(
        default=40_000_000, ge=10_000, description="Refuse images with more pixels (bombs)."
    )
    num_threads: int = Field(default=2, ge=1, le=64, description="CPU threads for the models.")
    log_level: str = Field(default="INFO", description="Python logging level.")
