// Strings of the interface: zh-CN by default, English when the user switches (persisted in
// localStorage). Every visible string goes through t(key, vars). Keys are "area.name"; a value is
// { zh, en }; "{name}" in a value is replaced by vars.name.
//
// Shared file: each page area appends its own keys in its own block below (shell/tasks: W1; documents,
// indicators, targets, figures: W2). Do not reorder another block. Pages may also call
// addMessages({...}) from their own module.

export type Lang = "zh" | "en";
export interface Entry {
  zh: string;
  en: string;
}

const LANG_KEY = "luoshi.lang";

function storedLang(): Lang {
  try {
    if (typeof localStorage !== "undefined" && localStorage.getItem(LANG_KEY) === "en") return "en";
  } catch {
    /* storage blocked: default */
  }
  return "zh";
}

let lang: Lang = storedLang();

export function getLang(): Lang {
  return lang;
}

export function setLang(next: Lang): void {
  lang = next;
  try {
    if (typeof localStorage !== "undefined") localStorage.setItem(LANG_KEY, next);
  } catch {
    /* not persisted */
  }
  if (typeof document !== "undefined") document.documentElement.lang = next === "zh" ? "zh-CN" : "en";
}

const messages: Record<string, Entry> = {};

export function addMessages(dict: Record<string, Entry>): void {
  Object.assign(messages, dict);
}

// The text of `key` in the current language; the key itself when unknown (visible, so it gets fixed).
export function t(key: string, vars?: Record<string, string | number>): string {
  const entry = messages[key];
  let text = entry ? entry[lang] : key;
  if (vars) {
    text = text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
  }
  return text;
}

export function hasMessage(key: string): boolean {
  return key in messages;
}

