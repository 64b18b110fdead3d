#include <doctest/doctest.h>

#include <limits>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "nn/data/dataset.hpp"
#include "nn/tensor_ops.hpp"
#include "nn/random.hpp"

using nn::Shape;
using nn::Tensor;
using nn::data::Dataset;
using nn::data::Example;

namespace {

// n elements: x[i]: (2) = {i, -i}, y[i]: () = i.
Dataset range_dataset(int64_t n) {
  std::vector<float> xs, ys;
  for (int64_t i = 0; i < n; ++i) {
    xs.push_back(static_cast<float>(i));
    xs.push_back(-static_cast<float>(i));
    ys.push_back(static_cast<float>(i));
  }
  return Dataset::from_tensor_slices(Tensor::from_vector({n, 2}, xs), Tensor::from_vector({n}, ys));
}

// The labels of one pass, flattened (works for single and batched elements).
std::vector<float> labels(const Dataset& ds) {
  std::vector<float> out;
  for (const Example& e : ds) {
    const std::vector<float> v = e.y.to_vector();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

std::vector<float> iota(int64_t n, float start = 0.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), start);
  return v;
}

std::vector<float> sorted(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  return v;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// An element whose x has the given shape, y = value.
Example element(Shape shape, float value) {
  return {Tensor::full(std::move(shape), value), Tensor::scalar(value)};
}

// Runs fn on a detached thread and reports whether it finished within `seconds`: a test that
// would hang fails instead.
bool finishes_within(double seconds, std::function<void()> fn) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> f = done->get_future();
  std::thread([fn = std::move(fn), done] {
    fn();
    done->set_value();
  }).detach();
  return f.wait_for(std::chrono::duration<double>(seconds)) == std::future_status::ready;
}

}  // namespace

TEST_CASE("dataset: from_tensor_slices yields zero-copy rows without the batch dimension") {
  Tensor x = Tensor::from_vector({3, 2, 2}, iota(12));
  Tensor y = Tensor::from_vector({3}, {7, 8, 9});
  Dataset ds = Dataset::from_tensor_slices(x, y);
  CHECK(ds.cardinality() == 3);
  auto it = ds.iterator();
  std::optional<Example> e0 = it->next();
  REQUIRE(e0);
  CHECK(e0->x.shape() == Shape{2, 2});
  CHECK(e0->y.shape() == Shape{});
  CHECK(e0->x.same_storage(x));
  CHECK(e0->y.item() == 7.0f);
  std::optional<Example> e1 = it->next();
  REQUIRE(e1);
  CHECK(e1->x.to_vector() == std::vector<float>{4, 5, 6, 7});
  CHECK(it->next());
  CHECK_FALSE(it->next());
  CHECK_FALSE(it->next());  // stays at the end
}

TEST_CASE("dataset: from_tensor_slices names both shapes when the first dimensions differ") {
  try {
    Dataset::from_tensor_slices(Tensor::zeros({5, 2}), Tensor::zeros({4}));
    FAIL("expected std::invalid_argument");
  } catch (const std::invalid_argument& e) {
    CHECK(contains(e.what(), "(5, 2)"));
    CHECK(contains(e.what(), "(4,)"));
  }
  CHECK_THROWS_AS(Dataset::from_tensor_slices(Tensor::scalar(1), Tensor::scalar(1)), std::invalid_argument);
}

TEST_CASE("dataset: range-for visits every element once, in order, and may stop early") {
  Dataset ds = range_dataset(5);
  float sum = 0;
  int count = 0;
  for (const Example& e : ds) {
    CHECK(e.y.item() == static_cast<float>(count));
    CHECK(e.x.at({1}) == -static_cast<float>(count));
    sum += e.y.item();
    ++count;
  }
  CHECK(count == 5);
  CHECK(sum == 10.0f);
  int seen = 0;
  for (const Example& e : ds.prefetch(1)) {
    if (e.y.item() == 2.0f) break;
    ++seen;
  }
  CHECK(seen == 2);
  CHECK(ds.begin() != ds.end());
  CHECK(range_dataset(0).begin() == range_dataset(0).end());
}

