"""Intake: turning what a user hands us into a validated run spec.

Submission requests (:mod:`.submission`), where the repository comes from (:mod:`.sources`,
:mod:`.repo`), workflow files and their YAML (:mod:`.workflow_files`, :mod:`.yamlsrc`),
enforcement profiles parsed from ``initial.md`` and cached by content hash (:mod:`.profiles`),
and ``prp init``, which writes a first ``initial.md`` (:mod:`.init`).

May import: state (the profile cache's Redis tier), workspaces, core, errors, ids, settings.
Never the engine, Celery, redis or a front end.
"""
