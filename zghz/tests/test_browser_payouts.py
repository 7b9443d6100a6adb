"""支付批次 in a real browser: 财务 generates a batch and downloads the bank file; a colleague imports the
bank's 回盘 with one failure; the paid members get their SMS; the failed claim goes into the next batch."""

import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from zghz.accounts.roles import FINANCE
from zghz.claims.models import Claim
from zghz.conftest import PASSWORD, Personas, make_staff
from zghz.payouts.tests.conftest import completed_claim

from .browser import shot, worker_later

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page: Page, url: str, username: str) -> None:
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(url + "/staff/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def _return_file(bank_file: Path, failed_number: str, tmp_path: Path) -> Path:
    """What the bank sends back: its copy of our file with 交易结果 and 失败原因 added."""
    wb = openpyxl.load_workbook(bank_file)
    ws = wb.active
    ws.cell(row=1, column=6, value="交易结果")
    ws.cell(row=1, column=7, value="失败原因")
    for r in range(2, ws.max_row + 1):
        failed = ws.cell(row=r, column=5).value == failed_number
        ws.cell(row=r, column=6, value="失败" if failed else "成功")
        ws.cell(row=r, column=7, value="账户已销户" if failed else "")
    path = tmp_path / "回盘.xlsx"
    out = io.BytesIO()
    wb.save(out)
    path.write_bytes(out.getvalue())
    return path


def large_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches and 回盘 count as large: they go to a (stand-in) worker and the pages show their progress."""
    from zghz.payouts import services, tasks

    monkeypatch.setattr(services, "INLINE_MAX_LINES", 0)
    monkeypatch.setattr(services, "INLINE_MAX_RETURN_BYTES", 0)
    worker_later(monkeypatch, tasks.payout_batch_run)
    worker_later(monkeypatch, tasks.payout_return_run)


def test_it_pays_a_batch_through_the_bank_file_and_its_return(page: Page, live_server: Any, outbox: Path,
                                                              personas: Personas, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    large_jobs(monkeypatch)
    claims = [completed_claim(personas.unit_a, amount=a) for a in ("1000.00", "2500.50", "880.00")]
    make_staff("wangcaiwu", FINANCE)
    _login(page, live_server.url, "finance")
    page.get_by_role("link", name="支付批次").click()
    page.get_by_role("link", name="生成批次").click()
    page.get_by_label("完成月份").fill("2026-03")
    page.get_by_role("button", name="查询").click()
    preview = page.get_by_test_id("payout-preview")
    expect(preview).to_contain_text("4380.50 元")
    shot(page, "payout-01-create")
    preview.get_by_role("button", name="生成批次").click()
    expect(page.get_by_test_id("batch-job")).to_contain_text("处理中")  # the worker has not started yet
    shot(page, "payout-01b-batch-in-progress")
    expect(page.get_by_text("已生成支付批次")).to_be_visible(timeout=20_000)  # the page refreshes itself
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    with page.expect_download() as download:
        page.get_by_role("button", name="导出银行文件").click()
    bank_file = tmp_path / "bank.xlsx"
    download.value.save_as(bank_file)
    assert download.value.suggested_filename == f"支付批次{number}.xlsx"
    page.reload()
    expect(page.get_by_text("双人复核")).to_be_visible()

    checker = page.context.browser.new_context(locale="zh-CN").new_page()  # type: ignore[union-attr]
    _login(checker, live_server.url, "wangcaiwu")
    checker.goto(f"{live_server.url}/staff/payouts/{number}/")
    checker.get_by_label("回盘文件").set_input_files(str(_return_file(bank_file, claims[2].number, tmp_path)))
    checker.get_by_role("button", name="确认回盘").click()
    expect(checker.get_by_text("回盘文件已上传，正在导入")).to_be_visible()
    expect(checker.get_by_test_id("return-progress")).to_contain_text("回盘导入中")
    expect(checker.get_by_test_id("last-return")).to_contain_text("成功 2 笔，失败 1 笔", timeout=20_000)
    expect(checker.get_by_test_id("reconciliation")).to_contain_text("对账一致")
    expect(checker.get_by_text("账户已销户：账户已销户")).to_be_visible()
    shot(checker, "payout-02-batch-returned")

    paid = Claim.objects.filter(status=Claim.Status.PAID).values_list("number", flat=True)
    assert sorted(paid) == sorted([claims[0].number, claims[1].number])
    texts = [json.loads(line)["text"] for line in outbox.read_text().splitlines()]
    assert sum("已支付" in t for t in texts) == 2 and any(claims[1].number in t and "2500.50元" in t for t in texts)

    # The failed claim is back in the pool: the next batch takes it on a new line.
    checker.goto(f"{live_server.url}/staff/payouts/new/")
    checker.get_by_role("button", name="查询").click()
    expect(checker.get_by_test_id("payout-preview")).to_contain_text("880.00 元")
    checker.get_by_test_id("payout-preview").get_by_role("button", name="生成批次").click()
    expect(checker.get_by_text("已生成支付批次")).to_be_visible(timeout=20_000)
    expect(checker.get_by_role("cell", name=claims[2].number)).to_be_visible()
    shot(checker, "payout-03-retry-batch")
