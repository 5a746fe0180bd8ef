"""The city's 311 system, seen from civic: everything that talks to the city's GeoReport v2 server.

    client.py         outbound HTTP to the city (tolerant of what real endpoints do)
    models.py         Endpoint, CityService, Submission (the outbox rows)
    outbox.py         queue a community issue for the city, link an existing ticket (services: flush only)
    sending.py        the background send: one attempt per due submission, token resolution
    sync.py           the city's statuses back into the threads
    services_list.py  the city's service catalogue, mapped to our categories
    environment.py    the endpoint configured by CIVIC_OPEN311_*
    handlers.py       signal receivers (queue new issues; the city's required attributes as a validating hook)
    views.py          "Send to 311" and "Link my ticket" on an issue page, the template globals
    cli.py            `flask open311 ...`

A middle layer: it never imports civic's own GeoReport endpoint (civic/georeport), which sits above it.
"""
