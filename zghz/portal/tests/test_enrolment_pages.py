"""参保申请 pages of the unit portal, following manual 三 with its own labels."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from zghz.audit.models import AuditEntry
from zghz.conftest import Personas, login_handler, login_staff
from zghz.coverage.models import Coverage
from zghz.enrolment.models import WorkOrder, WorkOrderLine
from zghz.enrolment.roster import read_rows
from zghz.enrolment.services import work_order_review, work_order_submit
from zghz.enrolment.tests.factories import (
    draft,
    line_count,
    make_people,
    make_plan_year,
    roster_bytes,
    xlsx_file,
)
from zghz.plans.models import PlanYear

pytestmark = pytest.mark.django_db
S = WorkOrder.Status


@pytest.fixture
def plan_year(db: Any) -> PlanYear:
    return make_plan_year()


@pytest.fixture
def handler(client: Client, personas: Personas) -> Client:
    return login_handler(client, personas.unit_a)


def page(response: Any) -> str:
    return response.content.decode()


def png_file(name: str = "凭证.png") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (30, 20), "white").save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def roster_file(people: list[dict[str, str]], name: str = "花名册.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, roster_bytes(people))


def test_it_lists_the_units_orders_with_the_manual_columns(handler: Client, personas: Personas,
                                                            plan_year: PlanYear) -> None:
    mine = draft(personas.unit_a, plan_year, make_people(2))
    theirs = draft(personas.unit_b, plan_year)
    html = page(handler.get("/apply/"))
    for label in ("参保申请", "新建", "工单编号", "参保项目", "状态", "人数", "应付款参保金额", "创建时间", "操作", "暂存"):
        assert label in html
    assert mine.number in html and theirs.number not in html
    assert re.search(r"<td>2</td>", html)  # 人数


def test_it_keeps_the_list_query_count_flat(handler: Client, personas: Personas, plan_year: PlanYear,
                                            django_assert_max_num_queries: Any) -> None:
    draft(personas.unit_a, plan_year, make_people(2))
    with django_assert_max_num_queries(12) as few:
        handler.get("/apply/")
    for _ in range(15):
        draft(personas.unit_a, plan_year, make_people(3, seed=_ + 10))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert handler.get("/apply/").status_code == 200


def test_it_creates_a_draft_and_lands_on_its_detail(handler: Client, personas: Personas, plan_year: PlanYear) -> None:
    dialog = page(handler.get("/apply/new/", HTTP_HX_REQUEST="true"))
    assert "参保项目" in dialog and "确认" in dialog and "<html" not in dialog and plan_year.plan.name in dialog
    assert "<html" in page(handler.get("/apply/new/"))
    r = handler.post("/apply/new/", {"plan": plan_year.plan.pk})
    wo = WorkOrder.objects.get(unit=personas.unit_a)
    assert r.status_code == 302 and r["Location"] == f"/apply/{wo.number}/"
    html = page(handler.get(r["Location"]))
    for label in ("暂存", "模板下载", "上传花名册", "添加人员", "提交", "参保人员"):
        assert label in html
    bad = handler.post("/apply/new/", {"plan": ""})
    assert bad.status_code == 400 and "请选择参保项目" in page(bad)
    assert WorkOrder.objects.count() == 1


def test_it_tells_an_unapproved_unit_why_it_cannot_enrol(client: Client, personas: Personas,
                                                        plan_year: PlanYear) -> None:
    login_handler(client, personas.outsider)
    reason = "单位信息尚未审核通过"
    html = page(client.get("/apply/"))
    assert reason in html and "/apply/new/" not in html
    assert reason in page(client.get("/apply/new/"))
    r = client.post("/apply/new/", {"plan": plan_year.plan.pk})
    assert r.status_code == 400 and reason in page(r) and not WorkOrder.objects.exists()
    # An order made while the unit was approved (then e.g. its profile was reopened) cannot take uploads.
    wo = WorkOrder.objects.create(number="CB20260101000001", unit=personas.outsider, plan_year=plan_year)
    html = page(client.get(f"/apply/{wo.number}/"))
    assert reason in html and "上传花名册" not in html
    r = client.post(f"/apply/{wo.number}/upload/", {"roster": roster_file(make_people(1))}, follow=True)
    assert reason in page(r) and line_count() == 0


def test_it_downloads_the_template(handler: Client) -> None:
    r = handler.get("/apply/template/")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r["Content-Disposition"]
    sheet = read_rows(r.content, "t.xlsx")
    assert sheet.header_row == 3 and sheet.rows[0].name == "张三"


def test_it_uploads_a_roster_and_shows_both_lists_masked(handler: Client, personas: Personas,
                                                         plan_year: PlanYear, tmp_path: Path) -> None:
    wo = draft(personas.unit_a, plan_year)
    path, expected = xlsx_file(tmp_path, 80, bad_fraction=0.1, seed=5)
    with path.open("rb") as fh:
        r = handler.post(f"/apply/{wo.number}/upload/", {"roster": fh}, follow=True)
    html = page(r)
    assert "花名册上传完成：共读取 80 人" in html
    assert f"不可参保 {len(expected)} 人" in html
    for label in ("不可参保人员", "姓名", "居民身份证证号", "社保卡银行卡号", "开户行", "手机号", "备注", "不可参保原因",
                  "导出", "全选", "删除"):
        assert label in html
    line = WorkOrderLine.objects.filter(work_order=wo, eligible=True).first()
    assert line is not None and line.name in html
    assert line.id_number not in html and line.phone not in html and line.bank_card not in html
    assert line.id_number[:4] + "**********" + line.id_number[-4:] in html
    assert line.phone[:3] + "****" + line.phone[-4:] in html


def test_it_uploads_through_htmx_and_redirects_the_whole_page(handler: Client, personas: Personas,
                                                              plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year)
    r = handler.post(f"/apply/{wo.number}/upload/", {"roster": roster_file(make_people(2))}, HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and r["HX-Redirect"] == f"/apply/{wo.number}/"
    assert line_count() == 2
    html = page(handler.get(f"/apply/{wo.number}/"))
    assert 'hx-encoding="multipart/form-data"' in html and "xhr:progress" in html and "<progress" in html
    assert 'enctype="multipart/form-data"' in html  # the plain form still works without JavaScript


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"", "花名册.xlsx", "文件为空"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "花名册.xlsx", "表格已设置密码"),
    (b"PK\x03\x04broken", "花名册.xlsx", "文件无法读取"),
    (b"any", "花名册.xlsm", "宏"),
])
def test_it_shows_a_chinese_message_for_a_bad_file(handler: Client, personas: Personas, plan_year: PlanYear,
                                                   content: bytes, name: str, message: str) -> None:
    wo = draft(personas.unit_a, plan_year, make_people(1))
    r = handler.post(f"/apply/{wo.number}/upload/", {"roster": SimpleUploadedFile(name, content)}, follow=True)
    assert r.status_code == 200 and "上传失败" in page(r) and message in page(r)
    assert line_count() == 1


def test_it_keeps_a_second_upload_of_the_same_file_from_doubling_people(handler: Client, personas: Personas,
                                                                        plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year)
    people = make_people(4)
    handler.post(f"/apply/{wo.number}/upload/", {"roster": roster_file(people)})
    r = handler.post(f"/apply/{wo.number}/upload/", {"roster": roster_file(people)}, follow=True)
    assert "4 人已在本参保申请中，本次未重复添加" in page(r)
    assert line_count() == 4


def test_it_adds_a_person_with_the_manual_form(handler: Client, personas: Personas, plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year)
    html = page(handler.get(f"/apply/{wo.number}/add/"))
    for label in ("姓名", "居民身份证", "社保卡号", "开户行", "手机号码", "备注"):
        assert f">{label}</label>" in html
    assert html.count('class="req"') == 5
    r = handler.post(f"/apply/{wo.number}/add/", {"name": "王 五", "id_number": "123", "card": "", "bank": "",
                                                  "phone": "1"})
    html = page(r)
    assert r.status_code == 400
    for text in ("姓名中不能有空格或特殊字符", "请填写正确居民身份证号码", "请填写社保卡银行卡号", "请填写开户行", "请填写正确手机号"):
        assert text in html
    assert line_count() == 0
    (p,) = make_people(1)
    r = handler.post(f"/apply/{wo.number}/add/", {"name": p["name"], "id_number": p["id_number"], "card": p["card"],
                                                  "bank": p["bank"], "phone": p["phone"], "remark": ""})
    assert r.status_code == 302 and WorkOrderLine.objects.get().name == p["name"]


def test_it_exports_the_ineligible_people_in_full_and_audits_it(handler: Client, personas: Personas,
                                                                plan_year: PlanYear) -> None:
    bad = {**make_people(1)[0], "bank": ""}
    wo = draft(personas.unit_a, plan_year, [*make_people(2, seed=4), bad])
    r = handler.get(f"/apply/{wo.number}/ineligible/export/")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    (row,) = read_rows(r.content, "x.xlsx").rows
    assert (row.id_number, row.phone, row.card) == (bad["id_number"], bad["phone"], bad["card"])
    assert AuditEntry.objects.filter(action="export", unit_id=personas.unit_a.pk).exists()


def test_it_deletes_ticked_or_all_ineligible_people(handler: Client, personas: Personas, plan_year: PlanYear) -> None:
    bad = [{**p, "phone": "1"} for p in make_people(3, seed=8)]
    wo = draft(personas.unit_a, plan_year, [*make_people(2), *bad])
    ids = list(WorkOrderLine.objects.filter(work_order=wo, eligible=False).values_list("id", flat=True))
    good = WorkOrderLine.objects.filter(work_order=wo, eligible=True).values_list("id", flat=True)[0]
    r = handler.post(f"/apply/{wo.number}/ineligible/delete/", {"line": [ids[0], good]}, follow=True)
    assert "已删除 1 名不可参保人员" in page(r)
    r = handler.post(f"/apply/{wo.number}/ineligible/delete/", {"all": "1"}, follow=True)
    assert "已删除 2 名不可参保人员" in page(r)
    assert WorkOrderLine.objects.filter(work_order=wo).count() == 2
    r = handler.post(f"/apply/{wo.number}/ineligible/delete/", {}, follow=True)
    assert "请先勾选要删除的不可参保人员" in page(r)


def test_it_submits_and_answers_a_double_click_with_the_already_processed_message(
        handler: Client, personas: Personas, plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year, make_people(2))
    r = handler.post(f"/apply/{wo.number}/submit/", follow=True)
    assert "参保申请已提交" in page(r) and "待审核" in page(r)
    r = handler.post(f"/apply/{wo.number}/submit/", follow=True)
    assert "该记录已被处理，请刷新页面查看最新状态" in page(r)
    assert wo.events.filter(action="submit").count() == 1


def test_it_refuses_to_submit_with_ineligible_people(handler: Client, personas: Personas,
                                                     plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year, [*make_people(1), {**make_people(1, seed=3)[0], "bank": ""}])
    r = handler.post(f"/apply/{wo.number}/submit/", follow=True)
    assert "存在不可参保人员" in page(r)
    wo.refresh_from_db()
    assert wo.status == S.DRAFT


def test_it_takes_the_payment_and_refuses_a_wrong_amount(handler: Client, personas: Personas,
                                                         plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year, make_people(2))
    work_order_submit(work_order=wo, actor=personas.unit_a.handler)
    work_order_review(work_order=wo, actor=personas.clerk, approve=True)
    html = page(handler.get(f"/apply/{wo.number}/"))
    for label in ("付款", "应付款参保金额", "实付款参保金额", "付款凭证", "盖章参保花名册", "确定", "待付款"):
        assert label in html
    r = handler.post(f"/apply/{wo.number}/pay/", {"paid_amount": "100", "voucher": png_file(),
                                                  "stamped_roster": png_file()})
    assert r.status_code == 400 and "实付款参保金额与应付金额不一致（应付 120.00 元）" in page(r)
    r = handler.post(f"/apply/{wo.number}/pay/", {"paid_amount": "120.00"})
    assert r.status_code == 400 and "请上传付款凭证" in page(r) and "请上传盖章参保花名册" in page(r)
    r = handler.post(f"/apply/{wo.number}/pay/", {"paid_amount": "120.00", "voucher": png_file(),
                                                  "stamped_roster": png_file("花名册.png")}, follow=True)
    assert "付款信息已提交" in page(r) and "付款待审核" in page(r)
    wo.refresh_from_db()
    assert wo.status == S.PAYMENT_REVIEW and wo.paid_amount == Decimal("120.00")
    voucher = handler.get(f"/apply/{wo.number}/voucher/")
    assert voucher.status_code == 200 and voucher["Content-Type"].startswith("image/")


def test_it_shows_the_reject_reason_and_history(handler: Client, personas: Personas, plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year, make_people(1))
    work_order_submit(work_order=wo, actor=personas.unit_a.handler)
    work_order_review(work_order=wo, actor=personas.clerk, approve=False, reason="请补充盖章花名册")
    html = page(handler.get(f"/apply/{wo.number}/"))
    assert "已驳回" in html and "请补充盖章花名册" in html and "办理进度" in html


def test_it_deletes_a_draft(handler: Client, personas: Personas, plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year, make_people(2))
    r = handler.post(f"/apply/{wo.number}/delete/")
    assert r.status_code == 302 and r["Location"] == "/apply/"
    assert not WorkOrder.objects.exists() and line_count() == 0


def test_it_keeps_the_detail_query_count_flat(handler: Client, personas: Personas, plan_year: PlanYear,
                                              django_assert_max_num_queries: Any) -> None:
    small = draft(personas.unit_a, plan_year, [*make_people(2), {**make_people(1, seed=2)[0], "bank": ""}])
    with django_assert_max_num_queries(20) as few:
        handler.get(f"/apply/{small.number}/")
    big = draft(personas.unit_a, plan_year, [*make_people(120, seed=3),
                                             *({**p, "bank": ""} for p in make_people(70, seed=4))])
    with django_assert_max_num_queries(len(few.captured_queries)):
        r = handler.get(f"/apply/{big.number}/")
    assert "第 1 / 3 页" in page(r) and "第 1 / 2 页" in page(r)


def test_it_walks_the_manual_from_new_to_coverage(client: Client, personas: Personas, plan_year: PlanYear) -> None:
    """新建 → 上传 (one bad row) → 导出 → 全选删除 → 添加人员 → 提交 → 经办通过 → 付款 → 财务通过."""
    login_handler(client, personas.unit_a)
    client.post("/apply/new/", {"plan": plan_year.plan.pk})
    wo = WorkOrder.objects.get()
    people = make_people(3)
    fixed = people[2]
    client.post(f"/apply/{wo.number}/upload/", {"roster": roster_file([*people[:2], {**fixed, "phone": "12"}])})
    assert client.get(f"/apply/{wo.number}/ineligible/export/").status_code == 200
    client.post(f"/apply/{wo.number}/ineligible/delete/", {"all": "1"})
    client.post(f"/apply/{wo.number}/add/", {"name": fixed["name"], "id_number": fixed["id_number"],
                                             "card": fixed["card"], "bank": fixed["bank"], "phone": fixed["phone"]})
    client.post(f"/apply/{wo.number}/submit/")
    client.logout()
    login_staff(client, personas.clerk)
    client.post(f"/staff/work-orders/{wo.number}/review/", {"action": "approve"})
    client.logout()
    login_handler(client, personas.unit_a)
    client.post(f"/apply/{wo.number}/pay/", {"paid_amount": "180", "voucher": png_file(),
                                             "stamped_roster": png_file()})
    client.logout()
    login_staff(client, personas.finance)
    client.post(f"/staff/work-orders/{wo.number}/payment-review/", {"action": "approve"})
    wo.refresh_from_db()
    assert wo.status == S.COMPLETED and Coverage.objects.filter(work_order=wo).count() == 3
    client.logout()
    login_handler(client, personas.unit_a)
    assert "已完成" in page(client.get("/apply/"))


def _people_rows(html: str) -> list[str]:
    """The 参保人员 table's rows as text, in page order."""
    table = html[html.index('id="people"'):]
    table = table[:table.index("</table>")]
    return [re.sub(r"<[^>]+>|\s+", " ", row).strip() for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]


