"""The pretend city's 311 server, for demos and tests (not shipped with civic).

    python -m tools.pretend_city [--port 8311] [--connect] [--state FILE]

`SandboxCity` (city.py) is the server; faults.py holds the helpers of its switches for real servers'
misbehaviours (and OTHER_CITY_SERVICES, a city whose services share no word with civic's categories);
connect.py saves it as civic's endpoint and maps its services; state.py keeps its tickets in a file across
restarts; staff.py is its staff working through the tickets for the demo (`make run`, tools/demo_run.py).
"""

from tools.pretend_city.city import DEFAULT_API_KEY, MODES, SandboxCity
from tools.pretend_city.faults import OTHER_CITY_SERVICES

__all__ = ["DEFAULT_API_KEY", "MODES", "OTHER_CITY_SERVICES", "SandboxCity"]
