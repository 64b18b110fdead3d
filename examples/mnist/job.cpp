#include "job.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#ifdef NN_WITH_MPI
#include <nn/distributed.hpp>
#endif

namespace mnist {
namespace {

// The world size the launcher announced (OpenMPI's, then PMI's), or 1.
int launched_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* v = std::getenv(name)) return std::max(1, std::atoi(v));
  return 1;
}

}  // namespace

Job join_job() {
  if (launched_size() == 1) return {};
#ifdef NN_WITH_MPI
  nn::distributed::init();
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  return {nn::distributed::rank(), nn::distributed::size(), nn::distributed::local_rank(),
          local ? std::max(1, std::atoi(local)) : 1};
#else
  throw std::runtime_error("started by mpirun as one of " + std::to_string(launched_size()) +
                           " ranks, but this build of mnist has no MPI (nn was built without NN_WITH_MPI; Debian: "
                           "libopenmpi-dev)");
#endif
}

void distribute(nn::Model& model, const Job& job) {
  if (job.size == 1) return;
#ifdef NN_WITH_MPI
  nn::distributed::distribute(model);
#else
  (void)model;
#endif
}

std::string exchange_report(const Job& job, double seconds) {
  if (job.size == 1) return "";
#ifdef NN_WITH_MPI
  const nn::distributed::Stats s = nn::distributed::stats();
  return fmt::format("all-reduce: {} calls, {:.1f} MB, {:.2f} s ({:.1f}% of training) on rank {} of {}\n", s.all_reduces,
                     static_cast<double>(s.bytes) / 1e6, s.seconds, 100.0 * s.seconds / seconds, job.rank, job.size);
#else
  (void)seconds;
  return "";
#endif
}

void end_job_on_error(const std::string& message, int code) {
#ifdef NN_WITH_MPI
  if (nn::distributed::is_initialized() && nn::distributed::size() > 1) nn::distributed::abort("mnist: " + message, code);
#else
  (void)message, (void)code;
#endif
}

}  // namespace mnist
