"""Stage moves (plain form and htmx), the won/lost reason, history, and the forecast."""

from __future__ import annotations

from datetime import date

from bs4 import BeautifulSoup
from sqlalchemy import select

from jimucrm.addons.crm.models import StageChange

HTMX = {"HX-Request": "true"}


def _history(crm, deal_id):
    with crm.session() as session:
        return [(change.from_stage_id, change.to_stage_id, change.reason)
                for change in session.scalars(select(StageChange)
                                              .where(StageChange.opportunity_id == deal_id)
                                              .order_by(StageChange.id))]


def test_kanban_move_with_the_plain_form(as_user, tenant, crm):
    app = as_user("mover")
    deal_id = crm.add_opportunity("看板商机", "初步接洽", "50000", owner="mover")
    board = app.get(f"{tenant.prefix}/crm/opportunities/")
    soup = BeautifulSoup(board.text, "html.parser")
    column = soup.find("div", attrs={"data-stage-id": str(crm.stage_id("初步接洽"))})
    assert column.find(id=f"card-{deal_id}") is not None
    card_form = next(f for f in board.forms.values()
                     if f.action.endswith(f"/crm/opportunities/{deal_id}/move"))
    card_form["stage_id"] = str(crm.stage_id("方案报价"))
    page = card_form.submit(status=303).follow()
    assert "“看板商机”已移到“方案报价”。" in page.text
    assert crm.opportunity(deal_id).stage_id == crm.stage_id("方案报价")
    assert _history(crm, deal_id) == [(crm.stage_id("初步接洽"), crm.stage_id("方案报价"), "")]
    assert crm.events("opportunity.stage_changed") == [{
        "opportunity_id": deal_id, "from_stage_id": crm.stage_id("初步接洽"),
        "to_stage_id": crm.stage_id("方案报价"), "probability": 60,
        "by": crm.user_id("mover")}]


def test_kanban_move_through_htmx_swaps_the_board(as_user, tenant, crm, csrf):
    app = as_user("dragger")
    deal_id = crm.add_opportunity("拖动商机", "需求确认", "80000", owner="dragger")
    response = app.post(f"{tenant.prefix}/crm/opportunities/{deal_id}/move",
                        {"csrf_token": csrf(), "stage_id": str(crm.stage_id("谈判"))},
                        headers=HTMX, status=200)
    assert response.text.lstrip().startswith('<section id="crm-board"')
    assert "<html" not in response.text  # a fragment, not a page
    soup = BeautifulSoup(response.text, "html.parser")
    column = soup.find("div", attrs={"data-stage-id": str(crm.stage_id("谈判"))})
    card = column.find(id=f"card-{deal_id}")
    assert card is not None and card.get("data-moved") == "true"
    assert "已移到“谈判”" in soup.find(class_="kanban-status").text
    assert crm.opportunity(deal_id).stage_id == crm.stage_id("谈判")


def test_won_needs_a_reason_dialog_with_htmx_page_without(as_user, tenant, crm, csrf):
    app = as_user("closer")
    deal_id = crm.add_opportunity("大单", "谈判", "300000", owner="closer")
    won = str(crm.stage_id("赢单"))
    token = csrf()
    # htmx: the board stays, the reason form goes into the dialog.
    ask = app.post(f"{tenant.prefix}/crm/opportunities/{deal_id}/move",
                   {"csrf_token": token, "stage_id": won}, headers=HTMX, status=200)
    assert ask.headers["HX-Retarget"] == "#crm-dialog"
    assert 'id="close-form"' in ask.text and "赢单原因是什么？" in ask.text
    assert crm.opportunity(deal_id).stage_id == crm.stage_id("谈判")
    # Without JavaScript: a page with the same form, which then closes the deal.
    page = app.post(f"{tenant.prefix}/crm/opportunities/{deal_id}/move",
                    {"csrf_token": token, "stage_id": won}, status=200)
    form = page.forms["close-form"]
    form["reason"] = "价格和服务都有优势"
    form.submit(status=303)
    deal = crm.opportunity(deal_id)
    assert deal.stage_id == int(won) and deal.closed_at is not None
    assert deal.close_reason == "价格和服务都有优势"
    [event] = crm.events("opportunity.won")
    assert event["opportunity_id"] == deal_id and event["amount"] == "300000.00"
    assert event["reason"] == "价格和服务都有优势" and crm.events("opportunity.lost") == []
    # Lost, through htmx, with its reason in the same request; then reopened.
    lost = str(crm.stage_id("输单"))
    app.post(f"{tenant.prefix}/crm/opportunities/{deal_id}/move",
             {"csrf_token": token, "stage_id": lost, "reason": "预算取消"}, headers=HTMX,
             status=200)
    assert crm.opportunity(deal_id).close_reason == "预算取消"
    assert crm.events("opportunity.lost")[0]["reason"] == "预算取消"
    app.post(f"{tenant.prefix}/crm/opportunities/{deal_id}/move",
             {"csrf_token": token, "stage_id": str(crm.stage_id("谈判"))}, status=303)
    deal = crm.opportunity(deal_id)
    assert deal.closed_at is None and deal.close_reason == ""
    assert [change[1] for change in _history(crm, deal_id)] == [
        int(won), int(lost), crm.stage_id("谈判")]
    detail = app.get(f"{tenant.prefix}/crm/opportunities/{deal_id}", status=301).follow()
    assert "价格和服务都有优势" in detail.text and "预算取消" in detail.text


