"""Unique ids for messages, events and leases, made without a system call each.

``uuid.uuid4()`` reads the kernel's random source (``getrandom``) for every id, and CPython lets go
of the GIL around that call: in a threads worker each id hands the interpreter to another thread
and waits to get it back (six ids per gate). These ids must be unique, not secret, so they come
from a generator of this process, seeded from the kernel at start and again in every forked child
(a pool child must not repeat its parent's ids). Secrets (API tokens) keep using :mod:`secrets`.
"""

from __future__ import annotations

import os
import random
import uuid

_RANDOM = random.Random()  # seeded from os.urandom
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_RANDOM.seed)


def new_hex() -> str:
    """128 random bits as 32 hex digits (the form of ``uuid4().hex``)."""
    return f"{_RANDOM.getrandbits(128):032x}"


def new_uuid() -> str:
    """A version-4 UUID string (the form of ``str(uuid4())``)."""
    return str(uuid.UUID(int=_RANDOM.getrandbits(128), version=4))
