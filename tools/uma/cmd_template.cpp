// uma template — being built (see the open issue); until then it says so and exits 1.
#include <cstdio>

#include "commands.h"

namespace uma::cli {
int cmd_template(int, char**) {
  std::fprintf(stderr, "uma template: not implemented yet\n");
  return 1;
}
}  // namespace uma::cli
