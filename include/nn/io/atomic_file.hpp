#pragma once
// Replacing a file so that readers see the old contents or the new, never a mix, and a crash at
// any point loses neither:
//   1. the bytes go to a new temporary file beside the target, named
//      ".<target name>.tmp-<pid>-<16 random hex digits>" and created with O_EXCL | O_NOFOLLOW, so
//      neither a guessed name nor a planted symlink can redirect the write;
//   2. the file is fsync'ed, renamed over the target, and the directory fsync'ed;
//   3. temporary files that earlier saves of the same target left behind when their process was
//      killed (their pid no longer runs) are removed first.
// How nn saves models and images; usable for any output a program must not leave half-written.
#include <string>
#include <string_view>

namespace nn::io {

// Throws std::runtime_error("<path>: <what failed>"); the target is then unchanged and no
// temporary file is left.
void write_file_atomically(const std::string& path, std::string_view bytes);

}  // namespace nn::io
