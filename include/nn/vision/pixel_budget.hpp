#pragma once
// One budget for the pixels decoded at once across threads: each decode reserves its image's
// pixels from the header's size, before any pixel is allocated, and holds them while the decoded
// Image lives (through to_mnist, whose planes are per pixel too). A decode that would go over
// waits until others finish; past its wait it fails with DecodeBudgetError. The limit per image
// (DecodeOptions::max_pixels) bounds one image; this bounds them all together, so eight large
// uploads at once cost what the budget allows rather than eight times one.
//
//   nn::vision::PixelBudget budget(64'000'000);
//   nn::vision::DecodeOptions o;
//   o.budget = &budget;                              // shared by every thread that decodes
//   o.budget_wait = std::chrono::milliseconds(1000); // then DecodeBudgetError (a server's 503)
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace nn::vision {

class DecodeBudgetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PixelBudget {
 public:
  // Throws std::invalid_argument unless pixels >= 1.
  explicit PixelBudget(int64_t pixels);
  ~PixelBudget();
  PixelBudget(const PixelBudget&) = delete;
  PixelBudget& operator=(const PixelBudget&) = delete;

  int64_t capacity() const;
  int64_t in_use() const;
  int64_t peak() const;  // the most held at once so far

  // Holds n pixels (n over the capacity holds all of it: such an image waits for every other)
  // until the returned lease is destroyed; the lease may outlive the budget. Waits at most
  // `wait`, or for ever when it is negative; then throws DecodeBudgetError naming `what`.
  std::shared_ptr<void> reserve(int64_t n, std::chrono::milliseconds wait, const std::string& what);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace nn::vision
