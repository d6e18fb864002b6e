"""The stage pipeline: run named stages in order over one packet, recording each attempt.

A stage either passes, rejects the packet (``Rejection``: the packet is invalid and that is final,
with a reason code the kiosk sees), holds it (``Held``: a person or another system must answer first,
e.g. an adjudicator or the ABIS; the packet waits, not due, until ``queue.resume``) or fails (any other exception, including a failing integration
hook: the packet is fine but the stage could not finish, so the queue retries it with backoff).
Stages must be idempotent, because a retried or reclaimed packet runs from the first stage again;
the UIN and ID store writes are keyed by RID for exactly that reason.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from sync_server.observability.metrics import observe_stage
from sync_server.services.clock import utcnow


class Outcome(StrEnum):
    PASSED = "passed"
    REJECTED = "rejected"
    HELD = "held"
    FAILED = "failed"


class Rejection(Exception):
    """The packet is invalid; ``code`` is stable (e.g. ``tampered``), ``text`` is for people."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text


class Held(Exception):
    """The packet waits for an answer (``code``: ``adjudication``, ``more_information``,
    ``abis_pending``); it runs again from the first stage once resumed."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text


class HookError(Exception):
    """An integration hook could not do its job (remote system down, bad answer...)."""


@dataclass
class PacketContext:
    """What stages share about one packet; stages add to ``values`` for the stages after them."""

    rid: str
    values: dict[str, Any] = field(default_factory=dict)


class Stage(Protocol):
    """One step of processing. ``run`` raises ``Rejection`` for invalid packets, ``Held`` to wait for
    an answer; anything else is a failure. A stage with a ``flows`` attribute (a set of packet flows,
    ``new``/``update``/``lost``/``correction``) runs only for packets of those flows."""

    name: str

    def run(self, context: PacketContext) -> None: ...


class IntegrationHook(Protocol):
    """A plugin run after a stage (e.g. look up an existing functional ID system during validate).

    Raising anything marks the stage failed (retried later); raising ``Rejection`` rejects the packet.
    """

    name: str

    def __call__(self, *, stage: str, context: PacketContext) -> None: ...


@dataclass(frozen=True)
class StageRecord:
    rid: str
    stage: str
    attempt: int
    started_at: dt.datetime
    ended_at: dt.datetime
    outcome: Outcome
    detail: str = ""


@dataclass(frozen=True)
class PipelineResult:
    """``outcome`` PASSED means processed; for the others ``stage`` says where it stopped."""

    outcome: Outcome
    stage: str | None = None
    reason_code: str | None = None
    reason_text: str | None = None


@dataclass
class Pipeline:
    """Ordered stages, hooks per stage name, and a recorder that persists each ``StageRecord``."""

    stages: Sequence[Stage]
    hooks: Mapping[str, Sequence[IntegrationHook]] = field(default_factory=dict)
    record: Callable[[StageRecord], None] = lambda _record: None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def stage_names(self) -> list[str]:
        return [stage.name for stage in self.stages]

    def run(self, context: PacketContext, *, attempt: int = 1) -> PipelineResult:
        """Run every stage; stop at the first rejection or failure."""
        for stage in self.stages:
            flows = getattr(stage, "flows", None)
            if flows is not None and context.values.get("flow", "new") not in flows:
                continue
            started, clock = utcnow(), time.perf_counter()
            outcome, detail, result = Outcome.PASSED, "", None
            try:
                stage.run(context)
                for hook in self.hooks.get(stage.name, ()):
                    try:
                        hook(stage=stage.name, context=context)
                    except (Rejection, Held):
                        raise
                    except Exception as exc:  # a hook failing is the stage failing, not the packet
                        raise HookError(f"hook {hook.name!r} failed: {exc}") from exc
            except Rejection as rejection:
                outcome, detail = Outcome.REJECTED, str(rejection)
                result = PipelineResult(Outcome.REJECTED, stage.name, rejection.code, rejection.text)
            except Held as held:
                outcome, detail = Outcome.HELD, str(held)
                result = PipelineResult(Outcome.HELD, stage.name, held.code, held.text)
            except Exception as exc:
                outcome, detail = Outcome.FAILED, f"{type(exc).__name__}: {exc}"
                result = PipelineResult(Outcome.FAILED, stage.name, "stage_failed", detail)
            self.timings[stage.name] = self.timings.get(stage.name, 0.0) + time.perf_counter() - clock
            observe_stage(stage=stage.name, outcome=outcome.value, seconds=time.perf_counter() - clock)
            self.record(StageRecord(context.rid, stage.name, attempt, started, utcnow(), outcome, detail))
            if result is not None:
                return result
        return PipelineResult(Outcome.PASSED)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff between attempts of a failed packet; after ``max_attempts`` it stays failed
    (visible in status and reports) until an admin reprocesses it."""

    max_attempts: int = 5
    base_seconds: float = 2.0
    cap_seconds: float = 600.0

    def delay(self, attempt: int) -> dt.timedelta:
        return dt.timedelta(seconds=min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempt - 1)))

    def gives_up(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
