"""The crawler only goes where it was sent (issue 12): hosts, addresses after DNS, redirects, byte caps
while decompressing, a total deadline. Real HTTP on 127.0.0.1 only; other hosts are never contacted
(the policy refuses them before any connection), and DNS answers come from a stub."""

from __future__ import annotations

import gzip
import time
import zlib
from pathlib import Path

import httpx
import pytest

from assist.knowledge.base import KnowledgeBase
from assist.knowledge.crawl import AddressPolicy, Crawler, Refused
from tests.helpers import reply, serve

PAGE = "<html><body><main><h1>{0}</h1><p>{0} text about {1} for customers.</p></main></body></html>"


@pytest.fixture
def kb(tmp_path: Path):
    k = KnowledgeBase(tmp_path / "kb.db")
    yield k
    k.close()


def _sitemap(*urls: str) -> str:
    return ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>{u}</loc></url>" for u in urls) + "</urlset>")


async def test_sitemap_entries_on_other_hosts_and_ports_are_refused_unrequested(kb) -> None:
    routes = {"/robots.txt": reply(404, ""), "/help/ok": reply(200, PAGE.format("Returns", "labels"))}
    with serve(routes) as (base, log):
        port = int(base.rsplit(":", 1)[1])
        routes["/sitemap.xml"] = reply(200, _sitemap(
            f"{base}/help/ok", "http://169.254.169.254/latest/meta-data/", f"http://127.0.0.1:{port + 1}/admin",
            "http://10.0.0.5/internal", "file:///etc/passwd"), "application/xml")
        report = await kb.ingest([f"{base}/sitemap.xml"], min_interval=0)
    assert report.added == 1
    reasons = dict(report.skipped)
    assert set(reasons) == {"http://169.254.169.254/latest/meta-data/", f"http://127.0.0.1:{port + 1}/admin",
                            "http://10.0.0.5/internal", "file:///etc/passwd"}
    assert all("other host" in r or "not an http" in r for r in reasons.values())
    assert await kb.search("meta data", 3) == []


async def test_redirect_to_another_host_is_not_followed(kb) -> None:
    def to_metadata(h) -> None:
        h.send_response(302)
        h.send_header("Location", "http://169.254.169.254/latest/meta-data/iam")
        h.send_header("Content-Length", "0")
        h.end_headers()

    routes = {"/robots.txt": reply(404, ""), "/help/moved": to_metadata,
              "/help/here": reply(301, "", headers={"Location": "/help/there"}),
              "/help/there": reply(200, PAGE.format("Shipping", "parcels"))}
    with serve(routes) as (base, log):
        report = await kb.ingest([f"{base}/help/moved", f"{base}/help/here"], min_interval=0)
    assert report.added == 1  # a same-host redirect is fine
    reason = dict(report.skipped)[f"{base}/help/moved"]
    assert reason.startswith("redirected to 169.254.169.254") and "other host" in reason
    assert (await kb.search("parcels", 1))[0].url == f"{base}/help/there"


async def test_a_public_name_resolving_inside_is_refused_before_connecting() -> None:
    async def stub(host: str) -> list[str]:
        return {"help.example.com": ["10.0.0.5"], "docs.example.com": ["93.184.216.34"],
                "meta.example.com": ["::ffff:169.254.169.254"]}[host]

    policy = AddressPolicy(["https://help.example.com/sitemap.xml", "https://docs.example.com/",
                            "https://meta.example.com/", "http://169.254.169.254/"], stub)
    with pytest.raises(Refused, match="resolves to a private or local address"):
        await policy.check("https://help.example.com/a")
    with pytest.raises(Refused, match="169.254.169.254"):
        await policy.check("https://meta.example.com/a")
    await policy.check("https://docs.example.com/a")  # public: fine
    await policy.check("http://169.254.169.254/latest")  # named explicitly as an address: the user's call
    with pytest.raises(Refused, match="other host"):
        await policy.check("https://docs.example.com:8443/a")

    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, text="secret")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        crawler = Crawler(client, policy=policy, min_interval=0)
        results = [r async for r in crawler.fetch(["https://help.example.com/a"])]
    assert calls == [] and "private or local" in results[0].reason


async def test_a_gzip_bomb_stops_at_the_cap_while_decompressing(kb) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip, built 1 MB at a time
    zeros = b"\0" * 1_000_000
    bomb = b"".join([packer.compress(zeros) for _ in range(400)] + [packer.flush()])
    assert len(bomb) < 500_000
    routes = {"/robots.txt": reply(404, ""),
              "/bomb": reply(200, bomb, headers={"Content-Encoding": "gzip"}),
              "/small": reply(200, gzip.compress(PAGE.format("Gifts", "cards").encode()),
                              headers={"Content-Encoding": "gzip"})}
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with serve(routes) as (base, _log):
        report = await kb.ingest([f"{base}/bomb", f"{base}/small"], min_interval=0)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert dict(report.skipped)[f"{base}/bomb"].startswith("page too large")
    assert report.added == 1
    assert grown_mb < 100, f"peak memory grew {grown_mb:.0f} MB"


async def test_a_server_trickling_bytes_is_cut_by_the_deadline() -> None:
    def trickle(h) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "1000")
        h.end_headers()
        try:
            for _ in range(1000):
                h.wfile.write(b"x")
                h.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    with serve({"/robots.txt": reply(404, ""), "/slow": trickle}) as (base, _log):
        async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as client:
            crawler = Crawler(client, min_interval=0, deadline_s=1.0)
            started = time.monotonic()
            results = [r async for r in crawler.fetch([f"{base}/slow"])]
            elapsed = time.monotonic() - started
    assert results[0].reason == "timed out"
    assert elapsed < 4
