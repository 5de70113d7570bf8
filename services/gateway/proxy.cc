#include "services/gateway/proxy.h"

#include <google/protobuf/descriptor.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/client_callback.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace luoshi::gateway {
namespace {

using grpcweb::Metadata;
using grpcweb::Mode;

constexpr absl::Duration kEarlyHeadersDelay = absl::Milliseconds(50);

// Response headers that a browser may read only when CORS exposes them.
std::string ExposeList(const std::map<std::string, std::string>& headers) {
  std::vector<std::string> keys = {"grpc-status", "grpc-message", "grpc-status-details-bin"};
  for (const auto& [k, v] : headers) {
    if (k == "content-type" || absl::StartsWith(k, "access-control-") || k == "vary" || k == "grpc-status" ||
        k == "grpc-message" || k == "grpc-status-details-bin") {
      continue;
    }
    keys.push_back(k);
  }
  return absl::StrJoin(keys, ", ");
}

void AddCors(const std::map<std::string, std::string>& cors, std::map<std::string, std::string>* headers) {
  if (cors.empty()) return;
  std::string expose = ExposeList(*headers);
  for (const auto& [k, v] : cors) (*headers)[k] = v;
  (*headers)["access-control-expose-headers"] = expose;
}

// Metadata as the browser sees it: lower-case keys, -bin values in base64, gRPC's own keys left out
// (status and message are written separately).
Metadata BrowserMetadata(const std::multimap<grpc::string_ref, grpc::string_ref>& md) {
  Metadata out;
  for (const auto& [k, v] : md) {
    std::string key = absl::AsciiStrToLower(absl::string_view(k.data(), k.size()));
    if (key == "grpc-status" || key == "grpc-message" || key == "content-type" ||
        absl::StartsWith(key, ":")) {
      continue;
    }
    absl::string_view value(v.data(), v.size());
    if (grpcweb::IsBinaryKey(key)) {
      out.emplace_back(std::move(key), grpcweb::Base64Encode(value));
    } else if (grpcweb::IsValidMetadataValue(value)) {
      out.emplace_back(std::move(key), std::string(value));
    }
  }
  return out;
}

std::string FramedMessage(const grpc::ByteBuffer& buffer, Mode mode) {
  std::vector<grpc::Slice> slices;
  std::string frame;
  if (!buffer.Dump(&slices).ok()) return frame;
  frame.reserve(grpcweb::kFrameHeaderBytes + buffer.Length());
  grpcweb::AppendFrameHeader(0, static_cast<uint32_t>(buffer.Length()), &frame);
  for (const grpc::Slice& s : slices) frame.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return mode == Mode::kText ? grpcweb::Base64Encode(frame) : frame;
}

}  // namespace

// The status's binary details (google.rpc.Status), unless the trailing metadata already carries them.
void AddStatusDetails(const grpc::Status& status, Metadata* trailers) {
  if (status.error_details().empty()) return;
  for (const auto& [k, v] : *trailers) {
    if (k == "grpc-status-details-bin") return;
  }
  trailers->emplace_back("grpc-status-details-bin", grpcweb::Base64Encode(status.error_details()));
}

// What a forwarded call of either kind holds, and what both do with the service's answer.
class CallBase {
 public:
  CallBase(GrpcWebProxy* proxy, std::shared_ptr<HttpExchange> exchange, Mode mode, std::string method,
           std::map<std::string, std::string> cors)
      : proxy_(proxy),
        exchange_(std::move(exchange)),
        mode_(mode),
        context_(std::make_shared<grpc::ClientContext>()),
        method_(std::move(method)),
        cors_(std::move(cors)) {
    // The browser leaving cancels the backend call. The handler holds the context, not the call, so
    // it stays safe to run after the call has ended.
    exchange_->SetCancelHandler([context = context_] { context->TryCancel(); });
  }

  const std::shared_ptr<grpc::ClientContext>& context() { return context_; }

