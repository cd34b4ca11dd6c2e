"""The dashboard in a real browser (Debian's chromium via Playwright) on a real pipeline:
``wirestream up <sample> --follow`` + ``wirestream dashboard``; the Minneapolis story shows its
chain in time order, and a newly published update appears in that chain without a reload.

Skipped only when /usr/bin/chromium is missing and CI is unset; in CI it must run.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.support.paths import REPO, SAMPLE_PAGE
from tests.support.waiting import wait_until

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NEW_UPDATE = ("MINNEAPOLIS (ANP) - Gouverneur Tim Walz van Minnesota heeft een eigen onderzoek aangekondigd "
              "naar de dodelijke schietpartij door federale agenten in Minneapolis. De staat wil alle beelden "
              "van de schietpartij van zaterdag opvragen.\n2 minuten geleden\n")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason=f"{CHROMIUM} missing (apt-get install -y chromium); required when CI is set"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as fh:
        return subprocess.Popen([sys.executable, "-m", "wirestream.cli", *args], env=dict(os.environ),
                                stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=REPO)


def stop(proc: subprocess.Popen, first: signal.Signals = signal.SIGTERM) -> None:
    """Signal the process group; escalate to SIGTERM, then SIGKILL, if it does not exit."""
    for sig, wait_s in ((first, 40), (signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
            proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return


def wait_for(predicate, proc: subprocess.Popen, log: Path, timeout_s: float, what: str):
    def check():
        if proc.poll() is not None:
            pytest.fail(f"process exited ({proc.returncode}) while waiting for {what}:\n{log.read_text()[-3000:]}")
        return predicate()

    return wait_until(check, timeout_s, what, interval=0.25, detail=lambda: log.read_text()[-3000:])


@pytest.fixture
def fetched_at() -> str:
    # the page's age labels ("14 minuten geleden") count back from now, so freshness reads naturally
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@pytest.fixture
def pipeline(ws_env, tmp_path, fetched_at):
    data_dir = Path(ws_env["WIRESTREAM_DATA_DIR"])
    log = tmp_path / "up.log"
    proc = start(["up", str(SAMPLE_PAGE), "--fetched-at", fetched_at, "--follow"], log)
    try:
        # `up` prints "following" once every item is stored (all groups drained) and the sink owns chdb
        wait_for(lambda: "following" in log.read_text(errors="replace")
                   and (data_dir / "chdb.owner.json").exists(), proc, log, 300, "the drained pipeline")
        yield proc
    finally:
        # SIGINT: `up` stops its worker and sink (own sessions) in its `finally`; a SIGTERM
        # would end `up` without running it and leave both running
        stop(proc, signal.SIGINT)


@pytest.fixture
def dashboard(pipeline, tmp_path):
    port = free_port()
    log = tmp_path / "dashboard.log"
    proc = start(["dashboard", "--port", str(port), "--poll", "0.5"], log)
    base = f"http://127.0.0.1:{port}"

    def ready():
        try:
            return httpx.get(f"{base}/healthz", timeout=2).json().get("fingerprint") is not None
        except httpx.HTTPError:
            return False

    try:
        wait_for(ready, proc, log, 60, "the dashboard to read ClickHouse")
        yield base
    finally:
        stop(proc)


def publish_update(tmp_path: Path) -> None:
    page = tmp_path / "anp-update.txt"
    page.write_text(NEW_UPDATE, encoding="utf-8")
    help_text = subprocess.run([sys.executable, "-m", "wirestream.cli", "produce", "--help"],
                               capture_output=True, text=True, env=dict(os.environ), cwd=REPO).stdout
    if "Usage" in help_text:
        args = ["produce", str(page), "--source", "anp"]
        if "--fetched-at" in help_text:
            args += ["--fetched-at", datetime.now(UTC).replace(microsecond=0).isoformat()]
        done = subprocess.run([sys.executable, "-m", "wirestream.cli", *args], capture_output=True, text=True,
                              env=dict(os.environ), cwd=REPO, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return
    from producers.formats import split_document
    from producers.publisher import RawPublisher
    from wirecore.settings import load_settings

    items = split_document(page.read_bytes(), None, source="anp", url=page.as_uri(),
                           fetched_at=datetime.now(UTC).replace(microsecond=0).isoformat()).items
    publisher = RawPublisher(load_settings())
    report = publisher.publish(items)
    publisher.close()
    assert report.published == 1 and not report.failed, report


def minneapolis_story(base: str) -> dict:
    stories = httpx.get(f"{base}/api/stories", timeout=10).json()["stories"]
    return max(stories, key=lambda s: (s["item_count"], "Minneapolis" in s["places"]))


def test_live_story_chain_in_the_browser(dashboard, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    story = minneapolis_story(dashboard)
    assert story["item_count"] == 5, f"the sample's five Minneapolis items are not one story: {story}"
    times = [i["published_at"] for i in story["items"]]
    assert times == sorted(times)
    assert "neergeschoten" in story["items"][0]["headline"]
    sid = story["story_id"]
    api_order = [i["item_id"] for i in story["items"]]

    # the filters reach ClickHouse
    only_place = httpx.get(f"{dashboard}/api/stories", params={"place": "Minneapolis"}, timeout=10).json()
    assert sid in {s["story_id"] for s in only_place["stories"]}
    assert all("Minneapolis" in s["places"] for s in only_place["stories"])

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(dashboard + "/")
            expect(page.locator("#conn")).to_have_text("Live", timeout=10_000)
            chain = page.locator(f"#story-{sid} ol.chain > li")
            expect(chain).to_have_count(5)
            assert [chain.nth(i).get_attribute("data-item-id") for i in range(5)] == api_order
            shown = [chain.nth(i).locator("time").get_attribute("datetime") for i in range(5)]
            assert shown == sorted(shown)
            for label in ("Source", "Language", "Place"):
                expect(page.get_by_label(label, exact=True)).to_be_visible()
            page.evaluate("window.__noReload = true")

            started = time.monotonic()
            publish_update(tmp_path)
            expect(chain).to_have_count(6, timeout=30_000)
            took = time.monotonic() - started
            assert page.evaluate("window.__noReload") is True, "the page reloaded"
            expect(chain.nth(5)).to_contain_text("eigen onderzoek")  # newest last: time order
            expect(page.locator("#live")).to_contain_text("Updated")
            expect(page.locator(f"#story-{sid}")).to_have_class(re.compile(r"\bfresh\b"))
            print(f"new update visible {took:.1f}s after publishing")

            page.locator(f"#story-{sid}").scroll_into_view_if_needed()
            page.evaluate("window.scrollTo(0, 0)")
            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot))
            if os.environ.get("WIRESTREAM_SCREENSHOT_TO"):
                shutil.copy(shot, os.environ["WIRESTREAM_SCREENSHOT_TO"])

            page.goto(f"{dashboard}/story/{sid}")
            timeline = page.locator("ol.timeline > li")
            expect(timeline).to_have_count(6)
            expect(page.locator("details.evidence").first).to_contain_text("Evidence, score")
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            page.screenshot(path=str(tmp_path / "story.png"), full_page=True)
        finally:
            browser.close()
