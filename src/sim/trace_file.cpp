#include "ecsim/sim/trace_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <zstd.h>

#include "ecsim/sim/assert.hpp"

namespace ecsim::sim {

namespace {
constexpr char kMagic[8] = {'E', 'C', 'S', 'I', 'M', 'T', 'R', 'C'};
constexpr char kEndMagic[8] = {'E', 'C', 'S', 'I', 'M', 'E', 'N', 'D'};
constexpr size_t kFooterBytes = 24;
constexpr uint32_t kHeaderBytesMax = 64u << 20;

void put_u32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }
uint32_t get_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t get_u64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
}  // namespace

struct TraceFileWriter::Zstd {
  ZSTD_CCtx* cctx = nullptr;
  std::vector<char> out;
  ~Zstd() { ZSTD_freeCCtx(cctx); }
};

TraceFileWriter::TraceFileWriter(const std::string& path, const std::string& header_json)
    : path_(path), zstd_(std::make_unique<Zstd>()) {
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) throw TraceFileError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  std::string head(kMagic, sizeof kMagic);
  put_u32(head, kTraceFormatVersion);
  put_u32(head, static_cast<uint32_t>(header_json.size()));
  head += header_json;
  write_raw(head.data(), head.size());
  zstd_->cctx = ZSTD_createCCtx();
  ECSIM_ASSERT(zstd_->cctx != nullptr);
  ZSTD_CCtx_setParameter(zstd_->cctx, ZSTD_c_compressionLevel, 3);
  ZSTD_CCtx_setParameter(zstd_->cctx, ZSTD_c_checksumFlag, 1);
  zstd_->out.resize(ZSTD_CStreamOutSize());
}

TraceFileWriter::~TraceFileWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void TraceFileWriter::write_raw(const void* data, size_t size) {
  if (size > 0 && std::fwrite(data, 1, size, file_) != size) failed_ = true;
}

void TraceFileWriter::compress(const void* data, size_t size, bool end) {
  ZSTD_inBuffer in{data, size, 0};
  for (;;) {
    ZSTD_outBuffer out{zstd_->out.data(), zstd_->out.size(), 0};
    const size_t left = ZSTD_compressStream2(zstd_->cctx, &out, &in, end ? ZSTD_e_end : ZSTD_e_continue);
    if (ZSTD_isError(left)) {
      failed_ = true;
      return;
    }
    write_raw(zstd_->out.data(), out.pos);
    if (end ? left == 0 : in.pos == in.size) return;
  }
}

void TraceFileWriter::write(const Record* records, size_t count) {
  compress(records, count * sizeof(Record), false);
}

void TraceFileWriter::close(uint64_t record_count, uint64_t hash) {
  ECSIM_ASSERT(file_ != nullptr);
  compress(nullptr, 0, true);
  write_raw(kEndMagic, sizeof kEndMagic);
  write_raw(&record_count, 8);
  write_raw(&hash, 8);
  if (std::fclose(file_) != 0) failed_ = true;
  file_ = nullptr;
  if (failed_) throw TraceFileError(fmt::format("{}: cannot write: I/O error", path_));
}

namespace {
// The magic, the version and the header's length from a file's first bytes
// (`size`: the file's whole length as far as known, to check the header fits).
uint32_t check_preamble(std::string_view head, size_t size, const std::string& path) {
  if (head.size() < sizeof kMagic || std::memcmp(head.data(), kMagic, sizeof kMagic) != 0) {
    throw TraceFileError(fmt::format(
        "{}: not an ecsim trace file (bad magic), expected one written by --trace", path));
  }
  // The magic whole, the version or the header's length cut off.
  if (head.size() < 16) throw TraceFileError(fmt::format("{}: truncated in the header", path));
  const uint32_t version = get_u32(head.data() + 8);
  if (version != kTraceFormatVersion) {
    throw TraceFileError(fmt::format("{}: trace format version {} is not supported, expected {}",
                                     path, version, kTraceFormatVersion));
  }
  const uint32_t header_len = get_u32(head.data() + 12);
  if (header_len > kHeaderBytesMax || 16 + static_cast<size_t>(header_len) > size) {
    throw TraceFileError(fmt::format("{}: truncated in the header", path));
  }
  return header_len;
}

std::ifstream open_trace(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw TraceFileError(fmt::format("{}: cannot read: {}", path, std::strerror(EISDIR)));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TraceFileError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  return in;
}

// Up to `n` more bytes of `in` appended to `data`.
void read_some(std::ifstream& in, std::string& data, size_t n, const std::string& path) {
  const size_t had = data.size();
  data.resize(had + n);
  try {
    in.read(data.data() + had, static_cast<std::streamsize>(n));
  } catch (const std::ios_base::failure&) {
    throw TraceFileError(fmt::format("{}: cannot read: I/O error", path));
  }
  data.resize(had + static_cast<size_t>(in.gcount()));
  if (in.bad()) throw TraceFileError(fmt::format("{}: cannot read: I/O error", path));
}
}  // namespace

TraceFileInfo read_trace_file(const std::string& path,
                              const std::function<void(const Record&)>& visit) {
  std::ifstream in = open_trace(path);
  // The magic first: a file that is not a trace (a device such as
  // /dev/zero, or something large) is refused before it is read whole.
  std::string data;
  read_some(in, data, 16, path);
  check_preamble(data, SIZE_MAX, path);
  try {
    data.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::ios_base::failure&) {
    throw TraceFileError(fmt::format("{}: cannot read: I/O error", path));
  }
  if (in.bad()) throw TraceFileError(fmt::format("{}: cannot read: I/O error", path));
  return read_trace_bytes(data, path, visit);
}

