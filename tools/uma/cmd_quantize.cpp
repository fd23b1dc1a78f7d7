// uma quantize — being built (see the open issue); until then it says so and exits 1.
#include <cstdio>

#include "commands.h"

namespace uma::cli {
int cmd_quantize(int, char**) {
  std::fprintf(stderr, "uma quantize: not implemented yet\n");
  return 1;
}
}  // namespace uma::cli
