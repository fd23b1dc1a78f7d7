// uma tokenize — placeholder until implemented.
#include <cstdio>

#include "commands.h"

namespace uma::cli {
int cmd_tokenize(int, char**) {
  std::fprintf(stderr, "uma tokenize: not implemented yet\n");
  return 1;
}
}  // namespace uma::cli
