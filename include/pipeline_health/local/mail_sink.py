"""A local mail sink for the demo: a real SMTP server on 127.0.0.1 that saves each message
it accepts as an `.eml` file, so coach emails can be opened in any mail client.

`python -m pipeline_health.local.mail_sink --dir .state/mail --port 8025`
"""

from __future__ import annotations

import argparse
import re
import threading
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller


class EmlWriter:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", ",".join(envelope.rcpt_tos))[:60].strip("-")
        with self.lock:
            n = len(list(self.folder.glob("*.eml"))) + 1
            path = self.folder / f"{n:04d}-{slug}.eml"
            path.write_bytes(envelope.content)
        print(f"accepted {message['Subject']!r} for {', '.join(envelope.rcpt_tos)} -> {path}",
              flush=True)
        return "250 2.0.0 Saved"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=8025)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    controller = Controller(EmlWriter(args.dir), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"mail sink listening on 127.0.0.1:{args.port}, saving to {args.dir}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
