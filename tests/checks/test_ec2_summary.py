"""Pure EC2 logic: selection, worst-of, the count detail, status checks and request filters."""

from __future__ import annotations

from statusboard.kinds.ec2 import Health, Instance, request_filters, summarise
from statusboard.kinds.ec2 import Ec2Spec

WEB = [Instance("i-1", "running", {"Name": "web", "Role": "web"}),
       Instance("i-2", "running", {"Name": "web", "Role": "web"}),
       Instance("i-3", "stopped", {"Name": "web", "Role": "web"}),
       Instance("i-4", "terminated", {"Name": "db", "Role": "db"}),
       Instance("i-5", "running", {"Name": "db", "Role": "db"})]


def test_worst_of_several_with_counts():
    assert summarise(Ec2Spec(name="web"), WEB, {}, "eu-west-1") == ("stopped", "2 of 3 running, 1 stopped")


def test_name_selector_ignores_terminated_predecessors_but_id_does_not():
    assert summarise(Ec2Spec(tags=(("Role", "db"),)), WEB, {}, "r") == ("running", "i-5 running")
    assert summarise(Ec2Spec(instance_id="i-4"), WEB, {}, "r") == ("terminated", "i-4 terminated")


def test_absent():
    assert summarise(Ec2Spec(name="cache"), WEB, {}, "eu-west-1") == ("absent", "no instance named cache in eu-west-1")


def test_status_checks_refine_running():
    spec = Ec2Spec(instance_id="i-1", status_checks=True)
    impaired = {"i-1": Health("ok", "impaired")}
    assert summarise(spec, WEB, impaired, "r") == ("impaired", "i-1 running, a status check is impaired")
    assert summarise(spec, WEB, {"i-1": Health("initializing", "ok")}, "r")[0] == "initializing"
    assert summarise(Ec2Spec(instance_id="i-1"), WEB, impaired, "r")[0] == "running", "only when asked for"


def test_filters_ask_for_exactly_what_is_needed():
    assert request_filters([Ec2Spec(instance_id="i-2"), Ec2Spec(instance_id="i-1")]) == \
        [{"Name": "instance-id", "Values": ["i-1", "i-2"]}]
    assert request_filters([Ec2Spec(name="b"), Ec2Spec(name="a")]) == [{"Name": "tag:Name", "Values": ["a", "b"]}]
    assert request_filters([Ec2Spec(name="a"), Ec2Spec(tags=(("Role", "web"),))]) == \
        [{"Name": "tag-key", "Values": ["Name", "Role"]}]
    assert request_filters([Ec2Spec(name="a"), Ec2Spec(instance_id="i-1")]) == []
