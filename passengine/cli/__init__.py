"""The ``passengine`` command. Each group of commands lives in its own module."""

from passengine.cli.main import app

__all__ = ["app"]
