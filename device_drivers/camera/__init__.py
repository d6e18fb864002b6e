"""OpenCV camera adapter (face + document), frame sources and ICAO-lite face checks."""
