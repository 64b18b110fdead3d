#pragma once
// A seam for tests of write_file_atomically: the source of its temporary files' random suffixes.
// A test that replaces it knows the name a save is about to create and can plant a symlink or a
// file there between the save's clean-up of stale files and its open (the race an attacker runs).
#include <cstdint>
#include <functional>

namespace nn::io::detail {

// Replaces the suffix source (getrandom) until it is reset with an empty function. It is called
// once per name the save tries, after the stale-file clean-up.
void set_temp_suffix_source(std::function<uint64_t()> source);

}  // namespace nn::io::detail