// ---- W1: shell, sign-in, errors -------------------------------------------------------------------
addMessages({
  "app.name": { zh: "落实", en: "Luoshi" },
  "app.title": { zh: "落实 · 督查督办", en: "Luoshi · task supervision" },
  "app.skip": { zh: "跳到正文", en: "Skip to content" },
  "nav.label": { zh: "主导航", en: "Main navigation" },
  "nav.board": { zh: "任务看板", en: "Task board" },
  "nav.mine": { zh: "本单位任务", en: "My unit's tasks" },
  "nav.ledgers": { zh: "台账", en: "Ledgers" },
  "nav.documents": { zh: "文件", en: "Documents" },
  "nav.indicators": { zh: "指标", en: "Indicators" },
  "nav.targets": { zh: "目标完成", en: "Targets" },
  "header.user": { zh: "用户", en: "User" },
  "header.unit": { zh: "单位", en: "Unit" },
  "header.role": { zh: "角色", en: "Role" },
  "header.signout": { zh: "退出", en: "Sign out" },
  "header.lang": { zh: "English", en: "中文" },
  "header.langLabel": { zh: "切换到英文界面", en: "Switch to Chinese" },
  "header.expires": { zh: "登录有效期至 {time}", en: "Signed in until {time}" },
  "role.admin": { zh: "管理员", en: "Administrator" },
  "role.supervisor": { zh: "督查室", en: "Supervising office" },
  "role.office": { zh: "责任单位", en: "Responsible office" },
  "role.viewer": { zh: "只读", en: "Viewer" },
  "role.service": { zh: "服务", en: "Service" },
  "health.ok": { zh: "服务正常", en: "All services up" },
  "health.bad": { zh: "部分服务不可用：{names}", en: "Some services are down: {names}" },
  "health.unreachable": { zh: "无法连接网关", en: "Gateway unreachable" },
  "signin.title": { zh: "登录", en: "Sign in" },
  "signin.intro": {
    zh: "粘贴管理员发给您的令牌（以 eyJ 开头的一长串字符），或直接打开快速启动打印的登录链接。",
    en: "Paste the token your administrator gave you (a long string starting with eyJ), or open the sign-in link the quick start printed.",
  },
  "signin.token": { zh: "令牌", en: "Token" },
  "signin.submit": { zh: "登录", en: "Sign in" },
  "signin.reason": { zh: "需要重新登录：{reason}", en: "Please sign in again: {reason}" },
  "signin.signedOut": { zh: "已退出登录。", en: "Signed out." },
  "signin.howto": {
    zh: "没有令牌？请管理员运行 luoshi token issue --user 姓名 --unit 单位 --role office 生成。",
    en: "No token? Ask an administrator to run luoshi token issue --user NAME --unit UNIT --role office.",
  },
  "signin.bad": { zh: "这不是有效的令牌：{why}", en: "This is not a valid token: {why}" },
  "signin.expired": { zh: "令牌已于 {time} 过期，请向管理员索取新令牌", en: "the token expired at {time}; ask your administrator for a new one" },
  "session.malformed": { zh: "格式不正确（应为三段以点分隔的字符）", en: "malformed (three dot-separated parts expected)" },
  "session.noRole": { zh: "令牌中没有角色", en: "the token names no role" },
  "session.expired": { zh: "令牌已过期，请重新登录", en: "the token has expired; sign in again" },
  "loading": { zh: "正在加载…", en: "Loading…" },
  "retry": { zh: "重试", en: "Retry" },
  "notfound.title": { zh: "找不到这个页面", en: "Page not found" },
  "notfound.body": { zh: "地址 {path} 不对应任何页面。请从上方导航进入。", en: "{path} is not a page. Use the navigation above." },
  "error.title": { zh: "出错了", en: "Something went wrong" },
  "error.network": { zh: "无法连接服务器（{detail}）。请检查网关是否在运行，然后重试。", en: "Cannot reach the server ({detail}). Check that the gateway runs, then retry." },
  "code.CANCELLED": { zh: "操作已取消", en: "Cancelled" },
  "code.UNKNOWN": { zh: "未知错误", en: "Unknown error" },
  "code.INVALID_ARGUMENT": { zh: "填写的内容有误", en: "Invalid input" },
  "code.DEADLINE_EXCEEDED": { zh: "服务响应超时", en: "The server took too long" },
  "code.NOT_FOUND": { zh: "没有找到", en: "Not found" },
  "code.ALREADY_EXISTS": { zh: "已经存在", en: "Already exists" },
  "code.PERMISSION_DENIED": { zh: "没有权限", en: "Not allowed" },
  "code.RESOURCE_EXHAUSTED": { zh: "超出服务限制", en: "Server limit reached" },
  "code.FAILED_PRECONDITION": { zh: "当前状态下不能这样操作", en: "Not possible in the current state" },
  "code.ABORTED": { zh: "操作冲突，请重试", en: "Conflict; try again" },
  "code.OUT_OF_RANGE": { zh: "超出范围", en: "Out of range" },
  "code.UNIMPLEMENTED": { zh: "服务不支持这个操作", en: "Not supported by the server" },
  "code.INTERNAL": { zh: "服务内部错误", en: "Internal server error" },
  "code.UNAVAILABLE": { zh: "服务暂时不可用", en: "Service unavailable" },
  "code.DATA_LOSS": { zh: "数据丢失", en: "Data loss" },
  "code.UNAUTHENTICATED": { zh: "未登录或登录已失效", en: "Not signed in, or the sign-in expired" },
  "empty.generic": { zh: "暂无内容。", en: "Nothing here yet." },
});

// ---- W1: tasks board, task page, ledgers ---------------------------------------------------------
addMessages({
  "light.green": { zh: "正常", en: "On track" },
  "light.yellow": { zh: "临期", en: "Due soon" },
  "light.red": { zh: "逾期", en: "Overdue" },
  "light.done": { zh: "已办结", en: "Done" },
  "light.none": { zh: "—", en: "—" },
  "status.NOT_STARTED": { zh: "未启动", en: "Not started" },
  "status.IN_PROGRESS": { zh: "推进中", en: "In progress" },
  "status.COMPLETION_CLAIMED": { zh: "申请办结", en: "Completion claimed" },
  "status.DONE": { zh: "已办结", en: "Done" },
  "status.RETURNED": { zh: "已退回", en: "Returned" },
  "filter.any": { zh: "全部", en: "All" },
});

// ---- W2: documents, indicators, targets, figures (append below) ----------------------------------
