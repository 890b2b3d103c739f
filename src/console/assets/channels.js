/* Admin → Channels: the list with each channel's health (status in words,
   the server's reason for an automatic disable, healthy or not, failures
   in a row, last success, last error, 24 h success ratio and median
   latency), enable/disable, test, and one form that adds a channel or,
   after a row's Edit, changes it (`PUT /api/channel/`; a blank key keeps
   the stored one). */
"use strict";
var TC = window.TC || (window.TC = {});

(function () {
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  /* Status 1 enabled, 2 disabled by hand, 3 disabled by the server. */
  function statusCell(c) {
    var state = c.status === 1 ? "on" : "off";
    var key = c.status === 1 ? "enabled" : c.status === 3 ? "auto_disabled" : "disabled";
    var cell = TC.el("td", { "class": "col-status" },
      TC.el("span", { "class": "badge", "data-state": state, "data-channel-status": String(c.status), text: TC.t(key) }));
    if (c.status === 3 && c.disabled_reason) {
      cell.appendChild(TC.el("div", { "class": "disabled-reason note", text: c.disabled_reason }));
      if (c.disabled_at) cell.appendChild(TC.el("div", { "class": "note", text: TC.time(c.disabled_at) }));
    }
    return cell;
  }

  function healthCell(c) {
    var cell = TC.el("td", { "class": "col-health" },
      TC.el("span", { "class": "badge", "data-state": c.healthy === false ? "off" : "on", "data-healthy": c.healthy === false ? "0" : "1",
        text: TC.t(c.healthy === false ? "unhealthy" : "healthy") }));
    if (c.consecutive_failures) {
      cell.appendChild(TC.el("div", { "class": "note col-failures", text: TC.t("failures_in_a_row", c.consecutive_failures) }));
    }
    return cell;
  }

  function lastErrorCell(c) {
    var cell = TC.el("td", { "class": "col-error" });
    if (c.last_error) {
      cell.appendChild(TC.el("div", { "class": "last-error", text: c.last_error }));
      if (c.last_error_at) cell.appendChild(TC.el("div", { "class": "note", text: TC.time(c.last_error_at) }));
    }
    return cell;
  }

  function dayCell(c) {
    var ratio = typeof c.success_ratio_24h === "number" ? Math.round(c.success_ratio_24h * 1000) / 10 + "%" : "–";
    var latency = typeof c.median_latency_ms_24h === "number" ? TC.t("ms", c.median_latency_ms_24h) : "–";
    return TC.el("td", { "class": "col-24h" },
      TC.el("div", { "class": "success-ratio", text: TC.t("success_ratio", ratio) }),
      TC.el("div", { "class": "median-latency", text: TC.t("median_latency", latency) }));
  }

  TC.channelsSection = function (main) {
    var section = TC.el("section", { "aria-labelledby": "channels-h" }, TC.el("h2", { id: "channels-h", text: TC.t("channels") }));
    var table = TC.table("channels-table", [TC.t("channel_id"), TC.t("name"), TC.t("type"), TC.t("status"), TC.t("health"),
      TC.t("key"), TC.t("models"), TC.t("priority"), TC.t("last_success"), TC.t("last_error"), TC.t("last_24h"), TC.t("actions")]);
    var editing = null;

    var f = {
      name: TC.el("input", { type: "text", required: true }),
      type: TC.el("select", null, TC.el("option", { value: "suno", text: "suno" }), TC.el("option", { value: "sora", text: "sora" })),
      base_url: TC.el("input", { type: "url", required: true, placeholder: "https://" }),
      key: TC.el("input", { type: "password", required: true, autocomplete: "off" }),
      models: TC.el("input", { type: "text" }),
      priority: TC.el("input", { type: "number", step: "1", value: "0" }),
      weight: TC.el("input", { type: "number", step: "1", min: "0", value: "0" }),
      model_mapping: TC.el("input", { type: "text", placeholder: "{\"chirp-v4\": \"chirp-v4-5\"}" })
    };
    var formTitle = TC.el("h3", { id: "channel-form-h", text: TC.t("add_channel") });
    var submit = TC.el("button", { id: "ch-submit", type: "submit", text: TC.t("add") });
    var cancel = TC.el("button", { id: "ch-cancel", type: "button", "class": "secondary", hidden: true, text: TC.t("cancel") });
    var form = TC.el("form", { id: "channel-form", "class": "row", "data-mode": "add", "aria-labelledby": "channel-form-h" },
      TC.field("ch-name", TC.t("name"), f.name), TC.field("ch-type", TC.t("type"), f.type),
      TC.field("ch-base-url", TC.t("base_url"), f.base_url), TC.field("ch-key", TC.t("key"), f.key),
      TC.field("ch-models", TC.t("models"), f.models), TC.field("ch-priority", TC.t("priority"), f.priority),
      TC.field("ch-weight", TC.t("weight"), f.weight), TC.field("ch-model-mapping", TC.t("model_mapping"), f.model_mapping),
      TC.el("div", { "class": "field" }, TC.el("div", { "class": "actions" }, submit, cancel)));

    function addMode() {
      editing = null;
      form.reset();
      form.setAttribute("data-mode", "add");
      form.removeAttribute("data-channel-id");
      formTitle.textContent = TC.t("add_channel");
      submit.textContent = TC.t("add");
      f.type.disabled = false;
      f.key.required = true;
      f.key.placeholder = "";
      cancel.hidden = true;
    }

    function editMode(c) {
      editing = c.id;
      form.setAttribute("data-mode", "edit");
      form.setAttribute("data-channel-id", String(c.id));
      formTitle.textContent = TC.t("edit_channel", c.name);
      submit.textContent = TC.t("save");
      f.name.value = c.name;
      f.type.value = c.type;
      // The type names the platform of the running tasks: not editable.
      f.type.disabled = true;
      f.base_url.value = c.base_url;
      f.key.value = "";
      f.key.required = false;
      f.key.placeholder = TC.t("key_keep");
      f.models.value = c.models || "";
      f.priority.value = String(c.priority || 0);
      f.weight.value = String(c.weight || 0);
      f.model_mapping.value = c.model_mapping || "";
      cancel.hidden = false;
      f.name.focus();
    }

    function channelRow(c) {
      var result = TC.el("output", { "class": "test-result", "aria-live": "polite" });
      var toggle = TC.el("button", { type: "button", "class": "secondary channel-toggle",
        text: TC.t(c.status === 1 ? "disable" : "enable"), "aria-label": TC.t(c.status === 1 ? "disable" : "enable") + " " + c.name });
      var test = TC.el("button", { type: "button", "class": "secondary channel-test", text: TC.t("test"), "aria-label": TC.t("test") + " " + c.name });
      var edit = TC.el("button", { type: "button", "class": "secondary channel-edit", text: TC.t("edit"), "aria-label": TC.t("edit") + " " + c.name });
      toggle.addEventListener("click", function () {
        main.clearError();
        TC.api("PUT", "/api/channel/", { id: c.id, status: c.status === 1 ? 2 : 1 }).then(load, main.showError);
      });
      test.addEventListener("click", function () {
        test.disabled = true;
        result.textContent = TC.t("loading");
        TC.api("POST", "/api/channel/" + c.id + "/test").then(function (r) {
          test.disabled = false;
          result.textContent = r.ok ? TC.t("test_ok", r.latency_ms) : TC.t("test_failed", r.error || r.status || "");
          result.className = "test-result " + (r.ok ? "ok" : "alert");
          result.setAttribute("data-ok", r.ok ? "1" : "0");
        }, function (e) {
          test.disabled = false;
          result.textContent = TC.t("test_failed", e.message);
          result.className = "test-result alert";
          result.setAttribute("data-ok", "0");
        });
      });
      edit.addEventListener("click", function () { editMode(c); });
      return TC.el("tr", { "data-channel-id": String(c.id) },
        TC.el("td", { "class": "col-id", text: String(c.id) }),
        TC.el("td", { "class": "col-name", text: c.name }),
        TC.el("td", { "class": "col-type", text: c.type }),
        statusCell(c),
        healthCell(c),
        TC.el("td", { "class": "col-key" }, TC.el("code", { text: c.key })),
        TC.el("td", { "class": "col-models", text: c.models }),
        TC.el("td", { "class": "col-priority", text: String(c.priority) }),
        TC.el("td", { "class": "col-last-success", text: TC.time(c.last_success_at) }),
        lastErrorCell(c),
        dayCell(c),
        TC.el("td", { "class": "col-actions" }, TC.el("div", { "class": "actions" }, toggle, test, edit), result));
    }

    function load() {
      TC.api("GET", "/api/channel/?p=1&page_size=100").then(function (data) {
        clear(table.body);
        (data.items || []).forEach(function (c) { table.body.appendChild(channelRow(c)); });
      }, main.showError);
    }

    cancel.addEventListener("click", addMode);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      main.clearError();
      var body = { name: f.name.value.trim(), base_url: f.base_url.value.trim(),
        priority: parseInt(f.priority.value, 10) || 0, weight: parseInt(f.weight.value, 10) || 0,
        models: f.models.value.trim() };
      if (f.key.value) body.key = f.key.value;
      var mapping = f.model_mapping.value.trim();
      var request;
      if (editing === null) {
        body.type = f.type.value;
        if (mapping) body.model_mapping = mapping;
        if (!body.models) delete body.models;
        request = TC.api("POST", "/api/channel/", body);
      } else {
        body.id = editing;
        // An empty mapping clears it.
        body.model_mapping = mapping;
        request = TC.api("PUT", "/api/channel/", body);
      }
      request.then(function () { addMode(); load(); }, main.showError);
    });

    section.appendChild(TC.wrap(table));
    section.appendChild(formTitle);
    section.appendChild(form);
    load();
    return section;
  };
})();
