// luoshi extract: runs the extraction library offline (filled in with the extraction library).
#include "services/cli/cli.h"

namespace luoshi::cli {

std::vector<Command> ExtractCommands() { return {}; }

}  // namespace luoshi::cli
