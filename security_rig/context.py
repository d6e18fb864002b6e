"""What every server check gets: the target, its operations, the sessions the rig opened, the bounds
it runs within, and what it created on the server (cleaned up at the end)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from security_rig.access import ADMIN, CENTER_ADMIN, CONSOLE_ROLES
from security_rig.credentials import CredentialsFile, MachineSession, UserSession
from security_rig.openapi import Operation
from security_rig.target import Reply, Target

T = TypeVar("T")
R = TypeVar("R")
PARALLEL = 4  # requests in flight at once, at most


def parallel(items: Iterable[T], work: Callable[[T], R]) -> list[R]:
    """``work`` over ``items`` with at most PARALLEL requests in flight; results in order."""
    with ThreadPoolExecutor(PARALLEL, thread_name_prefix="security-rig") as pool:
        return list(pool.map(work, items))


@dataclass(frozen=True)
class RigOptions:
    """Bounds of a run. ``max_body_bytes`` is the body limit the server is expected to hold (its
    documented default, ``OPENREG_SERVER_MAX_REQUEST_BODY_BYTES``); the rig sends more than twice that."""

    slow_bound_s: float = 40.0
    brute_force_attempts: int = 20
    enrol_flood_limit: int = 100
    max_body_bytes: int = 1024 * 1024
    max_token_lifetime_s: int = 12 * 3600
    max_machine_token_lifetime_s: int = 3600
    request_budget: int = 5000  # no run sends more requests than this


@dataclass
class Rig:
    target: Target
    operations: list[Operation]
    options: RigOptions
    credentials: CredentialsFile = field(default_factory=CredentialsFile)
    users: list[UserSession] = field(default_factory=list)
    machine: MachineSession | None = None
    created_machines: list[str] = field(default_factory=list)  # ids the rig enrolled (to revoke)
    created_rids: list[str] = field(default_factory=list)  # packets the rig registered (to drop)
    login_replies: list[Reply] = field(default_factory=list)
    enrol_center: str | None = None  # a center the rig may enrol machines for

    def manager(self) -> UserSession | None:
        """A user who may approve and revoke machines (admin first, then a center admin)."""
        for role in (ADMIN, CENTER_ADMIN):
            for user in self.users:
                if role in user.roles:
                    return user
        return None

    def strongest(self) -> UserSession | None:
        """The user with the most reach (admin, else any console role), for probes that need one."""
        return self.manager() or next((u for u in self.users if u.roles & CONSOLE_ROLES), None)

    def over_budget(self) -> bool:
        return self.target.sent >= self.options.request_budget
