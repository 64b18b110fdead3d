# Every third-party package nn needs, found in one place. All come from the distribution
# (Debian 12: libxtensor-dev libxtensor-blas-dev libopenblas-dev libfmt-dev doctest-dev zlib1g-dev).
find_package(Threads REQUIRED)
find_package(xtl REQUIRED)
find_package(xtensor REQUIRED)
find_package(xtensor-blas REQUIRED)
find_package(fmt REQUIRED)
find_package(ZLIB REQUIRED)
find_package(nlohmann_json 3 REQUIRED)

# OpenBLAS: its CMake package is not shipped by every distribution, so look for the library and
# cblas.h directly and wrap them in an imported target.
find_path(NN_CBLAS_INCLUDE_DIR cblas.h
  PATH_SUFFIXES openblas openblas-pthread x86_64-linux-gnu/openblas-pthread
  HINTS /usr/include/x86_64-linux-gnu/openblas-pthread)
find_library(NN_OPENBLAS_LIBRARY NAMES openblas openblasp)
if(NOT NN_CBLAS_INCLUDE_DIR OR NOT NN_OPENBLAS_LIBRARY)
  message(FATAL_ERROR "OpenBLAS not found: install libopenblas-dev (Debian/Ubuntu) or set "
                      "NN_OPENBLAS_LIBRARY and NN_CBLAS_INCLUDE_DIR")
endif()
if(NOT TARGET nn_openblas)
  add_library(nn_openblas INTERFACE IMPORTED)
  set_target_properties(nn_openblas PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${NN_CBLAS_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${NN_OPENBLAS_LIBRARY}")
endif()
