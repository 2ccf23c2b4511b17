// The node process of the load run (see node_role.h). Commands (one JSON object a line):
// newaddr, connect, open, channel, mark, pay, stats, stop; the answer to each is one line.
#include "node_role.h"

#include <signal.h>
#include <sys/resource.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include "chain/bitcoind.h"
#include "channeld/node.h"
#include "control.h"
#include "daemon/log_sink.h"
#include "probes.h"
#include "store/env.h"

namespace fulgur::load {

namespace {

using Clock = std::chrono::steady_clock;

// What a node has done so far: the figures of a run are the differences of two of these.
struct Counters {
  uint64_t commits = 0;
  uint64_t records = 0;
  Probes probes;
  double cpu_us = 0;
  Clock::time_point at;
};

double cpu_us_now() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto us = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec);
  };
  return us(ru.ru_utime) + us(ru.ru_stime);
}

json probes_json(const Probes& p) {
  json out = json::object();
  for (int i = 0; i < OP_COUNT; ++i) {
    out[to_string(static_cast<Op>(i))] = {
        {"n", p.ops[i].n}, {"ns", p.ops[i].ns}, {"bytes", p.ops[i].bytes}};
  }
  return out;
}

// The latency at quantile q (0..1] of sorted values.
uint32_t quantile(const std::vector<uint32_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size(), std::max<size_t>(rank, 1)) - 1];
}

class LoadNode {
 public:
  LoadNode(uv_loop_t* loop, const NodeRoleOptions& o) : m_loop(loop), m_options(o) {}

  Status start() {
    FULGUR_TRY(m_sink, daemon::open_file_log(m_options.name, m_options.datadir / "node.log",
                                             m_options.log_level));
    auto env = store::Environment::open(m_options.datadir / "channels");
    if (!env) return fail("store: " + env.error().message);
    m_env = std::move(*env);
    chain::RpcConfig rpc;
    rpc.port = m_options.l1_port;
    rpc.cookie_file = m_options.l1_cookie;
    m_l1 = std::make_unique<chain::BitcoindL1>(rpc);
    channeld::NodeConfig config;
    config.datadir = m_options.datadir;
    config.bind_port = 0;
    config.channel.minimum_depth = m_options.minimum_depth;
    config.channel.allow_anchors = true;
    config.block_poll_ms = 100;
    config.peers.reconnect_min_ms = 100;
    config.peers.reconnect_max_ms = 1000;
    m_node = std::make_unique<channeld::Node>(m_loop, config, *m_env, m_l1.get(),
                                              Logger(m_sink.get(), m_options.name));
    FULGUR_TRY_STATUS(m_node->start());
    m_control = std::make_unique<ControlChannel>(
        m_loop, [this](const json& r) { on_request(r); }, [this] { stop(false); });
    m_mark = snapshot();
    ControlChannel::send(
        json{{"node_id", m_node->node_id().to_hex()}, {"port", m_node->listen_port()}});
    return {};
  }

  bool stopped() const { return m_stopped; }

 private:
  static void answer_error(const std::string& message) {
    ControlChannel::send(json{{"error", message}});
  }

  void on_request(const json& r) {
    std::string cmd = r.value("cmd", "");
    if (cmd == "newaddr") return new_address();
    if (cmd == "connect") return connect(r);
    if (cmd == "open") return open(r);
    if (cmd == "channel") return channel(r);
    if (cmd == "mark") {
      m_node->when_idle([this] {
        m_mark = snapshot();
        ControlChannel::send(json{{"ok", true}});
      });
      return;
    }
    if (cmd == "pay") return pay(r);
    if (cmd == "stats") return stats();
    if (cmd == "stop") return stop(true);
    answer_error("unknown command " + cmd);
  }

  void new_address() {
    m_node->new_address([](Result<std::string> a) {
      if (!a) return answer_error(a.error().message);
      ControlChannel::send(json{{"address", *a}});
    });
  }

  void connect(const json& r) {
    auto uri = channeld::PeerUri::parse(r.value("uri", ""));
    if (!uri) return answer_error(uri.error().message);
    m_node->connect(*uri, [](Status s) {
      if (!s) return answer_error(s.error().message);
      ControlChannel::send(json{{"ok", true}});
    });
  }

