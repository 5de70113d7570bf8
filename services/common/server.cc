#include "services/common/server.h"

#include <grpc/grpc.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/resource_quota.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "services/common/files.h"
#include "services/common/flags.h"
#include "services/common/health_client.h"
#include "services/common/health_service.h"
#include "services/common/limits.h"
#include "services/common/log.h"
#include "services/common/metrics_grpc.h"
#include "services/common/status_macros.h"

namespace luoshi {
namespace {

std::atomic<bool> g_shutdown_requested{false};

extern "C" void OnSignal(int) { g_shutdown_requested.store(true); }

// `address` with its port replaced by `port` ("127.0.0.1:0" → "127.0.0.1:7103"; "[::1]:0" likewise).
std::string WithPort(const std::string& address, int port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || address.find(']', colon) != std::string::npos) return address;
  return absl::StrCat(address.substr(0, colon + 1), port);
}

// The refusals Start and StartWarmingUp share: unreadable TLS files, plaintext off loopback.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> CheckedServerCredentials(
    const std::string& address) {
  LUOSHI_ASSIGN_OR_RETURN(auto creds, ServerCredentialsFromFlags());
  LUOSHI_RETURN_IF_ERROR(ChannelCredentialsFromFlags().status());  // fail closed on an unreadable --tls_ca
  if (absl::GetFlag(FLAGS_tls_cert).empty() && !IsLoopbackAddress(address)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to serve plaintext on ", address,
        ": only loopback addresses (127.0.0.1, ::1, localhost) may go without TLS; give --tls_cert and "
        "--tls_key (deploy/tls/make-dev-ca.sh makes development certificates) or listen on 127.0.0.1"));
  }
  return creds;
}

// The warm-up server's answer to every call but health: UNAVAILABLE, which clients and the outbox retry
// (UNIMPLEMENTED, gRPC's own answer for an unknown method, would read as a permanent failure).
class StartingUp final : public grpc::CallbackGenericService {
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* /*context*/) override {
    class Refusal final : public grpc::ServerGenericBidiReactor {
     public:
      Refusal() {
        Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "the service is starting (opening its database); retry shortly"));
      }
      void OnDone() override { delete this; }
    };
    return new Refusal();
  }
};

void SetServing(HealthService* health, const std::vector<std::string>& names, bool serving) {
  for (const std::string& name : names) health->SetStatus(name, serving);
  health->SetStatus("", serving);
}

// Counts a server's calls from their arrival to their end: gRPC creates one interceptor per call and
// deletes it with the call's context, after the call is entirely done (OnDone for a reactor).
class InFlightCounter final : public grpc::experimental::Interceptor {
 public:
  explicit InFlightCounter(std::shared_ptr<std::atomic<int>> count) : count_(std::move(count)) {
    count_->fetch_add(1, std::memory_order_relaxed);
  }
  ~InFlightCounter() override { count_->fetch_sub(1, std::memory_order_release); }
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override { methods->Proceed(); }

 private:
  const std::shared_ptr<std::atomic<int>> count_;
};

class InFlightCounterFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit InFlightCounterFactory(std::shared_ptr<std::atomic<int>> count) : count_(std::move(count)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* /*info*/) override {
    return new InFlightCounter(count_);
  }

 private:
  const std::shared_ptr<std::atomic<int>> count_;
};

std::vector<std::string> NamesOf(const std::vector<std::pair<grpc::Service*, std::string>>& services) {
  std::vector<std::string> names;
  for (const auto& [service, full_name] : services) names.push_back(full_name);
  return names;
}

}  // namespace

std::string ProbeAddress(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return listen;
  const std::string host = listen.substr(0, colon), port = listen.substr(colon + 1);
  if (host.empty() || host == "0.0.0.0") return "127.0.0.1:" + port;
  if (host == "[::]" || host == "[0:0:0:0:0:0:0:0]") return "[::1]:" + port;
  return listen;
}

bool ProbeRequested() { return absl::GetFlag(FLAGS_probe); }