TEST_CASE("dataset: from_generator calls its factory once per pass") {
  int passes = 0;
  Dataset ds = Dataset::from_generator([&passes] {
    const int pass = passes++;
    return [pass, i = 0]() mutable -> std::optional<Example> {
      if (i == 4) return std::nullopt;
      return element({3}, static_cast<float>(100 * pass + i++));
    };
  });
  CHECK(ds.cardinality() == nn::data::kUnknown);
  CHECK(passes == 0);
  CHECK(labels(ds) == std::vector<float>{0, 1, 2, 3});
  CHECK(passes == 1);
  CHECK(labels(ds) == std::vector<float>{100, 101, 102, 103});
  CHECK(passes == 2);
  CHECK(labels(ds.repeat(2)) == std::vector<float>{200, 201, 202, 203, 300, 301, 302, 303});
  CHECK(passes == 4);
}

TEST_CASE("dataset: shuffle emits a permutation and respects its buffer") {
  const int64_t n = 200;
  for (int64_t buffer : {int64_t{1}, int64_t{10}, n, 10 * n}) {
    CAPTURE(buffer);
    const std::vector<float> order = labels(range_dataset(n).shuffle(buffer, 7));
    CHECK(sorted(order) == iota(n));
    // Output k can only come from the first buffer + k inputs.
    for (size_t k = 0; k < order.size(); ++k)
      CHECK(order[k] < static_cast<float>(buffer + static_cast<int64_t>(k)));
    if (buffer == 1) CHECK(order == iota(n));
    if (buffer > 1) CHECK(order != iota(n));
  }
  // Picks are uniform over the buffer: over many seeds, the first output takes every value the
  // buffer can hold (buffer 10: inputs 0..9), and with a full buffer spreads over the input.
  std::set<float> first10, first_full;
  double sum = 0;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    first10.insert(labels(range_dataset(n).shuffle(10, seed).take(1))[0]);
    const float f = labels(range_dataset(n).shuffle(n, seed).take(1))[0];
    first_full.insert(f);
    sum += f;
  }
  CHECK(first10.size() == 10);
  CHECK(first_full.size() > 100);
  CHECK(sum / 300 == doctest::Approx((n - 1) / 2.0).epsilon(0.15));
  CHECK(range_dataset(n).shuffle(50, 1).cardinality() == n);
  CHECK_THROWS_AS(range_dataset(n).shuffle(0), std::invalid_argument);
}

TEST_CASE("dataset: shuffle: the same seed gives the same order, another seed another order") {
  const std::vector<float> a = labels(range_dataset(100).shuffle(100, 42));
  const std::vector<float> b = labels(range_dataset(100).shuffle(100, 42));
  const std::vector<float> c = labels(range_dataset(100).shuffle(100, 43));
  CHECK(a == b);
  CHECK(a != c);
  CHECK(sorted(c) == iota(100));
  // Unseeded: drawn from the default generator when the dataset is built.
  nn::manual_seed(5);
  const std::vector<float> d = labels(range_dataset(100).shuffle(100));
  nn::manual_seed(5);
  const std::vector<float> e = labels(range_dataset(100).shuffle(100));
  CHECK(d == e);
  CHECK(sorted(d) == iota(100));
}

