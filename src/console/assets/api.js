/* The JSON API client and small DOM helpers shared by every view. */
"use strict";
var TC = window.TC || (window.TC = {});

TC.USER_KEY = "taskcenter.user_id";

TC.userId = function () {
  try { return localStorage.getItem(TC.USER_KEY); } catch (e) { return null; }
};
TC.setUserId = function (id) {
  try {
    if (id === null) localStorage.removeItem(TC.USER_KEY);
    else localStorage.setItem(TC.USER_KEY, String(id));
  } catch (e) { /* private mode: the session still works for this page */ }
};

/* An API failure: the server's message and the HTTP status. */
TC.ApiError = function (message, status) {
  this.message = message;
  this.status = status;
};

/* Calls the API: `method path` with an optional JSON body; resolves with the
   envelope's `data`, rejects with a TC.ApiError. A 401 ends the session in
   this page and shows the login view. */
TC.api = function (method, path, body) {
  var headers = { "Accept": "application/json" };
  var id = TC.userId();
  if (id) headers["New-Api-User"] = id;
  var init = { method: method, headers: headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(path, init).then(function (resp) {
    return resp.text().then(function (text) {
      var json = null;
      try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
      if (resp.status === 401 && path !== "/api/user/login") {
        TC.setUserId(null);
        TC.me = null;
        if (TC.go) TC.go("#/login");
      }
      if (!resp.ok || !json || json.success === false) {
        var msg = (json && json.message) || (resp.status + " " + resp.statusText);
        throw new TC.ApiError(msg, resp.status);
      }
      return json.data;
    });
  }, function () {
    throw new TC.ApiError(TC.t("network_error"), 0);
  });
};

/* `?a=1&b=2` of the non-empty entries of `params`. */
TC.qs = function (params) {
  var parts = [];
  Object.keys(params).forEach(function (k) {
    var v = params[k];
    if (v !== undefined && v !== null && v !== "") {
      parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(v));
    }
  });
  return parts.length ? "?" + parts.join("&") : "";
};

/* An element: `attrs` are set as attributes (except `text`, `on*` handlers
   given as functions are attached as listeners, never as attributes);
   children are nodes or strings. Nothing is ever parsed as HTML. */
TC.el = function (tag, attrs) {
  var node = document.createElement(tag);
  if (attrs) {
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === "text") node.textContent = String(v);
      else if (k.indexOf("on") === 0 && typeof v === "function") node.addEventListener(k.slice(2), v);
      else if (k === "value") node.value = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    });
  }
  for (var i = 2; i < arguments.length; i++) {
    var c = arguments[i];
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) c.forEach(function (x) { if (x) node.appendChild(typeof x === "string" ? document.createTextNode(x) : x); });
    else node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return node;
};

/* A labelled form field. */
TC.field = function (id, label, input) {
  input.id = id;
  return TC.el("div", { "class": "field" }, TC.el("label", { "for": id, text: label }), input);
};

/* A view's <main> with its <h1> and its alert (#view-error). */
TC.main = function (titleKey, errorId) {
  var alert = TC.el("p", { id: errorId || "view-error", role: "alert", "class": "alert", hidden: true });
  var main = TC.el("main", null, TC.el("h1", { text: TC.t(titleKey) }), alert);
  main.showError = function (e) {
    var msg = e && e.message ? e.message : String(e || "");
    alert.textContent = msg;
    alert.hidden = !msg;
  };
  main.clearError = function () { main.showError(""); };
  return main;
};

/* A table with a <thead> of `headers` (already translated) and a <tbody>. */
TC.table = function (id, headers) {
  var tbody = TC.el("tbody");
  var table = TC.el("table", { id: id },
    TC.el("thead", null, TC.el("tr", null, headers.map(function (h) { return TC.el("th", { scope: "col", text: h }); }))),
    tbody);
  table.body = tbody;
  return table;
};

TC.wrap = function (table) { return TC.el("div", { "class": "table-wrap" }, table); };

/* Unix seconds as local date and time; empty for 0. */
TC.time = function (secs) {
  if (!secs) return "";
  return new Date(secs * 1000).toLocaleString(TC.lang);
};

/* Seconds as a short duration. */
TC.duration = function (secs) {
  if (secs < 0 || isNaN(secs)) return "";
  secs = Math.round(secs);
  if (secs < 60) return TC.t("seconds", secs);
  if (secs < 3600) return TC.t("minutes", Math.floor(secs / 60), secs % 60);
  return TC.t("hours", Math.floor(secs / 3600), Math.floor((secs % 3600) / 60));
};

/* `datetime-local` value ⇄ unix seconds (local time). */
TC.toLocalInput = function (secs) {
  if (!secs) return "";
  var d = new Date(Number(secs) * 1000);
  var p = function (n) { return (n < 10 ? "0" : "") + n; };
  return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" + p(d.getHours()) + ":" + p(d.getMinutes());
};
TC.fromLocalInput = function (value) {
  if (!value) return "";
  var ms = new Date(value).getTime();
  return isNaN(ms) ? "" : String(Math.floor(ms / 1000));
};

/* The route's query (`#/tasks?status=FAILURE&p=2`) as an object. */
TC.hashQuery = function () {
  var h = location.hash || "";
  var i = h.indexOf("?");
  var out = {};
  if (i < 0) return out;
  h.slice(i + 1).split("&").forEach(function (pair) {
    if (!pair) return;
    var j = pair.indexOf("=");
    var k = decodeURIComponent(j < 0 ? pair : pair.slice(0, j));
    out[k] = j < 0 ? "" : decodeURIComponent(pair.slice(j + 1).replace(/\+/g, " "));
  });
  return out;
};

/* A pager: prev/next buttons and the page text; `onPage(p)` on click. */
TC.pager = function (ids, page, pages, onPage) {
  var prev = TC.el("button", { type: "button", id: ids.prev, "class": "secondary", text: TC.t("prev"), disabled: page <= 1 });
  var next = TC.el("button", { type: "button", id: ids.next, "class": "secondary", text: TC.t("next"), disabled: page >= pages });
  prev.addEventListener("click", function () { onPage(page - 1); });
  next.addEventListener("click", function () { onPage(page + 1); });
  return TC.el("div", { "class": "pager" }, prev,
    TC.el("span", { id: ids.info, "aria-live": "polite", text: TC.t("page_info", page, pages) }), next);
};

TC.isAdmin = function () { return !!(TC.me && TC.me.role >= 10); };
TC.isRoot = function () { return !!(TC.me && TC.me.role >= 100); };
