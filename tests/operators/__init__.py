"""Tests of ``superme_rx.operators``, in virtual time."""
