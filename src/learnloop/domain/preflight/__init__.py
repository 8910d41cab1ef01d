"""Pre-flight checks of the artifacts people ship: pure rules over plain data.

The artifact (`artifact.py`) is read by an adapter; the checks here see only its data and the
measurements adapters bring back (a rendered page's boxes, a spam score). Nothing here fetches,
renders or reads a clock.
"""
