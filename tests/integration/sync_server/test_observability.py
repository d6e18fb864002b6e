"""Operations against real processes: the server speaks HTTPS itself with a self-signed certificate
made here, and SIGTERM lets a request in flight finish and exits 0 (server and worker); a worker serves
its own metrics; uploads are counted."""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import json
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.sync_server.kiosk import Kiosk, final, random_packet


def _value(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


def _refuses_connections(host: str, port: int, *, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
        except OSError:
            return True
        time.sleep(0.05)
    return False


def _start_worker(data_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """``openreg worker --metrics-port 0`` on the server's data dir; returns it and its metrics URL."""
    out = log.with_suffix(".out")
    command = [sys.executable, "-m", "shared", "worker", "--data", str(data_dir), "--metrics-port", "0"]
    with open(out, "wb") as stdout, open(log, "wb") as stderr:
        process = subprocess.Popen([*command, "--log-format", "json"], stdout=stdout, stderr=stderr)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in out.read_text().splitlines():
            if line.startswith("worker: metrics at "):
                return process, line.removeprefix("worker: metrics at ").strip()
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"the worker did not start:\n{out.read_text()}\n{log.read_text()}")


def test_a_worker_serves_its_stage_metrics_and_stops_cleanly_on_sigterm(start_sync_server, tmp_path):
    server = start_sync_server(tmp_path / "server", workers=0)  # processing is the worker's alone
    worker, metrics_url = _start_worker(server.data_dir, tmp_path / "worker.log")
    try:
        kiosk = Kiosk(server.url)
        kiosk.enrol()
        kiosk.login()
        data = random_packet(300 * 1024)  # not a sealed packet: processing rejects it at its first stage
        rid = kiosk.new_rid()
        assert kiosk.register(rid, data).status_code == 200
        kiosk.upload(rid, data, chunk=100 * 1024)

        server_metrics = requests.get(f"{server.url}/metrics", timeout=10).text
        assert _value(server_metrics, "openreg_packet_upload_bytes_total") == len(data)
        route = "/api/v1/packets/{rid}/content"
        assert _value(server_metrics, "openreg_http_requests_total", method="PATCH", route=route) == 3
        assert kiosk.wait_for(rid, final)["status"] == "rejected"

        worker_metrics = requests.get(metrics_url, timeout=10).text
        rejected = [
            s
            for f in text_string_to_metric_families(worker_metrics)
            for s in f.samples
            if s.name == "openreg_processing_stage_runs_total" and s.labels["outcome"] == "rejected"
        ]
        assert [s.value for s in rejected] == [1.0], worker_metrics
        stage = rejected[0].labels["stage"]
        assert _value(worker_metrics, "openreg_processing_stage_duration_seconds_count", stage=stage) >= 1
        assert _value(worker_metrics, "process_resident_memory_bytes") > 0
        assert requests.get(metrics_url.replace("/metrics", "/other"), timeout=10).status_code == 404
    finally:
        worker.terminate()
        code = worker.wait(timeout=60)
    log = (tmp_path / "worker.log").read_text()
    assert code == 0, log
    records = [json.loads(line) for line in log.splitlines() if line.strip()]  # every line is JSON
    assert [r["message"] for r in records][-1] == "worker stopped"
    assert all(r["service"] == "openreg-worker" for r in records)
    with pytest.raises(requests.ConnectionError):
        requests.get(metrics_url, timeout=5)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True)
    cert_file, key_file = folder / "server.pem", folder / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_file.chmod(0o600)
    return cert_file, key_file


def test_https_with_a_self_signed_certificate_then_sigterm_finishes_the_request_in_flight(
    start_sync_server, tmp_path
):
    cert, key = _self_signed(tmp_path / "tls")
    server = start_sync_server(
        tmp_path / "server", workers=1, args=("--certfile", str(cert), "--keyfile", str(key))
    )
    assert server.url.startswith("https://127.0.0.1:")

    ready = requests.get(f"{server.url}/health/ready", verify=str(cert), timeout=10)
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.headers["Strict-Transport-Security"].startswith("max-age=")  # only ever over https
    assert ready.headers["X-Request-ID"]
    metrics = requests.get(f"{server.url}/metrics", verify=str(cert), timeout=10)
    assert _value(metrics.text, "openreg_http_requests_total", route="/health/ready", status="200") == 1
    with pytest.raises(requests.exceptions.SSLError):  # nobody's CA vouches for it
        requests.get(f"{server.url}/health/live", timeout=10)
    with pytest.raises(requests.ConnectionError):  # plain HTTP on the HTTPS port
        requests.get(server.url.replace("https://", "http://") + "/health/live", timeout=10)

    # SIGTERM while a request is in flight: it is answered, then the process exits 0
    address = urlsplit(server.url)
    body = json.dumps({"username": "admin", "password": "admin-demo"}).encode()
    head = (
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: openreg\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Request-ID: in-flight-1\r\n\r\n"
    ).encode()
    tls = ssl.create_default_context(cafile=str(cert))
    conn = tls.wrap_socket(
        socket.create_connection((address.hostname, address.port), timeout=30), server_hostname="127.0.0.1"
    )
    conn.sendall(head + body[:10])  # the request has begun; the rest of its body is still to come
    time.sleep(0.5)

    server.process.terminate()  # SIGTERM, as systemd or docker stop sends it
    assert _refuses_connections(address.hostname, address.port)  # draining: no new connections
    assert server.process.poll() is None  # but still serving the request in flight
    conn.sendall(body[10:])
    response = http.client.HTTPResponse(conn)
    response.begin()
    answer = json.loads(response.read())
    conn.close()

    assert response.status == 200, answer
    assert answer["token"]
    assert response.getheader("X-Request-ID") == "in-flight-1"
    assert server.process.wait(timeout=30) == 0, server.log_tail()
    assert not (server.data_dir / "server.json").exists()
    log = server.log_tail()
    assert "stopping the processing workers and the report scheduler" in log
    assert "openreg sync server stopped" in log
    assert "Traceback" not in log
