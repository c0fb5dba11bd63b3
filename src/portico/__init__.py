"""Portico: a self-hostable wallet platform."""

__version__ = "0.1.0"