std::string_view read_once_kind(const std::string& path) {
  std::error_code ec;
  switch (std::filesystem::status(path, ec).type()) {
    case std::filesystem::file_type::fifo: return "a pipe";
    case std::filesystem::file_type::socket: return "a socket";
    case std::filesystem::file_type::character: return "a character device";
    default: return {};
  }
}

std::string read_trace_header(const std::string& path) {
  // Its callers read the whole file next (a second open): a pipe would be
  // empty the second time (a valid trace called "bad magic"), and a FIFO's
  // second open waits for a writer that may never come (a terminal, for
  // more input).
  if (const std::string_view kind = read_once_kind(path); !kind.empty()) {
    throw TraceFileError(fmt::format(
        "{}: {}, expected a trace file (trace commands read it more than once: save it first)", path, kind));
  }
  std::ifstream in = open_trace(path);
  std::string data;
  read_some(in, data, 16, path);
  const uint32_t header_len = check_preamble(data, SIZE_MAX, path);
  read_some(in, data, header_len, path);
  if (data.size() < 16 + static_cast<size_t>(header_len)) {
    throw TraceFileError(fmt::format("{}: truncated in the header", path));
  }
  return data.substr(16);
}

TraceFileInfo read_trace_bytes(std::string_view data, const std::string& path,
                               const std::function<void(const Record&)>& visit) {
  const uint32_t header_len = check_preamble(data, data.size(), path);
  TraceFileInfo info;
  info.header_json = std::string(data.substr(16, header_len));
  const size_t frame_at = 16 + header_len;
  const size_t frame_len = ZSTD_findFrameCompressedSize(data.data() + frame_at, data.size() - frame_at);
  if (ZSTD_isError(frame_len)) {
    throw TraceFileError(fmt::format("{}: truncated or corrupted record stream ({})", path,
                                     ZSTD_getErrorName(frame_len)));
  }
  const size_t footer_at = frame_at + frame_len;
  // A second frame (two compressed streams concatenated, or a skippable
  // frame) is valid zstd but not a trace file: ecsim writes the records as
  // one frame. Named as such however short it is (before, a short one was
  // "truncated" and a skippable one a "corrupted footer").
  if (data.size() >= footer_at + 4) {
    const uint32_t magic = get_u32(data.data() + footer_at);
    if (magic == ZSTD_MAGICNUMBER || (magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START) {
      throw TraceFileError(
          fmt::format("{}: corrupted: a second zstd frame after the record stream (a trace file has one)", path));
    }
  }
  if (data.size() < footer_at + kFooterBytes) throw TraceFileError(fmt::format("{}: truncated before the footer", path));
  if (std::memcmp(data.data() + footer_at, kEndMagic, sizeof kEndMagic) != 0) {
    throw TraceFileError(fmt::format("{}: corrupted footer", path));
  }
  if (data.size() > footer_at + kFooterBytes) {
    throw TraceFileError(fmt::format("{}: corrupted: {} unexpected bytes after the footer", path,
                                     data.size() - footer_at - kFooterBytes));
  }
  const uint64_t footer_count = get_u64(data.data() + footer_at + 8);
  const uint64_t footer_hash = get_u64(data.data() + footer_at + 16);

  // Freed however the read ends: an error below, or one thrown by `visit`
  // (the trace commands' checks) -- a leak the sanitizer build caught.
  const std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> owned(ZSTD_createDCtx(), ZSTD_freeDCtx);
  ZSTD_DCtx* dctx = owned.get();
  ECSIM_ASSERT(dctx != nullptr);
  std::vector<char> out(ZSTD_DStreamOutSize() + sizeof(Record));
  size_t carry = 0;  // bytes of a partial record left from the last chunk
  RecordHasher hasher;
  ZSTD_inBuffer zin{data.data() + frame_at, frame_len, 0};
  size_t ret = 1;
  // Records go in the order of simulated time, never before 0: a stream
  // made to hash right (its footer written from the records) could still
  // send a dump or a latency table back in time.
  int64_t last_ns = 0;
  while (zin.pos < zin.size || ret != 0) {
    ZSTD_outBuffer zout{out.data() + carry, out.size() - carry, 0};
    ret = ZSTD_decompressStream(dctx, &zout, &zin);
    if (ZSTD_isError(ret)) {
      throw TraceFileError(fmt::format("{}: corrupted record stream ({})", path, ZSTD_getErrorName(ret)));
    }
    const size_t have = carry + zout.pos;
    const size_t whole = have / sizeof(Record);
    for (size_t i = 0; i < whole; ++i) {
      Record r;
      std::memcpy(&r, out.data() + i * sizeof(Record), sizeof r);
      if (r.time_ns < last_ns) {
        throw TraceFileError(fmt::format("{}: corrupted: record #{} at {} ns comes before {} ns (the previous "
                                         "record's, or the start)",
                                         path, info.record_count + i + 1, r.time_ns, last_ns));
      }
      last_ns = r.time_ns;
      hasher.update(&r, 1);
      if (visit) visit(r);
    }
    info.record_count += whole;
    carry = have - whole * sizeof(Record);
    std::memmove(out.data(), out.data() + whole * sizeof(Record), carry);
    if (zout.pos == 0 && zin.pos == zin.size && ret != 0) break;
  }
  if (ret != 0 || carry != 0) throw TraceFileError(fmt::format("{}: truncated record stream", path));
  info.hash = hasher.digest();
  if (info.record_count != footer_count || info.hash != footer_hash) {
    throw TraceFileError(fmt::format(
        "{}: corrupted: {} records hash to {:016x}, the footer says {} records, {:016x}", path,
        info.record_count, info.hash, footer_count, footer_hash));
  }
  return info;
}

}  // namespace ecsim::sim
