// The load run's driver (see driver.h) and its report.
#include "driver.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include "chain/bitcoind.h"
#include "control.h"
#include "probes.h"
#include "store/env.h"

extern char** environ;

namespace fulgur::load {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// A fresh l1sim on `datadir`, on a kernel-chosen loopback port (read back from the port
// file), cookie auth. Stopped over RPC (killed if it does not go) and reaped at the end.
class L1sim {
 public:
  static Result<std::unique_ptr<L1sim>> start(const fs::path& exe, const fs::path& datadir,
                                              const fs::path& log) {
    fs::create_directories(datadir);
    std::string dir_arg = "--datadir=" + datadir.string();
    std::string exe_arg = exe.string();
    std::vector<char*> argv = {exe_arg.data(), dir_arg.data(), const_cast<char*>("--rpcport=0"),
                               const_cast<char*>("--loglevel=warn"), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, exe_arg.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return fail("cannot start " + exe_arg + ": " + std::strerror(rc));
    std::unique_ptr<L1sim> sim(new L1sim(pid, datadir));
    for (int i = 0; i < 1000; ++i) {
      std::ifstream in(datadir / "regtest" / "rpcport");
      int port = 0;
      if (in >> port && port > 0 && fs::exists(sim->cookie())) {
        sim->m_port = static_cast<uint16_t>(port);
        return sim;
      }
      std::this_thread::sleep_for(10ms);
    }
    return fail("l1sim did not start (see " + log.string() + ")");
  }
  ~L1sim() {
    if (m_port != 0) (void)client().stop();
    for (int i = 0; i < 500; ++i) {
      if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid) return;
      std::this_thread::sleep_for(10ms);
    }
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
  }
  L1sim(const L1sim&) = delete;
  L1sim& operator=(const L1sim&) = delete;

  fs::path cookie() const { return m_datadir / "regtest" / ".cookie"; }
  uint16_t port() const { return m_port; }
  chain::BitcoindL1 client() const {
    chain::RpcConfig c;
    c.port = m_port;
    c.cookie_file = cookie().string();
    return chain::BitcoindL1(c);
  }

 private:
  L1sim(pid_t pid, fs::path datadir) : m_pid(pid), m_datadir(std::move(datadir)) {}
  pid_t m_pid;
  fs::path m_datadir;
  uint16_t m_port = 0;
};

// Milliseconds one durable LMDB commit (a 1 KB record, fsync) takes in `dir`: what every
// round of the group commit pays at least once.
Result<double> durable_commit_ms(const fs::path& dir) {
  auto env = store::Environment::open(dir);
  if (!env) return fail("store: " + env.error().message);
  auto dbi = (*env)->open_table("probe");
  if (!dbi) return fail("store: " + dbi.error().message);
  Bytes value(1024, 0x5a);
  const int n = 100;
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    value[0] = static_cast<uint8_t>(i);
    auto w =
        (*env)->write([&](store::WriteTxn& txn) { return txn.put(*dbi, as_bytes("k"), value); });
    if (!w) return fail("store: " + w.error().message);
  }
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count() / n;
}

// Polls `fn` (which returns true when done, or an error) every 20 ms for up to `limit`.
template <typename F>
Status wait_until(std::chrono::milliseconds limit, const std::string& what, F&& fn) {
  auto deadline = Clock::now() + limit;
  for (;;) {
    Result<bool> r = fn();
    if (!r) return Unexpected{r.error()};
    if (*r) return {};
    if (Clock::now() >= deadline) return fail("timed out waiting for " + what);
    std::this_thread::sleep_for(20ms);
  }
}

Result<std::unique_ptr<ChildProcess>> start_node(const LoadOptions& o, const L1sim& l1,
                                                 const std::string& name, json& hello) {
  fs::path datadir = o.dir / name;
  fs::create_directories(datadir);
  std::vector<std::string> args = {o.self.string(),
                                   "--role",
                                   "node",
                                   "--name",
                                   name,
                                   "--datadir",
                                   datadir.string(),
                                   "--l1-port",
                                   std::to_string(l1.port()),
                                   "--l1-cookie",
                                   l1.cookie().string(),
                                   "--log-level",
                                   o.log_level};
  FULGUR_TRY(auto child, ChildProcess::start(args, o.dir / (name + ".stderr")));
  FULGUR_TRY(hello, child->read(30s));
  if (hello.contains("error"))
    return fail("node " + name + ": " + hello["error"].get<std::string>());
  return child;
}

