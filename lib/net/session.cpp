// BOLT 1 session; see session.h. Every check of a spec requirement quotes it.
#include "net/session.h"

#include <algorithm>

namespace fulgur::net {

namespace {
// BOLT 1: "if `data` is not composed solely of printable ASCII characters ... SHOULD NOT
// print out `data` verbatim." Non-printable data is shown as hex, and long data is cut.
std::string printable(const Bytes& data) {
  constexpr size_t MAX_SHOWN = 300;
  ByteSpan shown(data.data(), std::min(data.size(), MAX_SHOWN));
  bool ascii = std::all_of(shown.begin(), shown.end(), [](uint8_t c) { return c >= 32 && c <= 126; });
  std::string out = ascii ? std::string(shown.begin(), shown.end()) : "hex:" + to_hex(shown);
  if (data.size() > MAX_SHOWN) out += "…";
  return out;
}

void free_timer(uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); }
}  // namespace

Session::Session(std::shared_ptr<Connection> conn, SessionConfig config, SessionHandler* handler,
                 Logger log)
    : m_conn(std::move(conn)),
      m_config(std::move(config)),
      m_handler(handler),
      m_log(std::move(log)),
      m_timer(new uv_timer_t{}) {
  uv_timer_init(m_conn->loop(), m_timer);
  m_timer->data = this;
  m_conn->set_handler(this);
  if (m_conn->closed()) {
    m_closed = true;
    return;
  }
  uv_timer_start(m_timer, timer_cb, m_config.init_timeout_ms, 0);
  if (m_conn->established()) on_established(*m_conn);
}

Session::~Session() {
  m_timer->data = nullptr;
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(m_timer))) {
    uv_close(reinterpret_cast<uv_handle_t*>(m_timer), free_timer);
  }
  m_conn->set_handler(nullptr);
  if (!m_conn->closed()) m_conn->close("session destroyed", true);
}

void Session::on_established(Connection& conn) {
  if (m_init_sent) return;
  // BOLT 1: "MUST send `init` as the first Lightning message for any connection."
  wire::msg::Init init;
  init.features = m_config.features.to_wire();
  // "SHOULD set `networks` to all chains it will gossip or open channels for."
  if (!m_config.chains.empty()) init.tlvs.networks = m_config.chains;
  auto sent = conn.send(wire::encode_message(init));
  if (!sent) return conn.close("cannot send init: " + sent.error().message);
  m_init_sent = true;
}

void Session::on_message(Connection&, Bytes bytes) {
  if (m_closed) return;
  auto decoded = wire::decode_message(bytes);
  if (!decoded) {
    // Unknown even types and malformed messages: the decoder's error says Disconnect.
    return disconnect_with_warning("bad message: " + decoded.error().message);
  }
  handle(std::move(*decoded));
}

void Session::handle(wire::Message message) {
  if (!m_ready) {
    // The peer "MUST send `init` as the first Lightning message for any connection."
    auto* init = std::get_if<wire::msg::Init>(&message);
    if (init == nullptr) {
      return disconnect_with_warning("first message was " +
                                     std::string(wire::message_name(wire::message_type(message))) +
                                     ", not init");
    }
    return handle_init(*init);
  }
  std::visit(
      [&](auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, wire::msg::Init>) {
          disconnect_with_warning("second init");
        } else if constexpr (std::is_same_v<M, wire::msg::Ping>) {
          handle_ping(m);
        } else if constexpr (std::is_same_v<M, wire::msg::Pong>) {
          handle_pong(m);
        } else if constexpr (std::is_same_v<M, wire::IgnoredMessage>) {
          // BOLT 1: "upon receiving a message of _odd_, unknown type: MUST ignore".
          m_log.debug("ignoring unknown odd message type {}", m.type);
        } else if constexpr (std::is_same_v<M, wire::msg::Warning>) {
          // "upon receiving `warning`: SHOULD log the message for later diagnosis."
          m_log.warn("peer warning (channel {}): {}", m.channel_id.to_hex(), printable(m.data));
          deliver(std::move(message));
        } else if constexpr (std::is_same_v<M, wire::msg::Error>) {
          // "if `channel_id` is all zero: MUST fail all channels with the sending node":
          // the owner fails channels; a connection-wide error also ends the connection.
          m_log.warn("peer error (channel {}): {}", m.channel_id.to_hex(), printable(m.data));
          bool all_channels = m.channel_id.is_zero();
          std::string text = printable(m.data);
          deliver(std::move(message));
          if (all_channels) close("peer sent error: " + text);
        } else {
          deliver(std::move(message));
        }
      },
      message);
}

void Session::handle_init(const wire::msg::Init& init) {
  // BOLT 1: "MUST combine (logical OR) the two feature bitmaps into one logical `features`
  // map." and, upon unknown even bits or missing dependencies, "MUST close the connection".
  auto features = wire::FeatureBits::from_wire(init.globalfeatures) |
                  wire::FeatureBits::from_wire(init.features);
  auto ok = wire::check_peer_init_features(features);
  if (!ok) return disconnect_with_warning("init features rejected: " + ok.error().message);
  if (init.tlvs.networks && !m_config.chains.empty()) {
    // "upon receiving `networks` containing no common chains - MAY close the connection."
    const auto& theirs = *init.tlvs.networks;
    bool common = std::any_of(theirs.begin(), theirs.end(), [&](const wire::ChainHash& c) {
      return std::find(m_config.chains.begin(), m_config.chains.end(), c) != m_config.chains.end();
    });
    if (!common) return disconnect_with_warning("no common chain in init networks");
  }
  m_remote_features = std::move(features);
  m_remote_chains = init.tlvs.networks.value_or(std::vector<wire::ChainHash>{});
  m_ready = true;
  m_log.debug("init received, features {}", m_remote_features.to_string());
  uv_timer_start(m_timer, timer_cb, m_config.ping_interval_ms, m_config.ping_interval_ms);
  m_window_start = uv_now(m_conn->loop());
  if (m_handler != nullptr) m_handler->on_ready(*this);
}

