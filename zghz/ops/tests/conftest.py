import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class S3Server:
    endpoint: str
    bucket: str
    access_key: str = "zghz-test"
    secret_key: str = "zghz-test-secret"
    region: str = "us-east-1"

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key, region_name=self.region)

    def storage_settings(self) -> dict[str, Any]:
        return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
            "bucket_name": self.bucket, "endpoint_url": self.endpoint, "access_key": self.access_key,
            "secret_key": self.secret_key, "region_name": self.region, "addressing_style": "path",
            "default_acl": "private", "querystring_auth": True, "file_overwrite": False}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A real S3-protocol server (moto's server mode) on 127.0.0.1, in its own process, for the session."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the S3 test server did not start") from None
                time.sleep(0.1)
        server = S3Server(endpoint=f"http://127.0.0.1:{port}", bucket="zghz-files")
        server.client().create_bucket(Bucket=server.bucket)
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def s3_storage(s3_server: S3Server, settings: Any) -> S3Server:
    settings.STORAGES = {**settings.STORAGES, "private": s3_server.storage_settings()}
    return s3_server
