set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
# Libraries come from the cross toolchain's root and from Debian's multiarch packages (libonnx-dev:<arch>
# and the others scripts/bootstrap.sh installs), which live in /usr/lib/arm-linux-gnueabihf and share /usr/include.
set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf /)
set(CMAKE_LIBRARY_ARCHITECTURE arm-linux-gnueabihf)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# ctest runs the ARM binaries under qemu-user (no binfmt handler is assumed), with the multiarch C
# library (libc6:<arch>, which the multiarch packages pull in) as the loader and libc: the cross
# toolchain's copy in /usr/arm-linux-gnueabihf is a different build, and the loader of one with the libc of
# the other (which the multiarch search path finds for libraries such as libonnx) hung threads.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm -L /)
