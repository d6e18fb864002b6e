"""One module per console page, each with its ``router``; ``ROUTERS`` is what install_console mounts."""

from sync_server.console.pages import (
    adjudication,
    audit,
    dashboard,
    identities,
    machines,
    masterdata,
    packets,
    packets_import,
    report_setup_connectors,
    report_setup_destinations,
    report_setup_mapping_entries,
    report_setup_mappings,
    reports,
    users,
)

# the report setup pages come before ``reports``, whose /console/reports/{definition_id} would take their paths
REPORT_SETUP = (
    report_setup_connectors,
    report_setup_destinations,
    report_setup_mappings,
    report_setup_mapping_entries,
)
ROUTERS = [
    m.router
    for m in (
        dashboard,
        machines,
        users,
        masterdata,
        packets_import,  # before packets, whose /console/packets/{rid} would take /console/packets/import
        packets,
        identities,
        audit,
        *REPORT_SETUP,
        reports,
        adjudication,
    )
]
