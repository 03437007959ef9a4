"""MRI core: photo -> Korean tags -> songs. No chat code lives here."""

__version__ = "0.1.0"
