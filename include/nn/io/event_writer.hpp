#pragma once
// TensorBoard event files, written and read through protobuf with TensorBoard's own messages.
//
// An event file is a sequence of TFRecords, each holding one serialized Event:
//   record:  uint64 length (little-endian) | uint32 masked_crc32c(length bytes) |
//            data[length] | uint32 masked_crc32c(data)
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3;
//             Summary summary = 5; }
//   Summary { repeated Value value = 1; }
//   Value   { string tag = 1; float simple_value = 2; }
// The messages are TensorBoard's (tensorboard/compat/proto/event.proto and summary.proto; the
// fields nn uses, with their field numbers, in src/io/tensorboard/), compiled by protoc when nn is
// built. TensorBoard shows such simple_value summaries as scalars.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace nn::io {

// Seconds since the Unix epoch, with sub-second resolution: an Event's wall_time.
double wall_time_now();

// Appends TFRecords to a file it creates (or truncates). Output is buffered: write errors such as
// a full disk surface at the latest in flush() or close(), as std::runtime_error naming the file.
class RecordWriter {
 public:
  explicit RecordWriter(const std::string& path);  // throws std::runtime_error if it cannot open
  ~RecordWriter();  // close(); an error there is reported on stderr (destructors cannot throw)
  RecordWriter(RecordWriter&& other) noexcept;
  RecordWriter& operator=(RecordWriter&& other) noexcept;
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  void write(std::string_view data);  // one record
  void flush();
  void close();  // flushes and closes; later writes throw; a second close does nothing
  const std::string& path() const { return path_; }

 private:
  void close_noexcept() noexcept;  // close(), reporting an error on stderr
  std::string path_;
  std::FILE* file_ = nullptr;
};

// Writes scalars for TensorBoard into `logdir`, which it creates, in a new file named
// events.out.tfevents.<unix seconds>.<hostname>.<pid>.<counter> as TensorFlow names them. The
// first record is the file_version event "brain.Event:2".
//
//   nn::io::EventWriter w("logs/run1/train");
//   w.add_scalar("epoch_loss", loss, epoch);
//   w.flush();  // at the end of each epoch, so TensorBoard sees the points
class EventWriter {
 public:
  explicit EventWriter(const std::string& logdir);

  // Stored as a float (Summary.Value.simple_value). wall_time: seconds since the epoch.
  void add_scalar(const std::string& tag, double value, int64_t step,
                  double wall_time = wall_time_now());
  void flush();
  void close();  // the destructor closes too, but only an explicit close() reports errors
  const std::string& path() const { return writer_.path(); }

 private:
  void write_event(std::string_view event);
  RecordWriter writer_;
};

// The data of every record in a TFRecord file, both CRCs verified. Throws std::runtime_error
// naming the file and the record index on a CRC mismatch or truncation.
std::vector<std::string> read_tfrecords(const std::string& path);

struct ScalarEvent {
  std::string tag;
  double value = 0;  // the stored float
  int64_t step = 0;
  double wall_time = 0;
};

// Every simple_value summary in an event file, in file order (one per Summary.Value). Other
// events (file_version, images, ...) and unknown fields are skipped; a malformed Event throws
// std::runtime_error naming the file and the record index.
std::vector<ScalarEvent> read_scalars(const std::string& path);

}  // namespace nn::io
