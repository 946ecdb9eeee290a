"""Settings (``prp_tasks.settings``): defaults, ``PRP_*`` variables, and refusing mistakes."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from prp_tasks.errors import ConfigError
from prp_tasks.settings import (
    DEFAULT_ENV_ALLOWLIST,
    Settings,
    load_settings,
    to_kombu_url,
    unknown_env_keys,
)


@pytest.fixture(autouse=True)
def no_prp_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without ``PRP_*`` variables; monkeypatch restores them afterwards."""
    for key in [k for k in os.environ if k.startswith("PRP_")]:
        monkeypatch.delenv(key)


def config_error(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    return info.value.message


_LIMITS = {
    "prefetch_multiplier": 1,
    "max_tasks_per_child": None,
    "time_limit_s": None,
    "soft_time_limit_s": None,
}
DEFAULT_QUEUES = {
    # the automated class's concurrency comes from PRP_SPOOL_CONCURRENCY / PRP_SPOOL_MAX_CONCURRENCY
    "automated": {"concurrency": 1, "max_concurrency": 4, "pool": "prefork", **_LIMITS},
    "approval": {"concurrency": 2, "max_concurrency": None, "pool": "threads", **_LIMITS},
    "control": {"concurrency": 4, "max_concurrency": None, "pool": "threads", **_LIMITS},
}


def queue(settings: Settings, name: str) -> dict[str, object]:
    """A queue class's values (compared as data: each class may have its own model)."""
    values: dict[str, object] = settings.queue(name).model_dump()
    return values


def test_defaults_apply_without_any_variable() -> None:
    settings = load_settings()
    assert settings.redis_url is None and settings.embedded is True
    assert settings.key_prefix == "prp"
    assert settings.retention_s == 7 * 86400
    assert settings.check_timeout_s == 600
    assert settings.output_tail_bytes == 4000
    assert settings.env_allowlist == DEFAULT_ENV_ALLOWLIST
    assert {name: queue(settings, name) for name in DEFAULT_QUEUES} == DEFAULT_QUEUES


def test_variables_set_the_matching_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRP_REDIS_URL", "redis://localhost:6379/0")
    monkeypatch.setenv("PRP_CHECK_TIMEOUT_S", "30")
    monkeypatch.setenv("PRP_TASK_EVENTS", "false")
    monkeypatch.setenv("PRP_ENV_ALLOWLIST", '["PATH", "CI"]')
    settings = load_settings()
    assert settings.embedded is False
    assert (settings.check_timeout_s, settings.task_events) == (30, False)
    assert settings.env_allowlist == ("PATH", "CI")


def test_overrides_win_over_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRP_KEY_PREFIX", "from-env")
    assert load_settings(key_prefix="explicit").key_prefix == "explicit"


def test_variables_without_the_prefix_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://elsewhere")
    assert load_settings().redis_url is None


def test_one_nested_variable_keeps_the_other_classes_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRP_QUEUES__AUTOMATED__CONCURRENCY", "8")
    settings = load_settings()
    assert queue(settings, "automated") == DEFAULT_QUEUES["automated"] | {
        "concurrency": 8,
        "max_concurrency": 8,
    }
    assert queue(settings, "approval") == DEFAULT_QUEUES["approval"]
    assert queue(settings, "control") == DEFAULT_QUEUES["control"]


@pytest.mark.parametrize("name", ["approval", "control"])
def test_one_nested_variable_keeps_the_same_classes_other_defaults(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(f"PRP_QUEUES__{name.upper()}__CONCURRENCY", "8")
    assert queue(load_settings(), name) == DEFAULT_QUEUES[name] | {"concurrency": 8}


def test_a_misspelt_top_level_variable_suggests_the_right_one(monkeypatch: pytest.MonkeyPatch) -> None:
    message = config_error(monkeypatch, PRP_REDIS_ULR="redis://localhost")
    assert message == "unknown setting(s): PRP_REDIS_ULR (did you mean PRP_REDIS_URL?)"


def test_every_unknown_variable_is_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    message = config_error(monkeypatch, PRP_REDIS_ULR="x", PRP_ZZZ="y")
    assert "PRP_REDIS_ULR (did you mean PRP_REDIS_URL?)" in message
    assert "PRP_ZZZ" in message


def test_a_misspelt_nested_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    message = config_error(monkeypatch, PRP_QUEUES__AUTOMATED__CONCURENCY="8")
    assert "PRP_QUEUES__AUTOMATED__CONCURENCY" in message


def test_unknown_env_keys_checks_only_the_top_level_name() -> None:
    environ = {"PRP_QUEUES__X__Y": "1", "PRP_REDIS_ULR": "x", "PRP_KEY_PREFIX": "p", "HOME": "/"}
    assert unknown_env_keys(environ) == ["PRP_REDIS_ULR"]


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("PRP_CHECK_TIMEOUT_S", "-1", "Input should be greater than 0"),
        ("PRP_CHECK_TIMEOUT_S", "soon", "Input should be a valid number"),
        ("PRP_KEY_PREFIX", "a:b", "String should match pattern"),
        ("PRP_OUTPUT_TAIL_BYTES", "10", "Input should be greater than or equal to 200"),
        ("PRP_TASK_EVENTS", "maybe", "Input should be a valid boolean"),
        ("PRP_QUEUES__AUTOMATED__POOL", "gevent", "Input should be 'prefork', 'threads' or 'solo'"),
        ("PRP_QUEUES__CONTROL__CONCURRENCY", "0", "Input should be greater than or equal to 1"),
    ],
)
def test_invalid_values_are_config_errors_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, problem: str
) -> None:
    message = config_error(monkeypatch, **{name: value})
    assert message.startswith("invalid setting(s): ")
    assert f"{name}: {problem}" in message


