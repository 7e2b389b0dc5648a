# AOT kernel generation: every kernel variant x every ISA of this architecture becomes one object
# file, one header and one line of the kernel table the runtime dispatches from.
#
#   haqm_add_kernel(FAMILY gemm_q8 VARIANT u8_u8 GENERATOR gemm_q8 SCHEDULE tiled_vec
#                   PARAMS a.type=uint8 output.type=uint8 [ASSEMBLY] [AUTOSCHEDULE] [USER_PARAMETERS]
#                   [SKIP_ISAS isa...])
# defines haqm_<family>_<variant>__<schedule>__<isa>() for each ISA not skipped. AUTOSCHEDULE runs the
# Mullapudi2016 autoscheduler instead of a hand schedule (Li2018 and Adams2019 split by the
# estimates and read outside the buffers on small shapes). The options come from the schedule's
# row in schedules/schedule_table.h (haqm_schedule_options, cmake/schedule_table.cmake).
# USER_PARAMETERS adds the family's user parameters for each ISA (haqm_user_parameters), checked first.
include(${CMAKE_CURRENT_LIST_DIR}/schedule_table.cmake)

set(HAQM_KERNEL_DIR ${CMAKE_BINARY_DIR}/kernels)
file(MAKE_DIRECTORY ${HAQM_KERNEL_DIR})
set_property(GLOBAL PROPERTY HAQM_KERNEL_OBJECTS "")
set_property(GLOBAL PROPERTY HAQM_KERNEL_HEADERS "")
set_property(GLOBAL PROPERTY HAQM_KERNEL_TABLE "")

find_file(HAQM_AUTOSCHEDULER_PLUGIN libautoschedule_mullapudi2016.so
          PATHS /usr/lib/x86_64-linux-gnu/halide14 NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH REQUIRED)
# Machine parameters for the autoscheduler: 2 cores, 1 MiB last-level cache per core, load cost 40.
set(HAQM_AUTOSCHEDULER_MACHINE "machine_params=2,1048576,40")

# haqm_user_parameters(FAMILY VARIABLE): the cache variable VARIABLE holds generator parameters a
# user sets for every kernel of FAMILY without editing code ("tile_m=4;tile_n_vectors=4"), and
# VARIABLE_<isa> those of one instruction set, whose keys win (HAQM_GEMM_PARAMS_avx2=...). Before
# any of the family's kernels is generated, the generator checks them for every ISA and schedule
# (haqm_generators --check): a bad value stops the build with one line naming the variable, the
# ISA, the schedule and the allowed values.
set(HAQM_ALL_ISAS ${HAQM_ISAS_x86_64} ${HAQM_ISAS_aarch64} ${HAQM_ISAS_armhf})
list(REMOVE_DUPLICATES HAQM_ALL_ISAS)
function(haqm_user_parameters family variable)
  set(${variable} "" CACHE STRING "Generator parameters for every ${family} kernel, e.g. tile_m=4;tile_n_vectors=4")
  get_cmake_property(cache_variables CACHE_VARIABLES)
  foreach(name IN LISTS cache_variables)
    if(name MATCHES "^${variable}_(.+)$" AND NOT CMAKE_MATCH_1 IN_LIST HAQM_ALL_ISAS)
      message(FATAL_ERROR "${name}: '${CMAKE_MATCH_1}' is not an instruction set (known: ${HAQM_ALL_ISAS})")
    endif()
  endforeach()
  set_property(GLOBAL PROPERTY HAQM_USER_PARAMETERS_${family} ${variable})
endfunction()

# The user parameters of FAMILY on ISA (empty for a family without them) and the check's stamp.
function(haqm_isa_parameters family isa out_params out_stamp)
  get_property(variable GLOBAL PROPERTY HAQM_USER_PARAMETERS_${family})
  set(params "")
  set(stamp "")
  if(variable)
    set(params ${${variable}})
    foreach(param IN LISTS ${variable}_${isa})
      string(REGEX REPLACE "=.*" "" key "${param}")
      list(FILTER params EXCLUDE REGEX "^${key}=")
      list(APPEND params ${param})
    endforeach()
    if(params)
      set(stamp ${HAQM_KERNEL_DIR}/${family}__${isa}.parameters_checked)
    endif()
  endif()
  set(${out_params} ${params} PARENT_SCOPE)
  set(${out_stamp} ${stamp} PARENT_SCOPE)
endfunction()

