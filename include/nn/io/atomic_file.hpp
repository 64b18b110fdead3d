#pragma once
// Replacing a file so that readers see the old contents or the new, never a mix, and a crash at
// any point loses neither:
//   1. the bytes go to a new temporary file beside the target, named
//      ".<target name>.tmp-<pid>-<16 random hex digits>" and created with O_EXCL | O_NOFOLLOW, so
//      neither a guessed name nor a planted symlink can redirect the write;
//   2. the file is fsync'ed, renamed over the target, and the directory fsync'ed;
//   3. temporary files that earlier saves of the same target left behind when their process was
//      killed are removed first. A save holds an flock on its temporary file while it writes, and
//      the kernel releases it when the process dies (in any PID namespace), so a file that no one
//      holds locked and that is over 30 seconds old is an abandoned one.
// How nn saves models and images; usable for any output a program must not leave half-written.
#include <string>
#include <string_view>

namespace nn::io {

// Throws std::runtime_error("<path>: <what failed>"); the target is then unchanged and no
// temporary file is left.
void write_file_atomically(const std::string& path, std::string_view bytes);

}  // namespace nn::io
