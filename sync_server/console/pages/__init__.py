"""One module per console page, each with its ``router``; ``ROUTERS`` is what install_console mounts."""

from sync_server.console.pages import dashboard, slots

ROUTERS = [m.router for m in (dashboard, slots)]
