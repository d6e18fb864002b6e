"""One module per console page, each with its ``router``; ``ROUTERS`` is what install_console mounts."""

from sync_server.console.pages import (
    audit,
    dashboard,
    identities,
    machines,
    masterdata,
    packets,
    reports,
    slots,
    users,
)

ROUTERS = [
    m.router for m in (dashboard, machines, users, masterdata, packets, identities, audit, reports, slots)
]
