"""Templates imported as master data (the real import path) reach the renderer."""

from __future__ import annotations

import json

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from sync_server.db.tables import Base
from sync_server.notifications.masterdata_templates import MasterDataTemplates
from sync_server.notifications.templates import render
from sync_server.services.masterdata import import_documents


def test_an_imported_template_is_used_and_missing_ones_fall_back(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'server.db'}")
    Base.metadata.create_all(engine)  # throwaway test DB; production uses the Alembic revision
    row = {
        "id": "notify.uin_issued.email",
        "texts": {"fra": "Bonjour $name, votre UIN est $uin.", "ara": "رقم هويتك: $uin"},
        "subjects": {"fra": "Votre UIN"},
    }
    document = {"format": "openreg-masterdata/1", "entities": {"templates": [row]}}
    with Session(engine) as session, session.begin():
        import_documents(session, [("templates.json", json.dumps(document).encode())])
    source = MasterDataTemplates(engine)

    values = {"rid": "R1", "uin": "4829105736", "name": "Jean"}
    french = render(
        source, event="uin_issued", channel="email", language="fra", default_language="eng", values=values
    )
    assert (french.subject, french.body) == ("Votre UIN", "Bonjour Jean, votre UIN est 4829105736.")
    arabic = render(
        source, event="uin_issued", channel="email", language="ara", default_language="eng", values=values
    )
    assert arabic.subject == "تم إصدار رقم هويتك (UIN)"  # no subject in the row: the built-in one
    assert arabic.body == "رقم هويتك: 4829105736"
    sms = render(
        source, event="uin_issued", channel="sms", language="fra", default_language="eng", values=values
    )
    assert sms.body == "Inscription R1 traitée. Votre UIN est 4829105736. Conservez-le."  # built-in
    engine.dispose()
