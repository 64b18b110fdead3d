// Cache: the first complete pass records its elements; later passes replay the record and never
// touch the input again. A pass that stops early throws its partial record away, so a replay
// is always a whole pass. Concurrent first passes each record; the first to finish publishes.
#include <mutex>
#include <utility>
#include <vector>

#include "stage.hpp"

namespace nn::data::detail {
namespace {

using Record = std::vector<Example>;

struct CacheState {
  std::mutex mutex;
  std::shared_ptr<const Record> record;  // null until a pass completes
};

class ReplayIterator : public Iterator {
 public:
  explicit ReplayIterator(std::shared_ptr<const Record> record) : record_(std::move(record)) {}
  std::optional<Example> next() override {
    if (i_ >= record_->size()) return std::nullopt;
    return (*record_)[i_++];  // shares the recorded tensors' storage
  }

 private:
  std::shared_ptr<const Record> record_;
  size_t i_ = 0;
};

class RecordIterator : public Iterator {
 public:
  RecordIterator(std::unique_ptr<Iterator> input, std::shared_ptr<CacheState> state)
      : input_(std::move(input)), state_(std::move(state)) {}

  std::optional<Example> next() override {
    if (!input_) return std::nullopt;
    std::optional<Example> e;
    try {
      e = input_->next();
    } catch (...) {
      input_.reset();  // an incomplete pass: record nothing
      record_.clear();
      throw;
    }
    if (e) {
      record_.push_back(*e);
      return e;
    }
    input_.reset();
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (!state_->record) state_->record = std::make_shared<const Record>(std::move(record_));
    record_.clear();
    return std::nullopt;
  }

 private:
  std::unique_ptr<Iterator> input_;  // null once it has ended
  std::shared_ptr<CacheState> state_;
  Record record_;
};

class Cache : public Stage {
 public:
  explicit Cache(StagePtr input) : input_(std::move(input)), state_(std::make_shared<CacheState>()) {}

  std::unique_ptr<Iterator> make_iterator() const override {
    std::shared_ptr<const Record> record;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      record = state_->record;
    }
    if (record) return std::make_unique<ReplayIterator>(std::move(record));
    return std::make_unique<RecordIterator>(input_->make_iterator(), state_);
  }
  int64_t cardinality() const override { return input_->cardinality(); }

 private:
  StagePtr input_;
  std::shared_ptr<CacheState> state_;
};

}  // namespace

StagePtr make_cache(StagePtr input) { return std::make_shared<Cache>(std::move(input)); }

}  // namespace nn::data::detail
