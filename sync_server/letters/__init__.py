"""UIN letters: the printable PDF a resident receives once a UIN is issued, whose QR code holds the
UIN and name signed by the server (:mod:`shared.uin_credential`), and reading that QR back from a
PDF, a photo or a scan for offline verification (``openreg id verify``)."""
