"""Byte-level Bluetooth device simulators driven by clinical scenario scripts (the only simulated part)."""
