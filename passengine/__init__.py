"""passengine: an engine for leisure passes with a kansentarief."""

__version__ = "0.1.0"
