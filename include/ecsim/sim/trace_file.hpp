// Trace files (format version 1; docs/trace-format.md):
//
//   "ECSIMTRC"  u32 format version  u32 header length  header (JSON)
//   one zstd frame holding the records, 40 bytes each, little-endian
//   "ECSIMEND"  u64 record count  u64 XXH3-64 of the records
//
// The JSON header carries the ecsim version, the scenario text and the seed,
// so a file replays by itself. Reading re-hashes the records and refuses a
// truncated or corrupted file with a one-line reason.
#pragma once
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "ecsim/sim/trace.hpp"

namespace ecsim::sim {

inline constexpr uint32_t kTraceFormatVersion = 1;

class TraceFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TraceFileWriter final : public TraceSink {
 public:
  // THROWS TraceFileError when the file cannot be created.
  TraceFileWriter(const std::string& path, const std::string& header_json);
  ~TraceFileWriter() override;
  void write(const Record* records, size_t count) override;
  // Ends the zstd frame and writes the footer. THROWS TraceFileError on I/O failure.
  void close(uint64_t record_count, uint64_t hash);

 private:
  void write_raw(const void* data, size_t size);
  void compress(const void* data, size_t size, bool end);
  std::string path_;
  std::FILE* file_ = nullptr;
  struct Zstd;
  std::unique_ptr<Zstd> zstd_;
  bool failed_ = false;
};

struct TraceFileInfo {
  std::string header_json;
  uint64_t record_count = 0;
  uint64_t hash = 0;  // recomputed from the records (equal to the footer's)
};

// Reads and verifies a trace file, handing each record to `visit` if given.
// THROWS TraceFileError: "FILE: cannot read: ...", "FILE: not an ecsim trace
// file", "FILE: truncated ...", "FILE: corrupted ...".
TraceFileInfo read_trace_file(const std::string& path,
                              const std::function<void(const Record&)>& visit = {});
// Only the header's JSON text, after the magic and version checks: the
// records are neither read nor checked (read_trace_file does that). For a
// caller that reads the file again after it, so a pipe, a socket or a
// character device is refused ("FILE: a pipe, expected a trace file";
// read_once_kind); read_trace_file alone
// (the viewer's --trace) reads one once.
std::string read_trace_header(const std::string& path);

// What `path` names when it is a pipe, a socket or a character device,
// which can be read only once or may never end (`<(...)`, a FIFO,
// /dev/stdin from a pipe or a terminal, /dev/zero): "a pipe", "a socket",
// "a character device". A reader that opens a file twice refuses one. Empty
// for anything else, and for a path not there.
std::string_view read_once_kind(const std::string& path);
// The same checks on a file's bytes already in memory; `path` only labels
// the messages (the fuzz target reads this way).
TraceFileInfo read_trace_bytes(std::string_view data, const std::string& path,
                               const std::function<void(const Record&)>& visit = {});

}  // namespace ecsim::sim
