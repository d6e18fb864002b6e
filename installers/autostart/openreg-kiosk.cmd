@echo off
rem OpenReg kiosk start for Windows: put a shortcut to this file in shell:startup.
rem The launcher applies a staged update first and rolls back if it fails its start check.
rem C:\OpenReg is the install root given to "launch.py install --root".
py "C:\OpenReg\launch.py" run -- client gui --data "%LOCALAPPDATA%\OpenReg"
