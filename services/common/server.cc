#include "services/common/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/common/flags.h"
#include "services/common/limits.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"

namespace luoshi {
namespace {

std::atomic<bool> g_shutdown_requested{false};

extern "C" void OnSignal(int) { g_shutdown_requested.store(true); }

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " file ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFromFlags() {
  std::string cert = absl::GetFlag(FLAGS_tls_cert), key = absl::GetFlag(FLAGS_tls_key);
  std::string client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  if (cert.empty() && key.empty()) {
    if (!client_ca.empty())
      return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
    return grpc::InsecureServerCredentials();
  }
  if (cert.empty() || key.empty()) return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  LUOSHI_ASSIGN_OR_RETURN(auto cert_pem, ReadFile(cert, "TLS certificate"));
  LUOSHI_ASSIGN_OR_RETURN(auto key_pem, ReadFile(key, "TLS key"));
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({key_pem, cert_pem});
  if (!client_ca.empty()) {
    LUOSHI_ASSIGN_OR_RETURN(auto ca_pem, ReadFile(client_ca, "client CA"));
    options.pem_root_certs = ca_pem;
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, bool own_connection) {
  std::string ca = absl::GetFlag(FLAGS_tls_ca);
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (!ca.empty()) {
    auto pem = ReadFile(ca, "TLS CA");
    grpc::SslCredentialsOptions options;
    if (pem.ok()) options.pem_root_certs = *pem;
    creds = grpc::SslCredentials(options);
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  if (own_connection) args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, creds, args);
}

ServiceHost::~ServiceHost() {
  if (server_) Shutdown(absl::ZeroDuration());
}

void TuneProcessForServing() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 4 << 20);    // a fixed threshold also stops glibc adjusting the trim threshold
  mallopt(M_TRIM_THRESHOLD, 128 << 20);  // give memory back only when 128 MiB are free at the heap top
  mallopt(M_TOP_PAD, 16 << 20);          // grow the heap in 16 MiB steps
#endif
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

void ServiceHost::AddService(grpc::Service* service, const std::string& full_name) {
  services_.emplace_back(service, full_name);
}

absl::Status ServiceHost::Start(const std::string& address) {
  LUOSHI_ASSIGN_OR_RETURN(auto creds, ServerCredentialsFromFlags());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  grpc::ResourceQuota quota(name_);
  quota.SetMaxThreads(std::max(4, absl::GetFlag(FLAGS_max_threads)));
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.AddListeningPort(address, creds, &port_);
  for (auto& [service, full_name] : services_) builder.RegisterService(service);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address,
                     ": the address is malformed or already in use (try --listen=127.0.0.1:0)"));
  }
  auto* health = server_->GetHealthCheckService();
  for (auto& [service, full_name] : services_) health->SetServingStatus(full_name, true);
  health->SetServingStatus(true);
  LogInfo("listening", {{"addr", address}, {"port", std::to_string(port_)}});
  return absl::OkStatus();
}

void ServiceHost::RequestShutdown() { g_shutdown_requested.store(true); }

void ServiceHost::WaitForShutdownSignal() {
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  while (!g_shutdown_requested.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  LogInfo("shutdown requested");
}

void ServiceHost::Shutdown(absl::Duration grace) {
  if (!server_) return;
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  server_->Wait();
  server_.reset();
  LogInfo("stopped");
}

}  // namespace luoshi