def test_it_shows_each_lines_source_and_sorts_by_it(handler: Client, personas: Personas, plan_year: PlanYear) -> None:
    first, second, added = make_people(2, seed=11), make_people(2, seed=12), make_people(1, seed=13)[0]
    wo = draft(personas.unit_a, plan_year)
    handler.post(f"/apply/{wo.number}/upload/", {"roster": roster_file(first, "一月花名册.xlsx")})
    handler.post(f"/apply/{wo.number}/add/", {**{k: added[k] for k in ("name", "id_number", "card", "bank", "phone")},
                                              "remark": ""})
    handler.post(f"/apply/{wo.number}/upload/", {"roster": roster_file(second, "补充花名册.xlsx")})
    rows = _people_rows(page(handler.get(f"/apply/{wo.number}/")))
    # Both files have a row 4 and a row 5: each says which file it is from; 添加人员 comes last.
    assert [(r.split()[0], r.split()[3], r.split()[4]) for r in rows[:4]] == [
        ("一月花名册.xlsx", "4", first[0]["name"]), ("一月花名册.xlsx", "5", first[1]["name"]),
        ("补充花名册.xlsx", "4", second[0]["name"]), ("补充花名册.xlsx", "5", second[1]["name"])]
    assert rows[4].startswith("单个添加") and added["name"] in rows[4]
    upload = wo.uploads.get(file_name="补充花名册.xlsx")
    assert upload.rows_read == 2 and upload.uploaded_by == personas.unit_a.handler


