"""The console's words, one module per page (``WORDS = {"eng": {...}, "fra": {...}, "ara": {...}}``)."""
