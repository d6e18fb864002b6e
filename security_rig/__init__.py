"""``openreg security-rig``: automated known attacks against a running OpenReg server (over HTTP only) and
checks of a kiosk data folder, with a text or JSON report (docs/security.md, "Security rig").

The rig imports neither the server nor the client (an import-linter contract holds it to that): what it
knows of the server is the server's own OpenAPI document, the documented access table and the wire
models of ``shared``.
"""

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2  # click's own code for a bad command line
EXIT_COULD_NOT_RUN = 3
