"""MOSIP SBI 0.9.5 / 1.0 client and verification helpers (the simulator lives in ``demo.sbi_simulator``)."""

# Where SBI device services listen on 127.0.0.1 and where the kiosk looks for them (SBI spec).
PORT_RANGE = range(4501, 4601)
