// Byte helpers shared by the protocols' write-ahead log encodings
// (proto/storage, proto/twopc): fixed-width little-endian fields and the
// FNV-1a checksum each record carries, so a log written on one machine
// replays to the same records on any other.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace ecsim::proto::log_codec {

// 32-bit FNV-1a over the bytes.
inline uint32_t fnv1a(std::string_view bytes) {
  uint32_t h = 2166136261u;
  for (char c : bytes) {
    h ^= static_cast<uint8_t>(c);
    h *= 16777619u;
  }
  return h;
}

// Appends `v` as sizeof(T) little-endian bytes.
template <class T>
void put_le(std::string& out, T v) {
  const auto u = static_cast<std::make_unsigned_t<T>>(v);
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

// Reads sizeof(T) little-endian bytes at `at`. REQUIRES: at + sizeof(T) <= in.size().
template <class T>
T get_le(std::string_view in, size_t at) {
  std::make_unsigned_t<T> u = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    u |= static_cast<std::make_unsigned_t<T>>(static_cast<uint8_t>(in[at + i])) << (8 * i);
  }
  return static_cast<T>(u);
}

}  // namespace ecsim::proto::log_codec
