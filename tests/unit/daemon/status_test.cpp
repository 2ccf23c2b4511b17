// The shared Daemon interface over real RPC: status, a subscription that calls its
// listener back on every change and before a stop, and unsubscribing by dropping it.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "daemon/status.h"
#include "ipc/rpc.h"

namespace fulgur::daemon {
namespace {

class Recorder final : public schema::StatusListener::Server {
 public:
  explicit Recorder(std::vector<std::string>& events) : m_events(events) {}
  kj::Promise<void> statusChanged(StatusChangedContext context) override {
    auto status = context.getParams().getStatus();
    m_events.push_back(std::string(status.getName()) + ":" +
                       std::to_string(static_cast<int>(status.getHealth())) + ":" +
                       std::string(status.getDetail()));
    return kj::READY_NOW;
  }
  kj::Promise<void> stopping(StoppingContext) override {
    m_events.push_back("stopping");
    return kj::READY_NOW;
  }

 private:
  std::vector<std::string>& m_events;
};

struct Fixture {
  std::filesystem::path dir;
  ipc::EventLoop loop;
  int stop_requests = 0;
  DaemonState state{"testd", [this] { ++stop_requests; }};
  std::unique_ptr<ipc::RpcServer> server;
  kj::Own<ipc::RpcConnection> conn;

  Fixture() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fulgur-d-XXXXXX").string();
    dir = ::mkdtemp(tmpl.data());
    server = std::move(ipc::RpcServer::listen(loop.uv(), dir / "testd.sock",
                                              kj::heap<DaemonServer<schema::Daemon>>(state))
                           .value());
    conn = ipc::connect_rpc(loop.uv(), (dir / "testd.sock").string()).wait(loop.wait_scope());
  }
  ~Fixture() {
    conn = nullptr;
    server = nullptr;
    std::filesystem::remove_all(dir);
  }
  // Lets queued notifications travel both ways.
  void settle() { ipc::after_ms(loop.uv(), 20).wait(loop.wait_scope()); }
};

TEST(DaemonStatus, StatusNamesTheDaemonAndItsProcess) {
  Fixture f;
  auto client = f.conn->bootstrap<schema::Daemon>();
  auto response = client.statusRequest().send().wait(f.loop.wait_scope());
  auto status = response.getStatus();  // a reader into `response`, which must outlive it
  EXPECT_EQ(std::string(status.getName()), "testd");
  EXPECT_EQ(std::string(status.getVersion()), FULGUR_VERSION);
  EXPECT_EQ(status.getPid(), static_cast<uint32_t>(::getpid()));
  EXPECT_EQ(status.getHealth(), schema::Health::OK);
}

TEST(DaemonStatus, SubscriberHearsChangesAndTheStopUntilItUnsubscribes) {
  Fixture f;
  auto& ws = f.loop.wait_scope();
  auto client = f.conn->bootstrap<schema::Daemon>();
  std::vector<std::string> events;
  auto request = client.subscribeRequest();
  request.setListener(kj::heap<Recorder>(events));
  auto subscription = request.send().wait(ws).getSubscription();
  f.settle();
  ASSERT_EQ(events, (std::vector<std::string>{"testd:0:"}));  // the current status first

  f.state.set_health(schema::Health::DEGRADED, "disk almost full");
  f.settle();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1], "testd:1:disk almost full");

  client.stopRequest().send().wait(ws);
  f.settle();
  EXPECT_EQ(f.stop_requests, 1);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2], "stopping");

  subscription = nullptr;  // unsubscribe
  f.settle();
  f.state.set_health(schema::Health::OK, "");
  f.settle();
  EXPECT_EQ(events.size(), 3u);
}

}  // namespace
}  // namespace fulgur::daemon
