"""Demo data for a first look at civic (top layer: it may use every domain): realistic residents, staff and
issues inside the demo city's neighbourhoods (seeding.py), and the `flask demo seed` command (cli.py)."""
