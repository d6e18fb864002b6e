"""Child process for the kill tests: upload FILE to RID in small chunks until killed.

Usage: python -m tests.integration.sync_server.upload_child URL TOKEN RID FILE
"""

import sys
import time
from pathlib import Path

import requests

url, token, rid, path = sys.argv[1:5]
data = Path(path).read_bytes()
auth = {"Authorization": f"Bearer {token}"}
target = f"{url}/api/v1/packets/{rid}/content"
offset = int(requests.head(target, headers=auth).headers["Upload-Offset"])
while offset < len(data):
    response = requests.patch(
        target,
        data=data[offset : offset + 32 * 1024],
        headers={**auth, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"},
    )
    offset = int(response.headers["Upload-Offset"])
    time.sleep(0.002)
