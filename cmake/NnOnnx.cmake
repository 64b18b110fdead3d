# ONNX export and import (src/onnx, the nn::onnx component): the model files are ONNX's own
# protobuf messages, through the classes Debian's libonnx-dev generated from onnx.proto
# (libonnx_proto) and libprotobuf. NN_WITH_ONNX AUTO builds the component where both are found,
# ON requires them, OFF leaves it out. Sets NN_ONNX_ENABLED and defines nn::onnx_proto (on
# nn::protobuf, cmake/NnDependencies.cmake; the installed package's nnConfig.cmake defines both
# from the runtime libraries).
set(NN_ONNX_ENABLED FALSE)
if(NOT NN_WITH_ONNX STREQUAL "OFF")
  find_path(NN_ONNX_INCLUDE_DIR onnx/onnx-ml.pb.h)
  find_library(NN_ONNX_PROTO_LIBRARY NAMES onnx_proto)
  if(NN_ONNX_INCLUDE_DIR AND NN_ONNX_PROTO_LIBRARY)
    add_library(nn::onnx_proto UNKNOWN IMPORTED GLOBAL)
    set_target_properties(nn::onnx_proto PROPERTIES IMPORTED_LOCATION "${NN_ONNX_PROTO_LIBRARY}"
                          INTERFACE_INCLUDE_DIRECTORIES "${NN_ONNX_INCLUDE_DIR}"
                          INTERFACE_COMPILE_DEFINITIONS "ONNX_NAMESPACE=onnx;ONNX_ML=1"
                          INTERFACE_LINK_LIBRARIES nn::protobuf)
    set(NN_ONNX_ENABLED TRUE)
    message(STATUS "nn: ONNX export and import (${NN_ONNX_PROTO_LIBRARY})")
  elseif(NN_WITH_ONNX STREQUAL "ON")
    message(FATAL_ERROR "NN_WITH_ONNX=ON: onnx's generated classes not found (Debian/Ubuntu: libonnx-dev)")
  else()
    message(STATUS "nn: no ONNX export and import (install libonnx-dev for them)")
  endif()
endif()
