"""Which files a report route sends (``select_files``): one test per condition."""

from pathlib import Path

from sync_server.reports.delivery import select_files
from sync_server.reports.spec import Route

OUT = Path("/reports/out")
ARTIFACTS = [
    ("csv", OUT / "r.csv", 100),
    ("pdf", OUT / "r.pdf", 900),
    ("meta", OUT / "r.meta.json", 50),
]


def _select(route: Route, *, status: str = "succeeded", weekday: int = 0, artifacts=ARTIFACTS):
    return select_files(route, status=status, weekday=weekday, artifacts=artifacts)


def test_a_plain_route_sends_every_artifact_with_its_checksum_file():
    assert _select(Route(destination="d")) == [
        OUT / "r.csv",
        OUT / "r.csv.sha256",
        OUT / "r.pdf",
        OUT / "r.pdf.sha256",
        OUT / "r.meta.json",  # the metadata file has no sidecar here
    ]


def test_status_must_be_among_the_routes_statuses():
    route = Route(destination="d", statuses=["succeeded"])
    assert _select(route, status="warning") is None
    assert _select(route, status="failed") is None
    assert _select(Route(destination="d"), status="failed") is None  # default: succeeded and warning
    assert _select(Route(destination="d"), status="warning") is not None


def test_weekday_must_be_among_the_routes_weekdays():
    route = Route(destination="d", weekdays=[0, 4])  # Monday and Friday
    assert _select(route, weekday=0) is not None
    assert _select(route, weekday=4) is not None
    assert _select(route, weekday=5) is None
    assert _select(Route(destination="d"), weekday=6) is not None  # no weekdays: every day


def test_size_bounds_apply_to_the_files_the_route_sends():
    assert _select(Route(destination="d", min_bytes=1050)) is not None  # 100 + 900 + 50
    assert _select(Route(destination="d", min_bytes=1051)) is None
    assert _select(Route(destination="d", max_bytes=1050)) is not None
    assert _select(Route(destination="d", max_bytes=1049)) is None
    csv_only = Route(destination="d", formats=["csv"], max_bytes=100)
    assert _select(csv_only) == [OUT / "r.csv", OUT / "r.csv.sha256"]  # the pdf's size does not count


def test_formats_choose_the_artifacts_and_meta_is_the_metadata_file(tmp_path):
    route = Route(destination="d", formats=["pdf", "meta"])
    assert _select(route) == [OUT / "r.pdf", OUT / "r.pdf.sha256", OUT / "r.meta.json"]
    meta = tmp_path / "r.meta.json"
    (tmp_path / "r.meta.json.sha256").write_text("x  r.meta.json\n")
    only_meta = Route(destination="d", formats=["meta"])
    assert _select(only_meta, artifacts=[("meta", meta, 10)]) == [meta, tmp_path / "r.meta.json.sha256"]


def test_a_route_with_nothing_to_send_does_not_apply():
    assert _select(Route(destination="d", formats=["xml"])) is None
    assert _select(Route(destination="d"), artifacts=[]) is None