def test_it_finds_people_in_the_order_by_name_or_id_number(handler: Client, personas: Personas,
                                                           plan_year: PlanYear) -> None:
    people = make_people(60, seed=14)
    wo = draft(personas.unit_a, plan_year, people)
    target = people[55]
    by_id = _people_rows(page(handler.get(f"/apply/{wo.number}/", {"q": target["id_number"].lower()})))
    assert len(by_id) == 1 and target["name"] in by_id[0]
    by_name = page(handler.get(f"/apply/{wo.number}/", {"q": target["name"]}))
    assert target["name"] in " ".join(_people_rows(by_name)) and f'value="{target["name"]}"' in by_name
    nobody = page(handler.get(f"/apply/{wo.number}/", {"q": "查无此人"}))
    assert "本参保申请中没有“查无此人”" in nobody


def test_it_jumps_to_a_page_or_the_last_one_of_a_long_order(handler: Client, personas: Personas,
                                                             plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year, make_people(160, seed=15))
    html = page(handler.get(f"/apply/{wo.number}/"))
    body = html.split("</header>")[1]
    last = re.search(r'<a class="btn" href="([^"]+)">末页</a>', body)
    third = re.search(r'<a class="btn" href="([^"]+)">3</a>', body)
    assert last and third and "第 1 / 4 页" in body
    html = page(handler.get(f"/apply/{wo.number}/" + last.group(1).replace("&amp;", "&")))
    assert "第 4 / 4 页" in html and len(_people_rows(html)) == 10
    html = page(handler.get(f"/apply/{wo.number}/" + third.group(1).replace("&amp;", "&")))
    assert "第 3 / 4 页" in html and len(_people_rows(html)) == 50