def test_a_bad_stage_is_a_bad_request(as_user, tenant, crm, csrf):
    app = as_user("sloppy")
    deal_id = crm.add_opportunity("商机", "初步接洽", "1", owner="sloppy")
    for value in ("", "0", "99999", "abc", "1 OR 1=1"):
        app.post(f"{tenant.prefix}/crm/opportunities/{deal_id}/move",
                 {"csrf_token": csrf(), "stage_id": value}, status=400)
    assert _history(crm, deal_id) == []


def test_forecast_by_month_and_owner(as_user, make_user, tenant, crm):
    make_user(tenant, "seller")
    app = as_user("forecaster", is_admin=True)
    today = date.today()
    crm.add_opportunity("甲", "初步接洽", "100000", owner="seller", close_in_days=0)  # 10%
    crm.add_opportunity("乙", "方案报价", "50000", owner="seller", close_in_days=0,
                        probability=90)  # override: 90%
    crm.add_opportunity("丙", "赢单", "20000", owner="forecaster", close_in_days=0)  # 100%
    crm.add_opportunity("丁", "输单", "999999", owner="seller", close_in_days=0)  # left out
    crm.add_opportunity("戊", "谈判", "10000", owner="forecaster", close_in_days=None)  # 80%
    page = app.get(f"{tenant.prefix}/crm/forecast")
    soup = BeautifulSoup(page.text, "html.parser")
    tables = soup.find_all("table")
    rows = [[cell.get_text(strip=True) for cell in row.find_all(["th", "td"])]
            for row in tables[0].find("tbody").find_all("tr")]
    month = today.strftime("%Y-%m")
    assert rows == [[month, "CNY", "3", "170,000.00", "75,000.00"],
                    ["未定日期", "CNY", "1", "10,000.00", "8,000.00"]]
    total = [cell.get_text(strip=True) for cell in tables[0].find("tfoot").find_all(["th", "td"])]
    assert total == ["合计", "CNY", "4", "180,000.00", "83,000.00"]
    owners = {row.find("th").get_text(strip=True):
              [cell.get_text(strip=True) for cell in row.find_all("td")]
              for row in tables[1].find("tbody").find_all("tr")}
    assert owners == {"seller 用户": ["CNY", "2", "150,000.00", "55,000.00"],
                      "forecaster 用户": ["CNY", "2", "30,000.00", "28,000.00"]}


def test_forecast_follows_record_rules(as_user, make_user, tenant, crm):
    make_user(tenant, "colleague")
    crm.add_opportunity("同事的商机", "谈判", "70000", owner="colleague")
    app = as_user("own")
    crm.add_opportunity("自己的商机", "谈判", "10000", owner="own")
    page = app.get(f"{tenant.prefix}/crm/forecast").text
    assert "10,000.00" in page and "70,000.00" not in page
    assert "同事的商机" not in app.get(f"{tenant.prefix}/crm/opportunities/").text
