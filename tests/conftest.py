"""Settings for the whole test suite.

Hypothesis (tests/test_fuzz.py, tests/test_property.py) runs derandomised when the environment
variable CI is set (to anything but "", "0" or "false"): the examples then follow from each
test alone, so a CI run is reproducible, and no example database is read or written. Locally it
draws new examples each run and replays failures from .hypothesis/. HYPOTHESIS_PROFILE=ci runs
the CI profile locally. The profile is loaded here, before the test modules build their own
`settings(...)`, which inherit what they do not set.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().casefold() not in ("", "0", "false")


settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _on_ci() else "default"))
