"""The `aws:` section of config.yaml: the board's default region and profile, and never a key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from statusboard.config import values
from statusboard.config.schema import Section
from statusboard.config.values import Invalid

_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
KEYS = ("access_key", "secret_key", "aws_access_key_id", "aws_secret_access_key", "session_token")


@dataclass(frozen=True)
class AwsSettings:
    """Board-wide AWS defaults; credentials always come from boto3's own chain, never from config.yaml."""

    region: Optional[str] = None
    profile: Optional[str] = None


def region(value: Any) -> str:
    """An AWS region name like eu-west-1."""
    text = values.text(value).strip()
    if not _REGION.match(text):
        raise Invalid(f"expected an AWS region like eu-west-1, got {value!r}")
    return text


def parse_aws(sec: Section) -> AwsSettings:
    """The aws section: region and profile; a key in it is refused."""
    settings = AwsSettings(region=sec.take("region", region, None), profile=sec.take("profile", values.text, None))
    sec.refuse(KEYS, "config.yaml never holds AWS keys: use a profile (aws configure) or the environment")
    sec.finish()
    return settings
