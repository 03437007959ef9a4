"""One `Settings` object, read from the environment and `.env`, passed down explicitly."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

RESOURCES = Path(__file__).resolve().parent / "resources"
DEFAULT_CATALOG = RESOURCES / "catalog"


def project_root() -> Path | None:
    """The checkout this code runs from (the folder with pyproject.toml), if there is one."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() else None


def env_files() -> tuple[Path, ...]:
    """The project's .env, then the current directory's (which wins where both set a value):
    a bot and a worker started from different folders read the same settings."""
    root = project_root()
    return (root / ".env", Path(".env")) if root is not None else (Path(".env"),)


PLACEHOLDERS = {"changeme", "change-me", "your-token", "xxx", "token", "secret", "your-secret"}
WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")  # Telegram allows 1-256 of these


MEMBER_TAGGERS = ("imagenet", "clip", "caption")


def parse_ensemble(spec: str) -> list[tuple[str, float]]:
    """'clip:1.0,imagenet:0.5' -> [('clip', 1.0), ('imagenet', 0.5)] (weight 1 when left out)."""
    members: list[tuple[str, float]] = []
    for item in spec.split(","):
        name, _, weight = item.strip().partition(":")
        if not name:
            continue
        if name not in MEMBER_TAGGERS or name in {n for n, _ in members}:
            raise ValueError(
                f"ensemble member {name!r}: each of {', '.join(MEMBER_TAGGERS)} at most once"
            )
        try:
            w = float(weight) if weight else 1.0
        except ValueError:
            raise ValueError(f"ensemble weight {weight!r} of {name} is not a number") from None
        if not w > 0:
            raise ValueError(f"ensemble weight of {name} must be > 0")
        members.append((name, w))
    if not members:
        raise ValueError("the ensemble needs at least one member (e.g. clip:1,imagenet:0.5)")
    return members


