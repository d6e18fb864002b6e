"""What a run found: one outcome per check (passed, findings, skipped, error), rendered as text for a
person or as JSON for a pipeline, and the exit code that goes with it."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Literal

from security_rig import EXIT_CLEAN, EXIT_COULD_NOT_RUN, EXIT_FINDINGS

Severity = Literal["high", "medium", "low"]
Status = Literal["passed", "findings", "skipped", "error"]
MAX_FINDINGS_PER_CHECK = 200  # a wide-open server is summarised, not listed without end
MAX_EVIDENCE = 400
# tokens and passwords never reach a report, even when a hole hands one out
_SECRET = re.compile(
    r'("(?:token|password|challenge|signature)"\s*:\s*")[^"]*(")|(Bearer\s+)\S+', re.IGNORECASE
)


def redact(text: str) -> str:
    return _SECRET.sub(lambda m: f"{m.group(1)}…{m.group(2)}" if m.group(1) else f"{m.group(3)}…", text)


@dataclass(frozen=True)
class Finding:
    """A hole: ``check`` names the check (e.g. ``access.anonymous``), ``target`` what was attacked."""

    check: str
    severity: Severity
    target: str
    summary: str
    evidence: str = ""


@dataclass
class Outcome:
    check: str
    title: str
    status: Status = "passed"
    probes: int = 0
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dropped: int = 0  # findings past MAX_FINDINGS_PER_CHECK

    def find(self, severity: Severity, target: str, summary: str, evidence: str = "") -> None:
        if len(self.findings) >= MAX_FINDINGS_PER_CHECK:
            self.dropped += 1
            return
        self.findings.append(Finding(self.check, severity, target, summary, redact(evidence)[:MAX_EVIDENCE]))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def skip(self, why: str) -> None:
        self.status = "skipped"
        self.notes.append(why)


@dataclass
class Report:
    mode: Literal["server", "kiosk"]
    target: str
    started: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requests: int = 0
    _began: float = field(default_factory=time.monotonic, repr=False)
    seconds: float = 0.0

    def close(self, requests: int = 0) -> None:
        self.requests, self.seconds = requests, round(time.monotonic() - self._began, 1)
        for outcome in self.outcomes:
            if outcome.findings and outcome.status != "error":
                outcome.status = "findings"

    @property
    def findings(self) -> list[Finding]:
        return [f for o in self.outcomes for f in o.findings]

    def exit_code(self) -> int:
        if self.findings:
            return EXIT_FINDINGS
        if any(o.status == "error" for o in self.outcomes):
            return EXIT_COULD_NOT_RUN  # an incomplete run cannot say "no finding"
        return EXIT_CLEAN

    def to_json(self) -> str:
        data = {
            "mode": self.mode,
            "target": self.target,
            "started": self.started,
            "seconds": self.seconds,
            "requests": self.requests,
            "exit_code": self.exit_code(),
            "findings": [asdict(f) for f in self.findings],
            "checks": [
                {k: v for k, v in asdict(o).items() if k != "findings"} | {"findings": len(o.findings)}
                for o in self.outcomes
            ],
            "notes": self.notes,
        }
        return json.dumps(data, indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        what = "kiosk data folder" if self.mode == "kiosk" else "server"
        lines = [f"OpenReg security rig: {what} {self.target}", f"started {self.started}"]
        lines += [f"note: {n}" for n in self.notes]
        lines.append("")
        width = max((len(o.check) for o in self.outcomes), default=10)
        for o in self.outcomes:
            mark = {"passed": "ok  ", "findings": "FAIL", "skipped": "skip", "error": "ERR "}[o.status]
            tail = f"{len(o.findings)} finding(s)" if o.findings else o.status
            lines.append(
                f"[{mark}] {o.check:<{width}}  {o.title} ({o.probes} probes, {o.seconds:.1f} s): {tail}"
            )
            lines += [f"         - {n}" for n in o.notes]
        findings = self.findings
        if findings:
            lines += ["", "Findings:"]
            order = {"high": 0, "medium": 1, "low": 2}
            for n, f in enumerate(sorted(findings, key=lambda f: order[f.severity]), start=1):
                lines.append(f"{n:3}. [{f.severity.upper()}] {f.check}: {f.target}: {f.summary}")
                if f.evidence:
                    lines.append(f"       evidence: {f.evidence}")
            dropped = sum(o.dropped for o in self.outcomes)
            if dropped:
                lines.append(f"     ... and {dropped} more")
        verdict = {
            EXIT_CLEAN: "no finding",
            EXIT_FINDINGS: f"{len(findings)} finding(s)",
            EXIT_COULD_NOT_RUN: "incomplete: a check could not run",
        }[self.exit_code()]
        spent = (
            f"{self.requests} requests in {self.seconds} s" if self.mode == "server" else f"{self.seconds} s"
        )
        lines += ["", f"{verdict}; {spent}"]
        return "\n".join(lines)
