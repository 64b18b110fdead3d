#pragma once
// Run-time instruction-set dispatch for the CPU backend's hot loops. NN_MULTIVERSION compiles a
// function three times, for AVX-512F, AVX2 and the generic x86-64 baseline, and the loader picks
// the widest this CPU supports by its feature bits (GCC's target_clones, through an ifunc), so a
// package built once runs its kernels at the CPU's width everywhere. (Dispatch by feature, not
// by "arch=": those clones match named CPU models only.) None of the clones contracts to FMA (the
// library is built with -ffp-contract=off: GCC's AVX-512 clone would fuse multiply-adds), so
// elementwise results are the same bits on every CPU. Elsewhere (other compilers and
// architectures, sanitizer builds) it is empty.
//
// NN_SIMD_REDUCTION(...) lets the compiler vectorise a float reduction loop (it would otherwise
// keep the additions in source order, one at a time): `NN_SIMD_REDUCTION(+ : s)`.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(__SANITIZE_ADDRESS__)
#define NN_MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NN_MULTIVERSION
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NN_SIMD_SANITIZED 1  // clang cannot vectorise instrumented loops and warns for each
#endif
#endif

#define NN_PRAGMA(x) _Pragma(#x)
#if (defined(_OPENMP) || defined(NN_OPENMP_SIMD)) && !defined(NN_SIMD_SANITIZED)
#define NN_SIMD_REDUCTION(...) NN_PRAGMA(omp simd reduction(__VA_ARGS__))
#else
#define NN_SIMD_REDUCTION(...)
#endif
