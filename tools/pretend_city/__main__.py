"""`python -m tools.pretend_city [--port 8311] [--connect] [--state FILE]`: serve the pretend city until Ctrl-C
(with --state, its tickets are kept in FILE across restarts)."""

from __future__ import annotations

import argparse
import time

from tools.pretend_city.city import DEFAULT_API_KEY, MODES, SandboxCity


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tools.pretend_city",
        description="Serve a pretend GeoReport v2 (Open311) city for demos and tests.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8311)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--mode", choices=MODES, default="normal")
    parser.add_argument(
        "--connect",
        action="store_true",
        help="save it as civic's 311 endpoint (database from CIVIC_*) and map its services",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    parser.add_argument(
        "--state",
        metavar="FILE",
        help="keep the tickets in this JSON file (written after every change) and start from it",
    )
    args = parser.parse_args(argv)
    city = SandboxCity(args.host, args.port, api_key=args.api_key, verbose=not args.quiet, state_path=args.state)
    city.mode = args.mode
    print(city.base_url, flush=True)
    print(f"api_key: {city.api_key}  mode: {city.mode}  (Ctrl-C stops)", flush=True)
    if city.state_path is not None:
        print(f"state: {city.state_path} ({len(city.tickets)} tickets)", flush=True)
    if args.connect:
        from tools.pretend_city.connect import connect

        city.start()  # civic fetches the service list from it while connecting
        print(f"Connected to civic: {connect(city)} services mapped to categories.", flush=True)
    try:
        if args.connect:
            while True:  # serving on its own thread already
                time.sleep(3600)
        else:
            city.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        city.stop()


if __name__ == "__main__":
    main()