function(haqm_add_kernel)
  cmake_parse_arguments(K "ASSEMBLY;AUTOSCHEDULE;USER_PARAMETERS" "FAMILY;VARIANT;GENERATOR;SCHEDULE" "PARAMS;SKIP_ISAS"
                        ${ARGN})
  set(isas ${HAQM_ISAS})
  if(K_SKIP_ISAS)
    list(REMOVE_ITEM isas ${K_SKIP_ISAS})
    if(NOT isas)
      # None of the chosen ISAs builds it: the architecture's best one that does.
      set(isas ${HAQM_ISAS_${HAQM_ARCH}})
      list(REMOVE_ITEM isas ${K_SKIP_ISAS})
      list(GET isas 0 isas)
    endif()
  endif()
  foreach(isa IN LISTS isas)
    haqm_halide_target(${isa} halide_target)
    set(user_params "")
    set(check_stamp "")
    if(K_USER_PARAMETERS)
      haqm_isa_parameters(${K_FAMILY} ${isa} user_params check_stamp)
    endif()
    get_property(checked GLOBAL PROPERTY HAQM_PARAMETER_CHECKED_${K_FAMILY}_${isa})
    if(check_stamp AND NOT K_SCHEDULE IN_LIST checked)
      # Once per schedule (the variants differ in types, which the parameters do not touch).
      set_property(GLOBAL APPEND PROPERTY HAQM_PARAMETER_CHECKED_${K_FAMILY}_${isa} ${K_SCHEDULE})
      get_property(variable GLOBAL PROPERTY HAQM_USER_PARAMETERS_${K_FAMILY})
      set_property(GLOBAL APPEND PROPERTY HAQM_PARAMETER_CHECKS_${K_FAMILY}_${isa}
                   COMMAND ${HAQM_GENERATOR_COMMAND} --check "${variable} on ${isa}, schedule ${K_SCHEDULE}"
                           ${K_GENERATOR} ${halide_target} schedule=${K_SCHEDULE} ${K_PARAMS} ${user_params})
      set_property(GLOBAL APPEND PROPERTY HAQM_PARAMETER_CHECK_STAMPS ${check_stamp})
    endif()
    set(fn haqm_${K_FAMILY}_${K_VARIANT}__${K_SCHEDULE}__${isa})
    set(emit object,c_header)
    set(outputs ${HAQM_KERNEL_DIR}/${fn}.o ${HAQM_KERNEL_DIR}/${fn}.h)
    if(K_ASSEMBLY)
      set(emit ${emit},assembly)
      list(APPEND outputs ${HAQM_KERNEL_DIR}/${fn}.s)
    endif()
    set(schedule_args schedule=${K_SCHEDULE})
    if(K_AUTOSCHEDULE)
      set(schedule_args -p ${HAQM_AUTOSCHEDULER_PLUGIN} -s Mullapudi2016 auto_schedule=true ${HAQM_AUTOSCHEDULER_MACHINE})
    endif()
    add_custom_command(
      OUTPUT ${outputs}
      COMMAND ${HAQM_GENERATOR_COMMAND} -g ${K_GENERATOR} -f ${fn} -n ${fn} -o ${HAQM_KERNEL_DIR} -e ${emit}
              target=${halide_target}-no_runtime ${schedule_args} ${K_PARAMS} ${user_params}
      DEPENDS ${HAQM_GENERATOR_DEPENDS} ${check_stamp}
      COMMENT "Generating ${fn}"
      VERBATIM)
    set_property(GLOBAL APPEND PROPERTY HAQM_KERNEL_OBJECTS ${HAQM_KERNEL_DIR}/${fn}.o)
    set_property(GLOBAL APPEND PROPERTY HAQM_KERNEL_OBJECTS_${isa} ${HAQM_KERNEL_DIR}/${fn}.o)
    set_property(GLOBAL APPEND PROPERTY HAQM_KERNEL_HEADERS ${fn}.h)
    set_property(GLOBAL APPEND PROPERTY HAQM_KERNEL_TABLE
                 "HAQM_KERNEL(${K_FAMILY}, ${K_VARIANT}, ${K_SCHEDULE}, ${isa})")
  endforeach()
endfunction()

# The Halide runtime (thread pool, buffers, error handling) once for the architecture, and the
# generated headers and table the runtime library compiles against.
function(haqm_finish_kernels)
  # One check per family and ISA given user parameters: every schedule the kernels use, in one step.
  get_property(stamps GLOBAL PROPERTY HAQM_PARAMETER_CHECK_STAMPS)
  list(REMOVE_DUPLICATES stamps)
  foreach(stamp IN LISTS stamps)
    get_filename_component(name ${stamp} NAME_WE)
    string(REPLACE "__" ";" family_isa ${name})
    list(GET family_isa 0 family)
    list(GET family_isa 1 isa)
    get_property(check_commands GLOBAL PROPERTY HAQM_PARAMETER_CHECKS_${family}_${isa})
    add_custom_command(
      OUTPUT ${stamp}
      ${check_commands}
      COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
      DEPENDS ${HAQM_GENERATOR_DEPENDS}
      COMMENT "Checking the ${family} parameters for ${isa}"
      VERBATIM)
  endforeach()
  add_custom_command(
    OUTPUT ${HAQM_KERNEL_DIR}/halide_runtime.o
    COMMAND ${HAQM_GENERATOR_COMMAND} -r halide_runtime -o ${HAQM_KERNEL_DIR} -e object target=${HAQM_RUNTIME_TARGET}
    DEPENDS ${HAQM_GENERATOR_DEPENDS}
    COMMENT "Generating the Halide runtime for ${HAQM_RUNTIME_TARGET}"
    VERBATIM)
  set_property(GLOBAL APPEND PROPERTY HAQM_KERNEL_OBJECTS ${HAQM_KERNEL_DIR}/halide_runtime.o)

  get_property(headers GLOBAL PROPERTY HAQM_KERNEL_HEADERS)
  get_property(table GLOBAL PROPERTY HAQM_KERNEL_TABLE)
  list(TRANSFORM headers PREPEND "#include \"")
  list(TRANSFORM headers APPEND "\"")
  list(JOIN headers "\n" header_lines)
  list(JOIN table "\n" table_lines)
  file(CONFIGURE OUTPUT ${HAQM_KERNEL_DIR}/haqm_generated_kernels.h
       CONTENT "// Generated by cmake/kernels.cmake: every AOT kernel of this architecture.\n#pragma once\n${header_lines}\n")
  file(CONFIGURE OUTPUT ${HAQM_KERNEL_DIR}/haqm_kernel_table.inc
       CONTENT "// Generated by cmake/kernels.cmake: HAQM_KERNEL(family, variant, schedule, isa).\n${table_lines}\n")
endfunction()
