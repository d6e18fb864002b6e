"""A sender process for the crash test: python -m ... DB_URL DATA_DIR GATEWAY_URL SECRET LEASE_S

It sends what is due once, through the SMS webhook, with the given lease; the test kills it mid-send.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from sqlalchemy import create_engine

from sync_server.idstore.data_key import DataKeyring
from sync_server.notifications import KeyringSealer, NoTemplates, NotificationSender
from sync_server.notifications.sms_webhook import SmsWebhookChannel, SmsWebhookConfig


def main() -> None:
    db_url, data_dir, url, secret, lease = sys.argv[1:6]
    channel = SmsWebhookChannel(SmsWebhookConfig(url=url, secret=secret, timeout_s=60))
    sender = NotificationSender(
        create_engine(db_url),
        {"sms": channel},
        NoTemplates(),
        KeyringSealer(DataKeyring(Path(data_dir))),
        lease=dt.timedelta(seconds=float(lease)),
    )
    sender.run_once()


if __name__ == "__main__":
    main()
