"""Turn pydantic validation errors into precise, human :class:`Problem` messages."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from prp_tasks.errors import Loc, Problem


def problems_from(exc: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """One Problem per pydantic error, with unknown keys named and a close match suggested."""
    out = []
    for err in exc.errors():
        loc: Loc = tuple(p for p in err["loc"] if isinstance(p, int | str))
        out.append(Problem(loc, _message(err, loc, model)))
    return out


def _message(err: Any, loc: Loc, model: type[BaseModel]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        fields = _fields_at(model, loc[:-1])
        close = difflib.get_close_matches(key, fields, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        allowed = f"; allowed: {', '.join(fields)}" if fields and not close else ""
        return f"unknown key {key!r}{hint}{allowed}"
    if kind == "missing":
        return "required key is missing"
    if kind == "model_type":  # not "Input should be a valid dictionary or instance of CoverageBudget"
        fields = _fields_at(model, loc)
        return "should be a mapping" + (f" with the keys {', '.join(fields)}" if fields else "")
    if kind == "tuple_type":  # a YAML/JSON list, whatever the model holds it as
        return "should be a list"
    if kind == "dict_type":
        return "should be a mapping"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return msg


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names of the model found by walking ``loc`` from ``model`` (empty if not a model)."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _step(annotation: Any, part: str | int) -> Any:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if isinstance(part, str) and part in annotation.model_fields:
            return annotation.model_fields[part].annotation
        return None
    args = typing.get_args(annotation)
    if isinstance(part, int) and args:
        return args[0]
    if isinstance(part, str) and len(args) == 2:  # dict[str, X]
        return args[1]
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip ``Optional``/unions with None."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return annotation