TEST_CASE("dataset: shuffle gives the same order over tensor slices and over any other input") {
  // Slices shuffle row indices (a fused path); behind a map the shuffle buffers elements.
  auto identity = [](Example e) { return e; };
  for (int64_t buffer : {int64_t{1}, int64_t{7}, int64_t{100}, int64_t{1000}}) {
    CAPTURE(buffer);
    const std::vector<float> fused = labels(range_dataset(100).shuffle(buffer, 11));
    const std::vector<float> generic = labels(range_dataset(100).map(identity).shuffle(buffer, 11));
    CHECK(fused == generic);
    Dataset a = range_dataset(100).shuffle(buffer, 11, true);
    Dataset b = range_dataset(100).map(identity).shuffle(buffer, 11, true);
    labels(a);
    labels(b);
    CHECK(labels(a) == labels(b));  // second passes too
  }
  // The rows are views with the right shapes and values.
  Tensor x = Tensor::from_vector({4, 2, 3}, iota(24));
  for (const Example& e :
       Dataset::from_tensor_slices(x, Tensor::from_vector({4}, {0, 1, 2, 3})).shuffle(4, 2)) {
    CHECK(e.x.shape() == Shape{2, 3});
    CHECK(e.y.shape() == Shape{});
    CHECK(e.x.same_storage(x));
    CHECK(e.x.to_vector() == iota(6, 6 * e.y.item()));
  }
}

TEST_CASE("dataset: shuffle: reshuffle_each_iteration changes the order per pass, deterministically") {
  Dataset re = range_dataset(100).shuffle(100, 9, true);
  const std::vector<float> pass0 = labels(re), pass1 = labels(re);
  CHECK(pass0 != pass1);
  CHECK(sorted(pass1) == iota(100));
  Dataset again = range_dataset(100).shuffle(100, 9, true);  // rebuilt: the same sequence
  CHECK(labels(again) == pass0);
  CHECK(labels(again) == pass1);

  Dataset fixed = range_dataset(100).shuffle(100, 9, false);
  const std::vector<float> f0 = labels(fixed);
  CHECK(labels(fixed) == f0);
  CHECK(f0 != iota(100));
  // Without a seed of its own, a shuffle draws one from the global generator: it shuffles, keeps
  // its order across passes (reshuffle off), and the same manual_seed gives the same order.
  nn::manual_seed(3);
  Dataset unseeded = range_dataset(100).shuffle(100, std::nullopt, false);
  const std::vector<float> u0 = labels(unseeded);
  CHECK(u0 != iota(100));
  CHECK(sorted(u0) == iota(100));
  CHECK(labels(unseeded) == u0);
  nn::manual_seed(3);
  CHECK(labels(range_dataset(100).shuffle(100, std::nullopt, false)) == u0);
  nn::manual_seed(4);
  CHECK(labels(range_dataset(100).shuffle(100, std::nullopt, false)) != u0);

  // repeat() starts a new pass of the shuffle each time.
  const std::vector<float> rep = labels(range_dataset(50).shuffle(50, 1, true).repeat(2));
  REQUIRE(rep.size() == 100);
  const std::vector<float> first(rep.begin(), rep.begin() + 50), second(rep.begin() + 50, rep.end());
  CHECK(first != second);
  CHECK(sorted(second) == iota(50));
  const std::vector<float> same = labels(range_dataset(50).shuffle(50, 1, false).repeat(2));
  CHECK(std::equal(same.begin(), same.begin() + 50, same.begin() + 50));
}

TEST_CASE("dataset: sizes near the int64 limit do not overflow (UBSan)") {
  Dataset ds = range_dataset(10);
  const int64_t huge = std::numeric_limits<int64_t>::max();
  CHECK(ds.batch(huge).cardinality() == 1);
  CHECK(ds.batch(huge, true).cardinality() == 0);
  auto it = ds.batch(huge).iterator();
  auto batch = it->next();
  REQUIRE(batch);
  CHECK(batch->x.dim(0) == 10);
  CHECK(ds.repeat(huge).cardinality() == nn::data::kUnknown);  // 10 * (2^63 - 1) does not fit
}

