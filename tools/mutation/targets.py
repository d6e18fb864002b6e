"""What ``make mutation`` mutates, one target at a time, and the unit tests that judge each target.

A run over every module with the whole unit suite takes hours on two cores (mutmut's clean run of the
suite alone took 20 minutes), so each target is run on its own with only the test files that exercise
it: the clean run then takes seconds. A narrowed selection can only let a mutant live that the whole
suite would kill, never the reverse, so a score measured this way is a floor; when a survivor is killed
by a test elsewhere, that test file joins the target's selection here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """``name`` (dotted, as in docs/testing.md), the files mutmut mutates and the tests it runs;
    ``keyword`` (pytest ``-k``) leaves out test variants that cannot judge the target any better, such as
    the PostgreSQL run of a test whose target never reaches the database; ``test_timeout`` (seconds,
    pytest-timeout) fails a test that a mutant left hanging (a reader thread that never ends) long
    before mutmut's own timeout would."""

    name: str
    sources: tuple[str, ...]
    tests: tuple[str, ...]
    keyword: str | None = None
    test_timeout: int | None = None


_U = "tests/unit/"

# In the order of value per minute of machine time: small modules where a silent bug costs most first.
TARGETS: tuple[Target, ...] = (
    Target("shared.rid", ("shared/rid.py",), (_U + "shared/test_rid.py",)),
    Target("shared.uin", ("shared/uin.py",), (_U + "shared/test_uin.py",)),
    Target("shared.signing", ("shared/signing.py",), (_U + "shared/test_signing.py",)),
    Target(
        "shared.forms.conditions",
        ("shared/forms/conditions.py",),
        (_U + "shared/forms/test_conditions.py", _U + "shared/forms/test_forms.py"),
    ),
    Target(
        "sync_server.services.masterdata_rules",
        ("sync_server/services/masterdata_rules.py",),
        (
            _U + "sync_server/test_masterdata_rules.py",
            _U + "sync_server/test_masterdata_row_rules.py",
            _U + "sync_server/test_masterdata_import_checks.py",
            _U + "sync_server/masterdata_mosip/test_csv_import.py",
        ),
        keyword="not postgresql",
    ),
    Target(
        "shared.forms.engine",
        ("shared/forms/engine.py",),
        (
            _U + "shared/forms/test_forms.py",
            _U + "shared/forms/test_engine_rules.py",
            _U + "shared/forms/test_processes.py",
            _U + "shared/forms/test_consent.py",
        ),
    ),
    Target(
        "client.core.registration.workflow",
        ("client/core/registration/workflow.py",),
        (
            _U + "client/core/registration/test_workflow.py",
            _U + "client/core/registration/test_workflow_captures.py",
            _U + "client/core/registration/test_flows.py",
            _U + "client/core/registration/test_consent.py",
            _U + "client/core/registration/test_exception_reasons.py",
        ),
    ),
    Target(
        "client.core.sync.upload",
        ("client/core/sync/upload.py",),
        (
            _U + "client/core/sync/test_upload.py",
            _U + "client/core/sync/test_upload_outcomes.py",
            _U + "client/core/sync/test_upload_damage.py",
        ),
    ),
    Target(
        "sync_server.processing.stages",
        (
            "sync_server/processing/stages.py",
            "sync_server/processing/registration_stages.py",
            "sync_server/processing/lifecycle_stages.py",
        ),
        (
            _U + "sync_server/processing/test_stages.py",
            _U + "sync_server/processing/test_lifecycle_stages.py",
            _U + "sync_server/processing/test_stage_rules.py",
            _U + "sync_server/processing/test_dedupe_stages.py",
        ),
        # the worker pool's threads, not the stages: 20 s a run for every mutant that stops processing
        keyword="not worker_pool_threads",
    ),
    Target(
        "sync_server.services.packets",
        ("sync_server/services/packets.py",),
        (_U + "sync_server/services/test_packets.py", _U + "sync_server/services/test_packets_rules.py"),
    ),
    Target(
        "client.core.store",
        ("client/core/store/",),
        (
            _U + "client/core/test_store.py",
            _U + "client/core/test_store_pages.py",
            _U + "client/core/test_store_rules.py",
        ),
    ),
    # The packet format without its zip reader and the inspection CLI: with the zip reader and the
    # eight-layout comparison test (12 s a run) the target would take hours on two cores.
    Target(
        "shared.packet",
        tuple(
            f"shared/packet/{name}.py"
            for name in [
                "__init__",
                "builder",
                "collect",
                "errors",
                "keys",
                "layout",
                "meta",
                "model",
                "outer",
                "reader",
                "spool",
                "streams",
            ]
        ),
        (_U + "shared/packet/",),
        keyword="not every_layout_reads_as_zipfile",
        test_timeout=20,
    ),
    Target("shared.packet.zipstream", ("shared/packet/zipstream.py",), (_U + "shared/packet/",)),
)


def target(name: str) -> Target:
    """The target called ``name`` (``click.BadParameter``-friendly ``KeyError`` otherwise)."""
    for candidate in TARGETS:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no mutation target {name!r}; known: {', '.join(t.name for t in TARGETS)}")