int Probe(const std::string& service, const std::string& default_address) {
  const std::string address = ProbeAddress(ListenAddress(default_address));
  if (absl::Status creds = ChannelCredentialsFromFlags().status(); !creds.ok()) {
    std::fprintf(stderr, "probe %s at %s: cannot set up TLS: %s\n", service.c_str(), address.c_str(),
                 std::string(creds.message()).c_str());
    return 1;
  }
  absl::StatusOr<std::string> state = CheckHealth(MakeChannel(address), service, absl::Seconds(3));
  const std::string answer =
      state.ok() ? *state : absl::StrCat("UNREACHABLE (", state.status().message(), ")");
  const bool serving = state.ok() && *state == "SERVING";
  std::fprintf(serving ? stdout : stderr, "%s at %s: %s\n", service.c_str(), address.c_str(), answer.c_str());
  return serving ? 0 : 1;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFromFlags() {
  std::string cert = absl::GetFlag(FLAGS_tls_cert), key = absl::GetFlag(FLAGS_tls_key);
  std::string client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  if (cert.empty() && key.empty()) {
    if (!client_ca.empty())
      return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
    return grpc::InsecureServerCredentials();
  }
  if (cert.empty() || key.empty()) return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  LUOSHI_ASSIGN_OR_RETURN(auto cert_pem, ReadFileToString(cert, "TLS certificate"));
  LUOSHI_ASSIGN_OR_RETURN(auto key_pem, ReadFileToString(key, "TLS key"));
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({key_pem, cert_pem});
  if (!client_ca.empty()) {
    LUOSHI_ASSIGN_OR_RETURN(auto ca_pem, ReadFileToString(client_ca, "client CA"));
    options.pem_root_certs = ca_pem;
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::unique_ptr<Authenticator>> AuthenticatorFromFlags() {
  return Authenticator::Load(absl::GetFlag(FLAGS_auth_keys), absl::GetFlag(FLAGS_auth_revoked));
}

absl::StatusOr<std::string> ServiceTokenFromFlags() {
  const std::string path = absl::GetFlag(FLAGS_service_token);
  if (path.empty()) return std::string();
  LUOSHI_ASSIGN_OR_RETURN(std::string token, ReadFileToString(path, "service token"));
  token = std::string(absl::StripAsciiWhitespace(token));
  if (token.empty()) return absl::InvalidArgumentError(absl::StrCat("service token file ", path, " is empty"));
  return token;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFromFlags() {
  const std::string ca = absl::GetFlag(FLAGS_tls_ca);
  if (ca.empty()) return grpc::InsecureChannelCredentials();
  // Fail closed: a CA that cannot be read must not fall back to the system roots.
  LUOSHI_ASSIGN_OR_RETURN(std::string ca_pem, ReadFileToString(ca, "TLS CA (--tls_ca)"));
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = std::move(ca_pem);
  // The component's own certificate is its client certificate for mutual TLS with the services it calls.
  const std::string cert = absl::GetFlag(FLAGS_tls_cert), key = absl::GetFlag(FLAGS_tls_key);
  if (!cert.empty() && !key.empty()) {
    LUOSHI_ASSIGN_OR_RETURN(options.pem_cert_chain, ReadFileToString(cert, "TLS certificate"));
    LUOSHI_ASSIGN_OR_RETURN(options.pem_private_key, ReadFileToString(key, "TLS key"));
  }
  return grpc::SslCredentials(options);
}

bool IsLoopbackAddress(const std::string& address) {
  std::string host = address;
  if (absl::StartsWith(host, "[")) {
    host = host.substr(1, host.find(']') == std::string::npos ? std::string::npos : host.find(']') - 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string::npos && host.find(':') == colon) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, bool own_connection) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> from_flags = ChannelCredentialsFromFlags();
  if (!from_flags.ok()) {
    // ServiceHost::Start and the CLI check the flags first; reaching here means a file vanished since.
    LogError("cannot set up TLS to a peer; calls to it will fail",
             {{"peer", address}, {"error", std::string(from_flags.status().message())}});
    return grpc::CreateChannel("unix:/nonexistent/luoshi-tls-unavailable", grpc::InsecureChannelCredentials());
  }
  std::shared_ptr<grpc::ChannelCredentials> creds = *from_flags;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // A peer that was down is tried again at least every 5 s (gRPC's default backoff grows to 2 minutes):
  // once it is back, the ingestion outbox, the gateway and the CLI reach it within seconds, not minutes.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  if (own_connection) args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, creds, args);
}

ServiceHost::~ServiceHost() {
  if (server_ || warm_up_) Shutdown(absl::ZeroDuration());
}

void TuneProcessForServing() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 4 << 20);    // a fixed threshold also stops glibc adjusting the trim threshold
  mallopt(M_TRIM_THRESHOLD, 128 << 20);  // give memory back only when 128 MiB are free at the heap top
  mallopt(M_TOP_PAD, 16 << 20);          // grow the heap in 16 MiB steps
  // One malloc arena per core instead of glibc's eight per core: with nothing given back per call, each arena keeps
  // every page it ever touched, and the serving threads spread their allocations over all of them. Under
  // the 10-minute load the task service's memory not backed by a file crept from 38 to 73 MiB with 16
  // arenas while the memory actually in use stayed under 8 MiB (heaptrack); with one arena per core it
  // grows about a quarter as fast at the same throughput (docs/reliability.md, Load). Allocation is
  // no more contended than the cores that can run at once.
  mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
#endif
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

void ServiceHost::AddService(grpc::Service* service, const std::string& full_name) {
  services_.emplace_back(service, full_name);
}

absl::Status ServiceHost::Serve(const std::string& address,
                                const std::vector<std::pair<grpc::Service*, std::string>>& services,
                                HealthService* health, std::unique_ptr<grpc::Server>* server) {
  CatchShutdownSignals();
  LUOSHI_ASSIGN_OR_RETURN(auto creds, CheckedServerCredentials(address));
  // Our own health service (health_service.h) instead of gRPC's, which would hold Watch streams open
  // through the whole shutdown grace.
  grpc::EnableDefaultHealthCheckService(false);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  grpc::ResourceQuota quota(name_);
  const int threads = absl::GetFlag(FLAGS_max_threads);
  quota.SetMaxThreads(std::max(4, threads > 0 ? threads : limits_.default_max_threads));
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(limits_.max_request_bytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.AddListeningPort(address, creds, &port_);
  builder.RegisterService(health);
  for (const auto& [service, full_name] : services) builder.RegisterService(service);
  auto interceptors = metrics::GrpcServerMetrics(services);
  interceptors.push_back(std::make_unique<InFlightCounterFactory>(calls_in_flight_));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  static StartingUp* const starting_up = new StartingUp();  // shared by warm-up servers, never freed
  if (services.empty()) builder.RegisterCallbackGenericService(starting_up);
  *server = builder.BuildAndStart();
  if (!*server || port_ == 0) {
    server->reset();
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address,
                     ": the address is malformed or already in use (try --listen=127.0.0.1:0)"));
  }
  return absl::OkStatus();
}

absl::Status ServiceHost::StartWarmingUp(const std::string& address,
                                         const std::vector<std::string>& service_names) {
  warm_up_health_ = std::make_unique<HealthService>();
  SetServing(warm_up_health_.get(), service_names, false);
  LUOSHI_RETURN_IF_ERROR(Serve(address, {}, warm_up_health_.get(), &warm_up_));
  LogInfo("starting", {{"addr", address}, {"port", std::to_string(port_)}, {"health", "NOT_SERVING"}});
  return absl::OkStatus();
}

absl::Status ServiceHost::Start(const std::string& address) {
  std::string bind = address;
  if (warm_up_) {
    // The port is released for the moment between the two servers; a probe then is refused, which
    // it counts as not ready, as it should.
    bind = WithPort(address, port_);
    StopWarmUp("the service has finished starting; watch its health again");
  }
  health_ = std::make_unique<HealthService>();
  LUOSHI_RETURN_IF_ERROR(Serve(bind, services_, health_.get(), &server_));
  SetServing(health_.get(), NamesOf(services_), true);
  LogInfo("listening", {{"addr", address}, {"port", std::to_string(port_)}});
  return absl::OkStatus();
}

void ServiceHost::RequestShutdown() { g_shutdown_requested.store(true); }

void ServiceHost::CatchShutdownSignals() {
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
}

void ServiceHost::WaitForShutdownSignal() {
  CatchShutdownSignals();
  while (!g_shutdown_requested.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  LogInfo("shutdown requested");
}

void ServiceHost::StopWarmUp(const std::string& why) {
  if (!warm_up_) return;
  warm_up_health_->Shutdown(why);
  warm_up_->Shutdown(std::chrono::system_clock::now());
  warm_up_->Wait();
  warm_up_.reset();
  warm_up_health_.reset();
}

void ServiceHost::Shutdown(absl::Duration grace, const std::function<void()>& end_streams) {
  StopWarmUp(absl::StrCat("the ", name_, " service is shutting down before it finished starting"));
  if (!server_) return;
  // Health first, so that a watching load balancer or probe sees NOT_SERVING before calls are refused;
  // its Watch streams then end at once instead of holding on through the grace.
  health_->Shutdown(absl::StrCat("the ", name_, " service is shutting down; it reports NOT_SERVING until it stops"));
  LogInfo("shutting down", {{"grace", absl::FormatDuration(grace)}});
  if (end_streams) end_streams();
  // gRPC's Shutdown refuses new calls, sends every connection a GOAWAY and returns once the calls in
  // flight have ended and every client has closed its connection, or at the deadline. A client does
  // not always read the GOAWAY promptly: a gRPC C++ client polls an idle connection only every 5 s, and a
  // client that hangs never does. So from the moment no call is in flight, this thread closes the
  // remaining (idle) connections itself, again every 20 ms in case one slipped in before the server
  // stopped accepting, until Shutdown has returned.
  const auto deadline = std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace);
  absl::Notification stopped;
  std::thread stopper([this, deadline, &stopped] {
    server_->Shutdown(deadline);
    stopped.Notify();
  });
  while (!stopped.WaitForNotificationWithTimeout(absl::Milliseconds(20))) {
    if (calls_in_flight_->load(std::memory_order_acquire) == 0) grpc_server_cancel_all_calls(server_->c_server());
  }
  stopper.join();
  server_->Wait();
  server_.reset();
  health_.reset();
  LogInfo("stopped");
}

}  // namespace luoshi
