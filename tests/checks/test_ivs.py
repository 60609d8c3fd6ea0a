"""Amazon IVS channels against moto's IVS on 127.0.0.1 (channels), with ListStreams served in IVS's own JSON
beside it (tests/aws.py): every answer is read by botocore's real parser and model."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest

from statusboard.errors import ConfigError
from tests import aws
from tests.conftest import board_from


def board(targets, region="eu-west-1", timeout=None, layout="hat"):
    return aws.board_of("ivs", targets, region, timeout, layout)


def round_of(b):
    return aws.round_of(b, "ivs")


def channel(name, region="eu-west-1"):
    return boto3.client("ivs", region_name=region).create_channel(name=name)["channel"]["arn"]


def stream(arn, health="HEALTHY", viewers=0, minutes=0):
    started = datetime.now(timezone.utc) - timedelta(minutes=minutes)
    return {"channelArn": arn, "streamId": "st-" + arn[-12:], "playbackUrl": "",
            "startTime": started.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "state": "LIVE", "health": health,
            "viewerCount": viewers}


def test_a_channel_goes_live_starves_and_goes_offline(cloud):
    main = channel("main-stage")
    side = channel("side-stage")
    gone = main.rsplit("/", 1)[0] + "/zzzzNOTHERE1"
    run = round_of(board({"main": "main-stage", "side": f"{{channel: {side}}}", "ghost": "no-such-stage",
                          "gone": gone}))
    first = run()
    assert (first["main"].state, first["main"].detail) == ("offline", "offline: not streaming")
    assert first["ghost"].state == "absent" and first["ghost"].detail == \
        "no IVS channel named no-such-stage in eu-west-1"
    assert first["gone"].state == "absent", "an ARN with no channel is not a calm 'offline'"
    cloud.streams["eu-west-1"] = [stream(main, viewers=1234, minutes=125), stream(side, "UNKNOWN", 1, 0)]
    live = run()
    assert (live["main"].state, live["main"].detail) == ("live", "live: 1,234 viewers, live for 2 h")
    assert live["side"].state == "health-unknown"
    assert live["side"].detail.startswith("live, health not known yet: 1 viewer, live for ")
    cloud.streams["eu-west-1"] = [stream(main, "STARVING", 980, 130)]
    starving = run()
    assert starving["main"].state == "starving"
    assert starving["main"].detail == "starving (the encoder sends less than viewers need): 980 viewers, live for 2 h"
    assert starving["side"].state == "offline"
    cloud.streams["eu-west-1"] = []
    assert run()["main"].state == "offline"


def test_one_list_streams_conversation_a_round_and_channels_kept(cloud):
    arns = [channel(f"stage-{i:03d}") for i in range(150)]
    cloud.streams["eu-west-1"] = [stream(a, viewers=i) for i, a in enumerate(arns)]   # 150 live: 2 pages
    run = round_of(board({f"s{i}": f"stage-{i * 2:03d}" for i in range(64)}))
    cloud.reset_counts()
    first = run()
    assert first["s63"].detail.startswith("live: 126 viewers")
    assert (cloud.calls["ListStreams"], cloud.calls["ListChannels"]) == (2, 2), "two pages each"
    cloud.reset_counts()
    run()
    assert (cloud.calls["ListStreams"], cloud.calls["ListChannels"]) == (2, 0), "the channels are kept"


@pytest.mark.parametrize("spec, message", [
    ("'arn:aws:ivs:eu-west-1:123:channel/x'", "expected an IVS channel ARN like"),
    ("{channel: 'arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234', region: eu-west-1}",
     "the channel's ARN is in us-west-2, not in region eu-west-1"),
])
def test_a_bad_channel_is_refused_with_its_place(spec, message):
    with pytest.raises(ConfigError) as err:
        board_from(f"targets:\n  tv:\n    pixel: [0, 0]\n    ivs: {spec}\n")
    assert any(message in p.message and p.line == 4 for p in err.value.problems), err.value.problems