 protected:
  // Headers of an answer with messages: the content type, the service's initial metadata, CORS. Valid
  // once the initial metadata has arrived.
  std::map<std::string, std::string> ResponseHeaders() {
    std::map<std::string, std::string> headers;
    headers["content-type"] = grpcweb::ResponseContentType(mode_);
    for (auto& [k, v] : BrowserMetadata(context_->GetServerInitialMetadata())) headers[k] = v;
    AddCors(cors_, &headers);
    return headers;
  }

  // The service's trailing metadata and status details, as the browser gets them.
  Metadata Trailers(const grpc::Status& status) {
    Metadata trailers = BrowserMetadata(context_->GetServerTrailingMetadata());
    AddStatusDetails(status, &trailers);
    return trailers;
  }

  // The trailer frame in the request's mode.
  std::string EncodedTrailerFrame(int code, const std::string& message, const Metadata& trailers) {
    std::string frame = grpcweb::TrailerFrame(code, message, trailers);
    return mode_ == Mode::kText ? grpcweb::Base64Encode(frame) : frame;
  }

  // The call is over: releases the exchange and tells the proxy (the caller deletes itself next).
  void Ended() {
    exchange_.reset();
    proxy_->CallEnded(context_.get());
  }

  GrpcWebProxy* proxy_;
  std::shared_ptr<HttpExchange> exchange_;
  Mode mode_;
  std::shared_ptr<grpc::ClientContext> context_;
  std::string method_;  // the call keeps a pointer to it
  std::map<std::string, std::string> cors_;
};

// One forwarded call as a stream. Owns itself: deleted at the end of OnDone.
class ProxyCall final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>, public CallBase {
 public:
  ProxyCall(GrpcWebProxy* proxy, std::shared_ptr<HttpExchange> exchange, Mode mode, std::string method,
            std::vector<std::string> messages, std::map<std::string, std::string> cors)
      : CallBase(proxy, std::move(exchange), mode, std::move(method), std::move(cors)) {
    requests_.reserve(messages.size());
    for (std::string& m : messages) {
      grpc::Slice slice(std::move(m));
      requests_.emplace_back(&slice, 1);
    }
  }

  void Start(grpc::GenericStub* stub) {
    stub->PrepareBidiStreamingCall(context_.get(), method_, grpc::StubOptions(), this);
    AddHold();  // released when reading ends, so OnDone waits for every response message
    StartRead(&response_);
    WriteNext();
    StartCall();
  }

