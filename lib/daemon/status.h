// The part of the Daemon interface (lib/ipc/daemon.capnp) that every daemon shares: its
// status, its subscribers and how it is asked to stop. DaemonServer<Iface> serves it for
// any interface that extends Daemon (Channeld, Fulgurd, ...).
#pragma once

#include <kj/async.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <list>
#include <string>

#include "ipc/daemon.capnp.h"

namespace fulgur::daemon {

namespace schema = ::fulgur::ipc::schema;

// Name, start time, health and subscribers of this process.
class DaemonState {
 public:
  DaemonState(std::string name, std::function<void()> request_stop);

  void fill(schema::DaemonStatus::Builder out) const;
  // Changes the health and tells every subscriber.
  void set_health(schema::Health health, std::string detail);
  // Tells every subscriber the daemon is stopping, then asks it to stop.
  void stop();

  // A subscriber; removed when its Subscription is dropped.
  std::list<schema::StatusListener::Client>::iterator add(schema::StatusListener::Client l);
  void remove(std::list<schema::StatusListener::Client>::iterator it);
  const std::string& name() const { return m_name; }

 private:
  void notify_all();

  std::string m_name;
  std::chrono::steady_clock::time_point m_started;
  schema::Health m_health = schema::Health::OK;
  std::string m_detail;
  std::function<void()> m_request_stop;
  std::list<schema::StatusListener::Client> m_listeners;
  kj::TaskSet m_notifications;
  struct IgnoreErrors : kj::TaskSet::ErrorHandler {
    void taskFailed(kj::Exception&&) override {}  // a subscriber that went away
  };
  static IgnoreErrors s_ignore;
};

// Dropping it removes the subscriber.
class SubscriptionImpl final : public schema::Subscription::Server {
 public:
  SubscriptionImpl(DaemonState& state, std::list<schema::StatusListener::Client>::iterator it)
      : m_state(state), m_it(it) {}
  ~SubscriptionImpl() { m_state.remove(m_it); }

 private:
  DaemonState& m_state;
  std::list<schema::StatusListener::Client>::iterator m_it;
};

template <typename Iface>
class DaemonServer : public Iface::Server {
 public:
  explicit DaemonServer(DaemonState& state) : m_state(state) {}
  virtual ~DaemonServer() = default;  // deleted through kj::Own of this type

  kj::Promise<void> status(typename Iface::Server::StatusContext context) override {
    m_state.fill(context.getResults().initStatus());
    return kj::READY_NOW;
  }
  kj::Promise<void> stop(typename Iface::Server::StopContext) override {
    m_state.stop();
    return kj::READY_NOW;
  }
  kj::Promise<void> subscribe(typename Iface::Server::SubscribeContext context) override {
    auto it = m_state.add(context.getParams().getListener());
    context.getResults().setSubscription(kj::heap<SubscriptionImpl>(m_state, it));
    return kj::READY_NOW;
  }

 protected:
  DaemonState& m_state;
};

}  // namespace fulgur::daemon
