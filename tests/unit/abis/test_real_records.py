"""Interop: the reference ABIS makes templates of real ISO 19794 records (MOSIP's mock device, in
../shared/sample-biometrics) and tells that person from a synthetic one."""

from __future__ import annotations

from pathlib import Path

import pytest

from abis_service.templates import load, score, templates_from_cbeff
from sync_server.abis import mosip
from sync_server.abis.port import BiometricRecord
from tests.integration.abis.people import records_of

SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "sample-biometrics" / "mosip-mockmds-registration"
FILES = {
    "Left_Thumb": ("finger", "Left Thumb"),
    "Right_Thumb": ("finger", "Right Thumb"),
    "Left_Iris": ("iris", "Left"),
    "Right_Iris": ("iris", "Right"),
    "Face": ("face", ""),
}


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="needs ../shared/sample-biometrics beside the checkout")
def test_real_records_match_themselves_and_not_a_synthetic_person() -> None:
    records = [
        BiometricRecord(m, s, "ISO19794", (SAMPLES / f"{name}.iso").read_bytes())
        for name, (m, s) in FILES.items()
    ]
    real = load(templates_from_cbeff(mosip.cbeff_of(records)))
    assert {t.modality for t in real} == {"finger", "iris", "face"}
    fused, per_modality = score(real, real)
    assert fused == 100 and per_modality["face"] == 100
    stranger, _ = score(real, load(templates_from_cbeff(mosip.cbeff_of(records_of(3)))))
    assert stranger < 20
