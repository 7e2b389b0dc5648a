# The kernel instruction sets of each architecture, best first, and the Halide target string of
# each (features listed in full: Halide sizes vectors by the explicit features only). This is the
# one place that lists them; runtime/src/cpu_features.cpp says how each is detected.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64)$")
  set(HAQM_ARCH x86_64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(HAQM_ARCH aarch64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^arm")
  set(HAQM_ARCH armhf)
else()
  message(FATAL_ERROR "haqm: unsupported processor ${CMAKE_SYSTEM_PROCESSOR}")
endif()

set(HAQM_RUNTIME_TARGET_x86_64 x86-64-linux)
set(HAQM_ISAS_x86_64 avx512_vnni avx512 avx2 sse41)
set(HAQM_HALIDE_TARGET_avx512_vnni x86-64-linux-sse41-avx-avx2-fma-f16c-avx512-avx512_skylake-avx512_cannonlake-avx512_sapphirerapids)
set(HAQM_HALIDE_TARGET_avx512 x86-64-linux-sse41-avx-avx2-fma-f16c-avx512-avx512_skylake)
set(HAQM_HALIDE_TARGET_avx2 x86-64-linux-sse41-avx-avx2-fma-f16c)
set(HAQM_HALIDE_TARGET_sse41 x86-64-linux-sse41)

set(HAQM_RUNTIME_TARGET_aarch64 arm-64-linux)
set(HAQM_ISAS_aarch64 dotprod neon)
set(HAQM_HALIDE_TARGET_dotprod arm-64-linux-arm_dot_prod)
set(HAQM_HALIDE_TARGET_neon64 arm-64-linux)

set(HAQM_RUNTIME_TARGET_armhf arm-32-linux)
set(HAQM_ISAS_armhf neon)
set(HAQM_HALIDE_TARGET_neon32 arm-32-linux)

# Development builds may generate kernels for fewer instruction sets (-DHAQM_ISAS=avx512_vnni: a
# schedule change then regenerates a quarter of the kernels). The runtime dispatches among those
# built; a schedule not built for any chosen one (kNoVnni rows) is built for the architecture's
# best other set (cmake/kernels.cmake), so the library stays complete.
set(HAQM_ISAS "${HAQM_ISAS_${HAQM_ARCH}}" CACHE STRING
    "Instruction sets to generate kernels for (default: all of the architecture: ${HAQM_ISAS_${HAQM_ARCH}})")
if(NOT HAQM_ISAS)
  set(HAQM_ISAS ${HAQM_ISAS_${HAQM_ARCH}})
endif()
foreach(isa IN LISTS HAQM_ISAS)
  if(NOT isa IN_LIST HAQM_ISAS_${HAQM_ARCH})
    message(FATAL_ERROR "HAQM_ISAS: '${isa}' is not an instruction set of ${HAQM_ARCH} "
                        "(known: ${HAQM_ISAS_${HAQM_ARCH}})")
  endif()
endforeach()
set(HAQM_RUNTIME_TARGET ${HAQM_RUNTIME_TARGET_${HAQM_ARCH}})

# Halide target string of one ISA on this architecture ("neon" differs between arm-64 and arm-32).
function(haqm_halide_target isa out)
  if(isa STREQUAL "neon")
    if(HAQM_ARCH STREQUAL "aarch64")
      set(isa neon64)
    else()
      set(isa neon32)
    endif()
  endif()
  set(${out} ${HAQM_HALIDE_TARGET_${isa}} PARENT_SCOPE)
endfunction()
