#pragma once
// A name -> factory table, one per family of things a model file or a compile() call names by a
// string (layers, optimizers, schedules, losses, metrics): nn registers its own, a program adds
// its own with the family's register_* function, and an unknown name is an error that lists
// every name the table holds, in the order they were registered.
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nn {

template <class Factory>
class Registry {
 public:
  // family: for messages ("optimizer"); hint: how to add one ("nn::register_optimizer").
  Registry(std::string family, std::string hint) : family_(std::move(family)), hint_(std::move(hint)) {}

  // Adds (or replaces) `name` and its aliases.
  void add(const std::string& name, Factory factory, std::vector<std::string> aliases = {}) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (factories_.count(name) == 0) order_.push_back({name, aliases});
    for (const auto& a : aliases) factories_[a] = factory;
    factories_[name] = std::move(factory);
  }

  // The factory for `name`; std::invalid_argument("unknown <family> 'x' (expected a, b (alias)
  // or c; ...)") when there is none.
  Factory get(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = factories_.find(name);
    if (it != factories_.end()) return it->second;
    std::string expected;
    for (size_t i = 0; i < order_.size(); ++i) {
      if (i > 0) expected += i + 1 == order_.size() ? " or " : ", ";
      expected += order_[i].first;
      if (!order_[i].second.empty()) {
        expected += " (";
        for (size_t k = 0; k < order_[i].second.size(); ++k) expected += (k ? ", " : "") + order_[i].second[k];
        expected += ")";
      }
    }
    throw std::invalid_argument("unknown " + family_ + " '" + name + "' (expected " + expected + "; register your own with " +
                                hint_ + ")");
  }

 private:
  std::string family_, hint_;
  mutable std::mutex mutex_;
  std::map<std::string, Factory> factories_;
  std::vector<std::pair<std::string, std::vector<std::string>>> order_;
};

}  // namespace nn
