from typing import Annotated

from fastapi import APIRouter, Query

from shared.sync import ErrorBody, SignedServerKeySet
from shared.sync.models import NONCE_PATTERN
from sync_server.api.deps import StateDep
from sync_server.services.server_keys import signed_key_set

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])


@router.get("", responses={422: {"model": ErrorBody}})
def current_keys(
    state: StateDep, nonce: Annotated[str, Query(pattern=NONCE_PATTERN, max_length=64)]
) -> SignedServerKeySet:
    """The packet recipients and public URL, signed with the server signing key with ``nonce`` in it.
    Kiosks check it against the key they pinned at enrolment before they seal to a new recipient."""
    return signed_key_set(keys=state.keys, public_url=state.settings.public_url, nonce=nonce)
