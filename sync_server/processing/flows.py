"""The stages of every flow in their fixed order; each flow-specific stage names its flows."""

from __future__ import annotations

from sqlalchemy import Engine

from sync_server.ports import IdentityWriter
from sync_server.processing.dedupe import DedupeConfig
from sync_server.processing.lifecycle_stages import CorrectionsStage, CorrectionStage, LostStage, UpdateStage
from sync_server.processing.pipeline import Stage
from sync_server.processing.ports import (
    BiometricIdentify,
    MasterDataHistory,
    PacketOpener,
    ReceivedPackets,
    ResidentChecks,
)
from sync_server.processing.registration_stages import DedupeStage, IdStoreStage, UinStage
from sync_server.processing.stages import ActorsStage, DecryptStage, ValidateStage, VerifyStage


def build_stages(
    *,
    packets: ReceivedPackets,
    master: MasterDataHistory,
    opener: PacketOpener,
    store: IdentityWriter,
    dedupe: DedupeConfig,
    engine: Engine,
    abis: BiometricIdentify | None = None,
    residents: ResidentChecks | None = None,
) -> list[Stage]:
    """verify, decrypt, corrections, validate, actors; new: dedupe, uin, idstore; update: update;
    lost: lost; correction: correction."""
    return [
        VerifyStage(packets, master),
        DecryptStage(opener),
        CorrectionsStage(packets, master, opener, engine),
        ValidateStage(master, residents, date_fields=dedupe.date_fields),
        ActorsStage(master),
        DedupeStage(store, dedupe, engine, abis),
        UinStage(store),
        IdStoreStage(store, dedupe, abis),
        UpdateStage(store, dedupe, engine, abis),
        LostStage(store, dedupe, engine, abis),
        CorrectionStage(engine),
    ]
