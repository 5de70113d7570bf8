// Reads the gateway's /healthz ({status, gateway, services: {name: state}}) into what is down.
export interface HealthSummary {
  ok: boolean;
  down: string[];
}

export function healthSummary(body: unknown): HealthSummary {
  if (typeof body !== "object" || body === null) return { ok: false, down: ["gateway"] };
  const b = body as { gateway?: unknown; services?: Record<string, unknown> };
  const down: string[] = [];
  if (b.gateway !== undefined && b.gateway !== "SERVING") down.push("gateway");
  for (const [service, state] of Object.entries(b.services ?? {})) {
    if (state !== "SERVING") down.push(service);
  }
  return { ok: down.length === 0, down };
}
