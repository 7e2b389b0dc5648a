set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Libraries come from the cross toolchain's root and from Debian's multiarch packages (libonnx-dev:<arch>
# and the others scripts/bootstrap.sh installs), which live in /usr/lib/aarch64-linux-gnu and share /usr/include.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# ctest runs the ARM binaries under qemu-user (no binfmt handler is assumed), with the multiarch C
# library (libc6:<arch>, which the multiarch packages pull in) as the loader and libc: the cross
# toolchain's copy in /usr/aarch64-linux-gnu is a different build, and the loader of one with the libc of
# the other (which the multiarch search path finds for libraries such as libonnx) hung threads.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /)
