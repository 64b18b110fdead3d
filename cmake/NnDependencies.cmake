# Every third-party package nn needs, found in one place. All come from the distribution
# (Debian 12: libxtensor-dev libxtensor-blas-dev libopenblas-dev libfmt-dev zlib1g-dev
# nlohmann-json3-dev, optionally libdnnl-dev, and for nn::vision / nn::serving libpng-dev libturbojpeg0-dev libstb-dev
# libcpp-httplib-dev prometheus-cpp-dev libsodium-dev). Linked libraries are wrapped as nn::<name>
# imported targets; header-only ones are private include directories. A consumer of the installed
# package needs none of their development files (nnConfig.cmake finds the runtime libraries).
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

# oneDNN (optional, NN_WITH_ONEDNN): the 2.x API (3.0 removed the operation descriptors nn uses),
# built on GCC's OpenMP runtime, whose per-thread thread count nn sets (libgomp.so.1). Found by
# header and library (Debian's CMake package for it requires OpenCL's development files) and
# wrapped as nn::dnnl and nn::gomp, like OpenBLAS.
set(NN_ONEDNN_ENABLED FALSE)
if(NOT NN_WITH_ONEDNN STREQUAL "OFF")
  find_path(NN_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
  find_library(NN_DNNL_LIBRARY NAMES dnnl)
  find_library(NN_GOMP_LIBRARY NAMES libgomp.so.1 gomp)
  set(nn_dnnl_version "")
  if(NN_DNNL_INCLUDE_DIR)
    file(STRINGS "${NN_DNNL_INCLUDE_DIR}/oneapi/dnnl/dnnl_version.h" nn_dnnl_major REGEX "#define DNNL_VERSION_MAJOR ")
    file(STRINGS "${NN_DNNL_INCLUDE_DIR}/oneapi/dnnl/dnnl_version.h" nn_dnnl_minor REGEX "#define DNNL_VERSION_MINOR ")
    string(REGEX REPLACE ".* ([0-9]+).*" "\\1" nn_dnnl_major "${nn_dnnl_major}")
    string(REGEX REPLACE ".* ([0-9]+).*" "\\1" nn_dnnl_minor "${nn_dnnl_minor}")
    set(nn_dnnl_version "${nn_dnnl_major}.${nn_dnnl_minor}")
  endif()
  if(NN_DNNL_INCLUDE_DIR AND NN_DNNL_LIBRARY AND NN_GOMP_LIBRARY AND nn_dnnl_major EQUAL 2)
    add_library(nn::dnnl UNKNOWN IMPORTED GLOBAL)
    set_target_properties(nn::dnnl PROPERTIES IMPORTED_LOCATION "${NN_DNNL_LIBRARY}"
                          INTERFACE_INCLUDE_DIRECTORIES "${NN_DNNL_INCLUDE_DIR}")
    add_library(nn::gomp UNKNOWN IMPORTED GLOBAL)
    set_target_properties(nn::gomp PROPERTIES IMPORTED_LOCATION "${NN_GOMP_LIBRARY}")
    set(NN_ONEDNN_ENABLED TRUE)
    message(STATUS "nn: CPU convolutions on oneDNN ${nn_dnnl_version} (${NN_DNNL_LIBRARY})")
  elseif(NN_WITH_ONEDNN STREQUAL "ON")
    message(FATAL_ERROR "NN_WITH_ONEDNN=ON: oneDNN 2.x and GCC's OpenMP runtime not found "
                        "(Debian/Ubuntu: libdnnl-dev; found version '${nn_dnnl_version}')")
  else()
    message(STATUS "nn: oneDNN 2.x not found ('${nn_dnnl_version}'); CPU convolutions on im2col + OpenBLAS")
  endif()
endif()

# Header-only dependencies, as include directories for nn's own sources: no link entries, so
# nothing about them reaches the installed package. fmt is used header-only too
# (NN_PRIVATE_DEFINITIONS), so a consumer needs no fmt library either.
# Boost.Asio and Boost.Beast (the server's HTTP layer) are header-only.
find_package(Boost 1.74 REQUIRED)
if(NOT EXISTS "${Boost_INCLUDE_DIRS}/boost/beast/http.hpp")
  message(FATAL_ERROR "Boost.Beast not found under ${Boost_INCLUDE_DIRS} (Debian/Ubuntu: libboost-dev)")
endif()
set(NN_PRIVATE_DEFINITIONS FMT_HEADER_ONLY=1)
set(NN_PRIVATE_HEADER_DIRS
  $<TARGET_PROPERTY:fmt::fmt,INTERFACE_INCLUDE_DIRECTORIES>
  $<TARGET_PROPERTY:xtensor,INTERFACE_INCLUDE_DIRECTORIES>
  $<TARGET_PROPERTY:xtensor-blas,INTERFACE_INCLUDE_DIRECTORIES>
  $<TARGET_PROPERTY:xtl,INTERFACE_INCLUDE_DIRECTORIES>
  $<TARGET_PROPERTY:nlohmann_json::nlohmann_json,INTERFACE_INCLUDE_DIRECTORIES>
  ${Boost_INCLUDE_DIRS})

# A library found by pkg-config, wrapped as the imported target nn::<name> with its full path, so
# that the exported link interfaces name nn's own targets (nnConfig.cmake defines them again from
# the libraries it finds on the consumer's machine) and no absolute paths.
find_package(PkgConfig REQUIRED)
function(nn_import_pkg name module)
  pkg_check_modules(NN_PKG_${name} REQUIRED ${module})
  find_library(NN_${name}_LIBRARY NAMES ${NN_PKG_${name}_LIBRARIES} HINTS ${NN_PKG_${name}_LIBRARY_DIRS})
  if(NOT NN_${name}_LIBRARY)
    message(FATAL_ERROR "${module}: library ${NN_PKG_${name}_LIBRARIES} not found")
  endif()
  add_library(nn::${name} UNKNOWN IMPORTED GLOBAL)
  set_target_properties(nn::${name} PROPERTIES IMPORTED_LOCATION "${NN_${name}_LIBRARY}"
                        INTERFACE_INCLUDE_DIRECTORIES "${NN_PKG_${name}_INCLUDE_DIRS}"
                        INTERFACE_COMPILE_OPTIONS "${NN_PKG_${name}_CFLAGS_OTHER}")
endfunction()

# nn::vision: images (libpng, libjpeg-turbo's TurboJPEG, stb_image). nn::serving: the server
# (prometheus-cpp, libsodium); cpp-httplib is the tests' HTTP client.
nn_import_pkg(zlib zlib)
nn_import_pkg(png libpng16)
nn_import_pkg(turbojpeg libturbojpeg)
nn_import_pkg(stb stb)
nn_import_pkg(httplib cpp-httplib)
nn_import_pkg(sodium libsodium)
find_package(prometheus-cpp REQUIRED CONFIG)
get_target_property(NN_PROMETHEUS_LIBRARY prometheus-cpp::core IMPORTED_LOCATION_NONE)
if(NOT NN_PROMETHEUS_LIBRARY)
  get_target_property(NN_PROMETHEUS_LIBRARY prometheus-cpp::core LOCATION)
endif()
get_target_property(NN_PROMETHEUS_INCLUDES prometheus-cpp::core INTERFACE_INCLUDE_DIRECTORIES)
add_library(nn::prometheus UNKNOWN IMPORTED GLOBAL)
set_target_properties(nn::prometheus PROPERTIES IMPORTED_LOCATION "${NN_PROMETHEUS_LIBRARY}"
                      INTERFACE_INCLUDE_DIRECTORIES "${NN_PROMETHEUS_INCLUDES}")

# protobuf: TensorBoard's event files (src/io/tensorboard, compiled by protoc at build time) and the
# ONNX component. Wrapped as nn::protobuf, like OpenBLAS (nnConfig.cmake finds libprotobuf.so.32).
find_program(NN_PROTOC protoc)
find_path(NN_PROTOBUF_INCLUDE_DIR google/protobuf/message_lite.h)
find_library(NN_PROTOBUF_LIBRARY NAMES protobuf)
if(NOT NN_PROTOC OR NOT NN_PROTOBUF_INCLUDE_DIR OR NOT NN_PROTOBUF_LIBRARY)
  message(FATAL_ERROR "protobuf not found: install libprotobuf-dev and protobuf-compiler (Debian/Ubuntu)")
endif()
if(NOT TARGET nn::protobuf)
  add_library(nn::protobuf UNKNOWN IMPORTED GLOBAL)
  set_target_properties(nn::protobuf PROPERTIES IMPORTED_LOCATION "${NN_PROTOBUF_LIBRARY}"
                        INTERFACE_INCLUDE_DIRECTORIES "${NN_PROTOBUF_INCLUDE_DIR}")
endif()
