"""TLS of an https target: the certificate is valid for the host (chain, name, dates), it does not
expire within two weeks, and TLS 1.0 and 1.1 are refused. Plain http to a non-loopback host is a
finding of its own."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import warnings

from cryptography import x509

from security_rig.context import Rig
from security_rig.report import Outcome
from security_rig.target import Target

EXPIRY_WARNING = dt.timedelta(days=14)
TIMEOUT_S = 10.0


def _handshake(target: Target, context: ssl.SSLContext) -> tuple[str | None, bytes | None]:
    """(negotiated version, peer certificate DER)."""
    with (
        socket.create_connection((target.host, target.port), timeout=TIMEOUT_S) as raw,
        context.wrap_socket(raw, server_hostname=target.host) as tls,
    ):
        return tls.version(), tls.getpeercert(binary_form=True)


def _unverified() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _legacy(version: ssl.TLSVersion) -> ssl.SSLContext:
    context = _unverified()
    context.minimum_version = context.maximum_version = version
    context.set_ciphers("ALL:@SECLEVEL=0")
    return context


def plain_http_finding(target: Target) -> str | None:
    """Why a plain-http target is a hole, or None (https, or a loopback test/demo server)."""
    if target.https or target.loopback:
        return None
    return "plain http to a non-loopback host: passwords, tokens and packets cross the network in clear"


def check_tls(rig: Rig, out: Outcome) -> None:
    target = rig.target
    problem = plain_http_finding(target)
    if problem:
        out.find("high", target.base, problem)
        return
    if not target.https:
        out.skip("plain http on a loopback address (a local test or demo): no TLS to check")
        return
    der = None
    try:
        version, der = _handshake(target, ssl.create_default_context(cafile=target.ca_file))
        out.note(f"negotiated {version} with certificate verification")
    except ssl.SSLCertVerificationError as exc:
        out.find("high", target.base, f"the certificate is not valid for {target.host}: {exc.verify_message}")
        target.stop_verifying()
        out.note("the other checks run without verifying the certificate")
    except (OSError, ssl.SSLError) as exc:
        out.status = "error"
        out.note(f"no TLS handshake: {exc}")
        return
    out.probes += 1
    if der is None:
        try:
            _, der = _handshake(target, _unverified())
            out.probes += 1
        except (OSError, ssl.SSLError) as exc:
            out.note(f"could not read the certificate: {exc}")
    if der:
        cert = x509.load_der_x509_certificate(der)
        now = dt.datetime.now(dt.UTC)
        if cert.not_valid_after_utc < now:
            out.find("high", target.base, f"the certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}")
        elif cert.not_valid_after_utc - now < EXPIRY_WARNING:
            out.find("low", target.base, f"the certificate expires on {cert.not_valid_after_utc:%Y-%m-%d}")
        if cert.not_valid_before_utc > now:
            out.find(
                "medium",
                target.base,
                f"the certificate is not valid before {cert.not_valid_before_utc:%Y-%m-%d}",
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the old versions are named to be refused
        for name, version in (("TLS 1.0", ssl.TLSVersion.TLSv1), ("TLS 1.1", ssl.TLSVersion.TLSv1_1)):
            _try_legacy(target, out, name, version)


def _try_legacy(target: Target, out: Outcome, name: str, version: ssl.TLSVersion) -> None:
    try:
        context = _legacy(version)
    except (ValueError, ssl.SSLError) as exc:
        out.note(f"{name}: this machine's OpenSSL cannot offer it ({exc}); not checked")
        return
    out.probes += 1
    try:
        agreed, _ = _handshake(target, context)
    except ssl.SSLError as exc:
        if "NO_PROTOCOLS_AVAILABLE" in str(exc).upper():
            out.note(f"{name}: this machine's OpenSSL cannot offer it; not checked")
        else:
            out.note(f"{name} refused")
        return
    except OSError as exc:
        out.note(f"{name}: connection failed ({exc})")
        return
    out.find("high", target.base, f"{name} is accepted (negotiated {agreed})")
