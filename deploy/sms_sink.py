"""A stand-in for the city's SMS gateway, for the local production stack only.

Accepts the signed JSON POSTs of zghz.sms.gateways.HttpGateway on 127.0.0.1, checks the signature and
appends each message as a JSON line to a file, where the smoke test reads verification codes the way a
person reads their phone. Usage: python deploy/sms_sink.py PORT FILE (secret in SMS_HTTP_SECRET).
"""

import hashlib
import hmac
import json
import os
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        secret = os.environ["SMS_HTTP_SECRET"].encode()
        payload = (self.headers.get("X-Timestamp", "") + "\n" + self.headers.get("X-Nonce", "") + "\n").encode()
        expected = hmac.new(secret, payload + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, self.headers.get("X-Signature", "")):
            self.send_response(401)
            self.end_headers()
            return
        with open(sys.argv[2], "a", encoding="utf-8") as fh:
            fh.write(json.dumps(json.loads(body), ensure_ascii=False) + "\n")
        answer = json.dumps({"message_id": uuid.uuid4().hex}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
