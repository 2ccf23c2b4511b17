// Cap'n Proto RPC over the libuv glue, in process and across a fork: calls, concurrent
// calls, capability callbacks, a client vanishing mid-call, a server vanishing mid-call.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ipc/rpc.h"
#include "test_service.capnp.h"

namespace fulgur::ipc {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fulgur-ipc-XXXXXX").string();
    m_path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(m_path); }
  std::filesystem::path sock() const { return m_path / "test.sock"; }

 private:
  std::filesystem::path m_path;
};

class TestServiceImpl final : public TestService::Server {
 public:
  kj::Promise<void> echo(EchoContext context) override {
    context.getResults().setText(context.getParams().getText());
    return kj::READY_NOW;
  }
  kj::Promise<void> hold(HoldContext context) override {
    std::string key = context.getParams().getKey();
    // capnp 0.9 keeps a call running after its caller left unless the server opts in.
    context.allowCancellation();
    auto paf = kj::newPromiseAndFulfiller<void>();
    m_holds[key] = kj::mv(paf.fulfiller);
    ++m_pending;
    // Runs when the call ends, answered or cancelled by a vanished client.
    auto done = kj::defer([this] { --m_pending; });
    return paf.promise.then([context, key]() mutable {
      context.getResults().setText("released " + key);
    }).attach(kj::mv(done));
  }
  kj::Promise<void> release(ReleaseContext context) override {
    auto it = m_holds.find(context.getParams().getKey());
    bool found = it != m_holds.end();
    if (found) {
      it->second->fulfill();
      m_holds.erase(it);
    }
    context.getResults().setReleased(found);
    return kj::READY_NOW;
  }
  kj::Promise<void> held(HeldContext context) override {
    context.getResults().setCount(m_pending);
    return kj::READY_NOW;
  }
  kj::Promise<void> watch(WatchContext context) override {
    auto listener = context.getParams().getListener();
    return notify_from(kj::mv(listener), 0, context.getParams().getCount());
  }

 private:
  kj::Promise<void> notify_from(Listener::Client listener, uint32_t n, uint32_t count) {
    if (n == count) return kj::READY_NOW;
    auto request = listener.notifyRequest();
    request.setN(n);
    return request.send().then([this, listener, n, count](auto&&) mutable {
      return notify_from(kj::mv(listener), n + 1, count);
    });
  }
  std::map<std::string, kj::Own<kj::PromiseFulfiller<void>>> m_holds;
  uint32_t m_pending = 0;
};

class RecordingListener final : public Listener::Server {
 public:
  explicit RecordingListener(std::vector<uint32_t>& seen) : m_seen(seen) {}
  kj::Promise<void> notify(NotifyContext context) override {
    m_seen.push_back(context.getParams().getN());
    return kj::READY_NOW;
  }

 private:
  std::vector<uint32_t>& m_seen;
};

uint32_t held(TestService::Client& client, kj::WaitScope& ws) {
  return client.heldRequest().send().wait(ws).getCount();
}

// Polls `held` until it equals `want` (bounded; a wrong count fails, it never hangs).
bool wait_for_held(EventLoop& loop, TestService::Client& client, uint32_t want) {
  for (int i = 0; i < 2000; ++i) {
    if (held(client, loop.wait_scope()) == want) return true;
    after_ms(loop.uv(), 5).wait(loop.wait_scope());
  }
  return false;
}

struct InProcess {
  TempDir dir;
  EventLoop loop;
  std::unique_ptr<RpcServer> server;
  InProcess() {
    auto listening = RpcServer::listen(loop.uv(), dir.sock(), kj::heap<TestServiceImpl>());
    EXPECT_TRUE(listening) << (listening ? "" : listening.error().message);
    if (listening) server = std::move(listening).value();
  }
  ~InProcess() { server = nullptr; }
  kj::Own<RpcConnection> connect() {
    return connect_rpc(loop.uv(), dir.sock().string()).wait(loop.wait_scope());
  }
};

