import json

from django.test import Client
from django.urls import reverse

from zghz.accounts.services import phone_account
from zghz.audit.models import AuditEntry
from zghz.conftest import credit_code, login_handler, make_unit
from zghz.sms.models import SmsMessage, VerificationCode
from zghz.units.models import Unit
from zghz.units.tests.helpers import code_from_outbox


def _ask_code(client: Client, phone: str, purpose: str = "unit_login", ip: str = "10.1.1.1"):  # type: ignore[no-untyped-def]
    return client.post(reverse("portal:sms_code"), {"phone": phone, "purpose": purpose}, REMOTE_ADDR=ip)


def test_it_shows_the_manual_labels_on_the_login_page(client: Client, db: object) -> None:
    body = client.get(reverse("portal:login")).content.decode()
    for label in ("登录", "注册", "单位社会统一信用代码", "单位全称", "手机号", "验证码", "获取验证码"):
        assert label in body


def test_it_registers_and_lands_on_the_profile(client: Client, outbox: object) -> None:
    assert _ask_code(client, "13711112222", "unit_register").json()["ok"] is True
    r = client.post(reverse("portal:register"), {
        "register-credit_code": credit_code(42), "register-name": "无锡测试工会", "register-phone": "13711112222",
        "register-code": code_from_outbox("13711112222")})
    assert r.status_code == 302 and r["Location"] == reverse("portal:profile")
    page = client.get(reverse("portal:profile")).content.decode()
    assert "无锡测试工会" in page and "未提交" in page and "我已阅读完成" in page


def test_it_shows_the_check_digit_warning_with_a_confirm_box(client: Client, outbox: object) -> None:
    good = credit_code(43)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    _ask_code(client, "13711112223", "unit_register")
    code = code_from_outbox("13711112223")
    r = client.post(reverse("portal:register"), {
        "register-credit_code": bad, "register-name": "试点单位", "register-phone": "13711112223",
        "register-code": code})
    assert r.status_code == 200
    body = r.content.decode()
    assert "校验位不符" in body and "代码无误，继续注册" in body
    assert not Unit.objects.exists()
    # Everything typed comes back, the still unused 验证码 too: ticking the box is all that is left.
    for typed in (bad, "试点单位", "13711112223", code):
        assert f'value="{typed}"' in body
    r = client.post(reverse("portal:register"), {
        "register-credit_code": bad, "register-name": "试点单位", "register-phone": "13711112223",
        "register-code": code, "register-accept_check_digit": "on"})
    assert r.status_code == 302 and Unit.objects.get().name == "试点单位"


def test_it_answers_the_same_for_unknown_and_known_phones(client: Client, outbox: object) -> None:
    make_unit(7, phone="13722223333")
    known = _ask_code(client, "13722223333", ip="10.0.0.7")
    unknown = _ask_code(client, "13722224444", ip="10.0.0.8")
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    phones = [json.loads(line)["phone"] for line in outbox.read_text().splitlines()]  # type: ignore[attr-defined]
    assert phones == ["13722223333"]
    assert VerificationCode.objects.count() == 2  # both count against the limits


def test_it_answers_429_when_asked_too_often(client: Client, outbox: object) -> None:
    make_unit(8, phone="13722225555")
    assert _ask_code(client, "13722225555").status_code == 200
    r = _ask_code(client, "13722225555")
    assert r.status_code == 429 and "60 秒" in r.json()["message"]
    assert SmsMessage.objects.count() == 1


def test_it_logs_in_with_the_code_and_picks_the_only_unit(client: Client, outbox: object) -> None:
    unit = make_unit(9, phone="13733334444")
    _ask_code(client, "13733334444")
    r = client.post(reverse("portal:login"), {"login-phone": "13733334444", "login-code": code_from_outbox("13733334444")})
    assert r.status_code == 302
    r = client.get(reverse("portal:choose_unit"))
    assert r.status_code == 302 and client.session["unit_id"] == unit.pk
    assert AuditEntry.objects.filter(action="login.success", actor_id=unit.handler_id).exists()


def test_it_lets_a_handler_of_several_units_choose(client: Client, outbox: object) -> None:
    first = make_unit(10, phone="13733335555")
    second = Unit.objects.create(credit_code=credit_code(11), name="第二个单位", handler=first.handler)
    _ask_code(client, "13733335555")
    client.post(reverse("portal:login"), {"login-phone": "13733335555", "login-code": code_from_outbox("13733335555")})
    page = client.get(reverse("portal:choose_unit")).content.decode()
    assert first.name in page and "第二个单位" in page
    # Logged in, not yet chosen: the header says so (no 登录/注册 as if logged out).
    assert "退出登录" in page and "登录/注册" not in page and "137****5555" in page
    client.post(reverse("portal:choose_unit"), {"unit": second.pk})
    assert client.session["unit_id"] == second.pk
    home = client.get(reverse("portal:home")).content.decode()
    assert "切换单位" in home and "第二个单位" in home
    # 切换单位 within the session: no new SMS code, the current unit comes ticked.
    sms_before = SmsMessage.objects.count()
    page = client.get(reverse("portal:choose_unit")).content.decode()
    assert f'value="{second.pk}" checked' in page and f'value="{first.pk}" checked' not in page
    client.post(reverse("portal:choose_unit"), {"unit": first.pk})
    assert client.session["unit_id"] == first.pk and SmsMessage.objects.count() == sms_before
    assert first.name in client.get(reverse("portal:profile")).content.decode()
    other = make_unit(12)
    assert client.post(reverse("portal:choose_unit"), {"unit": other.pk}).status_code == 404


