/* Portable kernel prelude, CUDA side. Kernels (*.cl) are written against these macros only, so the same
   text compiles as OpenCL C with prelude.opencl.h. Keep both files in step.
   Two compilers read this file:
   - NVRTC (the CUDA backend at run time): the usual CUDA built-ins and math functions.
   - clang without a CUDA toolkit (tools/check-ptx.sh: -x cuda -nocudainc -nocudalib): nothing is declared,
     so the attributes, the built-in variables and the math come from clang itself (NVVM builtins, no libdevice). */

#if defined(__clang__) && !defined(__NVRTC__) && !defined(__CUDACC_RTC__)
#define ENGINE_CLANG_NO_TOOLKIT 1
#endif

#ifdef ENGINE_CLANG_NO_TOOLKIT
#ifndef __global__
#define __global__ __attribute__((global))
#endif
#ifndef __device__
#define __device__ __attribute__((device))
#endif
#ifndef __shared__
#define __shared__ __attribute__((shared))
#endif
#ifndef __forceinline__
#define __forceinline__ __inline__ __attribute__((always_inline))
#endif
#include <__clang_cuda_builtin_vars.h>
#endif

#define HAS_FP64 1

/* Integer types: LONG is 64-bit signed (index with it where a tensor may pass 2^31 elements). */
#define LONG long long
#define ULONG unsigned long long
#define UINT unsigned int
#define USHORT unsigned short

/* Qualifiers. */
#define KERNEL extern "C" __global__
#define GLOBAL
#define LOCAL_MEM __shared__
#define LOCAL_PTR            /* shared memory is addressed through generic pointers */
#define RESTRICT __restrict__
#define DEVICE_FN static __device__ __forceinline__

/* Work-item geometry, as LONG (blockIdx * blockDim is computed in 64 bits). */
/* Built-in vectors are read member by member: without a toolkit, uint3/dim3 are incomplete types.
   The dimension is a constant in practice, so the selection folds away. */
#define ENGINE_DIM(v, d) ((d) == 0 ? (v).x : ((d) == 1 ? (v).y : (v).z))

#define BARRIER() __syncthreads()
#define LOCAL_ID(d) ((LONG)ENGINE_DIM(threadIdx, d))
#define GROUP_ID(d) ((LONG)ENGINE_DIM(blockIdx, d))
#define LOCAL_SIZE(d) ((LONG)ENGINE_DIM(blockDim, d))
#define NUM_GROUPS(d) ((LONG)ENGINE_DIM(gridDim, d))
#define GLOBAL_ID(d) (GROUP_ID(d) * LOCAL_SIZE(d) + LOCAL_ID(d))
#define GLOBAL_SIZE(d) (NUM_GROUPS(d) * LOCAL_SIZE(d))

#define HAS_WARP_SHUFFLE 1
#define WARP_SIZE 32

#ifdef ENGINE_CLANG_NO_TOOLKIT

/* fp32 math from NVVM builtins: what libdevice would call, at approx precision where PTX only has that. */
#define ENGINE_LOG2E 1.4426950408889634f
#define ENGINE_LN2 0.6931471805599453f
#define ENGINE_TWO_PI 6.283185307179586f

#define FMA(a, b, c) __nvvm_fma_rn_f((a), (b), (c))
#define AS_FLOAT(u) __builtin_bit_cast(float, (UINT)(u))
#define AS_UINT(x) __builtin_bit_cast(UINT, (float)(x))
#define SQRTF(x) __nvvm_sqrt_rn_f(x)
#define RSQRTF(x) __nvvm_rsqrt_approx_f(x)
#define EXPF(x) __nvvm_ex2_approx_f((x) * ENGINE_LOG2E)
#define LOGF(x) (__nvvm_lg2_approx_f(x) * ENGINE_LN2)
#define FABSF(x) __nvvm_fabs_f(x)
#define FMAXF(a, b) __nvvm_fmax_f((a), (b))
#define FMINF(a, b) __nvvm_fmin_f((a), (b))
#define TANHF(x) engine_tanhf(x)
#define COSF(x) engine_cosf(x)
#define SINF(x) engine_sinf(x)
#define POWF(x, y) engine_powf((x), (y))
#define SHFL_DOWN(v, offset) __nvvm_shfl_sync_down_f32(0xffffffffu, (v), (offset), 0x1f)

/* tanh(x) = sign(x) * (1 - e) / (1 + e) with e = exp(-2|x|): no overflow for large |x|. */
DEVICE_FN float engine_tanhf(float x)
{
    float e = EXPF(-2.0f * FABSF(x));
    float t = (1.0f - e) / (1.0f + e);
    return x < 0.0f ? -t : t;
}

/* sin.approx / cos.approx are accurate on [-pi, pi]; reduce the argument there first. */
DEVICE_FN float engine_reduce_angle(float x)
{
    return x - ENGINE_TWO_PI * __nvvm_round_f(x * (1.0f / ENGINE_TWO_PI));
}
DEVICE_FN float engine_sinf(float x) { return __nvvm_sin_approx_f(engine_reduce_angle(x)); }
DEVICE_FN float engine_cosf(float x) { return __nvvm_cos_approx_f(engine_reduce_angle(x)); }

/* pow through exp2(y * log2 |x|), with the sign and zero cases of C's powf. */
DEVICE_FN float engine_powf(float x, float y)
{
    if (y == 0.0f) return 1.0f;
    if (x == 0.0f) return y > 0.0f ? 0.0f : __builtin_inff();
    float r = __nvvm_ex2_approx_f(y * __nvvm_lg2_approx_f(FABSF(x)));
    if (x > 0.0f) return r;
    if (__nvvm_trunc_f(y) != y) return __builtin_nanf("");
    float half = 0.5f * y;
    return __nvvm_trunc_f(half) != half ? -r : r; /* odd integer power keeps the sign */
}

#else

#define FMA(a, b, c) fmaf((a), (b), (c))
#define AS_FLOAT(u) __uint_as_float(u)
#define AS_UINT(x) __float_as_uint(x)
#define SQRTF(x) sqrtf(x)
#define RSQRTF(x) rsqrtf(x)
#define EXPF(x) expf(x)
#define LOGF(x) logf(x)
#define TANHF(x) tanhf(x)
#define COSF(x) cosf(x)
#define SINF(x) sinf(x)
#define FABSF(x) fabsf(x)
#define FMAXF(a, b) fmaxf((a), (b))
#define FMINF(a, b) fminf((a), (b))
#define POWF(x, y) powf((x), (y))
#define SHFL_DOWN(v, offset) __shfl_down_sync(0xffffffffu, (v), (offset))

#endif

#include "bf16.h"
