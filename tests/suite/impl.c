/* The one translation unit that holds the implementation. The header is
   included plainly first and then with the implementation define, as a
   user's own header would include it before the implementation file does:
   the declaration guard must not stop the implementation from appearing. */
#include "../../clrhost_task.h"
/* The suite's fault injection (harness.h, test_fault): OS calls the tests
   can make fail. */
#ifdef __cplusplus
extern "C"
#endif
int test_fault(const char *what);
#define CLRHOST_TASK_TEST_FAULT(what) test_fault(what)
#define CLRHOST_TASK_IMPLEMENTATION
#include "../../clrhost_task.h"
#include "../../clrhost_task.h" /* a third time: the implementation is not repeated */
