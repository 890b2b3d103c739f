/* The Admin view (role >= 10; the API refuses everyone else anyway):
   users (search, enable/disable, top-up with reason), channels (add,
   enable/disable, test, masked keys); root: prices and group ratios,
   the ledger audit. */
"use strict";
var TC = window.TC || (window.TC = {});
TC.views = TC.views || {};

function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

function onOff(status) {
  return TC.el("span", { "class": "badge", "data-state": status === 1 ? "on" : "off", text: TC.t(status === 1 ? "enabled" : "disabled") });
}

function usersSection(main) {
  var section = TC.el("section", { "aria-labelledby": "users-h" }, TC.el("h2", { id: "users-h", text: TC.t("users") }));
  var search = TC.el("input", { type: "search" });
  var searchForm = TC.el("form", { "class": "row", role: "search" }, TC.field("user-search", TC.t("search"), search),
    TC.el("div", { "class": "field" }, TC.el("button", { type: "submit", "class": "secondary", text: TC.t("search") })));
  var table = TC.table("users-table", [TC.t("user_id"), TC.t("username"), TC.t("role"), TC.t("status"), TC.t("quota"), TC.t("actions")]);
  var amount = TC.el("input", { type: "number", step: "1", required: true, inputmode: "numeric" });
  var reason = TC.el("input", { type: "text", required: true, maxlength: "200" });
  var topupTitle = TC.el("h3", { id: "topup-h" });
  var topupForm = TC.el("form", { id: "topup-form", "class": "row", hidden: true, "aria-labelledby": "topup-h" },
    topupTitle,
    TC.field("topup-amount", TC.t("topup_amount"), amount),
    TC.field("topup-reason", TC.t("topup_reason"), reason),
    TC.el("div", { "class": "field" }, TC.el("div", { "class": "actions" },
      TC.el("button", { id: "topup-submit", type: "submit", text: TC.t("top_up") }),
      TC.el("button", { id: "topup-cancel", type: "button", "class": "secondary", text: TC.t("cancel") }))));
  var target = null;
  topupForm.querySelector("#topup-cancel").addEventListener("click", function () { topupForm.hidden = true; });
  topupForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!target) return;
    main.clearError();
    var id = target;
    TC.api("POST", "/api/user/" + id + "/quota", { delta: parseInt(amount.value, 10), reason: reason.value.trim() }).then(function (user) {
      var cell = table.querySelector('tr[data-user-id="' + id + '"] td.col-quota');
      if (cell) cell.textContent = String(user.quota);
      amount.value = "";
      reason.value = "";
      topupForm.hidden = true;
    }, main.showError);
  });

  function userRow(u) {
    var toggle = TC.el("button", { type: "button", "class": "secondary user-toggle",
      text: TC.t(u.status === 1 ? "disable" : "enable"), "aria-label": TC.t(u.status === 1 ? "disable" : "enable") + " " + u.username });
    var topup = TC.el("button", { type: "button", "class": "secondary user-topup", text: TC.t("top_up"), "aria-label": TC.t("topup_for", u.username) });
    toggle.addEventListener("click", function () {
      main.clearError();
      TC.api("PUT", "/api/user/", { id: u.id, status: u.status === 1 ? 2 : 1 }).then(load, main.showError);
    });
    topup.addEventListener("click", function () {
      target = u.id;
      topupTitle.textContent = TC.t("topup_for", u.username);
      topupForm.hidden = false;
      amount.focus();
    });
    var role = [1, 10, 100].indexOf(u.role) >= 0 ? TC.t("role_" + u.role) : String(u.role);
    return TC.el("tr", { "data-user-id": String(u.id) },
      TC.el("td", { "class": "col-id", text: String(u.id) }),
      TC.el("td", { "class": "col-username", text: u.username }),
      TC.el("td", { "class": "col-role", text: role }),
      TC.el("td", { "class": "col-status" }, onOff(u.status)),
      TC.el("td", { "class": "col-quota", text: String(u.quota) }),
      TC.el("td", { "class": "col-actions" }, TC.el("div", { "class": "actions" }, toggle, topup)));
  }
  function load() {
    TC.api("GET", "/api/user/" + TC.qs({ p: 1, page_size: 100, keyword: search.value.trim() })).then(function (data) {
      clear(table.body);
      (data.items || []).forEach(function (u) { table.body.appendChild(userRow(u)); });
    }, main.showError);
  }
  searchForm.addEventListener("submit", function (ev) { ev.preventDefault(); load(); });
  search.addEventListener("input", function () { load(); });
  section.appendChild(searchForm);
  section.appendChild(TC.wrap(table));
  section.appendChild(topupForm);
  load();
  return section;
}

