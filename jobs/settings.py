"""Settings: one pydantic-settings class, built once at the entry point and passed down.

Sources, highest priority first: explicit arguments (the CLI's options),
environment variables ``REACTION_*`` (nested with ``__``), then an optional
TOML file (``--config FILE`` or ``REACTION_CONFIG``). Nothing reads the
environment anywhere else.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    """Everything configurable about market-reaction."""

    model_config = SettingsConfigDict(
        env_prefix="REACTION_", env_nested_delimiter="__", extra="forbid"
    )

    db: Path = Field(default=Path("reaction.duckdb"), description="the DuckDB store")
    benchmarks: tuple[str, ...] = Field(default=("SPY", "QQQ"), description="always fetched")
    lock_timeout: float = Field(default=30.0, ge=0, description="seconds to wait for a busy store")
    history_start: dt.date | None = Field(
        default=None, description="first date fetched for a new ticker (default: 10 years back)"
    )
    recent_sessions: int = Field(
        default=5, ge=0, description="stored sessions re-fetched each time"
    )
    source: Path | None = Field(
        default=None, description="refresh from this price file or folder instead of Yahoo"
    )
    schedule_time: dt.time = Field(default=dt.time(18, 30), description="daily refresh time")
    schedule_timezone: str = Field(default="America/New_York")
    schedule_days: str = Field(default="mon-fri")
    untracked: tuple[str, ...] = Field(
        default=(), description="stored tickers the daily refresh leaves alone"
    )
    seed: bool = Field(default=True, description="load the seed catalog into a new store")
    reports_dir: Path = Field(
        default=Path("reports"), description="where refreshed studies write their reports"
    )

    @field_validator("db", "source", "reports_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.expanduser().absolute() if value is not None else None

    @field_validator("benchmarks", "untracked", mode="after")
    @classmethod
    def _upper(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from events.tickers import normalise_ticker_list

        return normalise_ticker_list(value)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = os.environ.get("REACTION_CONFIG")
        if config:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config)))
        return tuple(sources)


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings; ``config`` is a TOML file, ``overrides`` beat everything."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    if config is None:
        return Settings(**clean)
    if not config.is_file():
        raise FileNotFoundError(f"configuration file {config} does not exist")

    class _FromFile(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (
                init_settings,
                env_settings,
                TomlConfigSettingsSource(settings_cls, toml_file=config),
            )

    return _FromFile(**clean)
