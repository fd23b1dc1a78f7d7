// uma info — placeholder until implemented.
#include <cstdio>

#include "commands.h"

namespace uma::cli {
int cmd_info(int, char**) {
  std::fprintf(stderr, "uma info: not implemented yet\n");
  return 1;
}
}  // namespace uma::cli
