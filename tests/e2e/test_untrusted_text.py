"""Text from data is shown as typed, never run: script, HTML, Markdown links and directives in a browser.

A workbook full of payloads (in customer ids, segment values, a column name and its file name), a
workspace, an objective, a segmentation and a target named with payloads, and an author who signs
with one: every page is visited with its tabs and expanders open. Each payload that could run
sets ``window.__xss`` and opens an alert; the test asserts that neither happened, that no element
the payloads describe (an image, a ``javascript:`` link, typeset maths) exists, and that the
payloads show literally where the page displays them.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from bsc.store import Store
from bsc.targets import Objective, Target, TargetBook
from bsc.workspace import import_file
from tests.e2e.conftest import Server, start_server, wait_for_app
from ui.navigation import PAGES

pytestmark = pytest.mark.e2e


def _runs(tag: str) -> str:
    """JavaScript that marks the sentinel and opens an alert, should it ever run."""
    return f"window.__xss='{tag}';alert('{tag}')"


def html_image(tag: str) -> str:
    # Unquoted, as a browser keeps a quote in an uploaded file's name only percent-encoded.
    return f"<img src=x onerror={_runs(tag)}>"


def html_script(tag: str) -> str:
    return f"<script>{_runs(tag)}</script>"


def script_link(tag: str) -> str:
    return f"[open](javascript:{_runs(tag)})"


# A Markdown image would make the browser fetch this address.
MARKDOWN_IMAGE = "![pwned](http://127.0.0.1:9/pwned.png)"

WORKSPACE = f"{html_image('workspace')} **Acme** :red[shop] $x$"
FILE_NAME = f"{html_image('file')} **export** :red[Q1] $x$.xlsx"
REGIONS = [
    f"North {html_image('region')}",
    "**South**",
    ":red[East]",
    "$West^2$",
    f"Centre {script_link('region')}",
]
PLANS = [f"Gold {html_script('plan')}", "Basic _plan_"]
CHANNELS = [f"Social {MARKDOWN_IMAGE}", "Referral `code`"]
COLUMN = f"{html_image('column')} tier **bold**"
AUTHOR = f"**Eve** {html_image('author')}"
OBJECTIVE = f"{html_script('objective')} Grow **loyalty** :red[now]"
SEGMENTATION = f"{html_image('segmentation')} **Tiers** :blue[x]"
# Typed in the app by the test, beside the seeded ones above.
NEW_WORKSPACE = f"{html_script('new')} **Beta** :green[ws] &lt;b&gt;"
NEW_OBJECTIVE = f"{html_image('typed')} Keep **more** :red[customers] {script_link('typed')}"
NEW_SEGMENTATION = f"{html_script('typed')} Value :blue[tiers] $v$"
SEGMENT_NAMES = [f"{html_script('segment')} Loyal", "**Big** spenders"]
TARGET_REGION = REGIONS[0]
CUSTOMERS = 400


def hostile_workbook(customers: int = CUSTOMERS, seed: int = 7) -> bytes:
    """Customers and orders sheets whose text is full of payloads (every 20th customer id too)."""
    rng = np.random.default_rng(seed)
    ids = [f"C{i:04d}" for i in range(customers)]
    for i in range(0, customers, 20):
        # Few enough that the column is still recognised as the customer id.
        ids[i] = [f"{html_image('id')}#{i}", f"**C{i:04d}**", f":red[C{i:04d}]"][i // 20 % 3]
    signup = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 540, customers), unit="D")
    frame = pd.DataFrame(
        {
            "customer_id": ids,
            "signup_date": signup,
            "region": rng.choice(REGIONS, customers),
            "plan": rng.choice(PLANS, customers),
            "acquisition_channel": rng.choice(CHANNELS, customers),
            COLUMN: rng.choice(["<i>gold</i>", "silver"], customers),
        }
    )
    orders = []
    for customer, start in zip(ids, signup, strict=True):
        for day in np.sort(rng.integers(0, 700, rng.integers(1, 12))):
            orders.append((customer, start + pd.Timedelta(days=int(day)), round(float(rng.gamma(2, 30)), 2)))
    transactions = pd.DataFrame(orders, columns=["customer_id", "order_date", "amount"])
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as workbook:
        frame.to_excel(workbook, sheet_name="customers", index=False)
        transactions.to_excel(workbook, sheet_name="orders", index=False)
    return buffer.getvalue()


@dataclass
class Hostile:
    server: Server
    workspace_id: str
    workbook: bytes

    def url(self, path: str = "", **query: str) -> str:
        return f"{self.server.url}/{path}?{urlencode({'ws': self.workspace_id, **query})}"


def _seed(folder: Path, workbook: bytes) -> str:
    """A workspace named with a payload, holding the workbook and payload-named things."""
    store = Store(folder)
    try:
        workspace = store.create_workspace(WORKSPACE)
        path = folder.parent / FILE_NAME
        path.write_bytes(workbook)
        stored, refused = import_file(store, workspace.id, path)
        assert not refused and {d.kind for d in stored} == {"customers", "transactions"}
        book = TargetBook(store, workspace.id)
        book.add_objective(
            Objective(name=OBJECTIVE, owner=AUTHOR, kpis=("revenue_per_customer",)), author=AUTHOR
        )
        book.set_target(
            Target("revenue_per_customer", 150.0, "2027-06", segment_by="region", segment=TARGET_REGION),
            author=AUTHOR,
        )
        customers = pd.read_parquet(store.workspace_tables(workspace.id)["customers"][0])
        segments = pd.Series(
            [SEGMENT_NAMES[i % 2] for i in range(len(customers))], index=customers["customer_id"]
        )
        store.save_segmentation(
            workspace.id,
            name=SEGMENTATION,
            attribute="tiers",
            segments=segments,
            params={"method": "by hand", "segments": SEGMENT_NAMES},
        )
        return workspace.id
    finally:
        store.engine.dispose()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[Hostile]:
    folder = tmp_path_factory.mktemp("hostile") / "data"
    workbook = hostile_workbook()
    workspace_id = _seed(folder, workbook)
    server = start_server(folder)
    try:
        # The entry point first, so that page addresses are served by the navigation.
        context = browser.new_context()
        page = context.new_page()
        page.goto(server.url)
        wait_for_app(page, timeout=60_000)
        context.close()
        yield Hostile(server, workspace_id, workbook)
    finally:
        server.stop()


@pytest.fixture
def watched(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A page with the sentinel installed; the list collects alerts and fetches a payload caused."""
    context: BrowserContext = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script("window.__xss = null;")
    events: list[str] = []
    page = context.new_page()
    page.on("dialog", lambda dialog: (events.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on(
        "request", lambda request: events.append(f"fetch: {request.url}") if "pwned" in request.url else None
    )
    yield page, events
    context.close()


def assert_nothing_ran(page: Page, events: list[str]) -> None:
    """No sentinel set in any frame, no alert, no fetch, and no element a payload describes."""
    for frame in page.frames:
        assert frame.evaluate("window.__xss === undefined ? null : window.__xss") is None, frame.url
    assert events == []
    app = page.get_by_test_id("stApp")
    assert app.locator("img[src='x']").count() == 0
    assert app.locator("img[alt='pwned']").count() == 0
    assert app.locator("a[href^='javascript']").count() == 0
    expect(page.get_by_test_id("stException")).to_have_count(0)


def assert_no_maths(page: Page) -> None:
    """No "$...$" from data typeset as maths (Markdown that rendered instead of showing as typed)."""
    assert page.get_by_test_id("stApp").locator(".katex").count() == 0


def open_everything(page: Page) -> None:
    """Open every tab and expander of the page, so that the text they hold is drawn."""
    tabs = page.get_by_role("tab")
    for index in range(tabs.count()):
        tabs.nth(index).click()
        wait_for_app(page)
        _open_expanders(page)
    _open_expanders(page)


def _open_expanders(page: Page) -> None:
    closed = page.locator("[data-testid=stExpander] details:not([open]) > summary")
    for index in range(closed.count()):
        summary = closed.nth(index)
        if summary.is_visible():
            summary.click()
    wait_for_app(page)


def _url_path(page_file: str) -> str:
    spec = next(spec for spec in PAGES if spec.path == page_file)
    return "" if spec.default else Path(spec.path).stem


def _sidebar_shows_the_workspace(page: Page, name: str = WORKSPACE) -> None:
    expect(page.get_by_role("combobox", name="Workspace")).to_have_value(name)


def _caption(page: Page, text: str):
    return page.get_by_test_id("stCaptionContainer").filter(has_text=text)


def _scorecard(page: Page) -> None:
    assert_no_maths(page)
    expect(_caption(page, "monthly")).to_contain_text(f"{WORKSPACE} · monthly · region: {TARGET_REGION}")
    expect(page.get_by_role("combobox", name="Segment", exact=True)).to_have_value(TARGET_REGION)


def _objectives(page: Page) -> None:
    assert_no_maths(page)
    expect(_caption(page, "monthly")).to_contain_text(f"{WORKSPACE} · monthly")
    page.get_by_role("tab", name="Set a target").click()
    _choose(page, "KPI", "Revenue per customer (Loyalty")
    expect(_caption(page, "For region")).to_contain_text(f"For region {TARGET_REGION}, per month")
    expect(page.get_by_test_id("stMarkdownContainer").filter(has_text="Current target:")).to_contain_text(
        f"150 ¤ by 2027-06 · set by {AUTHOR} on"  # the workbook names no currency: ¤
    )
    page.get_by_role("tab", name="Audit log").click()
    _choose(page, "Who", AUTHOR)
    expect(page.get_by_role("combobox", name="Who")).to_have_value(AUTHOR)


def _segmentation(page: Page) -> None:
    assert_no_maths(page)
    expect(_caption(page, "Group customers into segments")).to_contain_text(
        f"{WORKSPACE} · {CUSTOMERS} customers"
    )
    expect(page.get_by_role("combobox", name="Segmentation")).to_have_value(SEGMENTATION)
    expect(page.get_by_role("textbox", name="New name")).to_have_value(SEGMENTATION)
    page.get_by_role("button", name="Delete").click()
    wait_for_app(page)
    expect(page.get_by_test_id("stAlert").filter(has_text="The Scorecard can no longer")).to_contain_text(
        f"Delete “{SEGMENTATION}”?"
    )
    page.get_by_role("button", name="Keep it").click()
    wait_for_app(page)


def _data(page: Page) -> None:
    assert_no_maths(page)
    table = f"{FILE_NAME} / customers"
    expect(page.get_by_role("combobox", name="Look at a table")).to_have_value(table)
    page.get_by_role("tab", name="Column mapping").click()
    page.get_by_role("button", name="Delete this table…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Delete {table} ({CUSTOMERS} rows) from this workspace?")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)


def _workspaces(page: Page) -> None:
    assert_no_maths(page)
    expect(page.get_by_role("textbox", name="New name for the current workspace")).to_have_value(WORKSPACE)
    page.get_by_role("button", name="Delete the current workspace…").click()
    wait_for_app(page)
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_test_id("stCode")).to_contain_text(WORKSPACE)
    dialog.get_by_role("button", name="Cancel").click()
    wait_for_app(page)


