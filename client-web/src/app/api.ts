// The one grpc-web transport (binary, to the gateway that served the page; grpcweb.ts) and the typed clients of
// the three services. Every call carries the signed-in token; a token that expired on the client side
// is not sent (the call fails UNAUTHENTICATED at once), and UNAUTHENTICATED from the server (expired,
// revoked) sends the user back to sign-in with the server's reason.
import { createClient, ConnectError, Code, type Interceptor, type Client } from "@connectrpc/connect";
import { createBinaryGrpcWebTransport } from "./grpcweb.js";
import { IngestionService } from "../gen/luoshi/v1/ingestion_pb.js";
import { IndicatorService } from "../gen/luoshi/v1/indicators_pb.js";
import { TaskService } from "../gen/luoshi/v1/tasks_pb.js";
import { session } from "./session.js";
import { t } from "./i18n.js";

// Unary calls: a local deadline as well as the server's. Streams set their own.
export const CALL_TIMEOUT_MS = 30000;

let unauthenticatedHandler: (reason: string) => void = () => {};

export function setUnauthenticatedHandler(fn: (reason: string) => void): void {
  unauthenticatedHandler = fn;
}

export function onUnauthenticated(err: unknown): void {
  const reason = err instanceof ConnectError ? err.rawMessage : String(err);
  // Let the current call's error render first, then leave.
  setTimeout(() => unauthenticatedHandler(reason), 0);
}

const auth: Interceptor = (next) => async (req) => {
  const s = session();
  if (!s) {
    const err = new ConnectError(t("session.expired"), Code.Unauthenticated);
    onUnauthenticated(err);
    throw err;
  }
  req.header.set("authorization", `Bearer ${s.token}`);
  try {
    return await next(req);
  } catch (err) {
    if (err instanceof ConnectError && err.code === Code.Unauthenticated) onUnauthenticated(err);
    throw err;
  }
};

const transport = createBinaryGrpcWebTransport({
  baseUrl: typeof location !== "undefined" ? location.origin : "http://127.0.0.1:7100",
  defaultTimeoutMs: CALL_TIMEOUT_MS,
  interceptors: [auth],
});

export const ingestion: Client<typeof IngestionService> = createClient(IngestionService, transport);
export const indicators: Client<typeof IndicatorService> = createClient(IndicatorService, transport);
export const tasks: Client<typeof TaskService> = createClient(TaskService, transport);
