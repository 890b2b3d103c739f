/* The Tasks view: filters (kept in the hash), total, the table with
   badges, progress, times, results (audio, lyrics, video), paging, and a
   refresh every 2 s while any shown task is still running. */
"use strict";
var TC = window.TC || (window.TC = {});
TC.views = TC.views || {};

TC.STATUSES = ["NOT_START", "SUBMITTED", "QUEUED", "IN_PROGRESS", "FAILURE", "SUCCESS", "UNKNOWN"];
var FINAL = { SUCCESS: true, FAILURE: true };
var LIVE_MS = 2000;
var FILTERS = ["task_id", "platform", "status", "action", "start_timestamp", "end_timestamp", "channel_id", "user_id"];

TC.badge = function (status) {
  return TC.el("span", { "class": "badge", "data-status": status, text: TC.t(status) });
};

function progressValue(text) {
  var n = parseInt(String(text || "").replace("%", ""), 10);
  return isNaN(n) ? 0 : Math.max(0, Math.min(100, n));
}

/* The result cell's content: clips, lyrics, or the video. */
function result(task) {
  if (task.status !== "SUCCESS") return [];
  if (task.platform === "55") {
    // The content route serves the caller's own videos only.
    if (TC.me && task.user_id !== TC.me.id) return [TC.el("span", { "class": "note", text: TC.t("owner_only") })];
    var src = "/api/task/self/" + encodeURIComponent(task.task_id) + "/content";
    return [TC.el("video", { controls: true, preload: "auto", "class": "task-video", src: src,
      poster: src + "?variant=thumbnail", "aria-label": TC.t("play_video", task.task_id) })];
  }
  var data = task.data;
  if (Array.isArray(data)) {
    return data.filter(function (c) { return c && c.audio_url; }).map(function (c) {
      var title = c.title || c.id || "";
      return TC.el("div", { "class": "clip" },
        c.image_url ? TC.el("img", { src: c.image_url, alt: TC.t("clip_cover", title), loading: "lazy" }) : null,
        TC.el("div", null,
          TC.el("div", { "class": "clip-title", text: title }),
          TC.el("audio", { controls: true, preload: "auto", "data-clip-id": c.id || "", src: c.audio_url,
            "aria-label": TC.t("play_clip", title) })));
    });
  }
  if (data && typeof data === "object" && typeof data.text === "string") {
    return [TC.el("div", null,
      data.title ? TC.el("div", { "class": "clip-title", text: data.title }) : null,
      TC.el("pre", { "class": "lyrics", "aria-label": TC.t("lyrics"), text: data.text }))];
  }
  return [];
}

function row(task, admin, now) {
  var p = progressValue(task.progress);
  var end = task.finish_time || (FINAL[task.status] ? task.updated_at : now);
  var cells = [
    TC.el("td", { "class": "col-task", text: task.task_id }),
    TC.el("td", { "class": "col-platform", text: task.platform === "55" ? TC.t("video") : task.platform === "suno" ? "Suno" : task.platform }),
    TC.el("td", { "class": "col-action", text: task.action }),
    TC.el("td", { "class": "col-status" }, TC.badge(task.status)),
    TC.el("td", { "class": "col-progress" }, TC.el("progress", { max: "100", value: String(p), "aria-label": TC.t("progress") }), (task.progress || p + "%")),
    TC.el("td", { "class": "col-submitted", text: TC.time(task.submit_time || task.created_at) }),
    TC.el("td", { "class": "col-duration", text: task.submit_time ? TC.duration(end - task.submit_time) : "" }),
    TC.el("td", { "class": "col-reason", text: task.fail_reason || "" })
  ];
  if (admin) {
    cells.push(TC.el("td", { "class": "col-channel", text: task.channel_id === undefined ? "" : String(task.channel_id) }));
    cells.push(TC.el("td", { "class": "col-user", text: (task.username || "") + " (" + task.user_id + ")" }));
  }
  cells.push(TC.el("td", { "class": "col-result" }, result(task)));
  return TC.el("tr", { "data-task-id": task.task_id }, cells);
}

