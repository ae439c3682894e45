#include <malloc.h>
#include <stdio.h>

/* Flushes standard output and says whether any write to it failed (now or earlier): Swift 6
   cannot name C's mutable `stdout` global itself. Nonzero: failed, with errno set by the flush
   when the flush was what failed. */
static inline int c2s_stdout_failed(void) {
    int flush = fflush(stdout);
    return flush != 0 || ferror(stdout) != 0;
}
