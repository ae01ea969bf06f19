"""What a shopper sees: a normal item, a recalled item and an unregistered code, in a real browser."""

from __future__ import annotations

RED = "rgb(164, 22, 26)"


def _local_only(page, base: str) -> None:  # noqa: ANN001
    outside = [u for u in page.requests if not u.startswith(base) and not u.startswith("data:")]
    assert outside == [], f"the page fetched from elsewhere: {outside}"


def test_normal_item_shows_origin_journey_and_verification(page, site):
    base, stock = site
    response = page.goto(f"{base}/{stock.item}")
    assert response.status == 200
    assert page.locator("h1").inner_text() == "连云港 南美白对虾 1 kg"
    assert page.locator(".warn").count() == 0
    producer = page.locator(".producer").inner_text()
    assert "连云港海州湾水产有限公司" in producer and "统一社会信用代码" in producer and "SC12232070000001" in producer
    origin = page.locator(".origin").inner_text()
    for seen in ("江苏省连云港市", "FAO 61 海州湾", "苏连渔 12345", "上岸日期"):
        assert seen in origin
    labels = page.locator(".timeline .label").all_inner_texts()
    assert labels[:2] == ["产品登记", "批次登记"] and labels[-4:] == ["发货揽收", "运输中转", "签收", "消费者评价"]
    journey = page.locator(".journey").inner_text()
    assert "王**" in journey and "王小明" not in journey and "★★★★★" in journey
    assert page.locator(".verify-line").inner_text().startswith("✓ 此记录已写入签名公开日志，检查点大小 ")
    assert page.locator("link[rel=stylesheet]").count() == 1 and page.locator("script").count() == 0
    # Mobile first: nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("a.lang")
    assert page.url.endswith("?lang=en")
    assert "This record is in the signed public log, checkpoint size" in page.locator(".verify-line").inner_text()
    assert "Catch area" in page.locator(".origin").inner_text()
    _local_only(page, base)


def test_review_form_works_without_javascript(page, site):
    base, stock = site
    page.goto(f"{base}/{stock.delivered}")
    form = page.locator("form.review")
    form.locator("input[name=token]").fill(stock.token)
    form.locator("select[name=rating]").select_option("4")
    form.locator("textarea[name=text]").fill("包装完好")
    form.locator("button").click()
    page.wait_for_load_state()
    assert "done=review" in page.url
    assert "感谢评价" in page.locator(".done").inner_text()
    assert "包装完好" in page.locator(".journey").inner_text()


def test_recalled_item_warns_in_red(page, site):
    base, stock = site
    assert page.goto(f"{base}/{stock.recalled}").status == 200
    warning = page.locator('.warn[data-warning="recalled"]')
    assert warning.is_visible()
    text = warning.inner_text()
    assert "已被召回" in text and "氯霉素超标" in text
    assert warning.evaluate("e => getComputedStyle(e).color") == RED
    # The warning comes before anything else on the page.
    assert page.locator("main > section").first.get_attribute("data-warning") == "recalled"
    assert "召回" in page.locator(".timeline li.alert .label").inner_text()


def test_unregistered_code_warns_of_a_counterfeit(page, site):
    base, _ = site
    response = page.goto(f"{base}/01/06901234999990/21/FAKE0001")
    assert response.status == 404
    warning = page.locator('.warn[data-warning="unregistered"]')
    assert warning.is_visible() and "可能是假冒商品" in warning.inner_text()
    assert warning.evaluate("e => getComputedStyle(e).color") == RED
    page.click("a.lang")
    assert "Unregistered code" in page.locator(".warn").inner_text()
    _local_only(page, base)
