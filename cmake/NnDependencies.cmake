# Every third-party package nn needs, found in one place. All come from the distribution
# (Debian 12: libxtensor-dev libxtensor-blas-dev libopenblas-dev libfmt-dev zlib1g-dev
# nlohmann-json3-dev). Only OpenBLAS, zlib and threads are linked; the rest are header-only and
# private to the library (fmt is used header-only), so a consumer of the installed package needs
# none of their development files.
find_package(Threads REQUIRED)
find_package(xtl REQUIRED)
find_package(xtensor REQUIRED)
find_package(xtensor-blas REQUIRED)
find_package(fmt REQUIRED)
find_package(ZLIB REQUIRED)
find_package(nlohmann_json 3 REQUIRED)

# OpenBLAS: its CMake package is not shipped by every distribution, so look for the library and
# cblas.h directly and wrap them in an imported target. The installed package defines the same
# target (nnConfig.cmake) from the library it finds on the consumer's machine.
find_path(NN_CBLAS_INCLUDE_DIR cblas.h
  PATH_SUFFIXES openblas openblas-pthread x86_64-linux-gnu/openblas-pthread
  HINTS /usr/include/x86_64-linux-gnu/openblas-pthread)
find_library(NN_OPENBLAS_LIBRARY NAMES openblas openblasp)
if(NOT NN_CBLAS_INCLUDE_DIR OR NOT NN_OPENBLAS_LIBRARY)
  message(FATAL_ERROR "OpenBLAS not found: install libopenblas-dev (Debian/Ubuntu) or set "
                      "NN_OPENBLAS_LIBRARY and NN_CBLAS_INCLUDE_DIR")
endif()
if(NOT TARGET nn::openblas)
  add_library(nn::openblas INTERFACE IMPORTED)
  set_target_properties(nn::openblas PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${NN_CBLAS_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${NN_OPENBLAS_LIBRARY}")
endif()

# Header-only dependencies, as include directories (and fmt's header-only switch) for nn's own
# sources: no link entries, so nothing about them reaches the installed package.
set(NN_PRIVATE_HEADER_DIRS
  $<TARGET_PROPERTY:xtensor,INTERFACE_INCLUDE_DIRECTORIES>
  $<TARGET_PROPERTY:xtensor-blas,INTERFACE_INCLUDE_DIRECTORIES>
  $<TARGET_PROPERTY:xtl,INTERFACE_INCLUDE_DIRECTORIES>
  $<TARGET_PROPERTY:fmt::fmt-header-only,INTERFACE_INCLUDE_DIRECTORIES>
  $<TARGET_PROPERTY:nlohmann_json::nlohmann_json,INTERFACE_INCLUDE_DIRECTORIES>)

