"""Settings read once at start from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import UserError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/nexus.db"


class SettingsError(Exception):
    """Invalid settings; ``problems`` holds one human-readable line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Settings(BaseSettings):
    """Everything an operator can configure; documented in `.env.example`."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    discord_token: str | None = Field(default=None, alias="DISCORD_TOKEN", repr=False)
    guild_id: int | None = Field(default=None, alias="NEXUS_GUILD_ID", gt=0)
    announce_channel_id: int | None = Field(default=None, alias="NEXUS_ANNOUNCE_CHANNEL_ID", gt=0)
    moderator_role_ids: Annotated[tuple[int, ...], NoDecode] = Field(
        default=(), alias="NEXUS_MODERATOR_ROLE_IDS"
    )
    modlog_channel_id: int | None = Field(default=None, alias="NEXUS_MODLOG_CHANNEL_ID", gt=0)
    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    content_dir: Path = Field(default=Path("content"), alias="NEXUS_CONTENT_DIR")
    http_port: int | None = Field(default=None, alias="NEXUS_HTTP_PORT", ge=1, le=65535)
    log_level: str = Field(default="INFO", alias="NEXUS_LOG_LEVEL")
    log_format: Literal["text", "json"] = Field(default="text", alias="NEXUS_LOG_FORMAT")
    reminder_grace_hours: float = Field(default=6.0, alias="NEXUS_REMINDER_GRACE_HOURS", ge=0)
    discord_events: bool = Field(default=True, alias="NEXUS_DISCORD_EVENTS")
    reminder_offsets: str = Field(default="7d,3d,1d,2h,0m", alias="NEXUS_REMINDER_OFFSETS")
    pairing_schedule: str = Field(default="", alias="NEXUS_PAIRING_SCHEDULE")
    pairing_checkin_days: float = Field(default=7.0, alias="NEXUS_PAIRING_CHECKIN_DAYS", gt=0)
    pairing_notice_hours: float = Field(default=24.0, alias="NEXUS_PAIRING_NOTICE_HOURS", ge=0)
    semantic_model: str | None = Field(default=None, alias="NEXUS_SEMANTIC_MODEL")
    gaps_retention_days: int = Field(default=90, alias="NEXUS_GAPS_RETENTION_DAYS", ge=1)

    @field_validator("discord_token", "semantic_model", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator(
        "guild_id", "announce_channel_id", "modlog_channel_id", "http_port", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("moderator_role_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            for part in parts:
                if not part.isdigit():
                    raise ValueError(f"{part!r} is not a role id (digits only)")
            return tuple(int(part) for part in parts)
        return value

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("reminder_offsets")
    @classmethod
    def _valid_offsets(cls, value: str) -> str:
        from bot.reminders.parsing import parse_offsets

        try:
            parse_offsets(value)
        except UserError as error:
            raise ValueError(str(error).replace("`", "")) from None
        return value

    @field_validator("pairing_schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        from bot.pairing.schedule import parse_schedule

        parse_schedule(value)
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level


def load_settings(**overrides: Any) -> Settings:
    """Read and validate settings; raise `SettingsError` with one line per problem."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        aliases = {name: field.alias or name for name, field in Settings.model_fields.items()}
        problems = []
        for error in exc.errors():
            location = str(error["loc"][0]) if error["loc"] else "settings"
            name = aliases.get(location, location)
            message = error["msg"].removeprefix("Value error, ")
            shown = "" if name == "DISCORD_TOKEN" else f" (got {error.get('input')!r})"
            problems.append(f"{name}: {message}{shown}")
        raise SettingsError(problems) from None
