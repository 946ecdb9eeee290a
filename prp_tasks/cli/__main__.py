"""``python -m prp_tasks.cli``."""

from prp_tasks.cli import main

main()
