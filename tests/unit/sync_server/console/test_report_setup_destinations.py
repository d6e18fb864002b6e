"""The destinations page of the reports portal in-process: one form with a fieldset per kind of which
only the chosen kind's is read, create / edit / delete / "Test", the secret (password or private key)
kept when left empty and never in any page, refusals next to the form with the input kept, a
destination in use refused for deletion, and roles outside the reports page refused."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert

from sync_server.report_parts import build_report_parts
from sync_server.reports.tables import report_definitions
from tests.support.console import csrf_of

BASE = "/console/reports/destinations"
PASSWORD = "Ftp-Secret-9931"


@pytest.fixture
def parts(console_state):
    built = build_report_parts(console_state.engine, console_state.settings.data_dir)
    console_state.backend = SimpleNamespace(report_parts=built)
    yield built
    console_state.backend = None
    built.dispose()


@pytest.fixture
def admin(signed_in):
    return signed_in(["report_manager"])


def _post(client, url: str, data: dict | None = None, page: str = BASE):
    csrf = csrf_of(client.get(page).text)
    return client.post(url, data={"csrf": csrf, **(data or {})}, follow_redirects=False)


def _keys() -> tuple[str, str, str]:
    """A host key line, a client private key (OpenSSH PEM) and one line from inside that PEM."""
    host = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    )
    client = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    pem = client.decode()
    return host.decode(), pem, pem.splitlines()[1]


def _sftp(destination_id: str, host_key: str, **extra) -> dict:
    return {
        "id": destination_id,
        "title": "Ministry drop box",
        "kind": "sftp",
        "sftp_host": "sftp.invalid",
        "sftp_port": "2222",
        "sftp_username": "openreg",
        "sftp_remote_dir": "/incoming",
        "sftp_host_key": host_key,
        "sftp_auth": "password",
        "sftp_password": PASSWORD,
        "sftp_ack_suffix": ".ack",
        "sftp_ack_timeout_s": "120",
        "sftp_timeout_s": "3",
        # another kind's fieldset, filled in too: ignored
        "folder_folder": "relative/not/read",
        "ftp_host": "ftp.example.org",
    } | extra


def test_a_folder_destination_is_created_listed_tested_and_deleted(admin, parts, console_state):
    folder = console_state.settings.data_dir / "reports" / "outbox" / "drop"
    data = {"id": "drop", "title": "Local drop", "kind": "folder", "folder_folder": str(folder)}
    response = _post(admin, f"{BASE}/new", data | {"sftp_host": "bad host!"}, page=f"{BASE}/new")
    assert response.status_code == 303 and response.headers["location"] == f"{BASE}?done=saved"
    page = admin.get(response.headers["location"])
    assert "Destination saved." in page.text and str(folder) in page.text and "Not needed" in page.text
    row = parts.report_destinations.get("drop")
    assert row["kind"] == "folder" and row["config"] == {"folder": str(folder)}

    tested = _post(admin, f"{BASE}/drop/test")
    assert tested.status_code == 200 and "Destination drop works:" in tested.text
    assert "it is created on the first delivery" in tested.text

    deleted = _post(admin, f"{BASE}/drop/delete", page=f"{BASE}/drop")
    assert deleted.status_code == 303 and deleted.headers["location"] == f"{BASE}?done=deleted"
    assert parts.report_destinations.list() == []
    assert admin.get(f"{BASE}/drop").status_code == 404


def test_an_sftp_password_is_stored_kept_on_edit_and_never_shown(admin, parts):
    host_key, _pem, _line = _keys()
    response = _post(admin, f"{BASE}/new", _sftp("box", host_key), page=f"{BASE}/new")
    assert response.status_code == 303, response.text
    row = parts.report_destinations.get("box")
    assert row["has_secret"] and row["config"]["port"] == 2222 and row["config"]["ack_suffix"] == ".ack"
    assert "ca_pem" not in row["config"] and row["config"]["host_key"] == host_key
    assert parts.report_secrets.get("destination:box") == PASSWORD

    edit = _sftp("box", host_key, sftp_password="", title="Renamed")
    assert _post(admin, f"{BASE}/box", edit, page=f"{BASE}/box").status_code == 303
    assert parts.report_secrets.get("destination:box") == PASSWORD  # empty: kept
    assert parts.report_destinations.get("box")["title"] == "Renamed"

    pages = [admin.get(BASE), admin.get(f"{BASE}/box"), _post(admin, f"{BASE}/box/test")]
    assert "Destination box failed:" in pages[-1].text  # no such server
    refused = _post(admin, f"{BASE}/box", _sftp("box", host_key, sftp_port="0"), page=f"{BASE}/box")
    assert refused.status_code == 422 and "sftp.invalid" in refused.text
    pages.append(refused)
    for page in pages:
        assert PASSWORD not in page.text, page.url
    assert (
        "Stored: password" in pages[0].text and "sftp://openreg@sftp.invalid:2222 /incoming" in pages[0].text
    )


def test_a_private_key_is_never_shown_and_a_switch_of_secret_kind_needs_the_new_one(admin, parts):
    host_key, pem, inner = _keys()
    data = _sftp("box", host_key, sftp_auth="key", sftp_password="", sftp_key=pem.replace("\n", "\r\n"))
    assert _post(admin, f"{BASE}/new", data, page=f"{BASE}/new").status_code == 303
    assert parts.report_destinations.get("box")["secret_label"] == "private key"
    page = admin.get(f"{BASE}/box")
    assert inner not in page.text and "Stored: private key" in page.text
    # to password sign-in without a password: refused, the stored key stays
    switched = _post(admin, f"{BASE}/box", _sftp("box", host_key, sftp_password=""), page=f"{BASE}/box")
    assert switched.status_code == 422 and "Enter the password: this destination needs one." in switched.text
    assert parts.report_destinations.get("box")["config"]["auth"] == "key"
    # a key that is not one is refused without being echoed
    bad = _sftp("box", host_key, sftp_auth="key", sftp_password="", sftp_key="not-a-key-0xDEADBEEF")
    refused = _post(admin, f"{BASE}/box", bad, page=f"{BASE}/box")
    assert refused.status_code == 422 and "0xDEADBEEF" not in refused.text


def test_ftp_and_ftps_share_one_fieldset(admin, parts):
    data = {
        "id": "ftp1",
        "title": "Old FTP",
        "kind": "ftp",
        "ftp_host": "ftp.example.org",
        "ftp_port": "21",
        "ftp_username": "drop",
        "ftp_remote_dir": ".",
        "ftp_password": PASSWORD,
        "ftp_ca_pem": "ignored for plain ftp",
        "ftp_ack_timeout_s": "300",
        "ftp_timeout_s": "30",
    }  # passive unchecked: not sent
    assert _post(admin, f"{BASE}/new", data, page=f"{BASE}/new").status_code == 303
    config = parts.report_destinations.get("ftp1")["config"]
    assert config["passive"] is False and config.get("ca_pem") is None
    # ftps with a CA that is no certificate: refused, the typed values kept
    ftps = data | {"id": "ftps1", "kind": "ftps", "ftp_passive": "on", "ftp_ca_pem": "no certificate"}
    response = _post(admin, f"{BASE}/new", ftps, page=f"{BASE}/new")
    assert response.status_code == 422 and "Not saved:" in response.text
    assert ">no certificate</textarea>" in response.text and PASSWORD not in response.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"folder_folder": "relative/path"}, "folder must be an absolute path"),
        ({"kind": "carrier-pigeon"}, "unknown destination kind"),
        ({"id": "no spaces"}, "The identifier may hold only"),
        ({"id": "new"}, "is a reserved word here"),
        ({"title": ""}, "Enter a title"),
    ],
)
def test_a_refused_form_comes_back_with_the_reason_and_the_input(admin, parts, data, message):
    values = {"id": "drop", "title": "Local drop", "kind": "folder", "folder_folder": "/srv/x"} | data
    response = _post(admin, f"{BASE}/new", values, page=f"{BASE}/new")
    assert response.status_code == 422 and message in response.text
    assert f'value="{values["folder_folder"]}"' in response.text
    assert parts.report_destinations.list() == []


def test_a_destination_a_report_routes_to_cannot_be_deleted(admin, parts, console_state, tmp_path):
    outbox = console_state.settings.data_dir / "reports" / "outbox"
    data = {"id": "drop", "title": "Local drop", "kind": "folder", "folder_folder": str(outbox)}
    assert _post(admin, f"{BASE}/new", data, page=f"{BASE}/new").status_code == 303
    with console_state.engine.begin() as conn:
        conn.execute(
            insert(report_definitions).values(
                id="uses-drop", title="Uses drop", spec={"routes": [{"destination": "drop"}]}
            )
        )
    response = _post(admin, f"{BASE}/drop/delete", page=f"{BASE}/drop")
    assert response.status_code == 409
    assert "Not deleted: reports still deliver here" in response.text and "uses-drop" in response.text
    assert parts.report_destinations.get("drop")
    taken = _post(admin, f"{BASE}/new", data, page=f"{BASE}/new")
    assert taken.status_code == 422 and "already in use" in taken.text


def test_the_form_in_arabic_is_right_to_left_with_every_kind(admin, parts):
    page = admin.get(f"{BASE}/new", params={"lang": "ara"})
    assert 'dir="rtl"' in page.text and "إعدادات SFTP" in page.text
    for group in ("folder", "sftp", "ftp"):
        assert f'id="fields-{group}"' in page.text
    assert '<details id="fields-folder" open>' in page.text  # the default kind's settings are open


def test_roles_without_the_reports_page_are_refused(signed_in, parts):
    operator_admin = signed_in(["center_admin"], centers=["10001"])
    assert operator_admin.get(BASE).status_code == 403
    csrf = csrf_of(operator_admin.get("/console/").text)
    data = {"csrf": csrf, "id": "x", "title": "x", "kind": "folder", "folder_folder": "/tmp/x"}
    assert operator_admin.post(f"{BASE}/new", data=data).status_code == 403
    assert parts.report_destinations.list() == []


def test_without_a_backend_the_pages_say_so(admin):
    page = admin.get(BASE)
    assert page.status_code == 200 and "Reports are not available here" in page.text
