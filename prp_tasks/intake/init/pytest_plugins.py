"""The pytest plugins the project's pytest configuration sets options of.

janus' ``setup.cfg [tool:pytest]`` sets ``asyncio_mode`` and ``asyncio_default_fixture_loop_scope``,
pytest-asyncio's options, and its tests mark ``asyncio``; its source distribution declares no test
dependency. Without the plugin pytest warns "Unknown config option", which the project's
``filterwarnings = error`` makes an internal error: "tests fail" on a project whose 103 tests pass.
A plugin the project declares nowhere is installed for its tests, saying why.
"""

from __future__ import annotations

from prp_tasks.intake.init.facts import Facts
from prp_tasks.intake.init.sources import normalise

#: pytest ini options and the plugin that defines each (as its documentation names them)
OPTION_PLUGINS = {
    "asyncio_mode": "pytest-asyncio", "asyncio_default_fixture_loop_scope": "pytest-asyncio",
    "asyncio_default_test_loop_scope": "pytest-asyncio", "timeout": "pytest-timeout",
    "timeout_method": "pytest-timeout", "timeout_func_only": "pytest-timeout",
    "DJANGO_SETTINGS_MODULE": "pytest-django", "django_find_project": "pytest-django",
    "env": "pytest-env", "mock_use_standalone_module": "pytest-mock",
    "mock_traceback_monkeypatch": "pytest-mock", "trio_mode": "pytest-trio", "trio_run": "pytest-trio",
    "qt_api": "pytest-qt", "script_launch_mode": "pytest-console-scripts",
    "bdd_features_base_dir": "pytest-bdd", "reruns": "pytest-rerunfailures",
    "reruns_delay": "pytest-rerunfailures", "mypy-testing-base": "pytest-mypy-testing",
}  # fmt: skip


_BY_LOWER = {option.lower(): plugin for option, plugin in OPTION_PLUGINS.items()}


def option_plugins(facts: Facts, options: list[str], where: str) -> None:
    """Note the plugins whose options ``options`` (the keys of one pytest configuration section)
    name, with the first option that names each."""
    for option in options:  # (an ini file's keys come lower-cased: ``django_settings_module``)
        plugin = _BY_LOWER.get(option.lower())
        if plugin is not None:
            facts.option_plugins.setdefault(plugin, f"{where} {option}")


def undeclared_plugins(facts: Facts, have: set[str]) -> dict[str, tuple[str, str]]:
    """(requirement, why) of each such plugin the project declares nowhere and ``have`` lacks."""
    declared = {normalise(n) for n in facts.declared_names | facts.dependencies | have}
    return {
        plugin: (plugin, f"the project's pytest configuration sets its option ({where}); declared nowhere")
        for plugin, where in facts.option_plugins.items()
        if plugin not in declared
    }
