/* The Keys view: create a key (shown once, with a copy button), list,
   enable/disable, delete. */
"use strict";
var TC = window.TC || (window.TC = {});
TC.views = TC.views || {};

var KEY_STATUS = { 1: "enabled", 2: "disabled", 3: "expired", 4: "exhausted" };

TC.views.keys = function () {
  var main = TC.main("keys");
  var name = TC.el("input", { type: "text", required: true, maxlength: "64" });
  var quota = TC.el("input", { type: "number", min: "0", step: "1", inputmode: "numeric" });
  var createBtn = TC.el("button", { id: "key-create", type: "submit", text: TC.t("create") });
  var form = TC.el("form", { id: "key-form", "class": "row", "aria-label": TC.t("new_key") },
    TC.field("key-name", TC.t("key_name"), name),
    TC.field("key-quota", TC.t("key_quota"), quota),
    TC.el("div", { "class": "field" }, createBtn));
  var created = TC.el("div", { id: "key-created", "class": "secret", hidden: true });
  var table = TC.table("keys-table", [TC.t("key_name"), TC.t("remain"), TC.t("used"), TC.t("status"), TC.t("actions")]);
  main.appendChild(TC.el("h2", { text: TC.t("new_key") }));
  main.appendChild(form);
  main.appendChild(created);
  main.appendChild(TC.el("h2", { text: TC.t("your_keys") }));
  main.appendChild(TC.wrap(table));

  function showKey(key) {
    while (created.firstChild) created.removeChild(created.firstChild);
    var note = TC.el("span", { "class": "ok", "aria-live": "polite" });
    var copy = TC.el("button", { id: "key-copy", type: "button", "class": "secondary", text: TC.t("copy") });
    copy.addEventListener("click", function () {
      var done = function () { note.textContent = TC.t("copied"); copy.textContent = TC.t("copied"); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(key).then(done, function () { note.textContent = TC.t("copy_failed"); });
      } else {
        note.textContent = TC.t("copy_failed");
      }
    });
    created.appendChild(TC.el("p", { text: TC.t("key_created") }));
    created.appendChild(TC.el("code", { id: "new-key", text: key }));
    created.appendChild(TC.el("div", { "class": "actions" }, copy, note));
    created.hidden = false;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    main.clearError();
    var body = { name: name.value.trim() };
    if (quota.value.trim() === "") body.unlimited_quota = true;
    else { body.remain_quota = parseInt(quota.value, 10); body.unlimited_quota = false; }
    createBtn.disabled = true;
    TC.api("POST", "/api/token/", body).then(function (data) {
      createBtn.disabled = false;
      name.value = "";
      quota.value = "";
      showKey(data.key);
      load();
    }, function (e) { createBtn.disabled = false; main.showError(e); });
  });

  function keyRow(k) {
    var word = KEY_STATUS[k.status] || "disabled";
    var toggle = TC.el("button", { type: "button", "class": "secondary key-toggle",
      text: k.status === 1 ? TC.t("disable") : TC.t("enable"), "aria-label": (k.status === 1 ? TC.t("disable") : TC.t("enable")) + " " + k.name });
    var del = TC.el("button", { type: "button", "class": "secondary key-delete", text: TC.t("delete"), "aria-label": TC.t("delete") + " " + k.name });
    toggle.addEventListener("click", function () {
      main.clearError();
      TC.api("PUT", "/api/token/", { id: k.id, status: k.status === 1 ? 2 : 1 }).then(load, main.showError);
    });
    del.addEventListener("click", function () {
      if (!window.confirm(TC.t("confirm_delete_key", k.name))) return;
      main.clearError();
      TC.api("DELETE", "/api/token/" + k.id).then(load, main.showError);
    });
    return TC.el("tr", { "data-key-id": String(k.id) },
      TC.el("td", { "class": "col-name", text: k.name }),
      TC.el("td", { "class": "col-remain", text: k.unlimited_quota ? TC.t("unlimited") : String(k.remain_quota) }),
      TC.el("td", { "class": "col-used", text: String(k.used_quota) }),
      TC.el("td", { "class": "col-status" }, TC.el("span", { "class": "badge", "data-state": k.status === 1 ? "on" : "off", text: TC.t(word) })),
      TC.el("td", { "class": "col-actions" }, TC.el("div", { "class": "actions" }, toggle, del)));
  }

  function load() {
    TC.api("GET", "/api/token/?p=1&page_size=100").then(function (data) {
      var body = table.body;
      while (body.firstChild) body.removeChild(body.firstChild);
      var items = data.items || [];
      if (!items.length) body.appendChild(TC.el("tr", null, TC.el("td", { colspan: "5", "class": "note", text: TC.t("no_rows") })));
      items.forEach(function (k) { body.appendChild(keyRow(k)); });
    }, main.showError);
  }
  load();
  return main;
};
