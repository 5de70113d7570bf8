// A grpc-web transport (binary only) for the client's one gateway. It does what connect-web's
// createGrpcWebTransport does with useBinaryFormat, built on the same protocol helpers of
// @connectrpc/connect, but encodes messages with toBinary/fromBinary directly: connect-web's transport
// picks binary or JSON at run time, so its bundle always carries protobuf's JSON codec (about 5 KB
// gzipped) that this client never uses (issue 19's 100 KB budget).
import { ConnectError, Code, createContextValues, type Interceptor, type Transport } from "@connectrpc/connect";
import {
  createEnvelopeReadableStream,
  createMethodUrl,
  encodeEnvelope,
  runStreamingCall,
  runUnaryCall,
} from "@connectrpc/connect/protocol";
import {
  headerGrpcStatus,
  requestHeader,
  trailerFlag,
  trailerParse,
  validateResponse,
  validateTrailer,
} from "@connectrpc/connect/protocol-grpc-web";
import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";

export interface GrpcWebOptions {
  baseUrl: string;
  defaultTimeoutMs?: number;
  interceptors?: Interceptor[];
}

const COMPRESSED = 0b00000001;

function parse<D extends DescMessage>(desc: D, data: Uint8Array): MessageShape<D> {
  try {
    return fromBinary(desc, data);
  } catch (e) {
    throw new ConnectError(`parse binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
  }
}

function timeout(options: GrpcWebOptions, timeoutMs: number | undefined): number | undefined {
  return timeoutMs === undefined ? options.defaultTimeoutMs : timeoutMs <= 0 ? undefined : timeoutMs;
}

export function createBinaryGrpcWebTransport(options: GrpcWebOptions): Transport {
  return {
    async unary(method, signal, timeoutMs, header, message, contextValues) {
      timeoutMs = timeout(options, timeoutMs);
      return await runUnaryCall({
        interceptors: options.interceptors,
        signal,
        timeoutMs,
        req: {
          stream: false,
          service: method.parent,
          method,
          requestMethod: "POST",
          url: createMethodUrl(options.baseUrl, method),
          header: requestHeader(true, timeoutMs, header, false),
          contextValues: contextValues ?? createContextValues(),
          message,
        },
        next: async (req) => {
          const response = await fetch(req.url, {
            redirect: "error",
            method: req.requestMethod,
            headers: req.header,
            signal: req.signal,
            body: encodeEnvelope(0, toBinary(method.input, req.message)),
          });
          const { headerError } = validateResponse(response.status, response.headers);
          if (!response.body) {
            if (headerError !== undefined) throw headerError;
            throw new ConnectError("missing response body", Code.Internal);
          }
          const reader = createEnvelopeReadableStream(response.body).getReader();
          let trailer: Headers | undefined;
          let out: MessageShape<typeof method.output> | undefined;
          for (;;) {
            const r = await reader.read();
            if (r.done) break;
            const { flags, data } = r.value;
            if ((flags & COMPRESSED) === COMPRESSED) {
              throw new ConnectError("protocol error: received unsupported compressed output", Code.Internal);
            }
            if (flags === trailerFlag) {
              if (trailer !== undefined) throw new ConnectError("extra trailer", Code.Internal);
              trailer = trailerParse(data);
              continue;
            }
            if (out !== undefined) throw new ConnectError("extra message", Code.Unimplemented);
            out = parse(method.output, data);
          }
          if (trailer === undefined) {
            if (headerError !== undefined) throw headerError;
            throw new ConnectError("missing trailer", response.headers.has(headerGrpcStatus) ? Code.Unimplemented : Code.Unknown);
          }
          validateTrailer(trailer, response.headers);
          if (out === undefined) {
            throw new ConnectError("missing message", trailer.has(headerGrpcStatus) ? Code.Unimplemented : Code.Unknown);
          }
          return { stream: false, service: method.parent, method, header: response.headers, message: out, trailer };
        },
      });
    },

    async stream(method, signal, timeoutMs, header, input, contextValues) {
      timeoutMs = timeout(options, timeoutMs);
      async function* body(
        stream: ReadableStream<Uint8Array>,
        foundStatus: boolean,
        trailerTarget: Headers,
        responseHeader: Headers,
        sig: AbortSignal,
      ): AsyncGenerator<MessageShape<typeof method.output>> {
        const reader = createEnvelopeReadableStream(stream).getReader();
        if (foundStatus) {
          // Trailers-only (grpc-status in the headers): the body must be empty.
          if (!(await reader.read()).done) throw new ConnectError("extra data for trailers-only", Code.Internal);
          return;
        }
        let trailerReceived = false;
        for (;;) {
          const result = await reader.read();
          if (result.done) break;
          const { flags, data } = result.value;
          if ((flags & trailerFlag) === trailerFlag) {
            if (trailerReceived) throw new ConnectError("extra trailer", Code.Internal);
            trailerReceived = true;
            const trailer = trailerParse(data);
            validateTrailer(trailer, responseHeader);
            trailer.forEach((value, key) => trailerTarget.set(key, value));
            continue;
          }
          if (trailerReceived) throw new ConnectError("extra message", Code.Internal);
          yield parse(method.output, data);
        }
        sig.throwIfAborted();
        if (!trailerReceived) throw new ConnectError("missing trailer", Code.Internal);
      }
      return await runStreamingCall({
        interceptors: options.interceptors,
        signal,
        timeoutMs,
        req: {
          stream: true,
          service: method.parent,
          method,
          requestMethod: "POST",
          url: createMethodUrl(options.baseUrl, method),
          header: requestHeader(true, timeoutMs, header, false),
          contextValues: contextValues ?? createContextValues(),
          message: input,
        },
        next: async (req) => {
          if (method.methodKind !== "server_streaming") {
            throw new ConnectError("the fetch API cannot stream request bodies", Code.Unimplemented);
          }
          const first = await req.message[Symbol.asyncIterator]().next();
          if (first.done) throw new ConnectError("missing request message", Code.Internal);
          const response = await fetch(req.url, {
            redirect: "error",
            method: req.requestMethod,
            headers: req.header,
            signal: req.signal,
            body: encodeEnvelope(0, toBinary(method.input, first.value)),
          });
          const { foundStatus, headerError } = validateResponse(response.status, response.headers);
          if (headerError != undefined) throw headerError;
          if (!response.body) throw new ConnectError("missing response body", Code.Internal);
          const trailer = new Headers();
          return {
            ...req,
            header: response.headers,
            trailer,
            message: body(response.body, foundStatus, trailer, response.headers, req.signal),
          };
        },
      });
    },
  };
}
