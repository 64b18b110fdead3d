#pragma once
// MPI's return codes as exceptions naming the call.
#include <mpi.h>

#include <stdexcept>
#include <string>

namespace nn::distributed::detail {

inline void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int n = 0;
  MPI_Error_string(rc, text, &n);
  throw std::runtime_error(std::string(call) + " failed: " + std::string(text, static_cast<size_t>(n)));
}

}  // namespace nn::distributed::detail
