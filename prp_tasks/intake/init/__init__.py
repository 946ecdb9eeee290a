"""``prp init``: inspect a repository and write an ``initial.md`` that runs the project's own checks.

:func:`prp_tasks.intake.init.render.initial_md` builds the text; :mod:`.detect` and :mod:`.tools` find the
project's metadata and tools (:mod:`.readme` its description, :mod:`.automation` what its CI and task
files run), :mod:`.commands` turns them into governance commands (:mod:`.testcommand` the test
command, on the shared :mod:`.commandbase`).
"""
