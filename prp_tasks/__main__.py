"""``prp`` and ``python -m prp_tasks``: the command line, which a Ctrl-C while it loads ends with
one line instead of a traceback (the commands' modules take a moment to import)."""

from __future__ import annotations

import sys

#: the exit code of a command interrupted by Ctrl-C (128 + SIGINT), as a shell reports it (the
#: command line's own, which it cannot import while loading)
EXIT_INTERRUPTED = 130


def main() -> None:
    try:
        from prp_tasks.cli import run
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted while starting\n")
        sys.exit(EXIT_INTERRUPTED)
    try:
        code = run()
    except KeyboardInterrupt:  # before a command took Ctrl-C over (typer building the commands)
        sys.stderr.write("error: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(code)


if __name__ == "__main__":
    main()