def test_it_deletes_ticked_eligible_people_of_a_draft_and_audits_it(handler: Client, personas: Personas,
                                                                    plan_year: PlanYear) -> None:
    people = make_people(3, seed=16)
    wo = draft(personas.unit_a, plan_year, people)
    wrong = WorkOrderLine.objects.get(work_order=wo, name=people[1]["name"])
    r = handler.post(f"/apply/{wo.number}/people/delete/", {}, follow=True)
    assert "请先勾选要删除的参保人员" in page(r)
    r = handler.post(f"/apply/{wo.number}/people/delete/", {"line": [wrong.pk]}, follow=True)
    assert "已删除 1 名参保人员" in page(r) and "参保人员（2 人）" in page(r)
    wo.refresh_from_db()
    assert wo.eligible_count == 2 and not WorkOrderLine.objects.filter(pk=wrong.pk).exists()
    entry = AuditEntry.objects.get(action="work_order.delete_people")
    assert entry.actor_id == personas.unit_a.handler.pk and entry.detail["count"] == 1
    assert entry.detail["names"] == [people[1]["name"]]
    # The person is free for this plan again: a new upload takes them.
    r = handler.post(f"/apply/{wo.number}/upload/", {"roster": roster_file([people[1]])}, follow=True)
    assert "可参保 1 人" in page(r)


