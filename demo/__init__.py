"""Demo and screenshot tooling: what ``make demo`` and ``make screenshots`` need.

The SBI simulator, sample people and biometrics, the seeded kiosk fixture and the scripted demos live here,
not in the product packages; product code (client, sync_server, device_drivers, shared) never imports this
package (import-linter contract in pyproject.toml).
"""