TEST_CASE("dataset: repeat, take and skip: counts, values and cardinality") {
  Dataset ds = range_dataset(10);
  std::vector<float> three = iota(10);
  three.insert(three.end(), three.begin(), three.end());
  three.insert(three.end(), three.begin(), three.begin() + 10);
  CHECK(labels(ds.repeat(3)) == three);
  CHECK(ds.repeat(3).cardinality() == 30);
  CHECK(ds.repeat().cardinality() == nn::data::kInfinite);
  CHECK(ds.repeat(0).cardinality() == 0);
  CHECK(labels(ds.repeat(0)).empty());
  CHECK(labels(ds.repeat().take(25)).size() == 25);
  CHECK(ds.repeat().take(25).cardinality() == 25);

  CHECK(labels(ds.take(4)) == iota(4));
  CHECK(ds.take(4).cardinality() == 4);
  CHECK(ds.take(40).cardinality() == 10);
  CHECK(labels(ds.take(40)).size() == 10);
  CHECK(ds.take(-1).cardinality() == 10);
  CHECK(labels(ds.take(0)).empty());

  CHECK(labels(ds.skip(3)) == iota(7, 3));
  CHECK(ds.skip(3).cardinality() == 7);
  CHECK(ds.skip(30).cardinality() == 0);
  CHECK(labels(ds.skip(30)).empty());
  CHECK(ds.skip(-1).cardinality() == 0);
  CHECK(labels(ds.skip(-1)).empty());
  CHECK(labels(ds.skip(2).take(3)) == std::vector<float>{2, 3, 4});
  CHECK(labels(ds.repeat(2).skip(8).take(4)) == std::vector<float>{8, 9, 0, 1});
  CHECK(ds.repeat().skip(5).cardinality() == nn::data::kInfinite);

  // A forever repeat of an empty dataset ends instead of spinning.
  CHECK(labels(range_dataset(0).repeat()).empty());
  CHECK(range_dataset(0).repeat().cardinality() == 0);
  Dataset gen = Dataset::from_generator([] { return [] { return std::optional<Example>(); }; });
  CHECK(labels(gen.repeat()).empty());
  CHECK(gen.take(3).cardinality() == nn::data::kUnknown);
  CHECK(gen.repeat().cardinality() == nn::data::kInfinite);
}

TEST_CASE("dataset: batch stacks elements, with and without the remainder") {
  Dataset ds = range_dataset(10);
  std::vector<int64_t> sizes;
  for (const Example& b : ds.batch(4)) {
    sizes.push_back(b.x.dim(0));
    CHECK(b.x.shape() == Shape{b.x.dim(0), 2});
    CHECK(b.y.shape() == Shape{b.x.dim(0)});
  }
  CHECK(sizes == std::vector<int64_t>{4, 4, 2});
  CHECK(ds.batch(4).cardinality() == 3);
  sizes.clear();
  for (const Example& b : ds.batch(4, true)) sizes.push_back(b.y.dim(0));
  CHECK(sizes == std::vector<int64_t>{4, 4});
  CHECK(ds.batch(4, true).cardinality() == 2);
  CHECK(ds.batch(5, true).cardinality() == 2);
  CHECK(ds.repeat().batch(4).cardinality() == nn::data::kInfinite);
  CHECK(labels(ds.batch(3)) == iota(10));

  auto it = ds.skip(2).batch(3).iterator();
  std::optional<Example> b = it->next();
  REQUIRE(b);
  CHECK(b->x.to_vector() == std::vector<float>{2, -2, 3, -3, 4, -4});
  CHECK(b->y.to_vector() == std::vector<float>{2, 3, 4});
  // A batch of batches: (2, 3, 2).
  std::optional<Example> bb = ds.batch(3).batch(2).iterator()->next();
  REQUIRE(bb);
  CHECK(bb->x.shape() == Shape{2, 3, 2});
  CHECK(bb->y.shape() == Shape{2, 3});
  CHECK_THROWS_AS(ds.batch(0), std::invalid_argument);
}

TEST_CASE("dataset: batch names the shapes of mismatched elements") {
  Dataset ds = Dataset::from_generator([] {
    return [i = 0]() mutable -> std::optional<Example> {
      if (i == 3) return std::nullopt;
      return element(i++ == 2 ? Shape{3} : Shape{2}, 1.0f);
    };
  });
  Dataset transposed = Dataset::from_generator([] {  // equal sizes, other shape
    return [i = 0]() mutable -> std::optional<Example> {
      if (i == 2) return std::nullopt;
      return element(i++ == 1 ? Shape{3, 2} : Shape{2, 3}, 1.0f);
    };
  });
  CHECK(ds.batch(2).iterator()->next());  // the first two match
  CHECK_THROWS_AS(labels(transposed.batch(2)), std::invalid_argument);
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    try {
      labels(ds.map([](Example e) { return e; }, threads).batch(3));
      FAIL("expected std::invalid_argument");
    } catch (const std::invalid_argument& e) {
      CHECK(contains(e.what(), "(2,)"));
      CHECK(contains(e.what(), "(3,)"));
    }
  }
}

