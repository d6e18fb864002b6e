"""The version of the kiosk–server protocol (routes, wire models, packet format, SBI shapes, the
master-data import format and the command line that scripts call).

Raise it only with a change that a deployed kiosk or partner cannot follow, and document the migration
under a heading "Protocol version N" in docs/sync-protocol.md; the interface gate
(``python -m tools.interface_gate``) refuses a breaking change otherwise.
"""

PROTOCOL_VERSION = 1
