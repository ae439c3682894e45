// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). Never link the netlib reference BLAS:
// it is ~50x slower for the matrix products the engine is made of.
#include <cblas.h>

// OpenBLAS thread control; declared here so Swift sees them whatever the header version.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
