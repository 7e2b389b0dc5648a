# Reads schedules/schedule_table.h, the one table of schedule names, so that the kernels built are
# the schedules the code knows. For each family it sets
#   HAQM_SCHEDULES_<family>                  every schedule name, in table order
#   HAQM_SCHEDULE_TRAITS_<family>_<name>     the row's traits (kVectorized, kNoVnni, ...)
set(HAQM_SCHEDULE_TABLE_FILE ${PROJECT_SOURCE_DIR}/schedules/schedule_table.h)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${HAQM_SCHEDULE_TABLE_FILE})
# (file(READ) and a match per row: the rows end in the macro's line continuations, which a
# file(STRINGS) list would read as escaped list separators.)
file(READ ${HAQM_SCHEDULE_TABLE_FILE} haqm_schedule_text)
string(REGEX MATCHALL "\n *HAQM_SCHEDULE\\([^)]*\\)" haqm_schedule_rows "${haqm_schedule_text}")
foreach(row IN LISTS haqm_schedule_rows)
  if(NOT row MATCHES "HAQM_SCHEDULE\\(([a-z0-9_]+), *([a-z0-9_]+), *([0-9]+), *([^)]*)\\)")
    message(FATAL_ERROR "schedules/schedule_table.h: cannot read the row '${row}'")
  endif()
  list(APPEND HAQM_SCHEDULES_${CMAKE_MATCH_1} ${CMAKE_MATCH_2})
  set(HAQM_SCHEDULE_TRAITS_${CMAKE_MATCH_1}_${CMAKE_MATCH_2} "${CMAKE_MATCH_4}")
endforeach()
if(NOT HAQM_SCHEDULES_gemm_q8)
  message(FATAL_ERROR "schedules/schedule_table.h: no schedule rows found")
endif()

# haqm_schedule_options(<family> <schedule> <out>): the haqm_add_kernel options a row's traits
# ask for (SKIP_ISAS avx512_vnni, ASSEMBLY, AUTOSCHEDULE).
function(haqm_schedule_options family schedule out)
  set(traits "${HAQM_SCHEDULE_TRAITS_${family}_${schedule}}")
  set(options "")
  if(traits MATCHES "kNoVnni")
    list(APPEND options SKIP_ISAS avx512_vnni)
  endif()
  if(traits MATCHES "kAssembly")
    list(APPEND options ASSEMBLY)
  endif()
  if(traits MATCHES "kAutoscheduled")
    list(APPEND options AUTOSCHEDULE)
  endif()
  set(${out} ${options} PARENT_SCOPE)
endfunction()
