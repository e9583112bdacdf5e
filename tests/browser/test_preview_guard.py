"""The demo page answers only requests that name this machine, and POSTs only from itself (issue 21 item 5).

A page elsewhere could otherwise switch Pendo "down" with a no-preflight `text/plain` POST, or, rebinding
its own DNS name to 127.0.0.1, read `/demo/sign` and `/demo/calls`. Over real HTTP on loopback.
"""

from __future__ import annotations

import logging
import socket

import httpx
import pytest

from bot.sample.preview import DemoStack
from bot.sample.preview.app import LOOPBACK_NAMES, request_refusal

ROUTES = [
    ("GET", "/"),
    ("GET", "/demo/config"),
    ("GET", "/demo/calls"),
    ("POST", "/demo/sign"),
    ("POST", "/demo/switch"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_foreign_host_is_refused_on_every_route(
    demo: tuple[DemoStack, str], method: str, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    _, base = demo
    caplog.set_level(logging.WARNING, logger="bot.sample.preview.app")
    response = httpx.request(method, base + path, headers={"host": "attacker.example"}, content=b"{}")
    assert response.status_code == 403 and "Host" in response.text
    assert [r.getMessage() for r in caplog.records] == ["demo request refused"]


def test_a_cross_origin_post_cannot_switch_pendo_down(demo: tuple[DemoStack, str]) -> None:
    stack, base = demo
    port = base.rsplit(":", 1)[1]
    for origin in (
        "http://attacker.example",
        "null",
        f"http://localhost:{int(port) + 1}",
        f"https://127.0.0.1:{port}",
    ):
        response = httpx.post(
            base + "/demo/switch",
            content=b'{"fault": "down"}',
            headers={"content-type": "text/plain", "origin": origin},
        )
        assert response.status_code == 403 and "Origin" in response.text, origin
    assert stack.fault == "none"
    refused = httpx.post(base + "/demo/sign", content=b"x=1", headers={"origin": "http://attacker.example"})
    assert refused.status_code == 403 and "x-slack-signature" not in refused.text


def test_the_page_itself_and_local_tools_are_served(demo: tuple[DemoStack, str]) -> None:
    _, base = demo
    port = base.rsplit(":", 1)[1]
    assert httpx.post(base + "/demo/sign", content=b"x=1", headers={"origin": base}).status_code == 200
    assert httpx.post(base + "/demo/sign", content=b"x=1").status_code == 200  # curl sends no Origin
    localhost = httpx.get(base + "/demo/config", headers={"host": f"localhost:{port}"})
    assert localhost.status_code == 200


def test_the_host_given_and_on_every_interface_this_machines_names_are_allowed() -> None:
    def scope(host: str, method: str = "GET") -> dict[str, object]:
        return {"method": method, "headers": [(b"host", host.encode())]}

    lan = LOOPBACK_NAMES | {"10.1.2.3"}
    assert request_refusal(scope("10.1.2.3:3000"), frozenset(lan)) is None
    assert request_refusal(scope("[::1]:3000"), frozenset(lan)) is None
    assert request_refusal(scope("10.1.2.4:3000"), frozenset(lan)) is not None
    assert request_refusal(scope("127.0.0.1:3000@x"), frozenset(lan)) is not None
    assert request_refusal({"method": "GET", "headers": []}, frozenset(lan)) is not None
    from bot.sample.preview.app import _this_machine

    assert socket.gethostname().lower() in _this_machine()
