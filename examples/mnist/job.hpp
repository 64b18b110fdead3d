#pragma once
// The job a run of mnist belongs to: itself alone, or one rank of an MPI job (`mpirun -n N mnist
// train ...`), which trains data-parallel with no other flag.
#include <string>

#include <nn/model/model.hpp>

namespace mnist {

struct Job {
  int rank = 0;
  int size = 1;
  int local_rank = 0;  // among the ranks on this machine (which GPU to take)
  int local_size = 1;  // the ranks on this machine (which share its cores)
  bool chief() const { return rank == 0; }
};

// Joins the MPI job when mpirun (OpenMPI, or a PMI launcher) started this process with more than one
// rank; a world of one otherwise. Throws std::runtime_error when started as one of several ranks by a
// build of mnist without MPI (each rank would train the same model alone).
Job join_job();

// Makes `model` train data-parallel over the job's ranks (nn::distributed::distribute); nothing for
// a job of one.
void distribute(nn::Model& model, const Job& job);

// For a job of several ranks, a line on the gradients' exchange of this rank over a run of
// `seconds` (all-reduce calls, bytes, time and its share of the run); empty for a job of one.
std::string exchange_report(const Job& job, double seconds);

// Reports `message` and ends every rank of the job with exit status `code` when this process is one
// of several (the others would wait for it forever); returns otherwise.
void end_job_on_error(const std::string& message, int code);

}  // namespace mnist