def _about(page: Page) -> None:
    assert_no_maths(page)
    expect(page.get_by_role("heading", name="What it promises")).to_be_visible()


def _churn(page: Page) -> None:
    assert_no_maths(page)
    expect(page.get_by_role("heading", name="Customers to call")).to_be_visible()


def _why(page: Page) -> None:
    assert_no_maths(page)
    expect(page.get_by_role("heading", name="Key drivers")).to_be_visible()


def _lifetime(page: Page) -> None:
    assert_no_maths(page)
    expect(_caption(page, "The probabilistic models")).to_contain_text(
        f"{WORKSPACE} · The probabilistic models"
    )


def _strategy_map(page: Page) -> None:
    assert_no_maths(page)
    expect(_caption(page, "Does satisfaction drive retention")).to_contain_text(
        f"{WORKSPACE} · Does satisfaction drive retention"
    )


# Where each page shows text from data, beyond the workspace picker every page has.
SHOWN_LITERALLY = {
    "pages/scorecard.py": _scorecard,
    "pages/objectives.py": _objectives,
    "pages/segmentation.py": _segmentation,
    "pages/churn.py": _churn,
    "pages/data.py": _data,
    "pages/workspaces.py": _workspaces,
    "pages/about.py": _about,
    "pages/why.py": _why,
    "pages/lifetime.py": _lifetime,
    "pages/strategy_map.py": _strategy_map,
}


