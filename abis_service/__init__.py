"""OpenReg's reference ABIS: an automated biometric identification system run as its own process.

It speaks MOSIP's ABIS API (``mosip.abis.insert`` / ``identify`` / ``delete`` / ``ping`` plus
``referenceCount`` and ``pendingJobs``) as JSON over HTTP on loopback, keeps its gallery in its own SQLite
file, and matches with open-source code installed from PyPI: fingerprint-recognition (minutiae with
Gabor enhancement and ORB alignment) for fingers, an iris code (Gabor phase bits, Hamming distance) and
local binary patterns for faces, both on OpenCV / scikit-image. See docs/abis.md.

It imports ``device_drivers.iso`` (ISO/IEC 19794 readers) and nothing of the kiosk or the server.
"""
