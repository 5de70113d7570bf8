// Turns any error into one plain sentence for the user: "没有权限（PERMISSION_DENIED）：<server message>".
import { ConnectError, Code } from "@connectrpc/connect";
import { t } from "./i18n.js";

// gRPC's names of the status codes (what the services and the CLI print).
export const CODE_NAMES: Record<number, string> = {
  0: "OK",
  1: "CANCELLED",
  2: "UNKNOWN",
  3: "INVALID_ARGUMENT",
  4: "DEADLINE_EXCEEDED",
  5: "NOT_FOUND",
  6: "ALREADY_EXISTS",
  7: "PERMISSION_DENIED",
  8: "RESOURCE_EXHAUSTED",
  9: "FAILED_PRECONDITION",
  10: "ABORTED",
  11: "OUT_OF_RANGE",
  12: "UNIMPLEMENTED",
  13: "INTERNAL",
  14: "UNAVAILABLE",
  15: "DATA_LOSS",
  16: "UNAUTHENTICATED",
};

export function codeName(code: number): string {
  return CODE_NAMES[code] ?? `CODE_${code}`;
}

// "<plain words>（<CODE>）：<server message>"; the message part is left out when empty.
export function statusSentence(code: number, serverMessage: string): string {
  const name = codeName(code);
  const words = t(`code.${name}`);
  const zh = /[\u4e00-\u9fff]/.test(words);
  const head = zh ? `${words}（${name}）` : `${words} (${name})`;
  const msg = serverMessage.trim();
  if (!msg) return zh ? `${head}。` : `${head}.`;
  return zh ? `${head}：${msg}` : `${head}: ${msg}`;
}

// The sentence for anything a call may throw.
export function errorSentence(err: unknown): string {
  if (err instanceof ConnectError) {
    // A failed fetch (gateway down, network gone) arrives as UNKNOWN with the browser's words.
    if (err.code === Code.Unknown && /failed to fetch|networkerror|network error|load failed/i.test(err.rawMessage)) {
      return t("error.network", { detail: err.rawMessage });
    }
    return statusSentence(err.code, err.rawMessage);
  }
  if (err instanceof Error) return t("error.network", { detail: err.message });
  return t("error.network", { detail: String(err) });
}

export function isUnauthenticated(err: unknown): boolean {
  return err instanceof ConnectError && err.code === Code.Unauthenticated;
}

export function isCancel(err: unknown): boolean {
  return (
    (err instanceof ConnectError && err.code === Code.Canceled) ||
    (err instanceof Error && err.name === "AbortError")
  );
}
