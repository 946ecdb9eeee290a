"""Sentinel addresses in PRP_REDIS_URL (Celery's syntax) and the settings that go with them."""

from __future__ import annotations

import pytest

from prp_tasks.celeryapp.app import celery_config
from prp_tasks.errors import ConfigError, StoreError
from prp_tasks.settings import load_settings
from prp_tasks.state.connection import sentinel_hosts

URL = "sentinel://:s3cret@10.0.0.1:26379/2;sentinel://10.0.0.2;sentinel://10.0.0.3:26380"


def test_sentinel_hosts_the_masters_password_and_db_are_read_from_the_url() -> None:
    hosts, password, db = sentinel_hosts(URL)
    assert hosts == [("10.0.0.1", 26379), ("10.0.0.2", 26379), ("10.0.0.3", 26380)]
    assert (password, db) == ("s3cret", 2)
    with pytest.raises(StoreError, match="not a Sentinel address"):
        sentinel_hosts("sentinel://a:1;redis://b:2")


def test_a_sentinel_url_needs_the_master_name(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in __import__("os").environ if k.startswith("PRP_")]:
        monkeypatch.delenv(key)
    with pytest.raises(ConfigError, match="PRP_REDIS_SENTINEL_MASTER"):
        load_settings(redis_url=URL)
    settings = load_settings(redis_url=URL, redis_sentinel_master="m", redis_sentinel_password="sp")
    options = celery_config(settings)["broker_transport_options"]
    assert options["master_name"] == "m"
    assert options["sentinel_kwargs"] == {"password": "sp"}
    assert settings.broker == URL  # kombu's Sentinel syntax, unchanged


def test_a_plain_url_gets_no_sentinel_options(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in __import__("os").environ if k.startswith("PRP_")]:
        monkeypatch.delenv(key)
    options = celery_config(load_settings(redis_url="redis://h:6379/0"))["broker_transport_options"]
    assert "master_name" not in options
