/* The Admin view (role >= 10; the API refuses everyone else anyway):
   users (search, enable/disable, top-up with reason), channels
   (channels.js); root: prices and group ratios, the ledger audit. */
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
  main.appendChild(TC.channelsSection(main));
  if (TC.isRoot()) {
    main.appendChild(pricesSection(main));
    main.appendChild(auditSection(main));
  }
  return main;
};
