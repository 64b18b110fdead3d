#include "nn/model/callbacks/monitor.hpp"

#include <cmath>
#include <stdexcept>

namespace nn {

Monitor::Monitor(std::string key, const std::string& mode, double min_delta)
    : key_(std::move(key)), min_delta_(std::fabs(min_delta)) {
  if (mode == "min") {
    maximize_ = false;
  } else if (mode == "max") {
    maximize_ = true;
  } else if (mode == "auto") {
    maximize_ = key_.find("acc") != std::string::npos;
  } else {
    throw std::invalid_argument("mode '" + mode + "' for monitor '" + key_ + "': expected auto, min or max");
  }
}

bool Monitor::improved(double current, double reference) const {
  return maximize_ ? current - min_delta_ > reference : current + min_delta_ < reference;
}

double Monitor::worst() const {
  return maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

}  // namespace nn
