"""The workflow captures every group through the real SBI client against the simulator process."""

import json
from datetime import date
from pathlib import Path

from client.core.registration.biometrics import CAPTURE_GROUPS, BiometricPolicy
from client.core.registration.workflow import Registration, Step
from shared.forms import FormEngine, load_id_schema, load_ui_spec
from tests.support.devices import kiosk_devices

DEMO = Path(__file__).resolve().parents[3] / "sync_server" / "demo_data"


def test_capture_all_groups_from_the_simulator_into_the_workflow(sbi_simulator):
    capture = kiosk_devices(device_ca_file=sbi_simulator.ca_pem, sbi_ports=(sbi_simulator.port,) * 2)
    assert set(capture.status()) == {"finger", "iris", "face"}
    schema = load_id_schema(json.loads((DEMO / "id_schema.json").read_text())["entities"]["id_schema"][0])
    spec = load_ui_spec(json.loads((DEMO / "ui_spec.json").read_text())["entities"]["ui_spec"][0], schema)
    reg = Registration(
        engine=FormEngine(schema=schema, ui_spec=spec),
        policy=BiometricPolicy(thresholds={}),
        operator_id="op1",
        today=date(2026, 6, 1),
    )
    reg.step = Step.BIOMETRICS  # demographics and documents are covered by the unit tests
    for group in CAPTURE_GROUPS:
        records = capture.capture_group(group)
        assert records and all(r.record and r.device.get("serial") for r in records)
        reg.record_capture(group=group, records=records)
    assert reg.submit_biometrics() == {}
    assert len(reg.captures) == 13
    capture.close()
