// DaemonState (see status.h).
#include "daemon/status.h"

namespace fulgur::daemon {

DaemonState::IgnoreErrors DaemonState::s_ignore;

DaemonState::DaemonState(std::string name, std::function<void()> request_stop)
    : m_name(std::move(name)),
      m_started(std::chrono::steady_clock::now()),
      m_request_stop(std::move(request_stop)),
      m_notifications(s_ignore) {}

void DaemonState::fill(schema::DaemonStatus::Builder out) const {
  auto uptime = std::chrono::steady_clock::now() - m_started;
  out.setName(m_name);
  out.setVersion(FULGUR_VERSION);
  out.setPid(static_cast<uint32_t>(::getpid()));
  out.setUptimeMs(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(uptime).count()));
  out.setHealth(m_health);
  out.setDetail(m_detail);
}

void DaemonState::set_health(schema::Health health, std::string detail) {
  m_health = health;
  m_detail = std::move(detail);
  notify_all();
}

void DaemonState::notify_all() {
  for (auto& listener : m_listeners) {
    auto request = listener.statusChangedRequest();
    fill(request.initStatus());
    m_notifications.add(request.send().ignoreResult());
  }
}

void DaemonState::stop() {
  for (auto& listener : m_listeners) {
    m_notifications.add(listener.stoppingRequest().send().ignoreResult());
  }
  m_request_stop();
}

std::list<schema::StatusListener::Client>::iterator DaemonState::add(
    schema::StatusListener::Client listener) {
  m_listeners.push_back(kj::mv(listener));
  auto request = m_listeners.back().statusChangedRequest();
  fill(request.initStatus());
  m_notifications.add(request.send().ignoreResult());
  return std::prev(m_listeners.end());
}

void DaemonState::remove(std::list<schema::StatusListener::Client>::iterator it) {
  m_listeners.erase(it);
}

}  // namespace fulgur::daemon
