// Traffic lights and statuses of tasks: the colour class, the words, the sort order.
// A DONE task shows "done" (the server's light for it is green); otherwise the server's light.
import { Light, TaskStatus } from "../gen/luoshi/v1/tasks_pb.js";
import { t } from "./i18n.js";

export type LightName = "green" | "yellow" | "red" | "done" | "none";

export const LIGHT_NAMES: LightName[] = ["red", "yellow", "green", "done"];

export function lightName(light: Light, status: TaskStatus): LightName {
  if (status === TaskStatus.DONE) return "done";
  switch (light) {
    case Light.GREEN:
      return "green";
    case Light.YELLOW:
      return "yellow";
    case Light.RED:
      return "red";
    default:
      return "none";
  }
}

// Colours (also in styles.css as .light-*): chosen for contrast with dark text beside them and for
// being told apart without colour (each light also has its word and a shape).
export const LIGHT_COLOURS: Record<LightName, string> = {
  green: "#1a7f37",
  yellow: "#b58100",
  red: "#c62828",
  done: "#4a5a70",
  none: "#8a8f98",
};

export function lightLabel(name: LightName): string {
  return t(`light.${name}`);
}

// Worst first: red, yellow, green, done.
export function lightRank(name: LightName): number {
  return { red: 0, yellow: 1, green: 2, done: 3, none: 4 }[name];
}

export const STATUS_KEYS: Record<number, string> = {
  [TaskStatus.NOT_STARTED]: "NOT_STARTED",
  [TaskStatus.IN_PROGRESS]: "IN_PROGRESS",
  [TaskStatus.COMPLETION_CLAIMED]: "COMPLETION_CLAIMED",
  [TaskStatus.DONE]: "DONE",
  [TaskStatus.RETURNED]: "RETURNED",
};

export function statusLabel(status: TaskStatus): string {
  const key = STATUS_KEYS[status];
  return key ? t(`status.${key}`) : "—";
}

export function statusFromKey(key: string): TaskStatus {
  for (const [n, k] of Object.entries(STATUS_KEYS)) if (k === key) return Number(n) as TaskStatus;
  return TaskStatus.UNSPECIFIED;
}

// A round badge with the light's word: <span class="light light-red"><i></i>逾期</span>
export function lightBadge(name: LightName): HTMLElement {
  const span = document.createElement("span");
  span.className = `light light-${name}`;
  const dot = document.createElement("i");
  dot.setAttribute("aria-hidden", "true");
  span.append(dot, lightLabel(name));
  return span;
}
