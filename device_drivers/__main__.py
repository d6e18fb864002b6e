"""``python -m device_drivers ...`` runs the ``openreg devices`` group (used to spawn the simulator)."""

from device_drivers.cli import devices

devices()
