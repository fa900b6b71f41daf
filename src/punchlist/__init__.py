"""Punchlist: a living POA&M for NIST SP 800-171 Rev 2 / CMMC Level 2."""

__version__ = "0.1.0"
