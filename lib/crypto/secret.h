// Secret<N>: N bytes of secret material. Move-only (copying is explicit: clone()), never
// printable (no to_hex, no operator<<), wiped with sodium_memzero on destruction and when
// moved from, and compared in constant time.
//
// Secrets are kept inline rather than in sodium_malloc's guarded pages: every guarded
// allocation costs three or four pages and several mprotect calls, and the channel hot path
// creates secrets (per-commitment secrets, ECDH results, cipher keys) per payment.
#pragma once

#include <sodium/utils.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <span>

namespace fulgur::crypto {

template <size_t N>
class Secret {
 public:
  static constexpr size_t SIZE = N;

  Secret() : m_data{} {}
  explicit Secret(std::span<const uint8_t, N> bytes) { std::memcpy(m_data.data(), bytes.data(), N); }
  ~Secret() { wipe(); }

  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  Secret(Secret&& other) noexcept : m_data(other.m_data) { other.wipe(); }
  Secret& operator=(Secret&& other) noexcept {
    if (this != &other) {
      m_data = other.m_data;
      other.wipe();
    }
    return *this;
  }

  // An explicit copy, so that every duplication of a secret is visible in the code.
  Secret clone() const { return Secret(expose()); }

  // Access to the bytes, named so that every use stands out in review.
  std::span<const uint8_t, N> expose() const { return std::span<const uint8_t, N>(m_data); }
  std::span<uint8_t, N> expose_mut() { return std::span<uint8_t, N>(m_data); }

  friend bool operator==(const Secret& a, const Secret& b) {
    return sodium_memcmp(a.m_data.data(), b.m_data.data(), N) == 0;
  }

 private:
  void wipe() { sodium_memzero(m_data.data(), N); }
  std::array<uint8_t, N> m_data;
};

using Secret32 = Secret<32>;

}  // namespace fulgur::crypto
