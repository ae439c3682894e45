#include <hdf5.h>

/* HDF5 exposes these as macros that expand to H5open() plus a global, which Swift cannot
   import; plain functions give the Swift side typed values. */
static inline hid_t c2s_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t c2s_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t c2s_H5S_ALL(void) { return H5S_ALL; }
static inline unsigned c2s_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned c2s_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline hid_t c2s_H5T_NATIVE_INT8(void) { return H5T_NATIVE_INT8; }
static inline hid_t c2s_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t c2s_H5T_NATIVE_INT16(void) { return H5T_NATIVE_INT16; }
static inline hid_t c2s_H5T_NATIVE_UINT16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t c2s_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t c2s_H5T_NATIVE_UINT32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t c2s_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t c2s_H5T_NATIVE_UINT64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t c2s_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t c2s_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t c2s_H5T_NATIVE_HBOOL(void) { return H5T_NATIVE_HBOOL; }
static inline hid_t c2s_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t c2s_H5T_STD_I8LE(void) { return H5T_STD_I8LE; }
static inline hid_t c2s_H5T_STD_I32LE(void) { return H5T_STD_I32LE; }
static inline hid_t c2s_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t c2s_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t c2s_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hsize_t c2s_H5S_UNLIMITED(void) { return H5S_UNLIMITED; }

/* Silence HDF5's own error stack printing; we report errors ourselves. */
static inline void c2s_H5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
