"""The inspector dashboard in a real browser: login once, a strict cookie, SVG charts with data points."""

from __future__ import annotations

from suyuan.ledger.db import make_engine
from suyuan.trace.credit.findings import record_finding
from suyuan.trace.parties.registry import create_party


def _parties_and_findings(db_url: str, batch: str) -> tuple[str, str]:
    engine = make_engine(db_url)
    try:
        inspector, inspector_key = create_party(engine, name="浙江省市场监督管理局", roles=["inspector"])
        shop, shop_key = create_party(engine, name="刷单商家", roles=["merchant"])
        with engine.begin() as conn:
            for n, kind in enumerate(("fake_orders", "fake_orders", "empty_parcels")):
                record_finding(conn, type=kind, reason=f"bench{n}", score=800, subject_party=shop.id,
                               subject_keys=[f"{batch}/21/SN0001"], evidence=[f"{n:064x}"], status="upheld")
    finally:
        engine.dispose()
    return inspector_key, shop_key


def test_the_dashboard_logs_in_once_and_draws_findings(browser, site, db_url):
    base, stock = site
    batch = stock.item.rsplit("/21/", 1)[0]
    inspector_key, shop_key = _parties_and_findings(db_url, batch)
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        assert page.goto(f"{base}/inspect").status == 401
        page.fill("input[name=api_key]", shop_key)
        page.click("button[type=submit]")
        assert "Role not allowed" in page.locator(".warn").inner_text()
        assert context.cookies() == []
        page.fill("input[name=api_key]", inspector_key)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        assert page.url.endswith("/inspect")
        [cookie] = context.cookies()
        assert (cookie["name"], cookie["httpOnly"], cookie["secure"], cookie["sameSite"]) == \
            ("suyuan_inspect", True, True, "Strict")
        assert page.evaluate("document.cookie") == ""  # scripts cannot read the key
        chart = page.locator(".findings-type svg")
        assert chart.is_visible()
        values = [int(v) for v in chart.locator("circle.point[data-series=fake_orders]").evaluate_all(
            "els => els.map(e => e.dataset.value)")]
        assert sum(values) == 2 and len(values) == 8
        assert chart.locator("polyline[data-series=empty_parcels]").count() == 1
        region = page.locator(".findings-region svg").locator("circle.point").evaluate_all(
            "els => els.map(e => e.dataset.series)")
        assert "江苏省" in region
        assert "刷单商家" in page.locator(".worst").inner_text()
        assert page.reload().status == 200  # the cookie keeps the session: no second login
        assert page.locator("script").count() == 0
    finally:
        context.close()
