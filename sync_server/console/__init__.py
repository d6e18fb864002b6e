"""The head-office web console: server-rendered pages served by the sync server itself.

``console.install.install_console(app)`` adds the sign-in steps, every page router, the console's static
files, the self-hosted API docs and the handlers that turn refusals into pages. Pages call services
(never SQL here); access per page is ``access.PAGES``; words are in ``words/``.
"""
