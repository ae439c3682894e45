"""Building c2s command lines from documented keyword arguments, one flag at a time."""

from __future__ import annotations

import os
from typing import Iterable, List, Mapping, Optional, Sequence, Union


class Args(list):
    """An argument list: ``opt`` adds ``--flag value`` unless the value is None (the binary's
    own default then applies), ``flag`` adds ``--flag`` when true."""

    def opt(self, flag: str, value) -> "Args":
        if value is not None:
            if isinstance(value, bool):
                raise TypeError(f"{flag} takes a value, not {value!r}")
            self.extend([flag, _text(value)])
        return self

    def flag(self, flag: str, on: Optional[bool]) -> "Args":
        if on:
            self.append(flag)
        return self

    def each(self, flag: str, values: Optional[Iterable]) -> "Args":
        for v in values or []:
            self.opt(flag, v)
        return self

    def csv(self, flag: str, values) -> "Args":
        """``--flag a,b,c`` from a list (or a string as it is)."""
        if values is None:
            return self
        if isinstance(values, (str, int, float)):
            return self.opt(flag, values)
        return self.opt(flag, ",".join(_text(v) for v in values))

    def extra(self, extra_args: Optional[Sequence]) -> "Args":
        if extra_args:
            if isinstance(extra_args, str):
                raise TypeError("extra_args is a list of arguments, e.g. ['--seed', '3']")
            self.extend(_text(a) for a in extra_args)
        return self


def _text(value) -> str:
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    return str(value)


def where_args(where: Union[None, Mapping[str, str], Sequence[str], str]) -> List[str]:
    """``--where column=value`` for each condition: a dict ``{column: value}``, a list of
    ``"column=value"`` strings, or one such string."""
    if where is None:
        return []
    if isinstance(where, str):
        items = [where]
    elif isinstance(where, Mapping):
        items = [f"{k}={v}" for k, v in where.items()]
    else:
        items = list(where)
    out: List[str] = []
    for item in items:
        out += ["--where", str(item)]
    return out
