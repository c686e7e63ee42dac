/* Stand-in for the Windows SDK's gchost.h, for the coexistence tests: the
   SDK's mscoree.h takes COR_GC_THREAD_STATS from here. */
#ifndef __gchost_h__
#define __gchost_h__
typedef struct _COR_GC_THREAD_STATS {
    ULONGLONG PerThreadAllocation;
    ULONG Flags;
} COR_GC_THREAD_STATS;
#endif
