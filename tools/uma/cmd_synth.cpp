// uma synth — being built (see the open issue); until then it says so and exits 1.
#include <cstdio>

#include "commands.h"

namespace uma::cli {
int cmd_synth(int, char**) {
  std::fprintf(stderr, "uma synth: not implemented yet\n");
  return 1;
}
}  // namespace uma::cli
