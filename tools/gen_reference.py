"""Generate the reference pages that would drift if they were written by hand.

Each page is rendered from the code it documents:

- ``docs/reference/cli.md`` from the typer app (``prp_tasks.cli.app``), walking click's command tree;
- ``docs/reference/configuration.md`` from ``prp_tasks.settings.Settings`` (fields, nested models,
  the ``#:`` comments above each field, types, constraints and defaults);
- ``docs/reference/http-api.md`` from the HTTP app's OpenAPI document;
- ``docs/reference/redis-keys.md`` from the key builders in ``prp_tasks.state.keys``;
- ``docs/reference/mcp.md`` from the MCP server's tool list (``prp_tasks.mcp.server.build_mcp``).

Usage::

    python tools/gen_reference.py            # write the pages
    python tools/gen_reference.py --check    # exit 1, listing the pages that differ, if any is stale

The output depends on the code only: ``PRP_*`` variables are removed from the environment while the
pages are rendered, and every list is in a fixed order. ``tests/unit/test_docs.py`` runs the check.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"

# the checkout (when it is not installed) and the pages' package beside this file
for _path in (ROOT, Path(__file__).resolve().parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from reference_pages.cli import cli_page  # noqa: E402
from reference_pages.configuration import configuration_page, setting_variables  # noqa: E402
from reference_pages.http_api import http_api_page  # noqa: E402
from reference_pages.mcp import mcp_page  # noqa: E402
from reference_pages.redis_keys import redis_keys_page  # noqa: E402

__all__ = ["render_pages", "setting_variables", "stale_pages"]

PAGES: dict[str, Callable[[], str]] = {
    "cli.md": cli_page,
    "configuration.md": configuration_page,
    "http-api.md": http_api_page,
    "mcp.md": mcp_page,
    "redis-keys.md": redis_keys_page,
}


@contextlib.contextmanager
def clean_environment() -> Iterator[None]:
    """No ``PRP_*`` variables (settings must not change what is documented), a fixed width."""
    saved = dict(os.environ)
    for key in [k for k in os.environ if k.startswith("PRP_")]:
        del os.environ[key]
    os.environ["COLUMNS"] = "100"
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def render_pages() -> dict[str, str]:
    """Every generated page's text, by file name under ``docs/reference/``."""
    with clean_environment():
        return {name: render() for name, render in PAGES.items()}


def stale_pages(pages: dict[str, str], directory: Path = REFERENCE) -> list[str]:
    """Pages whose file is missing or differs from ``pages``."""
    return [
        name
        for name, text in pages.items()
        if not (directory / name).is_file() or (directory / name).read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a page is stale")
    options = parser.parse_args(argv)
    pages = render_pages()
    if options.check:
        stale = stale_pages(pages)
        for name in stale:
            print(f"stale: docs/reference/{name} (run `python tools/gen_reference.py`)")
        return 1 if stale else 0
    REFERENCE.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        (REFERENCE / name).write_text(text, encoding="utf-8")
        print(f"wrote docs/reference/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
