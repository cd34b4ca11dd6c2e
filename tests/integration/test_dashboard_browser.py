"""The dashboard in a real browser (Debian's chromium via Playwright) on a real pipeline:
``wirestream up <sample page> <desk.jsonl> --follow`` + ``wirestream dashboard``.

One pipeline, one walk through the page as an editor uses it: the river is dense (>= 12 rows
in view at 1440x900), keyboard navigation expands a row, a newly published update appears
in the Minneapolis chain without a reload, search finds a word that is only in a body, the
time range presets change what is listed (and the URL), the health strip shows what the
sink's /metrics says, the story page explains its evidence, and at 390 px nothing overflows.

Skipped only when /usr/bin/chromium is missing and CI is unset; in CI it must run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support.paths import REPO, SAMPLE_PAGE
from tests.support.ports import free_port
from tests.support.waiting import wait_until
from wirecore.topology import READS

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


DESK = [  # (minutes ago, headline, body): distinct vocabularies, so each opens its own story
    (25, "Rhine shipping halted at Kaub as water falls", "Barges stopped near Kaub; the gauge read 31 centimetres."),
    (35, "Crete wildfire forces evacuation of hillside villages", "Firefighters on Crete battled flames near Chania."),
    (45, "ECB keeps deposit rate unchanged in Frankfurt", "Lagarde told reporters in Frankfurt inflation eased."),
    (55, "Magnitude 6 earthquake shakes northern Japan coast", "Tsunami advisory lifted for Aomori prefecture."),
    (70, "Belgian rail strike cancels trains to Antwerp", "Unions walked out over pensions; Antwerp station empty."),
    (95, "Tesla recalls vehicles over rear camera software", "The recall covers Model Y units built in Austin."),
    (130, "Seville swelters through record November heat", "Thermometers in Seville touched 33 degrees Celsius."),
    (170, "Ajax dismisses head coach after cup defeat", "The Amsterdam club announced the decision at dawn."),
    (200, "Odesa port damaged in overnight drone strike", "Grain silos in Odesa caught fire after the strike."),
    (240, "Greenland vote boosts independence parties in Nuuk", "Turnout in Nuuk reached a record this year."),
    (300, "Airbus reports record jet deliveries from Toulouse", "Toulouse assembly lines delivered 86 aircraft."),
    (360, "Brittany storm leaves thousands without power in Brest", "Gusts of 150 km/h hit Brest harbour overnight."),
    (420, "Dutch court blocks Schiphol flight reduction plan", "Judges in Haarlem ruled for the airlines; "
          "the quokkaword appears only in this body."),
    (60 * 24 * 3, "Nobel committee in Oslo names peace laureate", "The Oslo committee praised the laureate."),
]


DATELINES = ["KAUB", "CHANIA", "FRANKFURT", "TOKYO", "ANTWERP", "AUSTIN", "SEVILLE", "AMSTERDAM", "ODESA",
             "NUUK", "TOULOUSE", "BREST", "HAARLEM", "OSLO"]


def desk_file(tmp_path: Path) -> Path:
    """Extra wire copy (JSON lines) so the river has more stories than fit a screen."""
    now = datetime.now(UTC).replace(microsecond=0)
    lines = [json.dumps({"guid": f"desk-{n}", "source": "desk", "headline": h, "body": b, "language": "en",
                         "dateline": DATELINES[n], "agencies": ["Reuters"],
                         "published_at": (now - timedelta(minutes=m)).isoformat(),
                         "url": f"https://news.example.org/desk/{n}"})
             for n, (m, h, b) in enumerate(DESK)]
    path = tmp_path / "desk.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def pipeline(ws_env, tmp_path, fetched_at):
    data_dir = Path(ws_env["WIRESTREAM_DATA_DIR"])
    log = tmp_path / "up.log"
    proc = start(["up", str(SAMPLE_PAGE), str(desk_file(tmp_path)), "--fetched-at", fetched_at, "--follow"], log)
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
    stories = httpx.get(f"{base}/api/stories", params={"range": "all"}, timeout=10).json()["stories"]
    return max(stories, key=lambda s: (s["item_count"], "Minneapolis" in s["places"]))


def rows_in_view(page) -> int:
    return page.evaluate("""[...document.querySelectorAll('.river details.row')].filter((d) => {
        const r = d.querySelector('summary').getBoundingClientRect();
        return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; }).length""")


def sink_metrics_now(data_dir: Path) -> dict:
    from wirestream.dashboard.health import summarize_metrics

    assert (data_dir / "chdb.owner.json").exists()  # the sink runs
    url = f"http://127.0.0.1:{os.environ['WIRESTREAM_METRICS_PORT']}"  # its /metrics listener
    return summarize_metrics(httpx.get(f"{url}/metrics", timeout=5).text)


def shoot(page, tmp_path: Path, name: str, **kw) -> None:
    shot = tmp_path / name
    page.screenshot(path=str(shot), **kw)
    if os.environ.get("WIRESTREAM_SCREENSHOT_DIR"):
        shutil.copy(shot, Path(os.environ["WIRESTREAM_SCREENSHOT_DIR"]) / name)


def test_editor_day_in_the_browser(dashboard, ws_env, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    story = minneapolis_story(dashboard)
    assert story["item_count"] == 5, f"the sample's five Minneapolis items are not one story: {story}"
    times = [i["published_at"] for i in story["items"]]
    assert times == sorted(times)
    sid = story["story_id"]
    data_dir = Path(ws_env["WIRESTREAM_DATA_DIR"])

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(dashboard + "/")
            expect(page.locator("#conn")).to_have_text("Live", timeout=10_000)

            # density: at least 12 stories fully in view at 1440x900
            in_view = rows_in_view(page)
            assert in_view >= 12, f"only {in_view} story rows fit 1440x900"

            # keyboard: j moves the visible focus down the river, Enter expands in place
            page.keyboard.press("j")
            page.keyboard.press("j")
            second = page.locator(".river details.row").nth(1)
            expect(second.locator("summary")).to_be_focused()
            page.keyboard.press("Enter")
            expect(second).to_have_attribute("open", "")
            expect(second.locator("ol.chain > li").first).to_be_visible()
            page.keyboard.press("k")
            expect(page.locator(".river details.row").nth(0).locator("summary")).to_be_focused()

            # live: a new update lands in the Minneapolis chain without a reload
            chain = page.locator(f"#story-{sid} ol.chain > li")
            expect(chain).to_have_count(5)
            page.evaluate("window.__noReload = true")
            started = time.monotonic()
            publish_update(tmp_path)
            expect(chain).to_have_count(6, timeout=30_000)
            took = time.monotonic() - started
            assert page.evaluate("window.__noReload") is True, "the page reloaded"
            expect(chain.nth(5)).to_contain_text("eigen onderzoek")  # newest last: time order
            expect(page.locator("#live")).to_contain_text("Updated")
            expect(page.locator(f"#story-{sid}")).to_have_class(re.compile(r"\brecent\b"))
            expect(page.locator(".river details.row").nth(1)).to_have_attribute("open", "")  # kept open
            print(f"new update visible {took:.1f}s after publishing")

            # health strip against the sink's /metrics (same histogram, same gauges)
            for _ in range(5):
                page.reload()
                shown = {k: page.locator(f"#h-{k} .v").get_attribute("data-value") for k in ("p50", "p99")}
                expected = sink_metrics_now(data_dir)
                if shown["p50"] == str(expected["freshness_p50"]):
                    break
                time.sleep(1)
            assert shown["p50"] == str(expected["freshness_p50"]) and shown["p99"] == str(expected["freshness_p99"])
            assert expected["freshness_count"] >= 20
            for stage, lag in expected["lag"].items():
                assert int(page.locator(f"#h-lag-{stage} .v").get_attribute("data-value")) >= 0
                assert lag >= 0
            assert set(expected["lag"]) == set(READS)  # every consumer group of the topology
            expect(page.locator("#h-sink")).to_have_attribute("data-state", "ready")
            health = httpx.get(f"{dashboard}/api/health", timeout=10).json()
            expect(page.locator("#h-dlq .v")).to_have_attribute(
                "data-value", str(health["clickhouse"]["dead_letters_1h"]))
            page.locator(f"#story-{sid} > summary .num").click()  # expanded in place, as editors use it
            expect(page.locator(f"#story-{sid}")).to_have_attribute("open", "")
            page.evaluate("window.scrollTo(0, 0)")
            shoot(page, tmp_path, "dashboard.png")

            # search: a word only in one item's body, served by ClickHouse; the URL carries it
            page.fill("#f-q", "quokkaword")
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(r"[?&]q=quokkaword"))
            expect(page.locator(".river details.row")).to_have_count(1)
            expect(page.locator(".river details.row h3")).to_contain_text("Schiphol")

            # time range presets: 24 h (default) hides the 3-day-old story, 7 d shows it, 1 h is narrower
            page.goto(dashboard + "/")
            day = page.locator(".river details.row").count()
            expect(page.locator(".river h3", has_text="Nobel committee in Oslo")).to_have_count(0)
            page.locator("label.seg", has_text="7 d").click()
            page.wait_for_url(re.compile(r"[?&]range=7d"))
            expect(page.locator(".river h3", has_text="Nobel committee in Oslo")).to_have_count(1)
            page.locator("label.seg", has_text="1 h").click()
            page.wait_for_url(re.compile(r"[?&]range=1h"))
            hour = page.locator(".river details.row").count()
            assert 0 < hour < day
            expect(page.locator(".river h3", has_text="Airbus reports record jet")).to_have_count(0)  # 5 h ago
            expect(page.locator(".river h3", has_text="Rhine shipping halted at Kaub")).to_have_count(1)  # 25 min ago

            # the story page explains its evidence; the raw JSON waits behind a toggle
            page.goto(f"{dashboard}/story/{sid}")
            expect(page.locator("ol.timeline > li")).to_have_count(6)
            expect(page.locator("p.why").nth(1)).to_contain_text(re.compile(r"Joined with score|revised|copy"))
            assert page.locator("ol.timeline mark").count() > 0, "shared words are highlighted"
            raw = page.locator("details.evidence").first
            expect(raw.locator("pre")).to_be_hidden()
            raw.locator("summary").click()
            expect(raw.locator("pre")).to_be_visible()
            shoot(page, tmp_path, "dashboard-story.png", full_page=True)

            # 390 px phone: no horizontal overflow on the river, a story and the dead letters
            phone = browser.new_page(viewport={"width": 390, "height": 844})
            for path in ("/", f"/story/{sid}", "/dlq"):
                phone.goto(dashboard + path)
                width = phone.evaluate("document.scrollingElement.scrollWidth")
                assert width <= 390, f"{path} is {width}px wide at 390px"
            phone.goto(dashboard + "/")
            expect(phone.get_by_label("Source", exact=True)).to_be_visible()
            shoot(phone, tmp_path, "dashboard-mobile.png")
        finally:
            browser.close()