TEST_CASE("dataset: map keeps the input order with parallel calls") {
  std::mutex mutex;
  std::set<std::thread::id> threads;
  auto fn = [&](const Example& e) {
    const float v = e.y.item();
    {
      std::lock_guard<std::mutex> lock(mutex);
      threads.insert(std::this_thread::get_id());
    }
    // Uneven work, so that chunks finish out of order.
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int>(v) % 5 * 40));
    return Example{e.x, Tensor::scalar(v * 2)};
  };
  const int64_t n = 400;
  std::vector<float> expected = iota(n);
  for (float& v : expected) v *= 2;
  CHECK(labels(range_dataset(n).map(fn, 4)) == expected);
  CHECK(threads.size() > 1);
  CHECK(labels(range_dataset(n).map(fn)) == expected);     // sequential
  CHECK(labels(range_dataset(n).map(fn, 0)) == expected);  // all threads
  CHECK(labels(range_dataset(n).map(fn, 3).batch(7)) == expected);
  // map + batch run fused on the workers: the same batches as unfused.
  std::vector<int64_t> sizes;
  for (const Example& b : range_dataset(10).map(fn, 2).batch(4)) sizes.push_back(b.y.dim(0));
  CHECK(sizes == std::vector<int64_t>{4, 4, 2});
  sizes.clear();
  for (const Example& b : range_dataset(10).map(fn, 2).batch(4, true)) {
    sizes.push_back(b.y.dim(0));
    CHECK(b.x.shape() == Shape{4, 2});
  }
  CHECK(sizes == std::vector<int64_t>{4, 4});
  CHECK(range_dataset(10).map(fn, 2).batch(4, true).cardinality() == 2);
  sizes.clear();
  for (const Example& b : range_dataset(1000).map([](Example e) { return e; }, 2).batch(600))
    sizes.push_back(b.y.dim(0));  // larger batches than the fused path takes
  CHECK(sizes == std::vector<int64_t>{600, 400});
  CHECK(range_dataset(n).map(fn, 4).cardinality() == n);
  CHECK(labels(range_dataset(0).map(fn, 4)).empty());
  // The iterator keeps its own copy of fn: it may outlive the Dataset.
  auto it = range_dataset(3).map(fn, 2).iterator();
  CHECK(it->next()->y.item() == 0.0f);
  CHECK(it->next()->y.item() == 2.0f);
  auto seq = range_dataset(3).map([](Example e) { return e; }).iterator();
  CHECK(seq->next());
}

TEST_CASE("dataset: prefetch keeps the order") {
  CHECK(labels(range_dataset(1000).prefetch(3)) == iota(1000));
  CHECK(labels(range_dataset(1000).prefetch(nn::data::kAutotune)) == iota(1000));
  CHECK(labels(range_dataset(1000).map([](Example e) { return e; }, 4).batch(7).prefetch(2)) == iota(1000));
  CHECK(range_dataset(1000).prefetch(3).cardinality() == 1000);
  CHECK(labels(range_dataset(0).prefetch(3)).empty());
  CHECK_THROWS_AS(range_dataset(3).prefetch(0), std::invalid_argument);
}