bool settled(const json& x, const json& y) {
  return x["local_htlcs"] == 0 && x["remote_htlcs"] == 0 && y["local_htlcs"] == 0 &&
         y["remote_htlcs"] == 0 && x["to_us_msat"] == y["to_them_msat"] &&
         x["to_them_msat"] == y["to_us_msat"];
}

double per(double x, double n) {
  return n > 0 ? x / n : 0;
}

// Opens a channel from `from` to `to` (connected first), mines it to depth and waits until
// both sides are normal and know its short_channel_id; `x`, `y`: the channel on each side.
Status open_channel(const LoadOptions& o, L1sim& l1, const std::string& mine_to,
                    ChildProcess& from, const json& from_hello, ChildProcess& to,
                    const json& to_hello, json& x, json& y) {
  const auto rpc = 60s;
  std::string from_id = from_hello["node_id"], to_id = to_hello["node_id"];
  std::string uri = to_id + "@127.0.0.1:" + std::to_string(to_hello["port"].get<int>());
  FULGUR_TRY_STATUS(from.call({{"cmd", "connect"}, {"uri", uri}}, rpc));
  FULGUR_TRY_STATUS(from.call(
      {{"cmd", "open"}, {"peer", to_id}, {"sat", o.capacity_sat}, {"type", o.channel_type}}, rpc));
  if (auto r = l1.client().generate_to_address(3, mine_to); !r) {
    return fail("mining: " + r.error().describe());
  }
  return wait_until(60s, "the channel to be normal", [&]() -> Result<bool> {
    FULGUR_TRY(x, from.call({{"cmd", "channel"}, {"peer", to_id}}, rpc));
    FULGUR_TRY(y, to.call({{"cmd", "channel"}, {"peer", from_id}}, rpc));
    return x["state"] == "normal" && y["state"] == "normal" && x["peer_connected"] == true &&
           y["peer_connected"] == true && x["short_channel_id"] != "" &&
           y["short_channel_id"] != "";
  });
}

