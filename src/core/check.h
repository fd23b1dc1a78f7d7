// CHECK (always on) and DCHECK (debug builds only) for internal invariants — never for values
// read from files, requests or flags; those return Status.
#pragma once

#include <cstdio>
#include <cstdlib>

#define UMA_CHECK(cond)                                                              \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "uma: internal error: %s:%d: CHECK(%s) failed\n", __FILE__, \
                   __LINE__, #cond);                                                 \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)

#ifdef NDEBUG
#define UMA_DCHECK(cond) \
  do {                   \
  } while (0)
#else
#define UMA_DCHECK(cond) UMA_CHECK(cond)
#endif
