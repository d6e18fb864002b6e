"""``python -m demo.sbi_simulator [--port N] ...`` runs the simulator (the demo and tests spawn it so)."""

from demo.sbi_simulator.cli import simulate

simulate()
