// Entry point of the browser client. The task board and indicator views arrive with the browser-client
// issue; today the page shows whether each service is up.
import { healthRows } from "./health.js";

async function refreshHealth(): Promise<void> {
  const tbody = document.querySelector("#health-table tbody");
  if (!tbody) return;
  let rows;
  try {
    const res = await fetch("/healthz", { cache: "no-store" });
    rows = healthRows(await res.json());
  } catch {
    rows = [{ service: "gateway", state: "UNREACHABLE" }];
  }
  tbody.replaceChildren(
    ...rows.map(({ service, state }) => {
      const tr = document.createElement("tr");
      const name = document.createElement("td");
      name.textContent = service;
      const value = document.createElement("td");
      value.textContent = state;
      value.className = state === "SERVING" ? "ok" : "bad";
      tr.append(name, value);
      return tr;
    }),
  );
}

void refreshHealth();
setInterval(() => void refreshHealth(), 10_000);
