"""Fault injection for the emulator's REST API: 429s with retry_after and 5xx errors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Fault:
    """Answer the next `times` requests matching `method` and `path` with `status`."""

    method: str
    path: str
    status: int
    times: int = 1
    retry_after: float = 0.1
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        self.pattern = re.compile(self.path)


class FaultPlan:
    """The faults waiting to be injected, consumed in order of registration."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self.injected: list[tuple[str, str, int]] = []

    def add(
        self, method: str, path: str, status: int, *, times: int = 1, retry_after: float = 0.1
    ) -> Fault:
        """Register a fault; `path` is a regular expression searched in the request path."""
        fault = Fault(method.upper(), path, status, times, retry_after)
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The fault to inject for this request, if any (and count it down)."""
        for fault in self._faults:
            if fault.method == method and fault.pattern.search(path):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                self.injected.append((method, path, fault.status))
                return fault
        return None

    def clear(self) -> None:
        """Drop every pending fault."""
        self._faults.clear()
