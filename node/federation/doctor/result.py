"""What one ``solnode doctor`` check finds: a name, OK / WARN / FAIL, what it saw, how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["OK", "WARN", "FAIL"]


@dataclass(frozen=True)
class Result:
    """One check's finding; ``hint`` says what a volunteer admin can do about it."""

    name: str
    status: Status
    detail: str
    hint: str = ""


def ok(name: str, detail: str) -> Result:
    return Result(name, "OK", detail)


def warn(name: str, detail: str, hint: str) -> Result:
    return Result(name, "WARN", detail, hint)


def fail(name: str, detail: str, hint: str) -> Result:
    return Result(name, "FAIL", detail, hint)
