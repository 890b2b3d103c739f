/* All visible strings of the console, English and Simplified Chinese. */
"use strict";
var TC = window.TC || (window.TC = {});

TC.dict = {
  en: {
    language: "Language", tasks: "Tasks", keys: "API keys", account: "Account", admin: "Admin",
    login: "Log in", logout: "Log out", username: "Username", password: "Password",
    nav: "Main", forbidden: "forbidden", loading: "Loading…",
    // tasks
    task_id: "Task ID", platform: "Platform", status: "Status", action: "Action",
    start: "From", end: "Until", channel_id: "Channel ID", user_id: "User ID",
    apply: "Apply", all: "All", video: "Video", suno: "Suno", total: "Total",
    progress: "Progress", submitted: "Submitted", duration: "Duration", reason: "Fail reason",
    channel: "Channel", user: "User", result: "Result", page_size: "Rows per page",
    prev: "Previous", next: "Next", page_info: "Page {0} of {1}", no_rows: "Nothing to show.",
    live_on: "Refreshing every 2 s while tasks are running.", clip_cover: "Cover of {0}",
    play_clip: "Play {0}", play_video: "Video of task {0}", lyrics: "Lyrics",
    owner_only: "Only its owner can play this video here.", filters: "Filters", seconds: "{0} s", minutes: "{0} min {1} s", hours: "{0} h {1} min",
    // keys
    key_name: "Name", key_quota: "Remaining quota (empty: unlimited)", create: "Create",
    key_created: "Your new key. Copy it now: it is not shown again.", copy: "Copy", copied: "Copied",
    copy_failed: "Copy failed: select the key and copy it by hand.",
    remain: "Remaining", used: "Used", unlimited: "unlimited", enabled: "Enabled", disabled: "Disabled",
    expired: "Expired", exhausted: "Exhausted", enable: "Enable", disable: "Disable", "delete": "Delete",
    confirm_delete_key: "Delete key \u201c{0}\u201d? Clients using it will stop working.",
    actions: "Actions", new_key: "New key", your_keys: "Your keys",
    // account
    balance: "Balance (units)", balance_usd: "Balance (USD)", used_quota: "Used (units)",
    usage_log: "Usage log", type: "Type", quota: "Quota", content: "Content", time: "Time",
    log_1: "Top-up", log_2: "Consume", log_3: "Manage", log_4: "System", log_6: "Refund", log_0: "Other",
    change_password: "Change password", old_password: "Current password", new_password: "New password",
    save: "Save", password_changed: "Password changed. Log in again.",
    // admin
    users: "Users", search: "Search users", role: "Role", top_up: "Top up",
    topup_amount: "Amount (units, negative to deduct)", topup_reason: "Reason", topup_for: "Top up {0}",
    cancel: "Cancel", role_1: "User", role_10: "Admin", role_100: "Root",
    channels: "Channels", name: "Name", base_url: "Base URL", key: "Key", models: "Models",
    priority: "Priority", last_error: "Last error", add_channel: "Add channel", add: "Add",
    test: "Test", test_ok: "OK ({0} ms)", test_failed: "Failed: {0}",
    auto_disabled: "Disabled by the server", health: "Health", healthy: "Healthy", unhealthy: "Unhealthy",
    failures_in_a_row: "Failures in a row: {0}", last_success: "Last success", last_24h: "Last 24 h",
    success_ratio: "Success {0}", median_latency: "Median {0}", ms: "{0} ms", weight: "Weight",
    model_mapping: "Model mapping (JSON)", edit: "Edit", edit_channel: "Edit channel {0}",
    key_keep: "blank: keep the current key",
    prices: "Prices and group ratios", prices_help: "The /api/option/ values as JSON: {\"ModelPrice\": {...}, \"GroupRatio\": {...}}.",
    saved: "Saved", audit: "Ledger audit", run_audit: "Run audit", audit_ok: "OK",
    bad_json: "Not valid JSON: {0}",
    // statuses
    NOT_START: "NOT_START", SUBMITTED: "SUBMITTED", QUEUED: "QUEUED", IN_PROGRESS: "IN_PROGRESS",
    FAILURE: "FAILURE", SUCCESS: "SUCCESS", UNKNOWN: "UNKNOWN",
    network_error: "Cannot reach the server."
  },
  "zh-CN": {
    language: "语言", tasks: "任务", keys: "API 密钥", account: "账户", admin: "管理",
    login: "登录", logout: "退出登录", username: "用户名", password: "密码",
    nav: "主菜单", forbidden: "无权访问", loading: "加载中…",
    task_id: "任务 ID", platform: "平台", status: "状态", action: "操作",
    start: "开始时间", end: "结束时间", channel_id: "渠道 ID", user_id: "用户 ID",
    apply: "筛选", all: "全部", video: "视频", suno: "Suno", total: "总数",
    progress: "进度", submitted: "提交时间", duration: "耗时", reason: "失败原因",
    channel: "渠道", user: "用户", result: "结果", page_size: "每页条数",
    prev: "上一页", next: "下一页", page_info: "第 {0} / {1} 页", no_rows: "暂无数据。",
    live_on: "有任务进行中，每 2 秒自动刷新。", clip_cover: "{0} 的封面",
    play_clip: "播放 {0}", play_video: "任务 {0} 的视频", lyrics: "歌词",
    owner_only: "仅任务所有者可在此播放该视频。", filters: "筛选条件", seconds: "{0} 秒", minutes: "{0} 分 {1} 秒", hours: "{0} 小时 {1} 分",
    key_name: "名称", key_quota: "剩余额度（留空为无限）", create: "创建",
    key_created: "这是新密钥，请立即复制：它不会再次显示。", copy: "复制", copied: "已复制",
    copy_failed: "复制失败：请手动选择密钥并复制。",
    remain: "剩余额度", used: "已用额度", unlimited: "无限", enabled: "已启用", disabled: "已禁用",
    expired: "已过期", exhausted: "已耗尽", enable: "启用", disable: "禁用", "delete": "删除",
    confirm_delete_key: "删除密钥“{0}”？使用它的客户端将无法继续工作。",
    actions: "操作", new_key: "新建密钥", your_keys: "我的密钥",
    balance: "余额（额度）", balance_usd: "余额（美元）", used_quota: "已用（额度）",
    usage_log: "使用日志", type: "类型", quota: "额度", content: "内容", time: "时间",
    log_1: "充值", log_2: "消费", log_3: "管理", log_4: "系统", log_6: "退款", log_0: "其他",
    change_password: "修改密码", old_password: "当前密码", new_password: "新密码",
    save: "保存", password_changed: "密码已修改，请重新登录。",
    users: "用户", search: "搜索用户", role: "角色", top_up: "充值",
    topup_amount: "额度（负数为扣除）", topup_reason: "原因", topup_for: "为 {0} 充值",
    cancel: "取消", role_1: "普通用户", role_10: "管理员", role_100: "超级管理员",
    channels: "渠道", name: "名称", base_url: "接口地址", key: "密钥", models: "模型",
    priority: "优先级", last_error: "最近错误", add_channel: "添加渠道", add: "添加",
    test: "测试", test_ok: "正常（{0} 毫秒）", test_failed: "失败：{0}",
    auto_disabled: "已被系统禁用", health: "健康状况", healthy: "健康", unhealthy: "不健康",
    failures_in_a_row: "连续失败 {0} 次", last_success: "最近成功", last_24h: "最近 24 小时",
    success_ratio: "成功率 {0}", median_latency: "中位延迟 {0}", ms: "{0} 毫秒", weight: "权重",
    model_mapping: "模型映射（JSON）", edit: "编辑", edit_channel: "编辑渠道 {0}",
    key_keep: "留空：保留当前密钥",
    prices: "模型价格与分组倍率", prices_help: "/api/option/ 的值，JSON 格式：{\"ModelPrice\": {...}, \"GroupRatio\": {...}}。",
    saved: "已保存", audit: "账目审计", run_audit: "运行审计", audit_ok: "OK",
    bad_json: "JSON 无效：{0}",
    NOT_START: "未启动", SUBMITTED: "已提交", QUEUED: "排队中", IN_PROGRESS: "执行中",
    FAILURE: "失败", SUCCESS: "成功", UNKNOWN: "未知",
    network_error: "无法连接服务器。"
  }
};

/* The language in use: stored choice, else the browser's, else English. */
TC.lang = (function () {
  var stored = null;
  try { stored = localStorage.getItem("taskcenter.lang"); } catch (e) { stored = null; }
  if (stored === "en" || stored === "zh-CN") return stored;
  var nav = (navigator.language || "").toLowerCase();
  return nav.indexOf("zh") === 0 ? "zh-CN" : "en";
})();

TC.setLang = function (lang) {
  TC.lang = lang === "zh-CN" ? "zh-CN" : "en";
  try { localStorage.setItem("taskcenter.lang", TC.lang); } catch (e) { /* private mode */ }
  document.documentElement.lang = TC.lang;
};

/* The string `key` in the language in use, `{0}`… replaced by the arguments. */
TC.t = function (key) {
  var table = TC.dict[TC.lang] || TC.dict.en;
  var text = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : (TC.dict.en[key] || key);
  var args = Array.prototype.slice.call(arguments, 1);
  return text.replace(/\{(\d+)\}/g, function (_, i) { return args[i] === undefined ? "" : String(args[i]); });
};
