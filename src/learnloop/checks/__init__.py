"""Adapters for the pre-flight checks that need the outside: headless Chromium for the visual
checks (`browser.py`), SpamAssassin for the content spam signals.

Each is optional (an extra) and imported lazily; when its program is missing, the checks it
decides are reported as not run, with a reason a person can act on.
"""
