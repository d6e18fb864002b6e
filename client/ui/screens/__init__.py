"""One module per screen; each is a QWidget with ``retranslate()`` and optional ``entered()``."""
