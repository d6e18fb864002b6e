import subprocess
import sys

from click.testing import CliRunner

from shared.cli import main


def test_root_lists_every_subcommand_even_when_one_is_unavailable():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in ("server", "admin", "worker", "client", "demo", "devices", "packet", "release"):
        assert name in result.output


def test_console_script_reports_version():
    out = subprocess.run(
        [sys.executable, "-m", "shared", "--version"], capture_output=True, text=True, check=True
    )
    assert "openreg" in out.stdout
