// Small progressive enhancements; every form also works as a plain POST.
(function () {
  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  window.zghzPost = function (url, data) {
    var body = new URLSearchParams(data || {});
    return fetch(url, { method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "X-Requested-With": "fetch" } })
      .then(function (r) { return r.json().catch(function () { return { ok: false, message: "网络错误，请刷新页面后重试" }; })
        .then(function (j) { j.status = r.status; return j; }); })
      .catch(function () { return { ok: false, message: "网络错误，请刷新页面后重试" }; });
  };
  // 获取验证码: posts the phone, shows the answer, counts down 60 s.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-sms-purpose]");
    if (!btn) return;
    e.preventDefault();
    var form = btn.closest("form");
    var phone = form.querySelector("[name$=phone]").value.trim();
    var out = form.querySelector("[data-sms-message]");
    btn.disabled = true;
    zghzPost(btn.dataset.smsUrl, { phone: phone, purpose: btn.dataset.smsPurpose }).then(function (res) {
      if (out) { out.textContent = res.message || ""; out.className = res.ok ? "muted" : "error"; }
      if (!res.ok) { btn.disabled = false; return; }
      var left = 60, label = btn.textContent;
      btn.textContent = left + " 秒后重新获取";
      var timer = setInterval(function () {
        left -= 1;
        if (left <= 0) { clearInterval(timer); btn.disabled = false; btn.textContent = label; return; }
        btn.textContent = left + " 秒后重新获取";
      }, 1000);
    });
  });
  // Tabs on the login page.
  document.addEventListener("click", function (e) {
    var tab = e.target.closest("[data-tab]");
    if (!tab) return;
    e.preventDefault();
    document.querySelectorAll("[data-tab]").forEach(function (t) { t.classList.toggle("active", t === tab); });
    document.querySelectorAll("[data-pane]").forEach(function (p) { p.classList.toggle("hidden", p.dataset.pane !== tab.dataset.tab); });
  });
  // 承诺书: ticking opens the letter; 我已阅读完成 unlocks after 15 s (the server checks the same).
  document.addEventListener("change", function (e) {
    var box = e.target.closest("[data-pledge-open]");
    if (!box || !box.checked) return;
    box.checked = false;
    var modal = document.getElementById("pledge-modal");
    var confirmBtn = modal.querySelector("[data-pledge-confirm]");
    var out = modal.querySelector("[data-pledge-message]");
    zghzPost(box.dataset.pledgeOpen).then(function (res) {
      if (!res.ok) { alert(res.message); return; }
      modal.classList.remove("hidden");
      var left = 15;
      confirmBtn.disabled = true;
      confirmBtn.textContent = "我已阅读完成（" + left + " 秒）";
      var timer = setInterval(function () {
        left -= 1;
        if (left <= 0) { clearInterval(timer); confirmBtn.disabled = false; confirmBtn.textContent = "我已阅读完成"; return; }
        confirmBtn.textContent = "我已阅读完成（" + left + " 秒）";
      }, 1000);
    });
    confirmBtn.onclick = function () {
      zghzPost(confirmBtn.dataset.pledgeConfirm).then(function (res) {
        if (!res.ok) { out.textContent = res.message; out.className = "error"; return; }
        modal.classList.add("hidden");
        box.checked = true;
        var state = document.querySelector("[data-pledge-state]");
        if (state) state.textContent = "已阅读并确认《承诺书》";
      });
    };
  });
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-modal-close]")) e.target.closest(".modal").classList.add("hidden");
  });
  // Confirm dangerous actions; then show that a long action is under way (data-busy) and keep a second
  // click from sending the form again while the server works.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    // A form acting on ticked rows says so when none is ticked, before any confirmation.
    var need = form.dataset.requireChecked;
    if (need && !form.querySelector("input[name=" + need + "]:checked, input[name=all]:checked")) {
      e.preventDefault();
      var note = form.querySelector("[data-require-note]");
      if (note) { note.textContent = form.dataset.requireMessage; note.classList.remove("hidden"); }
      else { window.alert(form.dataset.requireMessage); }
      return;
    }
    var msg = form.dataset.confirm;
    if (msg && !window.confirm(msg)) { e.preventDefault(); return; }
    if (form.dataset.busy !== undefined) {
      var note = form.querySelector("[data-busy-note]");
      if (note) { note.textContent = form.dataset.busy; note.classList.remove("hidden"); }
      setTimeout(function () {  // after the browser has collected the submitter's name/value
        form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    }
  });
})();
