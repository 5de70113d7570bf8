// Internal to TaskLogic: the helpers at the top of service.cc that its other files share.
#ifndef LUOSHI_SERVICES_TASKS_SERVICE_INTERNAL_H_
#define LUOSHI_SERVICES_TASKS_SERVICE_INTERNAL_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "google/protobuf/timestamp.pb.h"
#include "luoshi/v1/tasks.pb.h"
#include "services/common/identity.h"

namespace luoshi::tasks::service_internal {

v1::JournalEntry Entry(const Identity& who, absl::Time at, const std::string& action,
                       const std::string& field, const std::string& old_value,
                       const std::string& new_value);

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& list);

std::string CompletionRate(int done, int count);

// Dedupes while keeping order.
std::vector<std::string> Unique(std::vector<std::string> in);

void SetRepeated(google::protobuf::RepeatedPtrField<std::string>* field,
                 const std::vector<std::string>& values);

}  // namespace luoshi::tasks::service_internal

#endif  // LUOSHI_SERVICES_TASKS_SERVICE_INTERNAL_H_
