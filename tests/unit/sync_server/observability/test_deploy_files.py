"""deploy/observability: the Grafana dashboard is valid JSON, the alert rules and the example Prometheus
configuration parse, and every metric their PromQL names is one the server (or a worker, whose
instruments are the same process-wide ones) exports. ``promtool check rules`` too where Debian's
prometheus package is installed (installers/system-deps.sh)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import promql_parser
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[4]
FOLDER = ROOT / "deploy" / "observability"
RULES = FOLDER / "openreg-alerts.yml"
DASHBOARD = FOLDER / "openreg-dashboard.json"
# Series Prometheus makes itself for every target, not exported by anyone
PROMETHEUS_OWN = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
# Grafana's variables, replaced by a duration before Prometheus sees the query
GRAFANA_RANGES = re.compile(r"\$__(rate_interval|interval|range)")


@pytest.fixture(scope="module")
def exported(loopback_client) -> set[str]:
    """Every series name a server's /metrics can show: its TYPE lines, histograms' three series each."""
    text = loopback_client.get("/metrics").text
    names: set[str] = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, flags=re.M):
        names |= {f"{name}_bucket", f"{name}_count", f"{name}_sum"} if kind == "histogram" else {name}
    assert "openreg_processing_stage_duration_seconds_bucket" in names  # the worker-side instruments too
    return names


def metric_names(expression: str) -> Iterator[str]:
    """The metric name of every selector in a PromQL expression (parsed, not pattern-matched)."""
    pending = [promql_parser.parse(GRAFANA_RANGES.sub("5m", expression))]
    while pending:
        node = pending.pop()
        if isinstance(node, promql_parser.VectorSelector):
            yield node.name
            continue
        for attribute in ("expr", "lhs", "rhs", "vector_selector", "param"):
            child = getattr(node, attribute, None)
            if child is not None and not isinstance(child, int | float | str):
                pending.append(child)
        pending.extend(getattr(node, "args", None) or [])


def rule_expressions() -> list[tuple[str, str]]:
    document = yaml.safe_load(RULES.read_text())
    return [(rule["alert"], rule["expr"]) for group in document["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def test_metric_names_are_found_in_nested_expressions():
    expression = (
        'sum by (x) (rate(a_total{s="1"}[5m])) / on () max(b) > 3 or histogram_quantile(0.9, c_bucket)'
    )
    assert sorted(metric_names(expression)) == ["a_total", "b", "c_bucket"]


def test_the_alert_rules_cover_what_operators_asked_for():
    alerts = dict(rule_expressions())
    assert {
        "OpenRegPacketsStuck",
        "OpenRegKioskSilent",
        "OpenRegReportDeliveryFailed",
        "OpenRegDiskSpaceLow",
    } <= set(alerts)
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in {"info", "warning", "critical"}
            assert rule["annotations"]["summary"]


def test_every_metric_the_alert_rules_use_is_exported(exported):
    for alert, expression in rule_expressions():
        for name in metric_names(expression):
            assert name in exported | PROMETHEUS_OWN, f"{alert} uses {name}, which no OpenReg process exports"


def test_the_dashboard_is_valid_and_uses_exported_metrics_only(exported):
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    expressions = dashboard_expressions()
    assert len(expressions) >= 10
    used = set()
    for title, expression in expressions:
        for name in metric_names(expression):
            used.add(name)
            if name.startswith("openreg_"):
                assert name in exported, f"panel {title!r} uses {name}, which the server does not export"
    # the process collector's series (memory, CPU) come with prometheus_client
    assert {"process_resident_memory_bytes", "process_cpu_seconds_total"} <= exported
    assert used - PROMETHEUS_OWN <= exported


def test_the_example_prometheus_configuration_loads_the_rules():
    config = yaml.safe_load((FOLDER / "prometheus.yml").read_text())
    assert config["rule_files"] == [RULES.name]
    assert {job["job_name"] for job in config["scrape_configs"]} == {"openreg-server", "openreg-worker"}


@pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool (Debian's prometheus package) not installed"
)
def test_promtool_accepts_the_alert_rules():
    run = subprocess.run(
        ["promtool", "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"SUCCESS: {len(rule_expressions())} rules found" in run.stdout
