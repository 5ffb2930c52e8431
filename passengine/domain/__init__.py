"""The functional core: pure functions and frozen dataclasses over plain data.

Imports nothing but the standard library and python-stdnum (enforced by import-linter).
"""