TC.views.tasks = function () {
  var admin = TC.isAdmin();
  var q = TC.hashQuery();
  var page = Math.max(1, parseInt(q.p, 10) || 1);
  var size = [10, 20, 50, 100].indexOf(parseInt(q.size, 10)) >= 0 ? parseInt(q.size, 10) : 20;
  var main = TC.main("tasks");

  var inputs = {
    task_id: TC.el("input", { type: "text", value: q.task_id || "" }),
    platform: TC.el("select", null,
      TC.el("option", { value: "", text: TC.t("all") }),
      TC.el("option", { value: "suno", text: "Suno" }),
      TC.el("option", { value: "55", text: TC.t("video") })),
    status: TC.el("select", null, TC.el("option", { value: "", text: TC.t("all") }),
      TC.STATUSES.map(function (s) { return TC.el("option", { value: s, text: TC.t(s) }); })),
    action: TC.el("input", { type: "text", value: q.action || "" }),
    start_timestamp: TC.el("input", { type: "datetime-local", value: TC.toLocalInput(q.start_timestamp) }),
    end_timestamp: TC.el("input", { type: "datetime-local", value: TC.toLocalInput(q.end_timestamp) })
  };
  inputs.platform.value = q.platform || "";
  inputs.status.value = q.status || "";
  var fields = [
    TC.field("f-task-id", TC.t("task_id"), inputs.task_id),
    TC.field("f-platform", TC.t("platform"), inputs.platform),
    TC.field("f-status", TC.t("status"), inputs.status),
    TC.field("f-action", TC.t("action"), inputs.action),
    TC.field("f-start", TC.t("start"), inputs.start_timestamp),
    TC.field("f-end", TC.t("end"), inputs.end_timestamp)
  ];
  if (admin) {
    inputs.channel_id = TC.el("input", { type: "text", inputmode: "numeric", value: q.channel_id || "" });
    inputs.user_id = TC.el("input", { type: "text", inputmode: "numeric", value: q.user_id || "" });
    fields.push(TC.field("f-channel-id", TC.t("channel_id"), inputs.channel_id));
    fields.push(TC.field("f-user-id", TC.t("user_id"), inputs.user_id));
  }
  var sizeSelect = TC.el("select", null, [10, 20, 50, 100].map(function (n) { return TC.el("option", { value: String(n), text: String(n) }); }));
  sizeSelect.value = String(size);
  fields.push(TC.field("page-size", TC.t("page_size"), sizeSelect));
  fields.push(TC.el("div", { "class": "field" }, TC.el("button", { id: "f-apply", type: "submit", text: TC.t("apply") })));
  var form = TC.el("form", { id: "task-filters", "class": "row", "aria-label": TC.t("filters") }, fields);

  /* The filters as they are in the form (times in unix seconds). */
  function filtersFromForm() {
    var f = {};
    FILTERS.forEach(function (k) {
      if (!inputs[k]) return;
      var v = inputs[k].value.trim();
      f[k] = k.indexOf("timestamp") > 0 ? TC.fromLocalInput(v) : v;
    });
    return f;
  }
  function hashFor(f, p) {
    var all = {};
    Object.keys(f).forEach(function (k) { all[k] = f[k]; });
    if (p > 1) all.p = p;
    if (size !== 20) all.size = size;
    return "#/tasks" + TC.qs(all);
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    size = parseInt(sizeSelect.value, 10) || 20;
    TC.go(hashFor(filtersFromForm(), 1));
  });
  sizeSelect.addEventListener("change", function () {
    size = parseInt(sizeSelect.value, 10) || 20;
    TC.go(hashFor(filtersFromForm(), 1));
  });

  var total = TC.el("span", { id: "tasks-total", text: "0" });
  var live = TC.el("span", { "class": "note", "aria-live": "polite" });
  var headers = [TC.t("task_id"), TC.t("platform"), TC.t("action"), TC.t("status"), TC.t("progress"),
    TC.t("submitted"), TC.t("duration"), TC.t("reason")];
  if (admin) headers.push(TC.t("channel"), TC.t("user"));
  headers.push(TC.t("result"));
  var table = TC.table("tasks-table", headers);
  table.setAttribute("data-live", "0");
  var pagerHolder = TC.el("div");
  main.appendChild(form);
  main.appendChild(TC.el("p", null, TC.t("total") + ": ", total, " ", live));
  main.appendChild(TC.wrap(table));
  main.appendChild(pagerHolder);

  var applied = {};
  FILTERS.forEach(function (k) { if (q[k]) applied[k] = q[k]; });
  var timer = null;
  var stopped = false;
  /* Rows by task id with the JSON they were drawn from: an unchanged task
     keeps its row, so a playing <audio> or <video> is not interrupted. */
  var drawn = {};
  TC.onLeave(function () { stopped = true; if (timer) clearTimeout(timer); });

  function draw(data) {
    var now = Math.floor(Date.now() / 1000);
    total.textContent = String(data.total);
    var next = {};
    var body = table.body;
    var rows = (data.items || []).map(function (task) {
      var key = JSON.stringify(task);
      var old = drawn[task.task_id];
      var tr = old && old.key === key ? old.tr : row(task, admin, now);
      next[task.task_id] = { key: key, tr: tr };
      return tr;
    });
    while (body.firstChild) body.removeChild(body.firstChild);
    if (!rows.length) body.appendChild(TC.el("tr", null, TC.el("td", { colspan: String(headers.length), "class": "note", text: TC.t("no_rows") })));
    rows.forEach(function (tr) { body.appendChild(tr); });
    drawn = next;
    var pages = Math.max(1, Math.ceil(data.total / size));
    while (pagerHolder.firstChild) pagerHolder.removeChild(pagerHolder.firstChild);
    pagerHolder.appendChild(TC.pager({ prev: "page-prev", next: "page-next", info: "page-info" }, page, pages,
      function (p) { TC.go(hashFor(applied, p)); }));
    var running = (data.items || []).some(function (t) { return !FINAL[t.status]; });
    table.setAttribute("data-live", running ? "1" : "0");
    live.textContent = running ? TC.t("live_on") : "";
    if (running && !stopped) timer = setTimeout(load, LIVE_MS);
  }

  function load() {
    timer = null;
    var params = { p: page, page_size: size };
    Object.keys(applied).forEach(function (k) { params[k] = applied[k]; });
    var path = (admin ? "/api/task/" : "/api/task/self") + TC.qs(params);
    TC.api("GET", path).then(function (data) {
      if (stopped) return;
      main.clearError();
      draw(data);
    }, function (e) {
      if (stopped) return;
      main.showError(e);
      // A passing failure while tasks run: try again at the next tick.
      if (e.status !== 401 && table.getAttribute("data-live") === "1") timer = setTimeout(load, LIVE_MS);
    });
  }
  load();
  return main;
};
