/* The Account view: balance in units and USD, the usage log, and the
   password change. */
"use strict";
var TC = window.TC || (window.TC = {});
TC.views = TC.views || {};

/* Quota units per US dollar. */
TC.UNITS_PER_USD = 500000;

TC.usd = function (units) {
  return "$" + (units / TC.UNITS_PER_USD).toFixed(2);
};

TC.views.account = function () {
  var main = TC.main("account");
  var size = 20;
  var page = 1;
  var figure = function (id, label) {
    return TC.el("div", { "class": "figure" }, TC.el("div", { "class": "label", id: id + "-label", text: label }),
      TC.el("div", { "class": "value", id: id, "aria-labelledby": id + "-label", text: "…" }));
  };
  main.appendChild(TC.el("div", { "class": "figures" },
    figure("balance", TC.t("balance")), figure("balance-usd", TC.t("balance_usd")), figure("used-quota", TC.t("used_quota"))));

  main.appendChild(TC.el("h2", { text: TC.t("usage_log") }));
  var table = TC.table("log-table", [TC.t("type"), TC.t("quota"), TC.t("task_id"), TC.t("content"), TC.t("time")]);
  var pagerHolder = TC.el("div");
  main.appendChild(TC.wrap(table));
  main.appendChild(pagerHolder);

  main.appendChild(TC.el("h2", { text: TC.t("change_password") }));
  var oldPw = TC.el("input", { type: "password", autocomplete: "current-password" });
  var newPw = TC.el("input", { type: "password", autocomplete: "new-password", required: true });
  var result = TC.el("p", { id: "pw-result", role: "status", "aria-live": "polite" });
  var form = TC.el("form", { id: "pw-form", "class": "stack" },
    TC.field("pw-old", TC.t("old_password"), oldPw),
    TC.field("pw-new", TC.t("new_password"), newPw),
    TC.el("div", null, TC.el("button", { id: "pw-submit", type: "submit", text: TC.t("save") })));
  main.appendChild(form);
  main.appendChild(result);
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    main.clearError();
    result.textContent = "";
    TC.api("PUT", "/api/user/self", { password: newPw.value, original_password: oldPw.value }).then(function () {
      // A new password ends every session of the user, this one included.
      result.textContent = TC.t("password_changed");
      TC.setUserId(null);
      TC.me = null;
      setTimeout(function () { TC.go("#/login"); }, 1200);
    }, function (e) { result.textContent = e.message; });
  });

  TC.api("GET", "/api/user/self").then(function (me) {
    TC.me = me;
    document.getElementById("balance").textContent = String(me.quota);
    document.getElementById("balance-usd").textContent = TC.usd(me.quota);
    document.getElementById("used-quota").textContent = String(me.used_quota);
  }, main.showError);

  function logRow(l) {
    var type = l.type;
    var word = TC.t("log_" + ([1, 2, 3, 4, 6].indexOf(type) >= 0 ? type : 0));
    return TC.el("tr", { "data-log-type": String(type) },
      TC.el("td", { "class": "col-type", text: word }),
      TC.el("td", { "class": "col-quota", text: String(l.quota) }),
      TC.el("td", { "class": "col-task", text: l.task_id || "" }),
      TC.el("td", { "class": "col-content", text: l.content || "" }),
      TC.el("td", { "class": "col-time", text: TC.time(l.created_at) }));
  }
  function load() {
    TC.api("GET", "/api/log/self" + TC.qs({ p: page, page_size: size })).then(function (data) {
      var body = table.body;
      while (body.firstChild) body.removeChild(body.firstChild);
      var items = data.items || [];
      if (!items.length) body.appendChild(TC.el("tr", null, TC.el("td", { colspan: "5", "class": "note", text: TC.t("no_rows") })));
      items.forEach(function (l) { body.appendChild(logRow(l)); });
      var pages = Math.max(1, Math.ceil(data.total / size));
      while (pagerHolder.firstChild) pagerHolder.removeChild(pagerHolder.firstChild);
      pagerHolder.appendChild(TC.pager({ prev: "log-prev", next: "log-next", info: "log-info" }, page, pages,
        function (p) { page = p; load(); }));
    }, main.showError);
  }
  load();
  return main;
};
