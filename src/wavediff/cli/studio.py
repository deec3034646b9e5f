"""WaveDiff Studio: the web UI (Data, Train, Generate, History) on http://127.0.0.1:8000.

    wavediff studio [--host 127.0.0.1] [--port 8000] [--outputs outputs] [--max-concurrent 1]
                             [--token auto|SECRET] [--allowed-hosts NAME ...]

Binds to localhost unless told otherwise: it starts training processes for whoever reaches it.
It answers only to the Host names it knows (loopback, --host, --allowed-hosts), refuses
cross-origin POSTs, and bound to anything but loopback it needs a token (--token auto makes one
and prints the URL that carries it).
"""

import argparse
from pathlib import Path

from wavediff.cli import one_line_errors

PROG = "wavediff studio"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--outputs", type=Path, default=Path("outputs"),
                   help="outputs root: runs, registry (wavediff.db) and Studio logs (default: outputs)")
    p.add_argument("--max-concurrent", type=int, default=1, help="training runs at once (default: 1)")
    p.add_argument("--token", default=None,
                   help="require this token on every request ('auto' generates one); needed with a "
                        "non-loopback --host")
    p.add_argument("--allowed-hosts", nargs="*", default=[], metavar="NAME",
                   help="extra Host names to answer to, e.g. a server's DNS name ('*' = any)")
    return p.parse_args(argv)


@one_line_errors
def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import uvicorn

    from wavediff.studio.app import StudioSettings, create_app
    from wavediff.studio.security import new_token

    token = new_token() if args.token == "auto" else args.token
    app = create_app(StudioSettings(output_root=args.outputs, max_concurrent=args.max_concurrent,
                                    host=args.host, allowed_hosts=tuple(args.allowed_hosts), token=token))
    url = f"http://{args.host}:{args.port}/" + (f"?token={token}" if token else "")
    print(f"WaveDiff Studio on {url}  (API docs: /docs; Ctrl-C stops it)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