def test_it_offers_no_unit_switch_to_a_handler_of_one_unit(client: Client, outbox: object) -> None:
    make_unit(14, phone="13733337777")
    _ask_code(client, "13733337777")
    client.post(reverse("portal:login"), {"login-phone": "13733337777", "login-code": code_from_outbox("13733337777")})
    client.get(reverse("portal:choose_unit"))
    assert "切换单位" not in client.get(reverse("portal:home")).content.decode()


def test_it_rejects_a_wrong_code_and_audits_the_failure(client: Client, outbox: object) -> None:
    make_unit(13, phone="13733336666")
    _ask_code(client, "13733336666")
    r = client.post(reverse("portal:login"), {"login-phone": "13733336666", "login-code": "000000"})
    assert r.status_code == 200 and "验证码错误，还可再试 4 次" in r.content.decode()
    assert "请重新获取" not in r.content.decode()  # the code is still good: no new one is needed
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="login.failure").exists()


def test_it_never_logs_in_an_unregistered_phone(client: Client, outbox: object) -> None:
    phone_account(kind="handler", phone="13733337777")  # an account without a unit
    _ask_code(client, "13733337777")
    r = client.post(reverse("portal:login"), {"login-phone": "13733337777", "login-code": "123456"})
    assert "_auth_user_id" not in client.session and r.status_code == 200


def test_it_saves_the_profile_and_keeps_the_id_masked(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    unit = personas.outsider
    login_handler(client, unit)
    page = client.get(reverse("portal:profile")).content.decode()
    assert unit.handler_id_number not in page
    assert unit.handler_id_number[:4] + "**********" + unit.handler_id_number[-4:] in page
    r = client.post(reverse("portal:profile"), {"district": unit.district_id, "medical_code": "123",
                                                "handler_name": "王", "action": "save"})
    assert "医保代码应为 8 位或 6 位数字" in r.content.decode()
    r = client.post(reverse("portal:profile"), {"district": unit.district_id, "medical_code": "123456",
                                                "handler_name": "王", "action": "save"})
    assert r.status_code == 302
    unit.refresh_from_db()
    assert unit.medical_code == "123456" and unit.handler_name == "王" and unit.handler_id_number


def test_it_shows_an_approved_profile_read_only(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    login_handler(client, personas.unit_a)
    page = client.get(reverse("portal:profile")).content.decode()
    assert "已通过" in page and 'name="medical_code"' not in page
    r = client.post(reverse("portal:profile"), {"medical_code": "999999", "action": "save"})
    assert "已提交审核或已通过" in r.content.decode()
    personas.unit_a.refresh_from_db()
    assert personas.unit_a.medical_code == "32020001"


def test_it_refuses_the_pledge_before_fifteen_seconds(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    login_handler(client, personas.outsider)
    assert client.post(reverse("portal:pledge_open")).json() == {"ok": True}
    r = client.post(reverse("portal:pledge_confirm"))
    assert r.status_code == 400 and "15 秒" in r.json()["message"]


def test_it_sends_anonymous_visitors_to_login(client: Client, db: object) -> None:
    for name in ("portal:profile", "portal:apply", "portal:records", "portal:claims", "portal:manage"):
        r = client.get(reverse(name))
        assert r.status_code == 302 and r["Location"] == reverse("portal:login"), name


def test_it_logs_out_on_post_only(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    login_handler(client, personas.unit_a)
    assert client.get(reverse("portal:logout")).status_code == 405
    assert client.post(reverse("portal:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_it_shows_the_home_overview_and_navigation(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    login_handler(client, personas.outsider)
    page = client.get(reverse("portal:home")).content.decode()
    for label in ("首页", "参保申请", "参保记录", "理赔分析", "参保管理", "单位信息", "退出登录"):
        assert label in page
    assert "审核通过后才能办理参保" in page


def test_it_lists_the_certificate_under_the_name_the_user_uploaded(client: Client, personas, blobs) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zghz.files.tests.helpers import png_bytes

    unit = personas.outsider
    login_handler(client, unit)
    upload = SimpleUploadedFile("cert.png", png_bytes((64, 48), mode="RGB"), content_type="image/png")
    r = client.post(reverse("portal:profile"), {"district": unit.district_id, "medical_code": "123456",
                                                "handler_name": "王", "certificate_kind": "licence",
                                                "certificate": upload, "action": "save"})
    assert r.status_code == 302, r.content.decode()
    page = client.get(reverse("portal:profile")).content.decode()
    assert "cert.png</a>" in page and "（已转换为 JPEG）" in page and "cert.jpg" not in page
    download = client.get(reverse("portal:certificate"))
    assert download["Content-Type"] == "image/jpeg" and "cert.jpg" in download["Content-Disposition"]
