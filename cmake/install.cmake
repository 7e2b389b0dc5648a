# cmake --install: lib/libhaqm.a (kernels + Halide runtime + haqm runtime), include/haqm/*.h and a
# package config, so a device project can find_package(haqm) and link haqm::haqm; bin/haqm (the CLI)
# and the bench binaries of the build, for every target.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS haqm EXPORT haqmTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
foreach(tool IN ITEMS haqm_cli bench_peak bench_gemm bench_conv bench_model)
  if(TARGET ${tool})
    install(TARGETS ${tool} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/haqm ${PROJECT_SOURCE_DIR}/quant/include/haqm
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT haqmTargets NAMESPACE haqm:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/haqm)
file(WRITE ${CMAKE_BINARY_DIR}/haqmConfig.cmake.in [=[
@PACKAGE_INIT@
include(CMakeFindDependencyMacro)
find_dependency(Threads)
include("${CMAKE_CURRENT_LIST_DIR}/haqmTargets.cmake")
]=])
configure_package_config_file(${CMAKE_BINARY_DIR}/haqmConfig.cmake.in ${CMAKE_BINARY_DIR}/haqmConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/haqm)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/haqmConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/haqmConfig.cmake ${CMAKE_BINARY_DIR}/haqmConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/haqm)
