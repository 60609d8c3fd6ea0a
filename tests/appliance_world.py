"""What the appliance test's board looks at, started inside the container's network namespace: an HTTP server
and moto's EC2 with one running instance named web-1. Prints {"http": port, "aws": url} and serves until
its standard input closes."""

from __future__ import annotations

import json
import sys

import boto3

from tests import aws, servers


def main() -> None:
    """Start the servers, say where they are, and serve until stdin closes."""
    web = servers.Server()
    moto = aws.MotoServer()
    ec2 = boto3.client("ec2", region_name="eu-west-1", endpoint_url=moto.url, aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    aws.launch(ec2, 1, {"Name": "web-1"})
    print(json.dumps({"http": web.port, "aws": moto.url}), flush=True)
    sys.stdin.read()
    web.stop()
    moto.stop()


if __name__ == "__main__":
    main()
