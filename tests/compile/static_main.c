/* Links two private copies of the implementation (tests/compile/static_a.c and
   tests/compile/static_b.c, both CLRHOST_TASK_STATIC) and runs each. */
#include <stdio.h>

int static_copy_a(void);
int static_copy_b(void);

int main(void)
{
    int a = static_copy_a(), b = static_copy_b();
    printf("static copies: a=%d b=%d\n", a, b);
    return a || b;
}
