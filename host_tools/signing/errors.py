"""The one error the workstation's signing tools raise."""

from __future__ import annotations


class SigningError(Exception):
    """A workstation-side refusal, with a sentence for the technician."""