  // The last message goes with the half-close in one operation (one write to the service, not two).
  void WriteNext() {
    if (requests_.empty()) return StartWritesDone();
    if (next_request_ + 1 == requests_.size())
      return StartWriteLast(&requests_[next_request_], grpc::WriteOptions());
    StartWrite(&requests_[next_request_]);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) return;  // the call is over; OnDone follows
    if (++next_request_ < requests_.size()) WriteNext();
  }

  // A service that sends its initial metadata before any message (WatchTasks does, once the watch is
  // live) lets the browser know the stream is open: its headers go out if no message or status follows
  // within kEarlyHeadersDelay. The delay keeps a call that ends at once trailers-only.
  void OnReadInitialMetadataDone(bool ok) override {
    if (!ok) return;
    exchange_->RunAfter(kEarlyHeadersDelay, [head = head_, weak = std::weak_ptr<HttpExchange>(exchange_),
                                             headers = ResponseHeaders()]() {
      std::lock_guard<std::mutex> lock(head->mu);
      auto exchange = weak.lock();
      if (!exchange || head->started || head->finished) return;
      head->started = true;
      exchange->StartStream(200, headers);
    });
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      RemoveHold();
      return;
    }
    ++messages_out_;
    std::string frame = FramedMessage(response_, mode_);
    {
      // Under the lock, so that the headers are queued before this message whoever sends them.
      std::lock_guard<std::mutex> lock(head_->mu);
      if (!head_->started) {
        head_->started = true;
        exchange_->StartStream(200, ResponseHeaders());
      }
    }
    exchange_->Write(std::move(frame), [this](bool written) {
      if (written) {
        StartRead(&response_);
      } else {  // the browser is gone: end the call; nothing of this object is touched after RemoveHold
        context_->TryCancel();
        RemoveHold();
      }
    });
  }

  void OnDone(const grpc::Status& status) override {
    Metadata trailers = Trailers(status);
    bool started;
    {
      std::lock_guard<std::mutex> lock(head_->mu);
      started = head_->started;
      head_->finished = true;
    }
    int code = static_cast<int>(status.error_code());
    exchange_->AddLogField("grpc_status", std::to_string(code));
    exchange_->AddLogField("messages_out", std::to_string(messages_out_));
    if (!started) {
      exchange_->Respond(TrailersOnly(mode_, code, status.error_message(), trailers, cors_));
    } else {
      exchange_->End(EncodedTrailerFrame(code, status.error_message(), trailers));
    }
    Ended();
    delete this;
  }

 private:
  std::vector<grpc::ByteBuffer> requests_;
  size_t next_request_ = 0;
  grpc::ByteBuffer response_;
  // Whether the response's headers were sent (by the first message or by the early-headers timer).
  struct Head {
    std::mutex mu;
    bool started = false;   // guarded by mu
    bool finished = false;  // guarded by mu: OnDone ran
  };
  std::shared_ptr<Head> head_ = std::make_shared<Head>();
  int messages_out_ = 0;
};

// A call to a method known to be unary: one request, one answer, so the whole HTTP response (message
// frame and trailer frame, with a Content-Length) is written at once when the call ends. One operation
// batch towards the service and one write towards the browser, instead of a stream's several.
class UnaryProxyCall final : public CallBase {
 public:
  UnaryProxyCall(GrpcWebProxy* proxy, std::shared_ptr<HttpExchange> exchange, Mode mode, std::string method,
                 std::string message, std::map<std::string, std::string> cors)
      : CallBase(proxy, std::move(exchange), mode, std::move(method), std::move(cors)) {
    grpc::Slice slice(std::move(message));
    request_ = grpc::ByteBuffer(&slice, 1);
  }

  // Through a completion queue whose thread also does the channel's polling, so the answer is read
  // and handed to the HTTP side by one thread (the callback API adds a hop to its own executor).
  void Start(grpc::GenericStub* stub, grpc::CompletionQueue* cq) {
    reader_ = stub->PrepareUnaryCall(context_.get(), method_, request_, cq);
    reader_->StartCall();
    reader_->Finish(&response_, &status_, this);
  }

  // The completion queue's thread, once the call has ended.
  void OnDone() {
    Metadata trailers = Trailers(status_);
    int code = static_cast<int>(status_.error_code());
    exchange_->AddLogField("grpc_status", std::to_string(code));
    if (!status_.ok()) {
      exchange_->Respond(TrailersOnly(mode_, code, status_.error_message(), trailers, cors_));
    } else {
      HttpResponse r;
      r.headers = ResponseHeaders();
      r.content_type = r.headers["content-type"];
      r.headers.erase("content-type");
      r.body = FramedMessage(response_, mode_) + EncodedTrailerFrame(code, "", trailers);
      exchange_->AddLogField("messages_out", "1");
      exchange_->Respond(std::move(r));
    }
    Ended();
    delete this;
  }

 private:
  grpc::ByteBuffer request_, response_;
  grpc::Status status_;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader_;
};

HttpResponse TrailersOnly(Mode mode, int grpc_status, const std::string& message, const Metadata& trailers,
                          const std::map<std::string, std::string>& cors) {
  HttpResponse r;
  r.status = 200;
  r.content_type = grpcweb::ResponseContentType(mode);
  r.headers["grpc-status"] = std::to_string(grpc_status);
  if (!message.empty()) r.headers["grpc-message"] = grpcweb::PercentEncodeMessage(message);
  for (const auto& [k, v] : trailers) r.headers[k] = v;
  AddCors(cors, &r.headers);
  return r;
}