def test_it_deletes_no_eligible_people_once_the_order_is_submitted(handler: Client, personas: Personas,
                                                                   plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year, make_people(2, seed=17))
    work_order_submit(work_order=wo, actor=personas.unit_a.handler)
    line = WorkOrderLine.objects.filter(work_order=wo).first()
    assert line is not None
    html = page(handler.get(f"/apply/{wo.number}/"))
    assert 'name="line"' not in html
    handler.post(f"/apply/{wo.number}/people/delete/", {"line": [line.pk]})
    assert WorkOrderLine.objects.filter(work_order=wo).count() == 2
    assert not AuditEntry.objects.filter(action="work_order.delete_people").exists()


def _held(html: str, field: str) -> str:
    found = re.search(rf'name="{field}_held" value="([^"]+)"', html)
    assert found, f"no held {field}"
    return found.group(1)


def test_it_keeps_both_uploads_when_the_amount_is_wrong(handler: Client, client: Client, personas: Personas,
                                                         plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year, make_people(2))
    work_order_submit(work_order=wo, actor=personas.unit_a.handler)
    work_order_review(work_order=wo, actor=personas.clerk, approve=True)
    r = handler.post(f"/apply/{wo.number}/pay/", {"paid_amount": "100", "voucher": png_file("转账截图.png"),
                                                  "stamped_roster": png_file("盖章花名册.png")})
    html = page(r)
    assert r.status_code == 400 and "已选择：转账截图.png" in html and "已选择：盖章花名册.png" in html
    assert 'value="100"' in html
    tokens = {"voucher_held": _held(html, "voucher"), "stamped_roster_held": _held(html, "stamped_roster")}
    # The reference is the owner's alone: another unit's handler cannot pay with it.
    other = login_handler(Client(), personas.unit_b)
    other_wo = draft(personas.unit_b, plan_year, make_people(1, seed=30))
    work_order_submit(work_order=other_wo, actor=personas.unit_b.handler)
    work_order_review(work_order=other_wo, actor=personas.clerk, approve=True)
    r = other.post(f"/apply/{other_wo.number}/pay/", {"paid_amount": "60.00", **tokens})
    assert r.status_code == 400 and "请上传付款凭证" in page(r)
    # The retry sends only the amount: both files come from the held references, under their names.
    r = handler.post(f"/apply/{wo.number}/pay/", {"paid_amount": "120.00", **tokens}, follow=True)
    assert "付款信息已提交" in page(r)
    wo.refresh_from_db()
    assert wo.status == S.PAYMENT_REVIEW
    assert wo.payment_voucher is not None and wo.stamped_roster is not None
    assert (wo.payment_voucher.original_name, wo.stamped_roster.original_name) == ("转账截图.png", "盖章花名册.png")
    assert handler.get(f"/apply/{wo.number}/voucher/")["Content-Type"].startswith("image/")


def test_it_keeps_the_good_upload_and_drops_the_refused_one(handler: Client, personas: Personas,
                                                             plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year, make_people(2))
    work_order_submit(work_order=wo, actor=personas.unit_a.handler)
    work_order_review(work_order=wo, actor=personas.clerk, approve=True)
    r = handler.post(f"/apply/{wo.number}/pay/", {
        "paid_amount": "120.00", "voucher": SimpleUploadedFile("凭证.png", b"not a picture"),
        "stamped_roster": png_file("盖章花名册.png")})
    html = page(r)
    assert r.status_code == 400 and "付款凭证：" in html
    assert "已选择：盖章花名册.png" in html and 'name="voucher_held"' not in html
    r = handler.post(f"/apply/{wo.number}/pay/", {"paid_amount": "120.00", "voucher": png_file("凭证.png"),
                                                  "stamped_roster_held": _held(html, "stamped_roster")}, follow=True)
    assert "付款信息已提交" in page(r)