  void open(const json& r) {
    auto peer = NodeId::from_hex(r.value("peer", ""));
    if (!peer) return answer_error(peer.error().message);
    auto type = r.value("type", "anchors") == "anchors" ? channel::ChannelType::Anchors
                                                        : channel::ChannelType::StaticRemoteKey;
    m_node->open_channel(*peer, Sat(r.value("sat", uint64_t{0})), Msat(0), type,
                         [](Result<channeld::Node::OpenResult> o) {
                           if (!o) return answer_error(o.error().message);
                           ControlChannel::send(json{{"key_index", o->key_index}});
                         });
  }

  // The channel with r["peer"] (any channel when not given).
  void channel(const json& r) {
    auto list = m_node->list_channels();
    const std::string peer = r.value("peer", "");
    auto it = std::find_if(list.begin(), list.end(), [&](const channeld::ChannelView& v) {
      return peer.empty() || v.peer.to_hex() == peer;
    });
    if (it == list.end()) return ControlChannel::send(json{{"state", "none"}});
    const auto& v = *it;
    const auto& s = v.state;
    ControlChannel::send(json{{"state", channel::to_string(s.phase)},
                              {"peer_connected", v.peer_connected},
                              {"funding_depth", v.funding_depth},
                              {"short_channel_id", v.short_channel_id
                                                       ? v.short_channel_id->to_string()
                                                       : std::string()},
                              {"commitment_number", s.local_commit.number},
                              {"to_us_msat", s.local_commit.spec.to_us.value()},
                              {"to_them_msat", s.local_commit.spec.to_them.value()},
                              {"local_htlcs", s.local_commit.spec.htlcs.size()},
                              {"remote_htlcs", s.remote_commit.spec.htlcs.size()}});
  }

  Counters snapshot() const {
    return Counters{m_node->store_commits(), m_node->records_written(), probes(), cpu_us_now(),
                    Clock::now()};
  }

  // What happened since "mark", once every action queued so far has run.
  void stats() {
    m_node->when_idle([this] {
      Counters now = snapshot();
      ControlChannel::send(
          json{{"commits", now.commits - m_mark.commits},
               {"records", now.records - m_mark.records},
               {"probes", probes_json(now.probes - m_mark.probes)},
               {"cpu_us", now.cpu_us - m_mark.cpu_us},
               {"wall_us", std::chrono::duration<double, std::micro>(now.at - m_mark.at).count()}});
    });
  }

  // ---- the payments ----

  struct Run {
    NodeId peer;
    // Through other nodes: route[0] is our channel, the last hop is the payee.
    std::vector<payment::RouteHop> route;
    Msat amount;
    uint64_t count = 0;                         // 0: no limit
    std::optional<Clock::time_point> deadline;  // none: no limit
    size_t window = 1;
    uint64_t launched = 0, succeeded = 0, failed = 0;
    size_t in_flight = 0;
    bool launching = false;
    bool stop_launching = false;
    bool finished = false;
    std::string first_error;
    std::vector<uint32_t> latencies_us;
    Clock::time_point start, end;
  };