bool IsRpcPath(const std::string& path) {
  if (path.size() < 4 || path[0] != '/') return false;
  size_t slash = path.find('/', 1);
  if (slash == std::string::npos || slash + 1 >= path.size()) return false;
  if (path.find('/', slash + 1) != std::string::npos) return false;
  absl::string_view service(path.data() + 1, slash - 1);
  if (service.find('.') == absl::string_view::npos) return false;
  for (char c : path) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '/'))
      return false;
  }
  return true;
}

GrpcWebProxy::GrpcWebProxy(ProxyOptions options) : options_(std::move(options)) {
  for (int i = 0; i < std::max(1, options_.completion_threads); ++i) {
    auto* queue = queues_.emplace_back(std::make_unique<grpc::CompletionQueue>()).get();
    queue_threads_.emplace_back([queue] {
      void* tag;
      bool ok;
      while (queue->Next(&tag, &ok)) static_cast<UnaryProxyCall*>(tag)->OnDone();
    });
  }
}

GrpcWebProxy::~GrpcWebProxy() {
  Shutdown();
  for (auto& queue : queues_) queue->Shutdown();
  for (auto& thread : queue_threads_) thread.join();
}

void GrpcWebProxy::AddBackend(const std::string& service,
                              const std::vector<std::shared_ptr<grpc::Channel>>& channels) {
  auto& stubs = backends_[service];
  for (const auto& channel : channels) stubs.push_back(std::make_unique<grpc::GenericStub>(channel));
  const google::protobuf::ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  if (descriptor == nullptr) return;  // no schema linked in: every method is forwarded as a stream
  for (int i = 0; i < descriptor->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* m = descriptor->method(i);
    if (!m->client_streaming() && !m->server_streaming()) {
      unary_methods_.insert(absl::StrCat("/", service, "/", m->name()));
    }
  }
}

bool GrpcWebProxy::Forwarded(const std::string& header) const {
  for (const std::string& entry : options_.forward_headers) {
    if (!entry.empty() && entry.back() == '*') {
      if (absl::StartsWith(header, absl::string_view(entry).substr(0, entry.size() - 1))) return true;
    } else if (header == entry) {
      return true;
    }
  }
  return false;
}