// Everything from the funded l1sim to the figures; `report` gets what is known even when
// the run fails half way.
Status run(const LoadOptions& o, json& report) {
  auto costs = measure_crypto_costs(200ms);
  for (int i = 0; i < OP_COUNT; ++i) {
    if (is_crypto(static_cast<Op>(i)))
      report["costs_us"][to_string(static_cast<Op>(i))] = costs.us[i];
  }
  FULGUR_TRY(double fsync_ms, durable_commit_ms(o.dir / "fsync-probe"));
  report["durable_commit_ms"] = fsync_ms;

  const bool line = o.hops == 2;
  FULGUR_TRY(auto l1, L1sim::start(o.l1sim, o.dir / "l1", o.dir / "l1sim.log"));
  json a_hello, b_hello, c_hello;
  FULGUR_TRY(auto a, start_node(o, *l1, "a", a_hello));
  FULGUR_TRY(auto b, start_node(o, *l1, "b", b_hello));
  std::unique_ptr<ChildProcess> c;
  if (line) {
    FULGUR_TRY(c, start_node(o, *l1, "c", c_hello));
  }
  std::string b_id = b_hello["node_id"];
  const auto rpc = 60s;

  // Mature coins in the (shared) L1 wallet, one per channel; the channels, at depth.
  FULGUR_TRY(json addr, a->call({{"cmd", "newaddr"}}, rpc));
  const std::string mine_to = addr["address"];
  if (auto r = l1->client().generate_to_address(line ? 102 : 101, mine_to); !r) {
    return fail("mining: " + r.error().describe());
  }
  json ab_a0, ab_b0, bc_b0, bc_c0;
  FULGUR_TRY_STATUS(open_channel(o, *l1, mine_to, *a, a_hello, *b, b_hello, ab_a0, ab_b0));
  if (line) {
    FULGUR_TRY_STATUS(open_channel(o, *l1, mine_to, *b, b_hello, *c, c_hello, bc_b0, bc_c0));
  }

  // The payments: to B, or to C along A->B->C (B forwards under the default policy).
  std::vector<ChildProcess*> nodes = {a.get(), b.get()};
  if (line) nodes.push_back(c.get());
  for (auto* node : nodes) {
    FULGUR_TRY_STATUS(node->call({{"cmd", "mark"}}, rpc));
  }
  json pay = {{"cmd", "pay"},           {"peer", b_id},         {"amount_msat", o.amount_msat},
              {"count", o.payments},    {"seconds", o.seconds}, {"inflight", o.inflight}};
  if (line) {
    pay["peer"] = c_hello["node_id"];
    pay["route"] = json::array(
        {{{"node_id", b_id}, {"short_channel_id", ab_a0["short_channel_id"]}},
         {{"node_id", c_hello["node_id"]}, {"short_channel_id", bc_b0["short_channel_id"]}}});
  }
  auto pay_limit = o.seconds > 0
                       ? std::chrono::milliseconds(static_cast<int64_t>(o.seconds * 1000)) + 300s
                       : std::chrono::milliseconds(24h);
  FULGUR_TRY(json paid, a->call(pay, pay_limit));
  report["result"] = paid;

  // Both sides of each channel settle on the same balances, which moved by exactly what
  // was paid (and, through B, B's fee: the default policy's 1000 msat + 1 ppm).
  const uint64_t n = paid["succeeded"].get<uint64_t>();
  const uint64_t fee = line ? 1000 + o.amount_msat / 1'000'000 : 0;
  json ab_a1, ab_b1, bc_b1, bc_c1;
  std::string c_id = line ? c_hello["node_id"].get<std::string>() : "";
  FULGUR_TRY_STATUS(wait_until(60s, "both sides to settle", [&]() -> Result<bool> {
    FULGUR_TRY(ab_a1, a->call({{"cmd", "channel"}, {"peer", b_id}}, rpc));
    FULGUR_TRY(ab_b1, b->call({{"cmd", "channel"}, {"peer", a_hello["node_id"]}}, rpc));
    if (!line) return settled(ab_a1, ab_b1);
    FULGUR_TRY(bc_b1, b->call({{"cmd", "channel"}, {"peer", c_id}}, rpc));
    FULGUR_TRY(bc_c1, c->call({{"cmd", "channel"}, {"peer", b_id}}, rpc));
    return settled(ab_a1, ab_b1) && settled(bc_b1, bc_c1);
  }));
  auto to_us = [](const json& ch) { return ch["to_us_msat"].get<uint64_t>(); };
  const uint64_t in = n * (o.amount_msat + fee), out = n * o.amount_msat;
  bool match = to_us(ab_a1) + in == to_us(ab_a0) && to_us(ab_b1) == to_us(ab_b0) + in;
  report["balances_msat"] = {{"a", to_us(ab_a1)}, {"b", to_us(ab_b1)}};
  if (line) {
    match = match && to_us(bc_b1) + out == to_us(bc_b0) && to_us(bc_c1) == to_us(bc_c0) + out;
    report["balances_msat"]["b_to_c"] = to_us(bc_b1);
    report["balances_msat"]["c"] = to_us(bc_c1);
    report["fees_earned_msat"] = n * fee;
  }
  report["balances_match"] = match;
  const char* names[] = {"a", "b", "c"};
  for (size_t i = 0; i < nodes.size(); ++i) {
    FULGUR_TRY(json stats, nodes[i]->call({{"cmd", "stats"}}, rpc));
    report["nodes"][names[i]] = stats;
  }
  for (auto* node : nodes) {
    FULGUR_TRY_STATUS(node->call({{"cmd", "stop"}}, rpc));
  }
  return {};
}

