"""Packets, acknowledgements and master data by USB stick (issue 21): the formats both sides share
(:mod:`.models`), their signatures and encryption (:mod:`.envelope`), crash-safe files on removable
media (:mod:`.files`), the folder layout (:mod:`.layout`) and removable drives (:mod:`.drives`).
The kiosk's side is client.core.media, the server's sync_server.services.media_import."""
