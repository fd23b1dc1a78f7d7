// uma run — placeholder until implemented.
#include <cstdio>

#include "commands.h"

namespace uma::cli {
int cmd_run(int, char**) {
  std::fprintf(stderr, "uma run: not implemented yet\n");
  return 1;
}
}  // namespace uma::cli
