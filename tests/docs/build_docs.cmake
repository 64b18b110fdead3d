# Installs the nn build in NN_BUILD_DIR into WORK_DIR/prefix and builds the documentation's
# programs (tests/docs/CMakeLists.txt over SNIPPETS_DIR and EXAMPLES_DIR) against it; RUN_DIR, where the programs run,
# gets links to the MNIST data directory and to the project's examples.
file(REMOVE_RECURSE "${WORK_DIR}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${NN_BUILD_DIR}" --prefix "${WORK_DIR}/prefix"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()
# As a user's machine without nn's private development packages: CMake may not find them.
set(hide)
foreach(pkg xtensor xtl xtensor-blas fmt nlohmann_json ZLIB)
  list(APPEND hide "-DCMAKE_DISABLE_FIND_PACKAGE_${pkg}=TRUE")
endforeach()
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${DOCS_PROJECT}" -B "${WORK_DIR}/build" -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix ${hide}
                        -DCMAKE_BUILD_TYPE=Release -DNN_SNIPPETS_DIR=${SNIPPETS_DIR} -DNN_EXAMPLES_DIR=${EXAMPLES_DIR}
                        "-DCMAKE_CXX_FLAGS=${CONSUMER_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_FLAGS}"
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the documentation's programs failed (${rc})")
endif()
include(ProcessorCount)
ProcessorCount(cores)
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build" --parallel ${cores} RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the documentation's programs failed (${rc}): a code block in the docs does not compile")
endif()
file(MAKE_DIRECTORY "${RUN_DIR}")
get_filename_component(data_parent "${MNIST_DIR}" DIRECTORY)
file(CREATE_LINK "${data_parent}" "${RUN_DIR}/data" SYMBOLIC)
get_filename_component(examples_root "${EXAMPLES_DIR}" DIRECTORY)
file(CREATE_LINK "${examples_root}" "${RUN_DIR}/examples" SYMBOLIC)
