"""Processes of the user's code: started cheaply, waited for without polling, never left behind.

:mod:`.spawn` starts a command in its own session and waits for it (time limit, output cap, stop
flag); :mod:`.capture` gives it anonymous files for its output, keeping only their ends;
:mod:`.watchdog` kills what a worker started when the worker dies. Used by checks, by the
builds of check environments and by the embedded server.

May import: core, errors, settings. Nothing else of the project.
"""
