"""Calibration of the paired statistics on simulated data with a known answer (METHODS.md section 7)."""
