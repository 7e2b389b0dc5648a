# Which kernels the library holds: each family, its type variants and its named schedules.
set(HAQM_GEMM_SCHEDULES naive interchange tiled tiled_vec tiled_vec_par auto)
# Extra generator parameters for every gemm_q8 kernel, e.g. "tile_m=4;tile_n_vectors=2": new tile
# shapes need no code edit, only a reconfigure.
set(HAQM_GEMM_PARAMS "" CACHE STRING "Extra generator parameters for the gemm_q8 kernels")
# Halide 14 compiles avx512_vnni for LLVM's sapphirerapids CPU, which also has the VEX-encoded
# AVX-VNNI; LLVM uses it for 128/256-bit code that scalar and autoscheduled loops vectorize to,
# and AMD Zen 4/5 lack it (SIGILL). Those schedules run on the avx512 build instead;
# tests/CMakeLists.txt checks that no avx512_vnni kernel contains a VEX VNNI instruction.
set(HAQM_GEMM_SCHEDULES_WITHOUT_VNNI naive interchange tiled auto)
set(HAQM_CONV_SCHEDULES naive output_stationary weight_stationary tiled tiled_vec tiled_vec_c16 tiled_vec_c32 tiled_vec_par auto)
set(HAQM_CONV_SCHEDULES_WITHOUT_VNNI naive tiled auto)
# No `auto` for depthwise: Mullapudi2016's output tiles (shift inwards over all four dimensions)
# read and write outside outputs smaller than its tiles.
set(HAQM_DEPTHWISE_SCHEDULES naive tiled_vec tiled_vec_par)
set(HAQM_POOL_SCHEDULES naive tiled_vec tiled_vec_par)
set(HAQM_FLAT_SCHEDULES naive default)

foreach(type IN ITEMS int8 uint8)
  if(type STREQUAL "int8")
    set(short s8)
  else()
    set(short u8)
  endif()
  haqm_add_kernel(FAMILY quantize VARIANT ${short} GENERATOR quantize SCHEDULE default PARAMS output.type=${type})
  haqm_add_kernel(FAMILY dequantize VARIANT ${short} GENERATOR dequantize SCHEDULE default PARAMS input.type=${type})
  haqm_add_kernel(FAMILY requantize VARIANT ${short} GENERATOR requantize SCHEDULE default PARAMS output.type=${type})
  haqm_add_kernel(FAMILY im2col_q8 VARIANT ${short} GENERATOR im2col_q8 SCHEDULE default PARAMS input.type=${type}
                  output.type=${type})
  foreach(schedule IN LISTS HAQM_GEMM_SCHEDULES)
    set(options "")
    if(schedule STREQUAL "tiled_vec")
      list(APPEND options ASSEMBLY)  # tests read it for the dot-product instructions
    endif()
    if(schedule IN_LIST HAQM_GEMM_SCHEDULES_WITHOUT_VNNI)
      list(APPEND options SKIP_ISAS avx512_vnni)
    endif()
    haqm_add_kernel(FAMILY gemm_q8 VARIANT ${short}_${short} GENERATOR gemm_q8 SCHEDULE ${schedule} ${options}
                    PARAMS a.type=${type} output.type=${type} ${HAQM_GEMM_PARAMS})
    list(REMOVE_ITEM options ASSEMBLY)
    haqm_add_kernel(FAMILY gemm_q8 VARIANT ${short}_${short}_float GENERATOR gemm_q8 SCHEDULE ${schedule} ${options}
                    PARAMS a.type=${type} output.type=${type} requantization=float ${HAQM_GEMM_PARAMS})
    haqm_add_kernel(FAMILY gemm_q8 VARIANT ${short}_s32 GENERATOR gemm_q8 SCHEDULE ${schedule} ${options}
                    PARAMS a.type=${type} output.type=int32 ${HAQM_GEMM_PARAMS})
  endforeach()
  foreach(schedule IN LISTS HAQM_CONV_SCHEDULES)
    set(options "")
    if(schedule STREQUAL "tiled_vec")
      list(APPEND options ASSEMBLY)
    endif()
    if(schedule IN_LIST HAQM_CONV_SCHEDULES_WITHOUT_VNNI)
      list(APPEND options SKIP_ISAS avx512_vnni)
    endif()
    haqm_add_kernel(FAMILY conv2d_q8 VARIANT ${short}_${short} GENERATOR conv2d_q8 SCHEDULE ${schedule} ${options}
                    PARAMS input.type=${type} output.type=${type})
    list(REMOVE_ITEM options ASSEMBLY)
    haqm_add_kernel(FAMILY conv2d_q8 VARIANT ${short}_${short}_float GENERATOR conv2d_q8 SCHEDULE ${schedule} ${options}
                    PARAMS input.type=${type} output.type=${type} requantization=float)
    haqm_add_kernel(FAMILY conv2d_q8 VARIANT ${short}_s32 GENERATOR conv2d_q8 SCHEDULE ${schedule} ${options}
                    PARAMS input.type=${type} output.type=int32)
  endforeach()
  foreach(schedule IN LISTS HAQM_DEPTHWISE_SCHEDULES)
    # No dot products in depthwise: the best instruction set without VNNI serves.
    set(options SKIP_ISAS avx512_vnni)
    haqm_add_kernel(FAMILY depthwise_conv2d_q8 VARIANT ${short}_${short} GENERATOR depthwise_conv2d_q8
                    SCHEDULE ${schedule} ${options} PARAMS input.type=${type} output.type=${type})
    haqm_add_kernel(FAMILY depthwise_conv2d_q8 VARIANT ${short}_${short}_float GENERATOR depthwise_conv2d_q8
                    SCHEDULE ${schedule} ${options} PARAMS input.type=${type} output.type=${type} requantization=float)
    haqm_add_kernel(FAMILY depthwise_conv2d_q8 VARIANT ${short}_s32 GENERATOR depthwise_conv2d_q8
                    SCHEDULE ${schedule} ${options} PARAMS input.type=${type} output.type=int32)
  endforeach()
  # Pooling, add and table lookup have no dot products either.
  foreach(schedule IN LISTS HAQM_POOL_SCHEDULES)
    foreach(kind IN ITEMS max average)
      haqm_add_kernel(FAMILY pool_q8 VARIANT ${short}_${kind} GENERATOR pool_q8 SCHEDULE ${schedule}
                      SKIP_ISAS avx512_vnni PARAMS kind=${kind} input.type=${type} output.type=${type})
    endforeach()
  endforeach()
  foreach(schedule IN LISTS HAQM_FLAT_SCHEDULES)
    haqm_add_kernel(FAMILY add_q8 VARIANT ${short} GENERATOR add_q8 SCHEDULE ${schedule} SKIP_ISAS avx512_vnni
                    PARAMS a.type=${type} b.type=${type} output.type=${type})
    haqm_add_kernel(FAMILY lut_q8 VARIANT ${short} GENERATOR lut_q8 SCHEDULE ${schedule} SKIP_ISAS avx512_vnni
                    PARAMS input.type=${type} table.type=${type} output.type=${type})
  endforeach()
endforeach()
haqm_add_kernel(FAMILY dequantize VARIANT s32 GENERATOR dequantize SCHEDULE default PARAMS input.type=int32)
haqm_finish_kernels()
