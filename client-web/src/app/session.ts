// The signed-in user: the token (localStorage), and what its payload says, decoded here for display
// only. The services verify the signature; the client only reads sub, luoshi_unit, luoshi_role, exp.
import { t } from "./i18n.js";
import { formatTime } from "./format.js";

export interface Claims {
  user: string;
  unit: string;
  role: string;
  exp: number; // seconds since 1970; 0 when absent
  jti: string;
}

const TOKEN_KEY = "luoshi.token";

function b64urlDecode(part: string): Uint8Array {
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
  const bin = atob(padded);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// Decodes a JWT's payload; throws an Error with a user-facing reason when it is not one.
export function decodeToken(token: string): Claims {
  const parts = token.trim().split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) {
    throw new Error(t("session.malformed"));
  }
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(b64urlDecode(parts[1])));
  } catch {
    throw new Error(t("session.malformed"));
  }
  if (typeof payload !== "object" || payload === null) throw new Error(t("session.malformed"));
  const role = typeof payload.luoshi_role === "string" ? payload.luoshi_role : "";
  if (!role) throw new Error(t("session.noRole"));
  return {
    user: typeof payload.sub === "string" ? payload.sub : "",
    unit: typeof payload.luoshi_unit === "string" ? payload.luoshi_unit : "",
    role,
    exp: typeof payload.exp === "number" ? payload.exp : 0,
    jti: typeof payload.jti === "string" ? payload.jti : "",
  };
}

export function isExpired(claims: Claims, nowMs: number = Date.now()): boolean {
  return claims.exp > 0 && claims.exp * 1000 <= nowMs;
}

let current: { token: string; claims: Claims } | null = null;
// Why the user was sent back to sign-in (shown there once).
let reason = "";

function storage(): Storage | null {
  try {
    return typeof localStorage !== "undefined" ? localStorage : null;
  } catch {
    return null;
  }
}

// Loads the stored token (if any, and still decodable).
export function loadSession(): void {
  const token = storage()?.getItem(TOKEN_KEY) ?? "";
  current = null;
  if (!token) return;
  try {
    current = { token, claims: decodeToken(token) };
  } catch {
    storage()?.removeItem(TOKEN_KEY);
  }
}

// Stores a token after checking its form and expiry; throws with the reason otherwise.
export function signIn(token: string): Claims {
  const trimmed = token.trim();
  const claims = decodeToken(trimmed);
  if (isExpired(claims)) {
    throw new Error(t("signin.expired", { time: formatTime(claims.exp * 1000) }));
  }
  storage()?.setItem(TOKEN_KEY, trimmed);
  current = { token: trimmed, claims };
  reason = "";
  if (typeof window !== "undefined") window.dispatchEvent(new Event("luoshi:signedin"));
  return claims;
}

export function signOut(why = ""): void {
  storage()?.removeItem(TOKEN_KEY);
  current = null;
  reason = why;
}

// The session when signed in with a token that has not expired; signs out (with the reason) otherwise.
export function session(): { token: string; claims: Claims } | null {
  if (current && isExpired(current.claims)) signOut(t("session.expired"));
  return current;
}

export function takeReason(): string {
  const r = reason;
  reason = "";
  return r;
}

export function peekReason(): string {
  return reason;
}

// May this role report progress at all / review (the matrix of docs/authorization.md)?
export function mayReport(role: string): boolean {
  return role === "office" || role === "admin";
}
export function mayReview(role: string): boolean {
  return role === "supervisor" || role === "admin";
}

// Where a signed-in user starts: an office on its own unit's tasks, everyone else on the whole board.
export function homeHash(claims: Claims | undefined): string {
  if (claims?.role === "office" && claims.unit) return `#/board?unit=${encodeURIComponent(claims.unit)}`;
  return "#/board";
}