TEST_CASE("dataset: prefetch fills a bounded buffer in the background") {
  std::atomic<int> produced{0};
  Dataset ds = Dataset::from_generator([&produced] {
    return [&produced]() -> std::optional<Example> {
      const int i = produced++;
      return element({1}, static_cast<float>(i));
    };
  });
  auto it = ds.prefetch(5).iterator();
  for (int k = 0; k < 2000 && produced < 5; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(produced >= 5);  // without a single next()
  CHECK(produced <= 6);  // 5 queued, at most one more in hand
  CHECK(it->next()->y.item() == 0.0f);
  CHECK(it->next()->y.item() == 1.0f);

  Dataset failing = Dataset::from_generator([] {
    return [i = 0]() mutable -> std::optional<Example> {
      if (i == 2) throw std::length_error("no more");
      return element({1}, static_cast<float>(i++));
    };
  });
  auto f = failing.prefetch(4).iterator();
  CHECK(f->next()->y.item() == 0.0f);
  CHECK(f->next()->y.item() == 1.0f);
  CHECK_THROWS_WITH_AS(f->next(), "no more", std::length_error);
  CHECK_FALSE(f->next());
}

TEST_CASE("dataset: an exception in a map fn reaches next() after the elements before it") {
  auto fail_at_5 = [](Example e) {
    if (e.y.item() == 5.0f) throw std::runtime_error("bad element 5");
    return e;
  };
  for (int threads : {1, 2, 4}) {
    for (bool prefetch : {false, true}) {
      CAPTURE(threads);
      CAPTURE(prefetch);
      Dataset ds = range_dataset(100).map(fail_at_5, threads);
      if (prefetch) ds = ds.prefetch(2);
      auto it = ds.iterator();
      for (int i = 0; i < 5; ++i) {
        std::optional<Example> e = it->next();
        REQUIRE(e);
        CHECK(e->y.item() == static_cast<float>(i));
      }
      CHECK_THROWS_WITH_AS(it->next(), "bad element 5", std::runtime_error);
    }
  }
  // An exception from the input of a parallel map, too.
  Dataset gen = Dataset::from_generator([] {
    return [i = 0]() mutable -> std::optional<Example> {
      if (i == 3) throw std::out_of_range("generator broke");
      return element({1}, static_cast<float>(i++));
    };
  });
  auto it = gen.map([](Example e) { return e; }, 2).prefetch(2).iterator();
  for (int i = 0; i < 3; ++i) CHECK(it->next()->y.item() == static_cast<float>(i));
  CHECK_THROWS_AS(it->next(), std::out_of_range);
}

TEST_CASE("dataset: destroying iterators mid-stream stops their threads") {
  auto endless = [] {
    return Dataset::from_generator([] {
      return [i = 0]() mutable -> std::optional<Example> { return element({16}, static_cast<float>(i++)); };
    });
  };
  CHECK(endless().cardinality() == nn::data::kUnknown);
  CHECK(finishes_within(20.0, [endless] {
    for (int k = 0; k < 20; ++k) {
      auto it = endless().map([](Example e) { return e; }, 2).batch(4).prefetch(4).iterator();
      for (int i = 0; i < 3; ++i) it->next();
      auto it2 = endless().prefetch(1).map([](Example e) { return e; }, 3).prefetch(2).iterator();
      it2->next();
      auto idle = endless().prefetch(2).iterator();  // never read
      for (const Example& e : endless().repeat().prefetch(8))
        if (e.y.item() == 10.0f) break;
    }
  }));
}

TEST_CASE("dataset: cache replays the first full pass and ignores partial ones") {
  int passes = 0;
  auto make = [&passes] {
    const int pass = passes++;
    return [pass, i = 0]() mutable -> std::optional<Example> {
      if (i == 6) return std::nullopt;
      return element({2}, static_cast<float>(100 * pass + i++));
    };
  };
  Dataset ds = Dataset::from_generator(make).cache();
  CHECK(labels(ds.take(2)) == std::vector<float>{0, 1});  // partial: not kept
  CHECK(passes == 1);
  std::vector<Example> first;
  for (const Example& e : ds) first.push_back(e);
  CHECK(passes == 2);
  REQUIRE(first.size() == 6);
  CHECK(first[0].y.item() == 100.0f);  // the generator's second pass, recorded
  std::vector<Example> replay;
  for (const Example& e : ds) replay.push_back(e);
  for (const Example& e : ds.repeat(3)) replay.push_back(e);
  CHECK(passes == 2);  // never called again
  REQUIRE(replay.size() == 24);
  for (size_t i = 0; i < replay.size(); ++i) {
    CHECK(replay[i].y.item() == first[i % 6].y.item());
    CHECK(replay[i].x.same_storage(first[i % 6].x));
  }
  int fresh_passes = 0;
  Dataset fresh = Dataset::from_generator([&fresh_passes] {
                    const float base = 100.0f * static_cast<float>(fresh_passes++);
                    return [base, i = 0]() mutable -> std::optional<Example> {
                      if (i == 3) return std::nullopt;
                      return element({1}, base + static_cast<float>(i++));
                    };
                  }).cache();
  CHECK(labels(fresh.repeat(3)) == std::vector<float>{0, 1, 2, 0, 1, 2, 0, 1, 2});
  CHECK(fresh_passes == 1);
  Dataset copy = ds;  // copies share the cache
  CHECK(labels(copy) == iota(6, 100));
  CHECK(passes == 2);
  CHECK(ds.cardinality() == nn::data::kUnknown);
  CHECK(range_dataset(7).cache().cardinality() == 7);
}

TEST_CASE("dataset: cache keeps nothing from a pass that failed") {
  int passes = 0;
  Dataset ds = Dataset::from_generator([&passes] {
                 const bool fail = passes++ == 0;
                 return [fail, i = 0]() mutable -> std::optional<Example> {
                   if (i == 4) return std::nullopt;
                   if (fail && i == 2) throw std::runtime_error("first pass fails");
                   return element({1}, static_cast<float>(i++));
                 };
               }).cache();
  auto it = ds.iterator();
  it->next();
  it->next();
  CHECK_THROWS_AS(it->next(), std::runtime_error);
  CHECK_FALSE(it->next());
  CHECK(labels(ds) == iota(4));
  CHECK(labels(ds) == iota(4));
  CHECK(passes == 2);
}

TEST_CASE("dataset: stages compose in any order") {
  // map after batch, shuffle of batches, cache under a shuffle.
  Dataset ds = range_dataset(20)
                   .cache()
                   .shuffle(20, 3)
                   .batch(5)
                   .map(
                       [](Example b) {
                         return Example{std::move(b.x), b.y.clone()};
                       },
                       2)
                   .shuffle(4, 1)
                   .prefetch(2);
  CHECK(ds.cardinality() == 4);
  std::vector<float> all = labels(ds);
  CHECK(sorted(all) == iota(20));
  CHECK(labels(ds.repeat(2).take(6)).size() == 30);
}

TEST_CASE("dataset: shard splits a pass among workers, every element to exactly one") {
  Dataset ds = range_dataset(10);
  CHECK(labels(ds.shard(3, 0)) == std::vector<float>{0, 3, 6, 9});
  CHECK(labels(ds.shard(3, 1)) == std::vector<float>{1, 4, 7});
  CHECK(labels(ds.shard(3, 2)) == std::vector<float>{2, 5, 8});
  CHECK(ds.shard(3, 0).cardinality() == 4);
  CHECK(ds.shard(3, 2).cardinality() == 3);
  CHECK(ds.shard(1, 0).cardinality() == 10);
  CHECK(labels(ds.shard(1, 0)) == iota(10));
  CHECK(ds.shard(20, 12).cardinality() == 0);
  CHECK(labels(ds.shard(20, 12)).empty());
  CHECK(ds.shard(std::numeric_limits<int64_t>::max(), 9).cardinality() == 1);  // no overflow
  CHECK(ds.repeat().shard(4, 1).cardinality() == nn::data::kInfinite);
  CHECK(labels(ds.repeat(2).shard(4, 1)) == std::vector<float>{1, 5, 9, 3, 7});
  // Sharded, then shuffled and batched per worker: together the workers see each element once.
  std::vector<float> all;
  for (int64_t i = 0; i < 4; ++i) {
    const std::vector<float> part = labels(ds.shard(4, i).shuffle(10, 7).batch(2));
    all.insert(all.end(), part.begin(), part.end());
  }
  std::sort(all.begin(), all.end());
  CHECK(all == iota(10));
  CHECK_THROWS_WITH_AS(ds.shard(0, 0), "shard: num_shards must be at least 1, got 0", std::invalid_argument);
  CHECK_THROWS_WITH_AS(ds.shard(2, 2), "shard: index 2 is not in [0, 2)", std::invalid_argument);
  CHECK_THROWS_WITH_AS(ds.shard(2, -1), "shard: index -1 is not in [0, 2)", std::invalid_argument);
}

TEST_CASE("dataset: elements of several inputs and targets slice, shuffle, map, batch, cache and prefetch together") {
  std::vector<float> a, b, c;
  for (int i = 0; i < 10; ++i) {
    a.insert(a.end(), {static_cast<float>(i), static_cast<float>(-i)});
    b.push_back(static_cast<float>(100 + i));
    c.push_back(static_cast<float>(1000 + i));
  }
  const Tensor xa = Tensor::from_vector({10, 2}, a), xb = Tensor::from_vector({10}, b);
  const Tensor ya = Tensor::from_vector({10}, c), yb = Tensor::from_vector({10, 1}, b);
  const Dataset ds = Dataset::from_tensor_slices({xa, xb}, {ya, yb});
  CHECK(ds.cardinality() == 10);
  const Example e = *ds.skip(3).iterator()->next();
  CHECK(e.inputs().size() == 2);
  CHECK(e.targets().size() == 2);
  CHECK(e.extra_x[0].item() == 103.0f);
  CHECK(e.y.item() == 1003.0f);
  // Every field keeps to its element through a shuffle, a parallel map, batching, caching and prefetching.
  const Dataset pipeline = ds.shuffle(10, uint64_t{5})
                               .map([](Example x) {
                                 x.extra_x[0] = x.extra_x[0] + 1.0f;
                                 return x;
                               }, 2)
                               .batch(4)
                               .cache()
                               .prefetch(2);
  for (int pass = 0; pass < 2; ++pass) {
    int64_t seen = 0;
    for (const Example& batch : pipeline) {
      REQUIRE(batch.extra_x.size() == 1);
      REQUIRE(batch.extra_y.size() == 1);
      const int64_t n = batch.x.dim(0);
      CHECK(batch.extra_x[0].shape() == Shape{n});
      CHECK(batch.extra_y[0].shape() == Shape{n, 1});
      const auto x = batch.x.to_vector(), x2 = batch.extra_x[0].to_vector(), y = batch.y.to_vector(),
                 y2 = batch.extra_y[0].to_vector();
      for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
        CHECK(x2[i] == x[2 * i] + 101.0f);
        CHECK(y[i] == x[2 * i] + 1000.0f);
        CHECK(y2[i] == x[2 * i] + 100.0f);
      }
      seen += n;
    }
    CHECK(seen == 10);
  }
  CHECK_THROWS_WITH_AS(Dataset::from_tensor_slices({xa, xb.slice(0, 9)}, {ya}), doctest::Contains("xs[1] (9,)"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Dataset::from_tensor_slices(std::vector<Tensor>{}, {ya}), doctest::Contains("no inputs"),
                       std::invalid_argument);
  // Elements with different numbers of inputs do not batch together.
  const Dataset mixed = Dataset::from_generator([] {
    return [i = 0]() mutable -> std::optional<Example> {
      if (i == 2) return std::nullopt;
      return i++ == 0 ? Example::of({Tensor::zeros({2}), Tensor::zeros({1})}, {Tensor::zeros({})})
                      : Example::of({Tensor::zeros({2})}, {Tensor::zeros({})});
    };
  });
  CHECK_THROWS_WITH_AS(mixed.batch(2).iterator()->next(), doctest::Contains("element 1 has 1 inputs"),
                       std::invalid_argument);
}