UNPARSABLE = pytest.mark.parametrize(
    ("name", "value"), [("PRP_ENV_ALLOWLIST", "PATH,HOME"), ("PRP_QUEUES", "{")]
)


@UNPARSABLE
def test_unparsable_structured_values_are_config_errors(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    assert name.removeprefix("PRP_").lower() in config_error(monkeypatch, **{name: value}).lower()


@UNPARSABLE
def test_unparsable_structured_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    assert name in config_error(monkeypatch, **{name: value})


def test_invalid_overrides_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="PRP_RETENTION_S"):
        load_settings(retention_s=1)


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(ValidationError):
        settings.key_prefix = "other"  # type: ignore[misc]


def test_an_unknown_queue_class_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown queue class 'gpu'"):
        load_settings().queues.get("gpu")


def test_the_broker_needs_a_url() -> None:
    with pytest.raises(ConfigError, match="PRP_REDIS_URL is not set"):
        _ = load_settings().broker


def test_the_broker_url_wins_over_the_redis_url() -> None:
    settings = Settings(redis_url="unix:///run/redis.sock", broker_url="amqp://mq//")
    assert settings.broker == "amqp://mq//"
    assert Settings(redis_url="unix:///run/redis.sock").broker == "redis+socket:///run/redis.sock"


@pytest.mark.parametrize(
    ("url", "kombu"),
    [
        ("unix:///a/b.sock", "redis+socket:///a/b.sock"),
        ("redis://localhost:6379/0", "redis://localhost:6379/0"),
        ("rediss://h:6380", "rediss://h:6380"),
    ],
)
def test_to_kombu_url_translates_only_unix_sockets(url: str, kombu: str) -> None:
    assert to_kombu_url(url) == kombu


def test_the_spool_settings_bound_the_automated_class(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRP_SPOOL_CONCURRENCY", "2")
    monkeypatch.setenv("PRP_SPOOL_MAX_CONCURRENCY", "6")
    settings = load_settings()
    assert (settings.queue("automated").concurrency, settings.queue("automated").max_concurrency) == (2, 6)
    assert settings.queue("automated").adaptive
    monkeypatch.setenv("PRP_SPOOL_MAX_CONCURRENCY", "1")
    with pytest.raises(ConfigError, match="spool_max_concurrency must be at least spool_concurrency"):
        load_settings()


@pytest.mark.parametrize(("visibility", "lock"), [(3600, 300), (120, 120), (3, 5)])
def test_the_restore_lock_never_outlives_the_visibility_timeout(visibility: int, lock: int) -> None:
    """A worker killed while restoring unacked messages holds kombu's restore lock: it must not
    stop every other worker's restores for longer than a visibility timeout."""
    from prp_tasks.celeryapp.app import celery_config

    settings = load_settings(visibility_timeout_s=visibility)
    options = celery_config(settings)["broker_transport_options"]
    assert options["unacked_mutex_expire"] == lock and options["visibility_timeout"] == visibility
    custom = load_settings(
        visibility_timeout_s=visibility, broker_transport_options={"unacked_mutex_expire": 42}
    )
    assert celery_config(custom)["broker_transport_options"]["unacked_mutex_expire"] == 42
