/* The shell: routing by hash, the navigation, the language switch, the
   login view. Every view lives in its own file and registers in TC.views. */
"use strict";
var TC = window.TC || (window.TC = {});
TC.views = TC.views || {};
TC.me = null;

/* Work a view asked to stop when it is left (timers). */
TC.leaving = [];
TC.onLeave = function (fn) { TC.leaving.push(fn); };

var ROUTES = ["login", "tasks", "keys", "account", "admin"];
var generation = 0;

function routeName() {
  var h = (location.hash || "").replace(/^#\/?/, "");
  var name = h.split("?")[0];
  return ROUTES.indexOf(name) >= 0 ? name : "";
}

TC.go = function (hash) {
  if (location.hash === hash) TC.render();
  else location.hash = hash;
};

function renderNav(name) {
  var nav = document.getElementById("nav");
  nav.setAttribute("aria-label", TC.t("nav"));
  while (nav.firstChild) nav.removeChild(nav.firstChild);
  if (name === "login" || !TC.me) { nav.hidden = true; return; }
  var links = ["tasks", "keys", "account"];
  if (TC.isAdmin()) links.push("admin");
  links.forEach(function (v) {
    nav.appendChild(TC.el("a", { id: "nav-" + v, href: "#/" + v, text: TC.t(v), "aria-current": v === name ? "page" : null }));
  });
  nav.appendChild(TC.el("span", { id: "whoami", text: TC.me.username }));
  var out = TC.el("button", { id: "logout", type: "button", "class": "secondary", text: TC.t("logout") });
  out.addEventListener("click", logout);
  nav.appendChild(out);
  nav.hidden = false;
}

function logout() {
  var done = function () { TC.setUserId(null); TC.me = null; TC.go("#/login"); };
  TC.api("GET", "/api/user/logout").then(done, done);
}

function show(main) {
  var holder = document.getElementById("view");
  while (holder.firstChild) holder.removeChild(holder.firstChild);
  holder.appendChild(main);
}

/* Renders the view the hash names, in the language in use. */
TC.render = function () {
  var mine = ++generation;
  TC.leaving.splice(0).forEach(function (fn) { try { fn(); } catch (e) { /* already gone */ } });
  document.documentElement.lang = TC.lang;
  document.getElementById("lang").value = TC.lang;
  document.getElementById("lang-label").textContent = TC.t("language");
  var name = routeName();
  if (!TC.userId()) {
    // The address says what is shown: #/login (hashchange renders it).
    if (name !== "login") { location.replace("#/login"); return; }
  } else if (!name || name === "login") { TC.go("#/tasks"); return; }
  document.title = TC.t(name) + " · taskcenter";
  if (name === "login") { renderNav(name); show(loginView()); return; }
  var ready = TC.me ? Promise.resolve(TC.me) : TC.api("GET", "/api/user/self").then(function (me) { TC.me = me; return me; });
  ready.then(function () {
    if (mine !== generation) return;
    renderNav(name);
    show(TC.views[name]());
  }, function (e) {
    if (mine !== generation || e.status === 401) return;
    var main = TC.main(name);
    main.showError(e);
    show(main);
  });
};

function loginView() {
  var main = TC.main("login", "login-error");
  main.classList.add("login");
  var user = TC.el("input", { type: "text", autocomplete: "username", required: true });
  var pass = TC.el("input", { type: "password", autocomplete: "current-password", required: true });
  var submit = TC.el("button", { id: "login-submit", type: "submit", text: TC.t("login") });
  var form = TC.el("form", { id: "login-form", "class": "stack" },
    TC.field("login-username", TC.t("username"), user),
    TC.field("login-password", TC.t("password"), pass),
    TC.el("div", null, submit));
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    main.clearError();
    submit.disabled = true;
    TC.api("POST", "/api/user/login", { username: user.value, password: pass.value }).then(function (me) {
      TC.setUserId(me.id);
      TC.me = me;
      TC.go("#/tasks");
    }, function (e) {
      submit.disabled = false;
      main.showError(e);
      pass.select();
    });
  });
  main.appendChild(form);
  setTimeout(function () { user.focus(); }, 0);
  return main;
}

document.addEventListener("DOMContentLoaded", function () {
  var select = document.getElementById("lang");
  select.addEventListener("change", function () { TC.setLang(select.value); TC.render(); });
  window.addEventListener("hashchange", TC.render);
  TC.render();
});