class Settings(BaseSettings):
    """Every knob of MRI. Field names map to `MRI_<NAME>` environment variables."""

    model_config = SettingsConfigDict(
        env_prefix="MRI_", env_file=env_files(), env_file_encoding="utf-8", extra="ignore"
    )

    catalog_dir: Path = Field(
        default=DEFAULT_CATALOG,
        description="Catalog folder written by `mri catalog build` (default: the embedded one).",
    )
    audio_model: Path | None = Field(
        default=None,
        description="Audio-model checkpoint (`mri audio train`) used by `mri catalog add-audio`.",
    )
    tag_table: Path | None = Field(
        default=None,
        description="Class -> tag table of the imagenet tagger learned from people's "
        "corrections (`mri eval corrections --write FILE`); default: the shipped table.",
    )
    tagger: Literal["imagenet", "clip", "caption", "ensemble"] = Field(
        default="imagenet",
        description="Photo tagger: imagenet (offline default), clip, caption or ensemble.",
    )
    clip_model: str = Field(
        default="Bingsu/clip-vit-base-patch32-ko",
        description="Image-text model of the clip tagger: a hub id or a local folder.",
    )
    caption_model: str = Field(
        default="Salesforce/blip-image-captioning-base",
        description="Captioning model of the caption tagger: a hub id or a local folder.",
    )
    ensemble_taggers: str = Field(
        default="clip:1.0,imagenet:0.5,caption:0.5",
        description="Members of the ensemble tagger with their weights (name:weight, ...).",
    )
    faces: bool = Field(
        default=True,
        description="Read faces and expressions as evidence (imagenet and ensemble taggers): "
        "smiles vote for 행복, a few faces for 우정, a crowd for 공연.",
    )
    faces_weight: float = Field(
        default=1.0, gt=0, le=3, description="Weight of face evidence against the tagger's tags."
    )
    offline: bool = Field(
        default=False,
        description="Never touch the network (sets HF_HUB_OFFLINE); `mri models fetch` refuses.",
    )
    top_k: int = Field(default=10, ge=1, le=50, description="Songs per reply.")
    tags_shown: int = Field(default=6, ge=1, le=20, description="Tags shown per reply.")
    max_per_artist: int = Field(default=2, ge=1, description="Max songs by one artist in a reply.")
    popularity_weight: float = Field(
        default=2.0,
        ge=0.0,
        le=5.0,
        description="Scale of the catalog's popularity prior (2: songs people know weigh twice "
        "what the tag space learned from curated playlists; measured in benchmarks/results/"
        "bench_served.md).",
    )
    hub_strength: float = Field(
        default=2.0,
        ge=0.0,
        le=3.0,
        description="Hub correction: how much a song's reach over all typical queries counts "
        "against it (0 = off; core/hubness.py).",
    )
    variety: float = Field(
        default=1.0,
        ge=0.0,
        le=5.0,
        description="How freely a reply is drawn from the best candidates (Gumbel noise of this "
        "scale on the scores; 0 = always the top of the ranking).",
    )
    hub_temperature: float = Field(
        default=0.7,
        gt=0.0,
        le=100.0,
        description="Hub correction temperature: small = a song's best score over typical "
        "queries, large = its mean score.",
    )
    max_image_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Refuse photos larger than this."
    )
    max_image_pixels: int = Field(
        default=40_000_000, ge=10_000, description="Refuse images with more pixels (bombs)."
    )
    num_threads: int = Field(default=2, ge=1, le=64, description="CPU threads for the models.")
    log_level: str = Field(default="INFO", description="Python logging level.")

    # -- process model: queue, workers, storage ------------------------------------------
    data_dir: Path = Field(
        default=Path("var"),
        description="Folder for the embedded database, queue and spool; a relative path is "
        "relative to the project folder (not the current directory) and made absolute once.",
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default sqlite:///<data_dir>/mri.db."
    )
    queue_url: str | None = Field(
        default=None, description="redis://host:port/db, or default sqlite <data_dir>/queue.db."
    )
    queue_name: str = Field(
        default="mri", description="Queue name (Redis key prefix); tests use their own."
    )
    job_wait_seconds: float = Field(
        default=8.0, gt=0, description="How long an adapter waits before 'still working'."
    )
    placeholder_after_seconds: float = Field(
        default=1.0,
        ge=0,
        description="A bot shows '🎧 listening…' only when the answer takes longer than this "
        "(before: a chat action); a quick answer is one message.",
    )
    job_expire_seconds: float = Field(
        default=600.0, gt=0, description="Jobs not finished after this long are expired."
    )
    job_lease_seconds: float = Field(
        default=60.0, gt=0, description="A running job whose worker is silent this long reruns."
    )
    job_retries: int = Field(default=3, ge=0, le=10, description="Retries of a failing job.")

    # -- chat adapters ---------------------------------------------------------------------
    telegram_token: SecretStr | None = Field(
        default=None, description="Bot token from @BotFather (never logged)."
    )
    telegram_api_url: str = Field(
        default="https://api.telegram.org",
        description="Bot API server root; calls go to {root}/bot{token}/{method}.",
    )
    telegram_webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL for webhook mode (default: polling)."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None,
        description="Webhook mode: the secret Telegram sends in X-Telegram-Bot-Api-Secret-Token "
        "(16-256 of A-Z a-z 0-9 _ -); required with a webhook URL.",
    )
    telegram_webhook_listen: str = Field(
        default="127.0.0.1",
        description="Address the webhook server binds (the TLS reverse proxy forwards to it).",
    )
    telegram_webhook_port: int = Field(default=8443, ge=1, le=65535, description="Webhook port.")
    delivery_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A reply being sent is someone's for this long: if its adapter dies (or the "
        "send fails) any adapter of the platform retries it after that, editing the same message.",
    )
    delivery_sweep_seconds: float = Field(
        default=5.0, gt=0, description="How often each adapter looks for replies still owed."
    )
    discord_token: SecretStr | None = Field(
        default=None, description="Discord bot token (never logged)."
    )
    discord_api_url: str = Field(
        default="https://discord.com/api/v10",
        description="Discord REST base; calls go to {base}/channels/… (e.g. a rate-limit proxy).",
    )
    discord_gateway_url: str | None = Field(
        default=None,
        description="Discord gateway websocket (default: discord.py's, wss://gateway.discord.gg).",
    )
    user_requests_per_minute: int = Field(
        default=6, ge=1, le=600, description="Photos/texts one user may send per minute."
    )
    ab_taggers: str | None = Field(
        default=None,
        description="Compare two photo taggers ('clip,imagenet'): each reply interleaves their "
        "songs (team draft); `mri eval feedback` says which one people like more.",
    )
    vote_rerank: bool = Field(
        default=True, description="Re-rank songs by past 👍/👎 for similar tags (global + chat)."
    )
    vote_rerank_strength: float = Field(
        default=1.0, ge=0, le=10, description="How far votes move a song (0 = off)."
    )
    vote_prior: float = Field(
        default=3.0,
        gt=0,
        description="Shrinkage: votes a (tag, song) needs to count fully.",
    )
    vote_stats_ttl_seconds: float = Field(
        default=60.0, ge=0, description="Workers reload vote counts at most this often."
    )
    playlist_window_seconds: float = Field(
        default=900.0, gt=0, description="A group playlist closes by itself after this long."
    )
    startup_timeout_seconds: float = Field(
        default=300.0,
        ge=0,
        description="At start, how long to retry (with back-off) an unreachable database, Redis, "
        "Telegram or Discord before giving up (0: try once).",
    )

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        levels = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        if value.upper() not in levels:
            raise ValueError(f"must be one of {', '.join(levels)}")
        return value.upper()

    @field_validator("ensemble_taggers")
    @classmethod
    def _valid_members(cls, value: str) -> str:
        """Fail at start-up, not on the first photo, when the ensemble is mistyped."""
        parse_ensemble(value)
        return value

    @field_validator("telegram_token", "discord_token", "telegram_webhook_secret")
    @classmethod
    def _no_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        """An empty or placeholder secret counts as none (fail fast, clearly)."""
        if value is None:
            return None
        secret = value.get_secret_value().strip()
        if not secret or secret.lower() in PLACEHOLDERS:
            return None
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not WEBHOOK_SECRET.match(value.get_secret_value()):
            raise ValueError(
                "must be 16 to 256 characters of A-Z, a-z, 0-9, _ and - (make one with: "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return value

    @field_validator("telegram_webhook_url")
    @classmethod
    def _webhook_url_shape(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("must be a public https:// URL (Telegram only calls HTTPS webhooks)")
        return value.strip()

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        """Resolved once, here: relative to the project folder, never to the current directory
        (two processes started from different folders must share one database)."""
        value = value.expanduser()
        if not value.is_absolute():
            value = (project_root() or Path.cwd()) / value
        return value.resolve()

    @field_validator("tag_table")
    @classmethod
    def _existing_tag_table(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        value = value.expanduser()
        if not value.is_absolute():
            value = (project_root() or Path.cwd()) / value
        if not value.is_file():
            raise ValueError(f"no table file at {value} (write one with mri eval corrections)")
        return value.resolve()

    def secret_values(self) -> list[str]:
        """Everything that must never reach an output stream: tokens, the webhook secret and
        the passwords inside the database and queue URLs."""
        found = [
            s.get_secret_value()
            for s in (self.telegram_token, self.discord_token, self.telegram_webhook_secret)
            if s is not None
        ]
        for url in (self.database_url, self.queue_url):
            password = urlsplit(url).password if url else None
            if password:
                found.append(password)
        return found

    @property
    def telegram_webhook_path(self) -> str:
        """The path the webhook server serves: that of the public URL ('telegram' for
        https://bot.example.com/telegram), so the reverse proxy can forward it unchanged."""
        return urlsplit(self.telegram_webhook_url or "").path.strip("/")

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'mri.db'}"

    @property
    def queue_file(self) -> Path:
        return self.data_dir / "queue.db"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def models_dir(self) -> Path:
        """Where `mri models fetch` puts weights (<data_dir>/models/<owner>--<name>)."""
        return self.data_dir / "models"

    @property
    def cache_dir(self) -> Path:
        """Derived files that are safe to delete (tag text embeddings of read-only catalogs)."""
        return self.data_dir / "cache"
