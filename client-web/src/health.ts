// Reads the gateway's /healthz and turns it into rows for the page.
export interface HealthRow {
  service: string;
  state: string;
}

export function healthRows(body: unknown): HealthRow[] {
  const rows: HealthRow[] = [];
  if (typeof body !== "object" || body === null) return rows;
  const b = body as { gateway?: unknown; services?: Record<string, unknown> };
  if (typeof b.gateway === "string") rows.push({ service: "gateway", state: b.gateway });
  for (const [service, state] of Object.entries(b.services ?? {})) {
    rows.push({ service, state: String(state) });
  }
  return rows;
}
