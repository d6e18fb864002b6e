"""Briefcase app package for the OpenReg kiosk (see briefcase.toml)."""
