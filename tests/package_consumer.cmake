# Installs the nn build in NN_BUILD_DIR into a scratch prefix, moves that prefix elsewhere (an
# installed package must not depend on where it was installed), then configures, builds and runs
# the consumer project in CONSUMER_DIR against it with find_package(nn), with the development
# packages of nn's private dependencies hidden from CMake (a consumer needs only nn and the
# libraries it links). CONSUMER_FLAGS (a sanitized build's flags) go to the consumer's compile and
# link. With XTENSOR=ON the consumer also builds its nn::xtensor program (xtensor visible); with
# CUDA=ON its nn::cuda program (find_package(nn COMPONENTS cuda)).
file(REMOVE_RECURSE "${WORK_DIR}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${NN_BUILD_DIR}" --prefix "${WORK_DIR}/staging"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()
file(RENAME "${WORK_DIR}/staging" "${WORK_DIR}/moved")
set(prefix "${WORK_DIR}/moved")

# The installed headers include nothing of the private dependencies (nn/xtensor.hpp aside), and the
# exported link interface names no absolute paths and no empty entries.
file(GLOB_RECURSE headers "${prefix}/include/nn/*.hpp")
foreach(h ${headers})
  if(h MATCHES "/nn/xtensor.hpp$")
    continue()
  endif()
  file(STRINGS "${h}" bad REGEX "#include <(xtensor|xtl|fmt|nlohmann|zlib|cblas)")
  if(bad)
    message(FATAL_ERROR "${h} includes a private dependency: ${bad}")
  endif()
endforeach()
file(GLOB targets "${prefix}/lib*/cmake/nn/nnTargets*.cmake")
foreach(t ${targets})
  file(READ "${t}" text)
  if(text MATCHES "\\$<LINK_ONLY:>" OR text MATCHES "INTERFACE_LINK_LIBRARIES \"[^\"]*/usr/lib")
    message(FATAL_ERROR "${t}: the exported link interface has an empty entry or an absolute path")
  endif()
endforeach()

set(hide)
if(NOT XTENSOR)
  foreach(pkg xtensor xtl xtensor-blas fmt nlohmann_json ZLIB)
    list(APPEND hide "-DCMAKE_DISABLE_FIND_PACKAGE_${pkg}=TRUE")
  endforeach()
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${CONSUMER_DIR}" -B "${WORK_DIR}/build"
                        -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release ${hide}
                        -DNN_CONSUMER_XTENSOR=${XTENSOR} -DNN_CONSUMER_CUDA=${CUDA}
                        "-DCMAKE_CXX_FLAGS=${CONSUMER_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_FLAGS}"
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the consumer failed (${rc})")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build" RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the consumer failed (${rc})")
endif()
set(programs nn_consumer)
if(XTENSOR)
  list(APPEND programs nn_consumer_xtensor)
endif()
if(CUDA)
  list(APPEND programs nn_consumer_cuda)
endif()
foreach(p ${programs})
  execute_process(COMMAND "${WORK_DIR}/build/${p}" RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "${p} failed (${rc})")
  endif()
endforeach()
