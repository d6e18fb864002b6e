"""``python -m device_drivers ...`` runs the ``openreg devices`` group."""

from device_drivers.cli import devices

devices()
