// The LAPACK routines that Debian's OpenBLAS exports (libopenblas-dev ships no lapack.h or
// lapacke.h, so the Fortran entry points are declared here). Only what c2s uses.
#include <stddef.h>

// Selected eigenvalues and eigenvectors of a real symmetric matrix (MRRR algorithm).
// Fortran calling convention: every argument by pointer, column-major arrays, and gfortran's
// hidden lengths of the three character arguments at the end (always 1 here).
void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a,
             const int *lda, const double *vl, const double *vu, const int *il, const int *iu,
             const double *abstol, int *m, double *w, double *z, const int *ldz, int *isuppz,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_len, size_t range_len, size_t uplo_len);
