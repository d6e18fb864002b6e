"""Backup and restore of a whole sync server (``openreg admin backup|restore``; docs/backup.md).

A backup folder holds the database (SQLite copy through the online backup API, or ``pg_dump
--format=custom``), the sealed packet files, the report artifacts and, encrypted to an admin-held age
recipient, every key under ``DATA/keys``; ``manifest.json``, written last and atomically, lists the
SHA-256 of every file and what the database held (packets per status, identities). A folder without
a manifest is an incomplete backup and restore refuses it.
"""