def _choose(page: Page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option").filter(has_text=option).first.click()
    wait_for_app(page)


def test_every_page_is_checked():
    assert set(SHOWN_LITERALLY) == {spec.path for spec in PAGES}


@pytest.mark.parametrize("page_file", [spec.path for spec in PAGES], ids=[spec.title for spec in PAGES])
def test_no_page_runs_text_from_data(hostile: Hostile, watched: tuple[Page, list[str]], page_file: str):
    page, events = watched
    page.goto(hostile.url(_url_path(page_file), by="region", segment=TARGET_REGION))
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_test_id("stMain").get_by_role("heading").first).to_be_visible()
    open_everything(page)
    _sidebar_shows_the_workspace(page)
    SHOWN_LITERALLY[page_file](page)
    assert_nothing_ran(page, events)


def test_names_typed_in_the_app_show_as_typed(hostile: Hostile, watched: tuple[Page, list[str]]):
    page, events = watched
    # A new workspace, named in the app.
    page.goto(hostile.url("workspaces"))
    wait_for_app(page)
    page.get_by_role("textbox", name="Name", exact=True).fill(NEW_WORKSPACE)
    page.get_by_role("button", name="Create and open").click()
    wait_for_app(page)
    _sidebar_shows_the_workspace(page, NEW_WORKSPACE)
    expect(page.get_by_role("textbox", name="New name for the current workspace")).to_have_value(
        NEW_WORKSPACE
    )
    new_workspace = parse_qs(urlparse(page.url).query)["ws"][0]
    assert new_workspace != hostile.workspace_id

    # The workbook uploaded under its hostile name, both sheets saved.
    page.get_by_role("link", name="Data").click()
    wait_for_app(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": FILE_NAME, "mimeType": "application/octet-stream", "buffer": hostile.workbook}]
    )
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_text("Found 2 tables in")).to_have_text(f"Found 2 tables in {FILE_NAME}.")
    for sheet in ("customers", "orders"):
        expect(page.get_by_role("heading", name=f"{FILE_NAME} / {sheet} ·")).to_be_visible()
    saves = page.get_by_role("button", name="Save to workspace")
    saves.nth(0).click()
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_test_id("stToast")).to_contain_text(
        f"Saved {FILE_NAME} / customers ({CUSTOMERS} rows) as Customers."
    )
    saves.nth(1).click()
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_text("Saved in this workspace.")).to_have_count(2)
    assert_nothing_ran(page, events)

    # A segment target and an objective, by an author who signs with a payload.
    south = REGIONS[1]
    page.goto(
        f"{hostile.server.url}/objectives?{urlencode({'ws': new_workspace, 'by': 'region', 'segment': south})}"
    )
    wait_for_app(page, timeout=60_000)
    _sidebar_shows_the_workspace(page, NEW_WORKSPACE)
    author = page.get_by_role("textbox", name="Your name, for the audit log")
    author.fill(AUTHOR)
    author.press("Enter")
    wait_for_app(page)
    _choose(page, "KPI", "Revenue per customer (Loyalty")
    page.get_by_role("spinbutton", name="Target (higher is better)").fill("150")
    page.get_by_role("button", name="Save target").click()
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_test_id("stAlert").filter(has_text="Saved:")).to_contain_text(
        f"Saved: Revenue per customer · region {south}, 150 ¤ by"
    )
    page.get_by_role("tab", name="Objectives & initiatives").click()
    editor = page.get_by_role("tabpanel", name="Objectives & initiatives").get_by_test_id("stDataFrame").first
    editor.hover()
    page.get_by_role("button", name="Add row").first.click()
    # The new row sits below the header (35 px): double-click its first cell to type in it.
    editor.dblclick(position={"x": 100, "y": 35 + 17})
    page.locator("textarea.gdg-input").fill(NEW_OBJECTIVE)
    page.keyboard.press("Enter")
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_test_id("stAlert").filter(has_text="Added the objective")).to_contain_text(
        f"Added the objective “{NEW_OBJECTIVE}”."
    )
    assert_nothing_ran(page, events)

    # A segmentation saved under a hostile name.
    page.get_by_role("link", name="Segmentation").click()
    wait_for_app(page, timeout=120_000)
    name = page.get_by_role("textbox", name="Name of the segmentation")
    name.fill(NEW_SEGMENTATION)
    name.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Save to the scorecard").click()
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_test_id("stAlert").filter(has_text="Saved “")).to_contain_text(
        f"Saved “{NEW_SEGMENTATION}” for"
    )
    # A result arriving in the background may rerun the page just now, and while it redraws the
    # old select box stands beside the new one for a moment: the first, until it is the only one.
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_role("combobox", name="Segmentation").first).to_have_value(NEW_SEGMENTATION)
    assert_nothing_ran(page, events)