function channelsSection(main) {
  var section = TC.el("section", { "aria-labelledby": "channels-h" }, TC.el("h2", { id: "channels-h", text: TC.t("channels") }));
  var table = TC.table("channels-table", [TC.t("channel_id"), TC.t("name"), TC.t("type"), TC.t("status"), TC.t("key"),
    TC.t("models"), TC.t("priority"), TC.t("last_error"), TC.t("actions")]);
  function channelRow(c) {
    var lastError = TC.el("td", { "class": "col-error", "aria-live": "polite", text: c.last_error || "" });
    var toggle = TC.el("button", { type: "button", "class": "secondary channel-toggle",
      text: TC.t(c.status === 1 ? "disable" : "enable"), "aria-label": TC.t(c.status === 1 ? "disable" : "enable") + " " + c.name });
    var test = TC.el("button", { type: "button", "class": "secondary channel-test", text: TC.t("test"), "aria-label": TC.t("test") + " " + c.name });
    toggle.addEventListener("click", function () {
      main.clearError();
      TC.api("PUT", "/api/channel/", { id: c.id, status: c.status === 1 ? 2 : 1 }).then(load, main.showError);
    });
    test.addEventListener("click", function () {
      test.disabled = true;
      TC.api("POST", "/api/channel/" + c.id + "/test").then(function (r) {
        test.disabled = false;
        lastError.textContent = r.ok ? TC.t("test_ok", r.latency_ms) : TC.t("test_failed", r.error || r.status || "");
        lastError.className = "col-error " + (r.ok ? "ok" : "alert");
      }, function (e) { test.disabled = false; lastError.textContent = TC.t("test_failed", e.message); });
    });
    return TC.el("tr", { "data-channel-id": String(c.id) },
      TC.el("td", { "class": "col-id", text: String(c.id) }),
      TC.el("td", { "class": "col-name", text: c.name }),
      TC.el("td", { "class": "col-type", text: c.type }),
      TC.el("td", { "class": "col-status" }, onOff(c.status)),
      TC.el("td", { "class": "col-key" }, TC.el("code", { text: c.key })),
      TC.el("td", { "class": "col-models", text: c.models }),
      TC.el("td", { "class": "col-priority", text: String(c.priority) }),
      lastError,
      TC.el("td", { "class": "col-actions" }, TC.el("div", { "class": "actions" }, toggle, test)));
  }
  function load() {
    TC.api("GET", "/api/channel/?p=1&page_size=100").then(function (data) {
      clear(table.body);
      (data.items || []).forEach(function (c) { table.body.appendChild(channelRow(c)); });
    }, main.showError);
  }
  var f = {
    name: TC.el("input", { type: "text", required: true }),
    type: TC.el("select", null, TC.el("option", { value: "suno", text: "suno" }), TC.el("option", { value: "sora", text: "sora" })),
    base_url: TC.el("input", { type: "url", required: true, placeholder: "https://" }),
    key: TC.el("input", { type: "password", required: true, autocomplete: "off" }),
    models: TC.el("input", { type: "text" }),
    priority: TC.el("input", { type: "number", step: "1", value: "0" })
  };
  var form = TC.el("form", { id: "channel-form", "class": "row", "aria-label": TC.t("add_channel") },
    TC.field("ch-name", TC.t("name"), f.name), TC.field("ch-type", TC.t("type"), f.type),
    TC.field("ch-base-url", TC.t("base_url"), f.base_url), TC.field("ch-key", TC.t("key"), f.key),
    TC.field("ch-models", TC.t("models"), f.models), TC.field("ch-priority", TC.t("priority"), f.priority),
    TC.el("div", { "class": "field" }, TC.el("button", { id: "ch-submit", type: "submit", text: TC.t("add") })));
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    main.clearError();
    var body = { name: f.name.value.trim(), type: f.type.value, base_url: f.base_url.value.trim(),
      key: f.key.value, priority: parseInt(f.priority.value, 10) || 0 };
    if (f.models.value.trim()) body.models = f.models.value.trim();
    TC.api("POST", "/api/channel/", body).then(function () {
      form.reset();
      load();
    }, main.showError);
  });
  section.appendChild(TC.wrap(table));
  section.appendChild(TC.el("h3", { text: TC.t("add_channel") }));
  section.appendChild(form);
  load();
  return section;
}

