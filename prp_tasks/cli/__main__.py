"""``python -m prp_tasks.cli``: the same entry point as ``prp`` (:mod:`prp_tasks.__main__`)."""

from prp_tasks.__main__ import main

main()