// Counts a ping (or unsolicited pong) against the flood limit; false when over it.
bool Session::count_ping_like() {
  uint64_t now = uv_now(m_conn->loop());
  if (now - m_window_start >= m_config.ping_window_ms) {
    m_window_start = now;
    m_pings_in_window = 0;
  }
  return ++m_pings_in_window <= m_config.max_pings_per_window;
}

void Session::handle_ping(const wire::msg::Ping& ping) {
  if (!count_ping_like()) return disconnect_with_warning("ping flood");
  // BOLT 1: "if `num_pong_bytes` is less than 65532: MUST respond by sending a `pong`
  // message, with `byteslen` equal to `num_pong_bytes`." "otherwise ... MUST ignore the
  // `ping`." The pong's `ignored` is zeros ("SHOULD set `ignored` to 0s").
  if (ping.num_pong_bytes >= 65532) return;
  wire::msg::Pong pong;
  pong.ignored.assign(ping.num_pong_bytes, 0);
  auto sent = m_conn->send(wire::encode_message(pong));
  if (!sent) m_log.warn("cannot answer ping: {}", sent.error().message);
}

void Session::handle_pong(const wire::msg::Pong& pong) {
  // "if `byteslen` does not correspond to any `ping`'s `num_pong_bytes` value it has sent:
  // MAY close the connection." We ignore it instead, but count it against the flood limit.
  if (m_pong_expected && pong.ignored.size() == *m_pong_expected) {
    m_pong_expected.reset();
    ++m_pongs_received;
    return;
  }
  m_log.debug("ignoring unsolicited pong of {} bytes", pong.ignored.size());
  if (!count_ping_like()) disconnect_with_warning("pong flood");
}

void Session::deliver(wire::Message message) {
  m_inbox.push_back(std::move(message));
  // Back-pressure: a full inbox stops reading from the socket until the owner drains it.
  if (m_inbox.size() >= m_config.max_inbox) m_conn->pause_reading();
  if (m_inbox.size() == 1 && m_handler != nullptr) m_handler->on_message_available(*this);
}

std::optional<wire::Message> Session::receive() {
  if (m_inbox.empty()) return std::nullopt;
  wire::Message out = std::move(m_inbox.front());
  m_inbox.pop_front();
  if (m_conn->reading_paused() && m_inbox.size() <= m_config.max_inbox / 2 && !m_closed) {
    m_conn->resume_reading();
  }
  return out;
}

Status Session::send(const wire::Message& message) {
  if (m_closed) return fail("session closed");
  if (!m_ready) return fail("init not yet exchanged");
  return m_conn->send(wire::encode_message(message));
}

void Session::send_warning(const ChannelId& channel_id, const std::string& text) {
  if (m_closed || !m_init_sent) return;
  wire::msg::Warning warning;
  warning.channel_id = channel_id;
  warning.data.assign(text.begin(), text.begin() + static_cast<long>(std::min<size_t>(text.size(), 1000)));
  (void)m_conn->send(wire::encode_message(warning));
}

void Session::send_error(const ChannelId& channel_id, const std::string& text) {
  if (m_closed) return;
  if (m_init_sent) {
    wire::msg::Error error;
    error.channel_id = channel_id;
    error.data.assign(text.begin(), text.begin() + static_cast<long>(std::min<size_t>(text.size(), 1000)));
    (void)m_conn->send(wire::encode_message(error));
  }
  close("sent error: " + text);
}

void Session::disconnect_with_warning(const std::string& reason) {
  m_log.warn("disconnecting peer: {}", reason);
  send_warning(ChannelId{}, reason);
  close(reason);
}

void Session::close(const std::string& reason) {
  if (m_closed) return;
  m_conn->close(reason, true);
}

void Session::on_closed(Connection&, const std::string& reason) {
  if (m_closed) return;
  m_closed = true;
  uv_timer_stop(m_timer);
  if (m_handler != nullptr) m_handler->on_closed(*this, reason);
}

void Session::timer_cb(uv_timer_t* timer) {
  auto* self = static_cast<Session*>(timer->data);
  if (self != nullptr) self->on_timer();
}

void Session::on_timer() {
  if (m_closed) return;
  if (!m_ready) return disconnect_with_warning("no init within the init timeout");
  // "if it doesn't receive a corresponding `pong`: MAY close the network connection, and
  // MUST NOT fail the channels in this case." (the owner sees a plain close)
  uint64_t now = uv_now(m_conn->loop());
  if (m_pong_expected) {
    if (now - m_ping_sent_at < m_config.pong_timeout_ms) return;
    m_log.warn("peer did not answer our ping within {} ms", m_config.pong_timeout_ms);
    return close("peer did not answer ping");
  }
  wire::msg::Ping ping;
  ping.num_pong_bytes = m_config.ping_pong_bytes;  // `ignored` stays empty (0 bytes)
  auto sent = m_conn->send(wire::encode_message(ping));
  if (!sent) return;  // a full send buffer: try again next interval
  m_pong_expected = m_config.ping_pong_bytes;
  m_ping_sent_at = now;
  ++m_pings_sent;
}

}  // namespace fulgur::net
