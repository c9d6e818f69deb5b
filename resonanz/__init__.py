"""Resonanz: social listening and corporate-blog feedback pipeline."""

__version__ = "0.1.0"
