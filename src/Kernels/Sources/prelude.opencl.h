/* Portable kernel prelude, OpenCL C 1.2 side. Kernels (*.cl) are written against these macros only,
   so the same text also compiles as CUDA with prelude.cuda.h. Keep both files in step. */

/* The host passes -DHAS_FP64=1 when the device reports cl_khr_fp64. */
#ifndef HAS_FP64
#define HAS_FP64 0
#endif
#if HAS_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

/* Integer types: LONG is 64-bit signed on every device (index with it where a tensor may pass 2^31 elements). */
#define LONG long
#define ULONG ulong
#define UINT uint
#define USHORT ushort
#define AS_FLOAT(u) as_float(u)
#define AS_UINT(x) as_uint(x)

/* Qualifiers. */
#define KERNEL __kernel
#define GLOBAL __global
#define LOCAL_MEM __local
#define LOCAL_PTR __local   /* a pointer parameter into LOCAL_MEM */
#define RESTRICT restrict
#define DEVICE_FN static inline

/* Work-item geometry, as LONG. */
#define BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
#define GLOBAL_ID(d) ((LONG)get_global_id(d))
#define LOCAL_ID(d) ((LONG)get_local_id(d))
#define GROUP_ID(d) ((LONG)get_group_id(d))
#define LOCAL_SIZE(d) ((LONG)get_local_size(d))
#define NUM_GROUPS(d) ((LONG)get_num_groups(d))
#define GLOBAL_SIZE(d) ((LONG)get_global_size(d))

/* fp32 math (full-precision built-ins; OpenCL overloads them on float). */
#define FMA(a, b, c) fma((a), (b), (c))
#define SQRTF(x) sqrt(x)
#define RSQRTF(x) rsqrt(x)
#define EXPF(x) exp(x)
#define LOGF(x) log(x)
#define TANHF(x) tanh(x)
#define COSF(x) cos(x)
#define SINF(x) sin(x)
#define FABSF(x) fabs(x)
#define FMAXF(a, b) fmax((a), (b))
#define FMINF(a, b) fmin((a), (b))
#define POWF(x, y) pow((x), (y))

/* OpenCL 1.2 has no sub-group shuffles: a "warp" is one work-item, so a shuffle reduction loop
   for (off = WARP_SIZE / 2; off > 0; off /= 2) runs zero times; use LOCAL_MEM reductions instead. */
#define HAS_WARP_SHUFFLE 0
#define WARP_SIZE 1
#define SHFL_DOWN(v, offset) (v)

#include "bf16.h"
