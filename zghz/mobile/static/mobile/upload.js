// 上传病理报告: each chosen photo is downscaled in the browser (a 10 MB phone photo becomes a few hundred
// KB) and previewed; a preview can be removed before 确认并上传 sends them all in one request. Without
// script support the form posts the chosen files as they are, and the server re-encodes them anyway.
(function () {
  var MAX_SIDE = 2600, QUALITY = 0.85, SMALL = 1024 * 1024;
  var form = document.querySelector("[data-upload]");
  if (!form || !window.FormData || !window.fetch || !window.URL || !HTMLCanvasElement.prototype.toBlob) return;
  var chosen = {};
  var errorBox = form.querySelector("[data-upload-error]");
  var busy = form.querySelector("[data-upload-busy]");

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.classList.toggle("hidden", !message);
  }

  function downscale(file) {
    return new Promise(function (resolve) {
      var keep = { blob: file, name: file.name };
      if (!/^image\/(png|jpeg)$/.test(file.type)) { resolve(keep); return; }
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var w = img.naturalWidth, h = img.naturalHeight, scale = Math.min(1, MAX_SIDE / Math.max(w, h));
        if (scale === 1 && file.size <= SMALL) { URL.revokeObjectURL(url); resolve(keep); return; }
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(w * scale));
        canvas.height = Math.max(1, Math.round(h * scale));
        var ctx = canvas.getContext("2d");
        ctx.fillStyle = "#fff";  // a transparent PNG becomes a JPEG on white, not on black
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) {
          resolve(blob ? { blob: blob, name: file.name.replace(/\.[^.]*$/, "") + ".jpg" } : keep);
        }, "image/jpeg", QUALITY);
      };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(keep); };
      img.src = url;
    });
  }

  function render(section) {
    var group = section.dataset.group, box = section.querySelector("[data-thumbs]");
    box.textContent = "";
    (chosen[group] || []).forEach(function (entry, i) {
      var cell = document.createElement("div");
      cell.className = "thumb";
      var img = document.createElement("img");
      img.src = entry.url;
      img.alt = entry.name;
      var remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "删除";
      remove.setAttribute("aria-label", "删除第 " + (i + 1) + " 张");
      remove.onclick = function () {
        URL.revokeObjectURL(entry.url);
        chosen[group].splice(i, 1);
        render(section);
      };
      cell.appendChild(img);
      cell.appendChild(remove);
      box.appendChild(cell);
    });
  }

  form.querySelectorAll("[data-group]").forEach(function (section) {
    var input = section.querySelector("input[type=file]");
    function take() {
      var files = Array.prototype.slice.call(input.files || []);
      if (!files.length) return;
      input.value = "";
      showError("");
      Promise.all(files.map(downscale)).then(function (entries) {
        var list = chosen[section.dataset.group] = chosen[section.dataset.group] || [];
        entries.forEach(function (e) { e.url = URL.createObjectURL(e.blob); list.push(e); });
        render(section);
      });
    }
    input.addEventListener("change", take);
    take();  // photos chosen on a slow phone before this script ran
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    var count = 0;
    Object.keys(chosen).forEach(function (group) {
      chosen[group].forEach(function (entry) { data.append(group, entry.blob, entry.name); count += 1; });
    });
    if (!count) { showError("请选择要上传的图片"); return; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    busy.classList.remove("hidden");
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": data.get("csrfmiddlewaretoken") } })
      .then(function (r) { return r.json(); })
      .then(function (res) {
        if (res.ok) { window.location.href = res.redirect; return; }
        showError(res.message);
        button.disabled = false;
        busy.classList.add("hidden");
      })
      .catch(function () {
        showError("网络错误，请检查网络后重试");
        button.disabled = false;
        busy.classList.add("hidden");
      });
  });
})();
