# Warnings for nn's own targets only (dependencies' headers are included as SYSTEM).
add_library(nn_warnings INTERFACE)
target_compile_options(nn_warnings INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual>)