// Derived figures: rates, per-payment costs, the crypto-bound limit and the ratio.
void derive(json& report) {
  const json& r = report["result"];
  double n = r["succeeded"];
  double pps = per(n, r["elapsed_s"].get<double>());
  report["payments_per_second"] = pps;
  const json& c = report["costs_us"];
  double sign = c["sign"], verify = c["verify"], ecdh = c["ecdh"];
  // The model: a payment costs, on each channel it crosses, 4 signatures and 4
  // verifications (two commitment rounds, each side signing and checking one commitment
  // per round) plus two ECDH (the payer's for that hop's onion layer, the hop's to peel
  // it), on one core per node, at most the machine's cores.
  const bool line = report["nodes"].contains("c");
  const double channels = line ? 2 : 1, node_count = line ? 3 : 2;
  const double cores =
      std::min(node_count, static_cast<double>(std::max(1u, std::thread::hardware_concurrency())));
  double limit =
      cores * 1e6 / (4 * channels * sign + 4 * channels * verify + 2 * channels * ecdh);
  char model[128];
  std::snprintf(model, sizeof(model), "%.0f sign + %.0f verify + %.0f ECDH per payment, %.0f cores",
                4 * channels, 4 * channels, 2 * channels, cores);
  report["limit"] = {{"model", model},
                     {"payments_per_second", limit},
                     {"ratio", per(pps, limit)}};
  json per_node;
  for (const char* name : {"a", "b", "c"}) {
    if (!report["nodes"].contains(name)) continue;
    const json& s = report["nodes"][name];
    const json& p = s["probes"];
    double commits = s["commits"], records = s["records"], cpu = s["cpu_us"], wall = s["wall_us"];
    auto count = [&](const char* op) { return p[op]["n"].get<double>(); };
    double crypto_us = 0;
    for (int i = 0; i < OP_COUNT; ++i) {
      Op op = static_cast<Op>(i);
      if (is_crypto(op)) crypto_us += p[to_string(op)]["ns"].get<double>() / 1000;
    }
    double other_ec =
        count("pubkey_create") + count("tweak_add") + count("tweak_mul") + count("pubkey_parse");
    per_node[name] = {
        {"commits_per_payment", per(commits, n)},
        {"records_per_payment", per(records, n)},
        {"records_per_commit", per(records, commits)},
        {"commit_ms", per(p["lmdb_commit"]["ns"].get<double>() / 1e6, count("lmdb_commit"))},
        {"sign_per_payment", per(count("sign"), n)},
        {"verify_per_payment", per(count("verify"), n)},
        {"ecdh_per_payment", per(count("ecdh"), n)},
        {"other_ec_per_payment", per(other_ec, n)},
        {"crypto_us_per_payment", per(crypto_us, n)},
        {"cpu_us_per_payment", per(cpu, n)},
        {"cpu_cores", per(cpu, wall)},
        {"crypto_share_of_cpu", per(crypto_us, cpu)},
    };
  }
  report["per_payment"] = per_node;
}

