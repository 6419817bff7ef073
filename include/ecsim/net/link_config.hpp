// The settings of one directed link. Probabilities are integer parts per
// million (TigerBeetle style: no float compared in a decision).
#pragma once
#include <cstdint>

#include "ecsim/net/latency.hpp"

namespace ecsim::net {

inline constexpr uint32_t kPpmOne = 1000000;
// A TLS 1.2 AES-GCM record: 5-byte header, 8-byte explicit nonce, 16-byte tag.
inline constexpr uint32_t kTlsRecordBytes = 29;
// AES-GCM at about 2 GB/s per direction on one core (AES-NI): 0.5 ns per
// byte to encrypt and 0.5 to decrypt, in picoseconds.
inline constexpr uint64_t kTlsPsPerByte = 1000;

struct LinkConfig {
  LatencyModel latency = LatencyModel::constant(sim::milliseconds(1));
  uint32_t drop_ppm = 0;       // probability a message is lost
  uint32_t duplicate_ppm = 0;  // probability a message is delivered twice
  bool reorder = false;        // false: FIFO per connection (TCP-like)
  // TLS on this link: every message carries a TLS record's overhead
  // (kTlsRecordBytes) and pays encryption plus decryption, kTlsPsPerByte
  // per byte, on top of the link's latency; RPC connections over it pay the
  // TLS handshake's round trips (proto/rpc).
  bool tls = false;
  bool operator==(const LinkConfig&) const = default;
};

}  // namespace ecsim::net
