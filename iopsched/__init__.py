"""iopsched: weekly timetables for Intensive Outpatient Programs."""

import time as _time

__version__ = "0.1.0"

# when the command began (the first import of the package): `solve --time-limit` counts from here
STARTED_AT = _time.monotonic()
