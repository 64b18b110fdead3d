#pragma once
// The "monitor / mode / min_delta" logic shared by ModelCheckpoint, EarlyStopping and
// ReduceLROnPlateau, with Keras's rules: mode "auto" maximises a monitor whose name contains
// "acc" and minimises anything else; an improvement must beat the reference by min_delta.
#include <limits>
#include <string>

namespace nn {

class Monitor {
 public:
  Monitor(std::string key, const std::string& mode, double min_delta);
  const std::string& key() const { return key_; }
  bool maximize() const { return maximize_; }
  bool improved(double current, double reference) const;
  double worst() const;  // the starting "best"

 private:
  std::string key_;
  bool maximize_;
  double min_delta_;
};

}  // namespace nn
