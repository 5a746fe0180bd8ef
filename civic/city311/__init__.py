"""The city's 311 system, seen from civic: everything that talks to the city's GeoReport v2 server.

    client.py         outbound HTTP to the city: every answer classified, the city's words kept, reads bounded
    models.py         Endpoint, CityService, Submission (the outbox rows), TicketEvent (a ticket's history)
    outbox.py         queue a community issue for the city, link an existing ticket, retry and resend
                      (services: flush only)
    sending.py        the background send: one try per due submission (a lookup before any re-post), tokens
    sync.py           the city's statuses back: a ticket event always, a thread update only for its own words
    health.py         each endpoint's last success and error, and which optional endpoints it has
    services_list.py  the city's service catalogue, mapped to our categories
    environment.py    the endpoint configured by CIVIC_OPEN311_*
    handlers.py       signal receivers (queue new issues; the city's required attributes as a validating hook)
    views.py          "Send to 311" and "Link my ticket" on an issue page
    panels.py         the issue page's ticket box and the report form's city questions
    cli.py            `flask open311 ...`

A middle layer: it never imports civic's own GeoReport endpoint (civic/georeport), which sits above it.
"""
