"""The two log formats and the request id every line carries."""

from __future__ import annotations

import io
import json
import logging

from sync_server.observability.logs import make_handler, request_id


def _log_through(handler: logging.Handler, *, rid: str | None, **extra: object) -> str:
    logger = logging.getLogger("sync_server.test_logs")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    token = request_id.set(rid) if rid else None
    try:
        logger.info("packet %s received", "R1", extra=extra)
    finally:
        if token is not None:
            request_id.reset(token)
        logger.removeHandler(handler)
    return handler.stream.getvalue()


def test_json_lines_carry_the_fields_a_collector_needs():
    line = _log_through(
        make_handler(log_format="json", process="worker", stream=io.StringIO()), rid="abc", route="/x"
    )
    record = json.loads(line)
    assert record["message"] == "packet R1 received"
    assert record["level"] == "INFO"
    assert record["logger"] == "sync_server.test_logs"
    assert record["request_id"] == "abc"
    assert record["service"] == "openreg-worker"
    assert record["route"] == "/x"  # extra fields become keys
    assert record["time"].endswith("+00:00")  # ISO 8601, UTC


def test_text_lines_show_the_request_id_or_a_dash():
    text = make_handler(log_format="text", process="server", stream=io.StringIO())
    assert " INFO sync_server.test_logs [abc] packet R1 received" in _log_through(text, rid="abc")
    text = make_handler(log_format="text", process="server", stream=io.StringIO())
    assert "[-] packet R1 received" in _log_through(text, rid=None)


def test_json_lines_keep_non_ascii_text_readable():
    handler = make_handler(log_format="json", process="server", stream=io.StringIO())
    logger = logging.getLogger("sync_server.test_logs_text")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning("centre de Thiès: كشك")
    finally:
        logger.removeHandler(handler)
    assert json.loads(handler.stream.getvalue())["message"] == "centre de Thiès: كشك"
