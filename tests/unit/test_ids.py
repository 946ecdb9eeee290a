"""Ids for messages, events and leases (prp_tasks.ids): their form, uniqueness, and no repeats in
a forked child."""

from __future__ import annotations

import os
import re
import uuid

from prp_tasks.ids import new_hex, new_uuid


def test_ids_have_the_forms_of_uuid4_and_do_not_repeat() -> None:
    hexes = {new_hex() for _ in range(20_000)}
    assert len(hexes) == 20_000
    assert all(re.fullmatch(r"[0-9a-f]{32}", h) for h in hexes)
    one = new_uuid()
    assert uuid.UUID(one).version == 4 and str(uuid.UUID(one)) == one
    assert len({new_uuid() for _ in range(1000)}) == 1000


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (runs in the child)
        try:
            os.write(write, " ".join(new_hex() for _ in range(3)).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    with os.fdopen(read) as pipe:
        in_child = pipe.read().split()
    in_parent = [new_hex() for _ in range(3)]
    assert len(in_child) == 3 and not set(in_child) & set(in_parent)
