"""Settings: production refuses to start without a secret; the demo makes and keeps one."""

from __future__ import annotations

import pytest

from dispatch.config import ConfigError, Settings


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="DISPATCH_SECRET_KEY is not set"):
        Settings(env="production", instance_path=tmp_path).finalized()


def test_production_refuses_a_short_secret(tmp_path):
    with pytest.raises(ConfigError, match="at least 32 characters"):
        Settings(env="production", secret_key="hunter2", instance_path=tmp_path).finalized()


def test_demo_generates_a_key_once_and_keeps_it_private(tmp_path):
    first = Settings(env="demo", instance_path=tmp_path).finalized()
    second = Settings(env="demo", instance_path=tmp_path).finalized()
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 48
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_variables_are_read_and_typed(tmp_path):
    settings = Settings.from_env(
        {
            "DISPATCH_ENV": "development",
            "DISPATCH_ACCESS_TOKEN_MINUTES": "5",
            "DISPATCH_GEOCODER_TIMEOUT_S": "2.5",
            "DATABASE_URL": "postgresql+psycopg://db/x",
            "DISPATCH_INSTANCE_PATH": str(tmp_path),
        }
    )
    assert (settings.env, settings.access_token_minutes, settings.geocoder_timeout_s) == (
        "development",
        5,
        2.5,
    )
    assert settings.database_url == "postgresql+psycopg://db/x"
    assert settings.instance_path == tmp_path


def test_prefixed_database_url_wins_over_the_plain_one():
    settings = Settings.from_env(
        {"DISPATCH_DATABASE_URL": "sqlite:///a.db", "DATABASE_URL": "sqlite:///b.db"}
    )
    assert settings.database_url == "sqlite:///a.db"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DISPATCH_ACCESS_TOKEN_MINUTES": "soon"}, "must be a number"),
        ({"DISPATCH_ENV": "staging"}, "DISPATCH_ENV must be one of"),
        ({"DISPATCH_DEFAULT_TIME_ZONE": "Europe/Atlantis"}, "unknown time zone"),
    ],
)
def test_bad_values_are_named(environ, message, tmp_path):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**environ, "DISPATCH_SECRET_KEY": "k" * 40}).with_overrides(
            {"instance_path": tmp_path}
        ).finalized()


def test_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path):
    settings = Settings(env="demo", instance_path=tmp_path).finalized()
    assert settings.database_url == f"sqlite:///{tmp_path / 'dispatch.db'}"


def test_unknown_override_is_refused():
    with pytest.raises(ConfigError, match="unknown settings: colour"):
        Settings().with_overrides({"colour": "blue"})
