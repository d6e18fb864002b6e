"""The master data page in-process: upload -> report (nothing changes) or preview -> apply (audited) or
discard; a preview made stale by another change is refused; center admins stay in their centers; the
change log says who; the ID schema and UI spec read as forms; the preview API route."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server.app import create_app
from sync_server.db.tables import AuditEntryRow
from sync_server.services.masterdata import current_row, latest_seq
from tests.support.console import PASSWORD, add_user, csrf_of

PAGE = "/console/masterdata"
NEW_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0c2FsdA$bmV3aGFzaG5ld2hhc2huZXdoYXNo"


def _doc(entities: dict, deletes: dict | None = None) -> bytes:
    return json.dumps(
        {"format": "openreg-masterdata/1", "entities": entities, "deletes": deletes or {}}
    ).encode()


def _upload(client: TestClient, name: str, content: bytes):
    csrf = csrf_of(client.get(PAGE).text)
    return client.post(
        f"{PAGE}/upload", data={"csrf": csrf}, files={"file": (name, content, "application/octet-stream")}
    )


def _counts(html: str, entity: str) -> list[int]:
    row = re.search(rf'<tr id="sum-{entity}">(.*?)</tr>', html, re.S)
    assert row, f"no summary row for {entity}"
    return [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row.group(1))]


def _apply_form(html: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'action="(/console/masterdata/preview/[^"]+/apply)"', html).group(1)
    base = re.search(r'name="base_seq" value="(\d+)"', html).group(1)
    return action, {"csrf": csrf_of(html), "base_seq": base}


def _seq(state) -> int:
    with Session(state.engine) as session:
        return latest_seq(session)


def _row(state, entity: str, entity_id: str):
    with Session(state.engine) as session:
        return current_row(session, entity, entity_id)


def _imports(state) -> list[AuditEntryRow]:
    with Session(state.engine) as session:
        query = select(AuditEntryRow).where(AuditEntryRow.action == "masterdata.import")
        return list(session.scalars(query.order_by(AuditEntryRow.seq)))


CSV_WITH_ERROR = b"id,name\n10011,Hill Town\n1234,Bad Id\n"
CSV_FIXED = b"id,name\n10011,Hill Town\n10012,Good Id\n"


def test_an_invalid_file_gets_a_report_naming_file_row_and_field_and_nothing_changes(
    signed_in, console_state
):
    client = signed_in(["admin"])
    before = _seq(console_state)
    report = _upload(client, "centers.csv", CSV_WITH_ERROR)
    assert report.status_code == 422
    cells = re.findall(r"<tr><td>([^<]*)</td><td class=\"num\">(\d*)</td><td>([^<]*)</td>", report.text)
    assert ("centers.csv", "3", "id") in cells, cells
    assert "5-digit" in report.text and 'type="file"' in report.text  # the form to try again
    assert _seq(console_state) == before and _row(console_state, "centers", "10011") is None
    uploads = console_state.settings.data_dir / "console-uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_a_valid_file_previews_counts_hides_secrets_and_applies_audited(signed_in, console_state):
    client = signed_in(["admin"])
    add_user(console_state, ["operator"], username="op9", center_ids=["10001"])
    document = _doc(
        {
            "centers": [
                {"id": "10001", "name": "Capital Central (new)", "location_id": "R1P1C1", "timezone": "UTC"},
                {"id": "10009", "name": "Riverside", "location_id": "R1P1C1", "timezone": "UTC"},
                {
                    "id": "10002",
                    "name": "Northport",
                    "location_id": "R1P1C1",
                    "timezone": "UTC",
                    "active": True,
                },
            ],
            "users": [
                {**_row(console_state, "users", "op9"), "password_hash": NEW_HASH},
            ],
        },
        deletes={"holidays": ["2026-05-01"]},
    )
    before = _seq(console_state)
    preview = client.get(_upload(client, "change.json", document).url)
    assert preview.status_code == 200 and "Preview of the import" in preview.text
    assert _counts(preview.text, "centers") == [1, 1, 0, 1]  # added, changed, deleted, unchanged
    assert _counts(preview.text, "users") == [0, 1, 0, 0]
    assert _counts(preview.text, "holidays") == [0, 0, 1, 0]
    assert "Capital Central (new)" in preview.text and "Riverside" in preview.text
    assert "changed (not shown)" in preview.text and NEW_HASH not in preview.text
    assert "$argon2id$" not in preview.text
    assert _seq(console_state) == before  # the preview wrote nothing

    action, form = _apply_form(preview.text)
    done = client.post(action, data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith(f"{PAGE}/changes?applied=")
    log = client.get(done.headers["location"])
    assert "Import applied: 5 changes" in log.text
    assert _row(console_state, "centers", "10001")["name"] == "Capital Central (new)"
    assert _row(console_state, "holidays", "2026-05-01") is None
    entry = _imports(console_state)[-1]
    assert entry.actor == client.username and json.loads(entry.details)["first_seq"] == before + 1
    # the change log names who made each change of the import, newest first
    seqs = [int(s) for s in re.findall(r'<tr><td class="num">(\d+)</td>', log.text)]
    assert seqs[0] == _seq(console_state) and seqs == sorted(seqs, reverse=True)
    assert log.text.count(f"<td>{client.username}</td></tr>") == 5  # unchanged rows are logged too
    assert "not recorded" in log.text  # op9 was added outside an audited import
    # the upload is gone once applied
    assert client.post(action, data=form).status_code == 404


def test_discard_forgets_the_upload(signed_in, console_state):
    client = signed_in(["admin"])
    preview = client.get(_upload(client, "centers.csv", CSV_FIXED).url)
    url = str(preview.url)
    gone = client.post(f"{url}/discard", data={"csrf": csrf_of(preview.text)}, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == f"{PAGE}?done=discarded"
    assert "was discarded" in client.get(gone.headers["location"]).text
    assert client.get(url).status_code == 404
    assert _row(console_state, "centers", "10011") is None


def test_an_upload_is_only_its_uploaders(signed_in):
    owner, other = signed_in(["admin"]), signed_in(["admin"])
    preview = owner.get(_upload(owner, "centers.csv", CSV_FIXED).url)
    assert other.get(str(preview.url)).status_code == 404
    action, _form = _apply_form(preview.text)
    page = other.get(PAGE)
    assert other.post(action, data={"csrf": csrf_of(page.text), "base_seq": "1"}).status_code == 404


def test_a_stale_preview_is_refused_and_shown_fresh(signed_in, console_state):
    client = signed_in(["admin"])
    preview = client.get(_upload(client, "centers.csv", CSV_FIXED).url)
    action, form = _apply_form(preview.text)
    add_user(console_state, ["operator"])  # someone else changes master data meanwhile
    before = _seq(console_state)
    refused = client.post(action, data=form)
    assert refused.status_code == 409 and "changed since this preview" in refused.text
    assert _seq(console_state) == before and _row(console_state, "centers", "10011") is None
    action, fresh = _apply_form(refused.text)
    assert int(fresh["base_seq"]) == before
    assert client.post(action, data=fresh, follow_redirects=False).status_code == 303
    assert _row(console_state, "centers", "10012")["name"] == "Good Id"


def test_center_admins_import_only_rows_of_their_centers(signed_in, console_state):
    client = signed_in(["center_admin"], centers=["10001"])
    operator = {"name": "Op", "roles": ["operator"], "password_hash": NEW_HASH}
    foreign = _doc({"users": [{**operator, "id": "far1", "center_id": "10002"}]})
    report = _upload(client, "users.json", foreign)
    assert report.status_code == 422 and "center 10002 is not yours" in report.text
    global_rows = _doc({"languages": [{"id": "spa", "name": "Español", "rtl": False}]})
    report = _upload(client, "languages.json", global_rows)
    assert report.status_code == 422 and "only be imported by an admin" in report.text
    promote = _doc({"users": [{**operator, "id": "near2", "center_id": "10001", "roles": ["admin"]}]})
    assert "operators and supervisors only" in _upload(client, "users.json", promote).text
    auditor = _doc({"users": [{**operator, "id": "near3", "center_id": "10001", "roles": ["auditor"]}]})
    assert "operators and supervisors only" in _upload(client, "users.json", auditor).text
    # nor may they overwrite (take over) or delete a fellow center admin of their center
    add_user(console_state, ["center_admin"], username="peer1", center_ids=["10001"])
    takeover = _doc({"users": [{**operator, "id": "peer1", "center_id": "10001"}]})
    assert "operators and supervisors only" in _upload(client, "users.json", takeover).text
    gone = _doc({}, {"users": ["peer1"]})
    assert "not a kiosk user" in _upload(client, "deletes.json", gone).text
    # overwriting another center's row to pull it in is refused too
    add_user(console_state, ["operator"], username="far2", center_ids=["10002"])
    moved = _doc(
        {"users": [{**_row(console_state, "users", "far2"), "center_id": "10001", "center_ids": []}]}
    )
    report = _upload(client, "users.json", moved)
    assert report.status_code == 422 and "center 10002 is not yours" in report.text
    owned = _doc({"users": [{**operator, "id": "near1", "center_id": "10001"}]})
    preview = client.get(_upload(client, "users.json", owned).url)
    assert _counts(preview.text, "users") == [1, 0, 0, 0]
    action, form = _apply_form(preview.text)
    assert client.post(action, data=form, follow_redirects=False).status_code == 303
    assert _row(console_state, "users", "near1")["center_id"] == "10001"
    # their change log holds their centers' rows and global ones only
    log = client.get(f"{PAGE}/changes?entity=users").text
    assert "near1" in log and "far1" not in log


def test_auditors_get_403_on_the_page_and_the_api(signed_in, console_state):
    auditor = signed_in(["auditor"])
    for path in (PAGE, f"{PAGE}/changes", f"{PAGE}/schema", f"{PAGE}/ui-spec"):
        assert auditor.get(path).status_code == 403
    add_user(console_state, ["auditor"], username="aud9")
    api = TestClient(create_app(console_state), base_url="http://testserver")
    token = api.post("/api/v1/auth/login", json={"username": "aud9", "password": PASSWORD}).json()["token"]
    refused = api.post(
        "/api/v1/admin/masterdata/preview", content=_doc({}), headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 403


def test_the_preview_api_applies_nothing(console_state):
    add_user(console_state, ["admin"], username="api-admin")
    api = TestClient(create_app(console_state), base_url="http://testserver")
    token = api.post("/api/v1/auth/login", json={"username": "api-admin", "password": PASSWORD}).json()[
        "token"
    ]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    before = _seq(console_state)
    ok = api.post("/api/v1/admin/masterdata/preview?filename=centers.csv", content=CSV_FIXED, headers=headers)
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["base_seq"] == before and body["entities"][0]["entity"] == "centers"
    assert body["entities"][0]["added"] == 2
    bad = api.post(
        "/api/v1/admin/masterdata/preview?filename=centers.csv", content=CSV_WITH_ERROR, headers=headers
    )
    assert bad.status_code == 422 and bad.json()["code"] == "masterdata_invalid"
    assert {"file": "centers.csv", "row": 3, "field": "id"}.items() <= bad.json()["errors"][0].items()
    assert _seq(console_state) == before


def test_the_id_schema_and_ui_spec_read_as_forms(signed_in):
    client = signed_in(["admin"])
    schema = client.get(f"{PAGE}/schema").text
    assert '<th scope="row">fullName</th>' in schema and "length min 2 max 80" in schema
    assert "when age(dateOfBirth) &lt; 18" in schema
    spec = client.get(f"{PAGE}/ui-spec?lang=fra").text
    assert "Données démographiques" in spec and "Nom complet" in spec
    assert re.search(r'Nom complet <abbr title="obligatoire">\*</abbr>', spec)
    assert 'type="date"' in spec and "<fieldset" in spec


def test_the_import_api_holds_a_center_admin_to_the_same_rules(console_state, console_client):
    boss = add_user(console_state, ["center_admin"], center_ids=["10001"])
    token = console_client.post("/api/v1/auth/login", json={"username": boss, "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {token.json()['token']}", "Content-Type": "application/json"}
    operator = {"name": "Op", "roles": ["operator"], "password_hash": NEW_HASH}
    url = "/api/v1/admin/masterdata/import?filename=users.json"
    foreign = _doc({"users": [{**operator, "id": "api.far", "center_id": "10002"}]})
    refused = console_client.post(url, content=foreign, headers=bearer)
    assert refused.status_code == 422 and _row(console_state, "users", "api.far") is None
    own = _doc({"users": [{**operator, "id": "api.near", "center_id": "10001"}]})
    assert console_client.post(url, content=own, headers=bearer).status_code == 200
    assert _row(console_state, "users", "api.near")["center_id"] == "10001"
