#include "nn/vision/pixel_budget.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <string>

#include <fmt/format.h>

namespace nn::vision {

struct PixelBudget::State {
  int64_t capacity;
  std::mutex mutex;
  std::condition_variable freed;
  int64_t in_use = 0, peak = 0;
};

PixelBudget::PixelBudget(int64_t pixels) : state_(std::make_shared<State>()) {
  if (pixels < 1) throw std::invalid_argument(fmt::format("PixelBudget: {} pixels; it needs at least one", pixels));
  state_->capacity = pixels;
}

PixelBudget::~PixelBudget() = default;

int64_t PixelBudget::capacity() const { return state_->capacity; }

int64_t PixelBudget::in_use() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->in_use;
}

int64_t PixelBudget::peak() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->peak;
}

std::shared_ptr<void> PixelBudget::reserve(int64_t n, std::chrono::milliseconds wait, const std::string& what) {
  State& s = *state_;
  const int64_t take = std::clamp<int64_t>(n, 0, s.capacity);
  std::unique_lock<std::mutex> lock(s.mutex);
  auto fits = [&] { return s.in_use + take <= s.capacity; };
  if (wait.count() < 0) {
    s.freed.wait(lock, fits);
  } else if (!s.freed.wait_for(lock, wait, fits)) {
    throw DecodeBudgetError(fmt::format(
        "{}: {} pixels to decode, and {} of the {} that may be decoded at once are in use after waiting {} ms", what, n,
        s.in_use, s.capacity, wait.count()));
  }
  s.in_use += take;
  s.peak = std::max(s.peak, s.in_use);
  // The lease keeps the state alive: it may be released after the budget is gone.
  return std::shared_ptr<void>(nullptr, [state = state_, take](void*) {
    {
      std::lock_guard<std::mutex> l(state->mutex);
      state->in_use -= take;
    }
    state->freed.notify_all();
  });
}

}  // namespace nn::vision
