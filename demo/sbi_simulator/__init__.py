"""A MOSIP SBI 0.9.5/1.0 device simulator run as a separate process (``openreg devices simulate``,
``python -m demo.sbi_simulator``), with a throwaway device CA the kiosk trusts."""