function pricesSection(main) {
  var section = TC.el("section", { "aria-labelledby": "prices-h" }, TC.el("h2", { id: "prices-h", text: TC.t("prices") }));
  var area = TC.el("textarea", { spellcheck: "false" });
  var note = TC.el("span", { "class": "ok", role: "status" });
  var save = TC.el("button", { id: "prices-save", type: "button", text: TC.t("save") });
  section.appendChild(TC.el("p", { "class": "note", text: TC.t("prices_help") }));
  section.appendChild(TC.el("div", { "class": "field" }, TC.el("label", { "for": "prices", text: TC.t("prices") }), area));
  area.id = "prices";
  section.appendChild(TC.el("div", { "class": "actions" }, save, note));
  TC.api("GET", "/api/option/").then(function (opts) {
    var obj = {};
    (opts || []).forEach(function (o) {
      try { obj[o.key] = JSON.parse(o.value); } catch (e) { obj[o.key] = o.value; }
    });
    area.value = JSON.stringify(obj, null, 2);
  }, main.showError);
  save.addEventListener("click", function () {
    main.clearError();
    note.textContent = "";
    var obj;
    try { obj = JSON.parse(area.value); } catch (e) { main.showError(TC.t("bad_json", e.message)); return; }
    var keys = Object.keys(obj || {});
    keys.reduce(function (chain, key) {
      return chain.then(function () { return TC.api("PUT", "/api/option/", { key: key, value: JSON.stringify(obj[key]) }); });
    }, Promise.resolve()).then(function () { note.textContent = TC.t("saved"); }, main.showError);
  });
  return section;
}

function auditSection(main) {
  var section = TC.el("section", { "aria-labelledby": "audit-h" }, TC.el("h2", { id: "audit-h", text: TC.t("audit") }));
  var run = TC.el("button", { id: "audit-run", type: "button", text: TC.t("run_audit") });
  var out = TC.el("pre", { id: "audit-result", role: "status", "aria-live": "polite" });
  run.addEventListener("click", function () {
    main.clearError();
    out.textContent = TC.t("loading");
    run.disabled = true;
    TC.api("GET", "/api/audit").then(function (r) {
      run.disabled = false;
      out.textContent = r.ok ? TC.t("audit_ok") : JSON.stringify(r.violations, null, 2);
    }, function (e) { run.disabled = false; out.textContent = ""; main.showError(e); });
  });
  section.appendChild(run);
  section.appendChild(out);
  return section;
}

TC.views.admin = function () {
  var main = TC.main("admin");
  if (!TC.isAdmin()) {
    main.showError(TC.t("forbidden"));
    // The API's own refusal, when it says more.
    TC.api("GET", "/api/user/?p=1&page_size=1").then(null, function (e) { if (e.status === 403) main.showError(e); });
    return main;
  }
  main.appendChild(usersSection(main));
  main.appendChild(channelsSection(main));
  if (TC.isRoot()) {
    main.appendChild(pricesSection(main));
    main.appendChild(auditSection(main));
  }
  return main;
};
