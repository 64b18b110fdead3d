# Data-parallel training over MPI (src/distributed, the nn::distributed component): NN_WITH_MPI
# AUTO builds it where MPI's C library is found (Debian: libopenmpi-dev), ON requires it, OFF leaves
# it out. Sets NN_MPI_ENABLED and defines nn::mpi (the installed package's nnConfig.cmake defines
# the same from the runtime library).
set(NN_MPI_ENABLED FALSE)
if(NOT NN_WITH_MPI STREQUAL "OFF")
  # MPI's C API from C++ (the project enables no C compiler), without the deprecated C++ bindings.
  set(MPI_CXX_SKIP_MPICXX ON)
  find_package(MPI QUIET COMPONENTS CXX)
  if(MPI_CXX_FOUND)
    set(nn_mpi_libraries ${MPI_CXX_LIBRARIES})
    list(FILTER nn_mpi_libraries EXCLUDE REGEX "mpi_cxx")  # the C++ bindings' library, unused
    add_library(nn::mpi INTERFACE IMPORTED GLOBAL)
    set_target_properties(nn::mpi PROPERTIES INTERFACE_LINK_LIBRARIES "${nn_mpi_libraries}"
                          INTERFACE_INCLUDE_DIRECTORIES "${MPI_CXX_INCLUDE_DIRS}"
                          INTERFACE_COMPILE_DEFINITIONS "OMPI_SKIP_MPICXX;MPICH_SKIP_MPICXX")
    set(NN_MPI_ENABLED TRUE)
    message(STATUS "nn: data-parallel training over MPI ${MPI_CXX_VERSION} (${nn_mpi_libraries}; tests run ${MPIEXEC_EXECUTABLE})")
  elseif(NN_WITH_MPI STREQUAL "ON")
    message(FATAL_ERROR "NN_WITH_MPI=ON: MPI not found (Debian/Ubuntu: libopenmpi-dev)")
  else()
    message(STATUS "nn: no data-parallel training over MPI (install libopenmpi-dev for it)")
  endif()
endif()