TEST(IpcRpc, CallAnswersAndSocketIsOwnerOnly) {
  InProcess env;
  auto conn = env.connect();
  auto client = conn->bootstrap<TestService>();
  auto request = client.echoRequest();
  request.setText("hello");
  auto response = request.send().wait(env.loop.wait_scope());
  EXPECT_EQ(std::string(response.getText()), "hello");
  struct stat st{};
  ASSERT_EQ(::stat(env.dir.sock().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(IpcRpc, ConcurrentCallsDoNotWaitForEachOther) {
  InProcess env;
  auto& ws = env.loop.wait_scope();
  auto conn = env.connect();
  auto client = conn->bootstrap<TestService>();
  auto hold = client.holdRequest();
  hold.setKey("a");
  auto held_call = hold.send();
  // Many calls while `hold` is pending: all answer, in any order.
  std::vector<kj::Promise<std::string>> echoes;
  for (int i = 0; i < 100; ++i) {
    auto echo = client.echoRequest();
    echo.setText(std::to_string(i));
    echoes.push_back(echo.send().then([](auto r) { return std::string(r.getText()); }));
  }
  auto all = kj::joinPromises(kj::heapArray<kj::Promise<std::string>>(
      std::make_move_iterator(echoes.begin()), std::make_move_iterator(echoes.end())));
  auto texts = all.wait(ws);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(texts[i], std::to_string(i));
  EXPECT_FALSE(held_call.poll(ws));  // still waiting for its release
  auto release = client.releaseRequest();
  release.setKey("a");
  EXPECT_TRUE(release.send().wait(ws).getReleased());
  EXPECT_EQ(std::string(held_call.wait(ws).getText()), "released a");
}

TEST(IpcRpc, CapabilityCallbackReachesTheClient) {
  InProcess env;
  auto conn = env.connect();
  auto client = conn->bootstrap<TestService>();
  std::vector<uint32_t> seen;
  auto watch = client.watchRequest();
  watch.setListener(kj::heap<RecordingListener>(seen));
  watch.setCount(5);
  watch.send().wait(env.loop.wait_scope());
  EXPECT_EQ(seen, (std::vector<uint32_t>{0, 1, 2, 3, 4}));
}

TEST(IpcRpc, ClientDisconnectingMidCallLeavesServerServing) {
  InProcess env;
  auto observer_conn = env.connect();
  auto observer = observer_conn->bootstrap<TestService>();
  {
    auto conn = env.connect();
    auto client = conn->bootstrap<TestService>();
    auto hold = client.holdRequest();
    hold.setKey("gone");
    auto pending = hold.send();
    ASSERT_TRUE(wait_for_held(env.loop, observer, 1));
  }  // the client vanishes with its call pending
  // The server cancels the orphaned call and carries on.
  ASSERT_TRUE(wait_for_held(env.loop, observer, 0));
  auto echo = observer.echoRequest();
  echo.setText("still here");
  EXPECT_EQ(std::string(echo.send().wait(env.loop.wait_scope()).getText()), "still here");
  auto late_conn = env.connect();
  auto late = late_conn->bootstrap<TestService>();
  EXPECT_EQ(held(late, env.loop.wait_scope()), 0u);
}

TEST(IpcRpc, ServerClosingMidCallFailsTheCall) {
  InProcess env;
  auto conn = env.connect();
  auto client = conn->bootstrap<TestService>();
  auto hold = client.holdRequest();
  hold.setKey("k");
  auto pending = hold.send();
  ASSERT_TRUE(wait_for_held(env.loop, client, 1));
  env.server = nullptr;
  auto& ws = env.loop.wait_scope();
  try {
    pending.wait(ws);
    ADD_FAILURE() << "call answered after its server closed";
  } catch (const kj::Exception& e) {
    EXPECT_EQ(e.getType(), kj::Exception::Type::DISCONNECTED) << e.getDescription().cStr();
  }
  conn->on_disconnect().wait(ws);  // resolves: the client knows its server is gone
}

// The server in another process, killed with SIGKILL while a call is pending.
[[noreturn]] void serve_in_child(const std::filesystem::path& sock, int ready_fd) {
  {
    EventLoop loop;
    auto server = RpcServer::listen(loop.uv(), sock, kj::heap<TestServiceImpl>());
    if (!server) _exit(3);
    char byte = 'r';
    if (::write(ready_fd, &byte, 1) != 1) _exit(4);
    loop.run();
  }
  _exit(0);
}

TEST(IpcRpc, ServerProcessKilledMidCallGivesAnErrorNotAHang) {
  TempDir dir;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    serve_in_child(dir.sock(), fds[1]);
  }
  ::close(fds[1]);
  char byte = 0;
  ASSERT_EQ(::read(fds[0], &byte, 1), 1);
  ::close(fds[0]);
  EventLoop loop;
  auto& ws = loop.wait_scope();
  auto conn = connect_rpc(loop.uv(), dir.sock().string()).wait(ws);
  auto client = conn->bootstrap<TestService>();
  auto hold = client.holdRequest();
  hold.setKey("k");
  auto pending = hold.send();
  EXPECT_EQ(held(client, ws), 1u);  // same connection: delivered after `hold`
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  try {
    pending.wait(ws);
    ADD_FAILURE() << "call answered by a dead server";
  } catch (const kj::Exception& e) {
    EXPECT_EQ(e.getType(), kj::Exception::Type::DISCONNECTED) << e.getDescription().cStr();
  }
}

TEST(IpcRpc, ConnectingToNothingFails) {
  TempDir dir;
  EventLoop loop;
  EXPECT_THROW(connect_rpc(loop.uv(), dir.sock().string()).wait(loop.wait_scope()),
               kj::Exception);
}

TEST(IpcRpc, SecondServerOnALiveSocketIsRefused) {
  InProcess env;
  auto second = RpcServer::listen(env.loop.uv(), env.dir.sock(), kj::heap<TestServiceImpl>());
  EXPECT_FALSE(second);
}

TEST(IpcTimer, DroppedTimerDoesNotFire) {
  EventLoop loop;
  bool fired = false;
  {
    auto timer = after_ms(loop.uv(), 1).then([&] { fired = true; });
  }
  after_ms(loop.uv(), 20).wait(loop.wait_scope());
  EXPECT_FALSE(fired);
  after_ms(loop.uv(), 1).then([&] { fired = true; }).wait(loop.wait_scope());
  EXPECT_TRUE(fired);
}

}  // namespace
}  // namespace fulgur::ipc
