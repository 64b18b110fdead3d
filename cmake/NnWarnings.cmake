# Warnings for nn's own targets only (dependencies' headers are included as SYSTEM).
set(NN_WARNING_FLAGS $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                       -Wold-style-cast -Wcast-align -Woverloaded-virtual>)
# For executables (tests, tools, benchmarks): link nn_warnings. The library itself takes the flags
# directly, so that nothing of the build's own targets appears in its exported link interface.
add_library(nn_warnings INTERFACE)
target_compile_options(nn_warnings INTERFACE ${NN_WARNING_FLAGS})
