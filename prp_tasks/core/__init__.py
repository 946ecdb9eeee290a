"""The pure core: models, the gate DAG, evaluation, rendering of prp.md, review.json and the manifest.

May import: the standard library, pydantic and :mod:`prp_tasks.errors`; nothing else of the
project (``tests/unit/test_core_purity.py`` and the import contracts check it). No I/O.
"""