void print_human(const LoadOptions& o, const json& rep) {
  const json& r = rep["result"];
  const json& l = r["latency_us"];
  const json& per_node = rep["per_payment"];
  const bool line = per_node.contains("c");
  const json& c = rep["costs_us"];
  auto ms = [](const json& us) { return us.get<double>() / 1000.0; };
  auto d = [](const json& v) { return v.get<double>(); };
  std::printf(
      "fulgur-load: %llu payments %s in %.2f s (keysend, %s, %llu msat each, %zu in flight)\n",
      static_cast<unsigned long long>(r["succeeded"].get<uint64_t>()),
      line ? "A->B->C (B forwards)" : "A->B", d(r["elapsed_s"]), o.channel_type.c_str(),
      static_cast<unsigned long long>(o.amount_msat), o.inflight);
  std::printf("  outcome         %llu failed%s%s; balances %s\n",
              static_cast<unsigned long long>(r["failed"].get<uint64_t>()),
              r["first_error"].get<std::string>().empty() ? "" : ", first error: ",
              r["first_error"].get<std::string>().c_str(),
              rep.value("balances_match", false) ? "match" : "DO NOT MATCH");
  std::printf("  throughput      %.0f payments/s\n", d(rep["payments_per_second"]));
  std::printf("  latency         p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n",
              ms(l["p50"]), ms(l["p90"]), ms(l["p99"]), ms(l["max"]));
  if (line) {
    std::printf("                          %10s %10s %10s\n", "A (payer)", "B (router)",
                "C (payee)");
  } else {
    std::printf("                          %10s %10s\n", "A (payer)", "B (payee)");
  }
  auto row = [&](const char* what, const char* key, const char* fmt) {
    std::printf("  %-22s", what);
    for (const char* name : {"a", "b", "c"}) {
      if (per_node.contains(name)) std::printf(fmt, d(per_node[name][key]));
    }
    std::printf("\n");
  };
  row("LMDB commits/payment", "commits_per_payment", " %10.3f");
  row("records/payment", "records_per_payment", " %10.3f");
  row("records/commit", "records_per_commit", " %10.2f");
  row("ms per commit (fsync)", "commit_ms", " %10.2f");
  row("signatures/payment", "sign_per_payment", " %10.2f");
  row("verifications/payment", "verify_per_payment", " %10.2f");
  row("ECDH/payment", "ecdh_per_payment", " %10.2f");
  row("other EC ops/payment", "other_ec_per_payment", " %10.2f");
  row("crypto us/payment", "crypto_us_per_payment", " %10.1f");
  row("CPU us/payment", "cpu_us_per_payment", " %10.1f");
  row("CPU use (cores)", "cpu_cores", " %10.2f");
  row("crypto share of CPU", "crypto_share_of_cpu", " %10.2f");
  std::printf("  crypto costs    sign %.1f us, verify %.1f us, ECDH %.1f us, k*G %.1f us\n",
              d(c["sign"]), d(c["verify"]), d(c["ecdh"]), d(c["pubkey_create"]));
  std::printf("  durable commit  %.2f ms (LMDB, 1 KB, fsync)\n", d(rep["durable_commit_ms"]));
  std::printf("  crypto limit    %.0f payments/s (%s)\n", d(rep["limit"]["payments_per_second"]),
              rep["limit"]["model"].get<std::string>().c_str());
  std::printf("  achieved/limit  %.3f\n", d(rep["limit"]["ratio"]));
}

}  // namespace

int run_load(const LoadOptions& given) {
  ::signal(SIGPIPE, SIG_IGN);
  LoadOptions o = given;
  bool own_dir = o.dir.empty();
  if (own_dir) {
    std::string tmpl = (fs::temp_directory_path() / "fulgur-load-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::fprintf(stderr, "fulgur-load: cannot create a temporary directory\n");
      return 2;
    }
    o.dir = tmpl;
  } else {
    fs::create_directories(o.dir);
  }
  json report;
  report["config"] = {{"hops", o.hops},
                      {"payments", o.payments},         {"seconds", o.seconds},
                      {"inflight", o.inflight},         {"amount_msat", o.amount_msat},
                      {"capacity_sat", o.capacity_sat}, {"channel_type", o.channel_type}};
  Status status = run(o, report);
  int code = 0;
  if (!status) {
    report["error"] = status.error().message;
    std::fprintf(stderr, "fulgur-load: %s\n", status.error().message.c_str());
    if (o.json) std::printf("%s\n", report.dump(2).c_str());
    code = 1;
  } else {
    derive(report);
    const json& r = report["result"];
    if (r["failed"].get<uint64_t>() != 0 || !report.value("balances_match", false)) code = 1;
    if (o.json) {
      std::printf("%s\n", report.dump(2).c_str());
    } else {
      print_human(o, report);
    }
  }
  if (code == 0 && own_dir && !o.keep) {
    std::error_code ec;
    fs::remove_all(o.dir, ec);
  } else if (o.keep || code != 0) {
    std::fprintf(stderr, "fulgur-load: run directory kept: %s\n", o.dir.c_str());
  }
  return code;
}

}  // namespace fulgur::load
