#!/usr/bin/env python
"""WaveDiff Studio: the web UI (Data, Train, Generate, History) on http://127.0.0.1:8000.

    python scripts/studio.py [--host 127.0.0.1] [--port 8000] [--outputs outputs] [--max-concurrent 1]

Binds to localhost unless told otherwise: it starts training processes for whoever reaches it.
"""

import argparse
from pathlib import Path

from wavediff.cli import one_line_errors


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--outputs", type=Path, default=Path("outputs"),
                   help="outputs root: runs, registry (wavediff.db) and Studio logs (default: outputs)")
    p.add_argument("--max-concurrent", type=int, default=1, help="training runs at once (default: 1)")
    return p.parse_args()


@one_line_errors
def main() -> None:
    args = parse_args()
    import uvicorn

    from wavediff.studio.app import StudioSettings, create_app

    app = create_app(StudioSettings(output_root=args.outputs, max_concurrent=args.max_concurrent))
    print(f"WaveDiff Studio on http://{args.host}:{args.port}  (API docs: /docs; Ctrl-C stops it)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
