/* One of two translation units with a private copy of the implementation:
   see static_copy.h. */
#define STATIC_COPY static_copy_b
#include "static_copy.h"
