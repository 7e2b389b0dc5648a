# Which kernels the library holds: each family's type variants, built for every schedule the family
# has in schedules/schedule_table.h (the one table of schedule names; its traits give each
# schedule's build options, cmake/schedule_table.cmake).
#
# Register tiles of the products (tile_m, tile_n_vectors: schedules/register_tiles.cpp) need no code
# edit, only a reconfigure: -DHAQM_GEMM_PARAMS="tile_m=4;tile_n_vectors=4" for every ISA,
# -DHAQM_GEMM_PARAMS_avx2="tile_n_vectors=2" for one (cmake/kernels.cmake, haqm_user_parameters).
# tile_n_vectors counts vectors, so one value means different widths on different ISAs: per-ISA
# values are how a width is chosen for each.
haqm_user_parameters(gemm_q8 HAQM_GEMM_PARAMS)
haqm_user_parameters(conv2d_q8 HAQM_CONV_PARAMS)
# Rows marked kNoVnni are not built for avx512_vnni: Halide 14 compiles avx512_vnni for LLVM's
# sapphirerapids CPU, which also has the VEX-encoded AVX-VNNI; LLVM uses it for 128/256-bit code
# that scalar and autoscheduled loops vectorize to, and AMD Zen 4/5 lack it (SIGILL). Those
# schedules run on the avx512 build instead; tests/CMakeLists.txt checks that no avx512_vnni kernel
# contains a VEX VNNI instruction.

# haqm_add_family_kernels(FAMILY f VARIANT v GENERATOR g PARAMS ...): one kernel per schedule of f.
function(haqm_add_family_kernels)
  cmake_parse_arguments(F "" "FAMILY;VARIANT;GENERATOR" "PARAMS" ${ARGN})
  foreach(schedule IN LISTS HAQM_SCHEDULES_${F_FAMILY})
    haqm_schedule_options(${F_FAMILY} ${schedule} options)
    # Only the plain variant keeps its assembly (one copy is what the tests read).
    if(NOT F_VARIANT MATCHES "^(u8_u8|s8_s8)$")
      list(REMOVE_ITEM options ASSEMBLY)
    endif()
    haqm_add_kernel(FAMILY ${F_FAMILY} VARIANT ${F_VARIANT} GENERATOR ${F_GENERATOR} SCHEDULE ${schedule}
                    ${options} PARAMS ${F_PARAMS})
  endforeach()
endfunction()

foreach(type IN ITEMS int8 uint8)
  if(type STREQUAL "int8")
    set(short s8)
  else()
    set(short u8)
  endif()
  haqm_add_family_kernels(FAMILY quantize VARIANT ${short} GENERATOR quantize PARAMS output.type=${type})
  haqm_add_family_kernels(FAMILY dequantize VARIANT ${short} GENERATOR dequantize PARAMS input.type=${type})
  haqm_add_family_kernels(FAMILY requantize VARIANT ${short} GENERATOR requantize PARAMS output.type=${type})
  haqm_add_family_kernels(FAMILY im2col_q8 VARIANT ${short} GENERATOR im2col_q8
                          PARAMS input.type=${type} output.type=${type})
  haqm_add_family_kernels(FAMILY gemm_q8 VARIANT ${short}_${short} GENERATOR gemm_q8
                          PARAMS a.type=${type} output.type=${type})
  haqm_add_family_kernels(FAMILY gemm_q8 VARIANT ${short}_${short}_float GENERATOR gemm_q8
                          PARAMS a.type=${type} output.type=${type} requantization=float)
  haqm_add_family_kernels(FAMILY gemm_q8 VARIANT ${short}_s32 GENERATOR gemm_q8
                          PARAMS a.type=${type} output.type=int32)
  foreach(family IN ITEMS conv2d_q8 depthwise_conv2d_q8)
    haqm_add_family_kernels(FAMILY ${family} VARIANT ${short}_${short} GENERATOR ${family}
                            PARAMS input.type=${type} output.type=${type})
    haqm_add_family_kernels(FAMILY ${family} VARIANT ${short}_${short}_float GENERATOR ${family}
                            PARAMS input.type=${type} output.type=${type} requantization=float)
    haqm_add_family_kernels(FAMILY ${family} VARIANT ${short}_s32 GENERATOR ${family}
                            PARAMS input.type=${type} output.type=int32)
  endforeach()
  foreach(kind IN ITEMS max average)
    haqm_add_family_kernels(FAMILY pool_q8 VARIANT ${short}_${kind} GENERATOR pool_q8
                            PARAMS kind=${kind} input.type=${type} output.type=${type})
  endforeach()
  haqm_add_family_kernels(FAMILY add_q8 VARIANT ${short} GENERATOR add_q8
                          PARAMS a.type=${type} b.type=${type} output.type=${type})
  haqm_add_family_kernels(FAMILY lut_q8 VARIANT ${short} GENERATOR lut_q8
                          PARAMS input.type=${type} table.type=${type} output.type=${type})
  haqm_add_family_kernels(FAMILY mul_q8 VARIANT ${short} GENERATOR mul_q8
                          PARAMS a.type=${type} b.type=${type} output.type=${type})
endforeach()
haqm_add_family_kernels(FAMILY dequantize VARIANT s32 GENERATOR dequantize PARAMS input.type=int32)
haqm_finish_kernels()
