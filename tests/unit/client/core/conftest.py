"""Client-core unit fixtures: a real SQLCipher store in tmp_path with a file keyring chosen explicitly."""

import pytest

from client.core.authentication import hash_password
from client.core.master_data import MasterData, apply_changes
from client.core.store import Store, get_or_create_db_key

SUPERVISOR_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def store(tmp_path):
    key = get_or_create_db_key(db_path=tmp_path / "client.db", keyring_file=tmp_path / "keyring.cfg")
    s = Store(path=tmp_path / "client.db", key=key)
    yield s
    s.close()


@pytest.fixture(scope="session")
def password_hashes():
    return {"op": hash_password("op-pass"), "sup": hash_password("sup-pass")}


@pytest.fixture
def master_data(store, password_hashes):
    rows = [
        (
            "users",
            {
                "id": "op1",
                "name": "Olu",
                "roles": ["operator"],
                "password_hash": password_hashes["op"],
                "center_id": "10001",
            },
        ),
        (
            "users",
            {
                "id": "sup1",
                "name": "Sara",
                "roles": ["supervisor"],
                "password_hash": password_hashes["sup"],
                "totp_secret": SUPERVISOR_TOTP,
                "center_id": "10001",
            },
        ),
        (
            "users",
            {
                "id": "op9",
                "name": "Elsewhere",
                "roles": ["operator"],
                "password_hash": password_hashes["op"],
                "center_id": "10002",
            },
        ),
        ("config", {"id": "login.max_failures", "value": 3}),
        ("genders", {"id": "FLE", "labels": {"eng": "Female"}}),
    ]
    with store.transaction() as conn:
        apply_changes(
            conn,
            [
                {"seq": i, "entity": e, "id": d["id"], "op": "upsert", "data": d}
                for i, (e, d) in enumerate(rows)
            ],
        )
    return MasterData(store=store, center_id="10001")