  void pay(const json& r) {
    if (m_run && !m_run->finished) return answer_error("a run is in progress");
    auto peer = NodeId::from_hex(r.value("peer", ""));
    if (!peer) return answer_error(peer.error().message);
    m_run = std::make_unique<Run>();
    m_run->peer = *peer;
    // Each hop: {"node_id", "short_channel_id"}; the fees and CLTV deltas are those of a
    // node with the default policy (every load node has it), none for our own channel.
    const payment::ForwardingPolicy policy = channeld::NodeConfig{}.policy;
    for (const auto& h : r.value("route", json::array())) {
      auto node = NodeId::from_hex(h.value("node_id", ""));
      auto scid = ShortChannelId::parse(h.value("short_channel_id", ""));
      if (!node || !scid) return answer_error("bad route hop " + h.dump());
      payment::RouteHop hop;
      hop.node_id = *node;
      hop.short_channel_id = *scid;
      if (!m_run->route.empty()) {
        hop.fee_base_msat = policy.fee_base_msat;
        hop.fee_proportional_millionths = policy.fee_proportional_millionths;
        hop.cltv_expiry_delta = policy.cltv_expiry_delta;
      }
      m_run->route.push_back(hop);
    }
    m_run->amount = Msat(r.value("amount_msat", uint64_t{1000}));
    m_run->count = r.value("count", uint64_t{0});
    m_run->window = std::max<size_t>(1, r.value("inflight", size_t{1}));
    double seconds = r.value("seconds", 0.0);
    m_run->start = Clock::now();
    if (seconds > 0) {
      m_run->deadline = m_run->start + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(seconds));
    }
    if (m_run->count > 0) m_run->latencies_us.reserve(m_run->count);
    launch();
  }

  bool more_to_send() const {
    const Run& run = *m_run;
    if (run.stop_launching) return false;
    if (run.count > 0 && run.launched >= run.count) return false;
    if (run.deadline && Clock::now() >= *run.deadline) return false;
    return true;
  }

  void launch() {
    Run& run = *m_run;
    if (run.launching || run.finished) return;
    run.launching = true;
    while (run.in_flight < run.window && more_to_send()) {
      ++run.launched;
      ++run.in_flight;
      auto done = [this, t0 = Clock::now()](Result<channeld::Node::PaymentResult> r) {
        on_paid(t0, std::move(r));
      };
      if (run.route.empty()) {
        m_node->keysend(run.peer, run.amount, std::move(done));
      } else {
        m_node->keysend_route(run.route, run.amount, std::move(done));
      }
    }
    run.launching = false;
    if (run.in_flight == 0 && !more_to_send()) finish_run();
  }

  void on_paid(Clock::time_point t0, Result<channeld::Node::PaymentResult> r) {
    Run& run = *m_run;
    auto now = Clock::now();
    --run.in_flight;
    run.latencies_us.push_back(static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - t0).count()));
    std::string error;
    if (!r) {
      error = r.error().message;
    } else if (auto v = m_node->payment_view(r->payment_hash);
               !v || v->state != payment::PaymentState::succeeded) {
      const channeld::AttemptView* f = v ? v->last_failure() : nullptr;
      error = v ? "payment " + std::string(payment::to_string(v->state)) + ": " +
                      (f != nullptr ? channeld::describe_failure(*f) : std::string())
                : "payment unknown";
    }
    if (error.empty()) {
      ++run.succeeded;
      run.end = now;
    } else {
      ++run.failed;
      if (run.first_error.empty()) run.first_error = error;
      run.stop_launching = true;  // a load run with failures reports them, it does not go on
    }
    launch();
  }

  void finish_run() {
    Run& run = *m_run;
    run.finished = true;
    if (run.succeeded == 0) run.end = Clock::now();
    auto sorted = std::move(run.latencies_us);
    std::sort(sorted.begin(), sorted.end());
    double sum = 0;
    for (auto v : sorted) sum += v;
    ControlChannel::send(
        json{{"launched", run.launched},
             {"succeeded", run.succeeded},
             {"failed", run.failed},
             {"first_error", run.first_error},
             {"elapsed_s", std::chrono::duration<double>(run.end - run.start).count()},
             {"latency_us",
              {{"p50", quantile(sorted, 0.50)},
               {"p90", quantile(sorted, 0.90)},
               {"p99", quantile(sorted, 0.99)},
               {"max", sorted.empty() ? 0 : sorted.back()},
               {"mean", sorted.empty() ? 0.0 : sum / static_cast<double>(sorted.size())}}}});
  }

  void stop(bool answer) {
    if (m_stopping) return;
    m_stopping = true;
    m_node->stop([this, answer] {
      if (answer) ControlChannel::send(json{{"ok", true}});
      m_control->close();
      m_stopped = true;
      uv_stop(m_loop);
    });
  }

  uv_loop_t* m_loop;
  NodeRoleOptions m_options;
  std::unique_ptr<daemon::SpdlogSink> m_sink;
  std::unique_ptr<store::Environment> m_env;
  std::unique_ptr<chain::BitcoindL1> m_l1;
  std::unique_ptr<channeld::Node> m_node;
  std::unique_ptr<ControlChannel> m_control;
  Counters m_mark;
  std::unique_ptr<Run> m_run;
  bool m_stopping = false;
  bool m_stopped = false;
};

}  // namespace

int run_node_role(const NodeRoleOptions& options) {
  ::signal(SIGPIPE, SIG_IGN);
  uv_loop_t loop;
  uv_loop_init(&loop);
  int code = 0;
  {
    LoadNode node(&loop, options);
    if (auto s = node.start(); !s) {
      ControlChannel::send(json{{"error", s.error().message}});
      code = 1;
    } else {
      while (!node.stopped() && uv_run(&loop, UV_RUN_DEFAULT) != 0) {
      }
    }
  }
  // Let the closed handles finish; the store is durable already, so a handle that lingers
  // only delays the exit.
  for (int i = 0; i < 100 && uv_run(&loop, UV_RUN_NOWAIT) != 0; ++i) {
  }
  return code;
}

}  // namespace fulgur::load
