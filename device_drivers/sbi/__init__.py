"""MOSIP SBI 0.9.5 / 1.0 client, verification helpers and simulator."""
