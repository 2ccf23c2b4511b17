// Result<T, E>: a value or an error, for every operation that can fail on bad input.
// g++ 12 has no std::expected. The default error, Error, says what to do to the peer
// that sent the bad input (ignore it, warn, disconnect, or fail the channel), after
// LDK's ChannelError and Core Lightning's peer_failed_warn/err.
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "common/assert.h"

namespace fulgur {

// What the receiver of bad input must do about the peer (or user) that sent it.
enum class PeerAction {
  None,         // not peer input (a user command, a local file): just report it
  Ignore,       // drop the input silently and carry on
  Warn,         // send a BOLT 1 `warning` and carry on
  Disconnect,   // send a `warning` and disconnect
  FailChannel,  // send an `error` for the channel and fail it (force close)
};

const char* to_string(PeerAction action);

struct Error {
  PeerAction action = PeerAction::None;
  std::string message;

  friend bool operator==(const Error&, const Error&) = default;
};

template <typename E>
struct Unexpected {
  E error;
};
template <typename E>
Unexpected(E) -> Unexpected<E>;  // clang 14 has no aggregate deduction

// A failure carrying a message; `action` defaults to None.
inline Unexpected<Error> fail(std::string message, PeerAction action = PeerAction::None) {
  return {Error{action, std::move(message)}};
}

template <typename T, typename E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_state(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Unexpected<E> err) : m_state(std::in_place_index<1>, std::move(err.error)) {}  // NOLINT

  bool ok() const { return m_state.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    FULGUR_REQUIRE(ok());
    return std::get<0>(m_state);
  }
  const T& value() const& {
    FULGUR_REQUIRE(ok());
    return std::get<0>(m_state);
  }
  T&& value() && {
    FULGUR_REQUIRE(ok());
    return std::get<0>(std::move(m_state));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? std::get<0>(m_state) : static_cast<T>(std::forward<U>(fallback));
  }

  const E& error() const& {
    FULGUR_REQUIRE(!ok());
    return std::get<1>(m_state);
  }
  E&& error() && {
    FULGUR_REQUIRE(!ok());
    return std::get<1>(std::move(m_state));
  }

 private:
  std::variant<T, E> m_state;
};

template <typename E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  Result(Unexpected<E> err) : m_error(std::move(err.error)), m_ok(false) {}  // NOLINT: implicit

  bool ok() const { return m_ok; }
  explicit operator bool() const { return m_ok; }
  void value() const { FULGUR_REQUIRE(m_ok); }
  const E& error() const& {
    FULGUR_REQUIRE(!m_ok);
    return m_error;
  }
  E&& error() && {
    FULGUR_REQUIRE(!m_ok);
    return std::move(m_error);
  }

 private:
  E m_error{};
  bool m_ok = true;
};

using Status = Result<void>;

}  // namespace fulgur

#define FULGUR_CONCAT_INNER(a, b) a##b
#define FULGUR_CONCAT(a, b) FULGUR_CONCAT_INNER(a, b)

// FULGUR_TRY(auto x, expr): evaluate a Result; on error return the error to our caller,
// else bind the value. FULGUR_TRY_STATUS(expr) does the same for Result<void>.
#define FULGUR_TRY(decl, expr)                                                                    \
  auto FULGUR_CONCAT(fulgur_try_, __LINE__) = (expr);                                             \
  if (!FULGUR_CONCAT(fulgur_try_, __LINE__))                                                      \
    return ::fulgur::Unexpected{std::move(FULGUR_CONCAT(fulgur_try_, __LINE__)).error()};         \
  decl = std::move(FULGUR_CONCAT(fulgur_try_, __LINE__)).value()

#define FULGUR_TRY_STATUS(expr)                                                                   \
  do {                                                                                            \
    auto fulgur_try_status = (expr);                                                              \
    if (!fulgur_try_status)                                                                       \
      return ::fulgur::Unexpected{std::move(fulgur_try_status).error()};                          \
  } while (0)