void GrpcWebProxy::Handle(const std::shared_ptr<HttpExchange>& exchange,
                          const std::map<std::string, std::string>& cors) {
  const HttpRequest& request = exchange->request();
  std::optional<Mode> mode = grpcweb::ParseContentType(request.Header("content-type"));
  if (!mode) {
    HttpResponse r = TextResponse(
        415,
        absl::StrCat(
            "content type \"", request.Header("content-type"),
            "\" is not grpc-web; use application/grpc-web(+proto) or application/grpc-web-text(+proto)"));
    for (const auto& [k, v] : cors) r.headers[k] = v;
    return exchange->Respond(std::move(r));
  }
  auto answer = [&](int code, const std::string& message) {
    exchange->AddLogField("grpc_status", std::to_string(code));
    exchange->Respond(TrailersOnly(*mode, code, message, {}, cors));
  };
  auto bad_request = [&](const std::string& message) {
    HttpResponse r = TextResponse(400, message);
    for (const auto& [k, v] : cors) r.headers[k] = v;
    exchange->Respond(std::move(r));
  };

  const std::string path = request.Path();
  size_t slash = path.find('/', 1);
  std::string service = path.substr(1, slash - 1);
  auto backend = backends_.find(service);
  if (backend == backends_.end()) {
    return answer(static_cast<int>(grpc::StatusCode::UNIMPLEMENTED),
                  absl::StrCat("this gateway serves no service named ", service));
  }

  grpcweb::RequestDecoder decoder(*mode, options_.max_message_bytes);
  absl::Status decoded = decoder.Feed(request.body);
  if (decoded.ok()) decoded = decoder.Finish();
  if (decoded.code() == absl::StatusCode::kInvalidArgument)
    return bad_request(std::string(decoded.message()));
  if (!decoded.ok()) return answer(static_cast<int>(decoded.code()), std::string(decoded.message()));

  absl::Duration timeout = options_.default_timeout;
  if (const std::string& t = request.Header("grpc-timeout"); !t.empty()) {
    auto parsed = grpcweb::ParseTimeout(t);
    if (!parsed.ok()) return bad_request(std::string(parsed.status().message()));
    timeout = std::min(*parsed, options_.max_timeout);
  }

  // Allowed headers become metadata; anything malformed is refused before a call is made.
  std::vector<std::pair<std::string, std::string>> metadata;
  for (const auto& [key, value] : request.headers) {
    if (key == "grpc-timeout" || !Forwarded(key)) continue;
    if (!grpcweb::IsValidMetadataKey(key))
      return bad_request(absl::StrCat("header \"", key, "\" cannot be metadata"));
    if (grpcweb::IsBinaryKey(key)) {
      std::optional<std::string> raw = grpcweb::Base64DecodeHeader(value);
      if (!raw)
        return bad_request(absl::StrCat("header \"", key, "\" ends in -bin but its value is not base64"));
      metadata.emplace_back(key, std::move(*raw));
    } else {
      if (!grpcweb::IsValidMetadataValue(value)) {
        return bad_request(
            absl::StrCat("header \"", key, "\" has characters outside printable ASCII; percent-encode them"));
      }
      metadata.emplace_back(key, value);
    }
  }

  if (active_.fetch_add(1) >= options_.max_concurrent_calls) {
    active_.fetch_sub(1);
    return answer(static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED),
                  absl::StrCat("the gateway already has ", options_.max_concurrent_calls,
                               " calls in progress; try again shortly"));
  }
  // A method the schemas say is unary, with the one message it takes, goes the short way; anything
  // else (streams, services this gateway has no schema of, a wrong number of messages for the service
  // to refuse) as a stream.
  const auto& stubs = backend->second;
  grpc::GenericStub* stub = stubs[next_stub_.fetch_add(1, std::memory_order_relaxed) % stubs.size()].get();
  std::vector<std::string>& messages = decoder.messages();
  if (messages.size() == 1 && unary_methods_.count(path) > 0) {
    auto* call = new UnaryProxyCall(this, exchange, *mode, path, std::move(messages[0]), cors);
    Launch(call->context(), timeout, metadata);
    call->Start(stub, queues_[next_queue_.fetch_add(1, std::memory_order_relaxed) % queues_.size()].get());
  } else {
    auto* call = new ProxyCall(this, exchange, *mode, path, std::move(messages), cors);
    Launch(call->context(), timeout, metadata);
    call->Start(stub);
  }
}

void GrpcWebProxy::Launch(const std::shared_ptr<grpc::ClientContext>& context, absl::Duration timeout,
                          const std::vector<std::pair<std::string, std::string>>& metadata) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  for (const auto& [k, v] : metadata) context->AddMetadata(k, v);
  std::lock_guard<std::mutex> lock(mu_);
  calls_.emplace(context.get(), context);
}

void GrpcWebProxy::CallEnded(grpc::ClientContext* context) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.erase(context);
  active_.fetch_sub(1);
  ended_.notify_all();
}

void GrpcWebProxy::Shutdown(absl::Duration grace) {
  std::vector<std::shared_ptr<grpc::ClientContext>> open;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [raw, context] : calls_) open.push_back(context);
  }
  for (const auto& context : open) context->TryCancel();
  std::unique_lock<std::mutex> lock(mu_);
  ended_.wait_for(lock, absl::ToChronoNanoseconds(grace), [this] { return calls_.empty(); });
}

}  // namespace luoshi::gateway
