// Supervisor (see supervisor.h).
#include "node/supervisor.h"

#include <kj/vector.h>

#include <algorithm>
#include <csignal>

#include "ipc/rpc.h"

namespace fulgur::node {

struct Supervisor::Child {
  Supervisor* owner;
  ChildSpec spec;
  uv_process_t* process = nullptr;  // set while running
  uv_timer_t* restart_timer = nullptr;
  schema::ChildState state = schema::ChildState::STOPPED;
  int pid = 0;
  uint32_t restarts = 0;
  uint32_t crash_streak = 0;
  uint64_t started_ms = 0;
  std::string last_exit;
};

namespace {
void close_timer(uv_timer_t* timer) {
  uv_close(reinterpret_cast<uv_handle_t*>(timer),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

std::string describe_exit(int64_t exit_status, int term_signal) {
  if (term_signal != 0) return "signal " + std::to_string(term_signal);
  return "exit " + std::to_string(exit_status);
}
}  // namespace

Supervisor::Supervisor(uv_loop_t* loop, Logger log, SupervisorOptions options,
                       std::vector<ChildSpec> specs,
                       std::function<void(int, const std::string&)> on_stopped)
    : m_loop(loop),
      m_log(std::move(log)),
      m_options(std::move(options)),
      m_on_stopped(std::move(on_stopped)),
      m_kill_timer(new uv_timer_t) {
  uv_timer_init(loop, m_kill_timer);
  m_kill_timer->data = this;
  for (auto& spec : specs) {
    auto child = std::make_unique<Child>();
    child->owner = this;
    child->spec = std::move(spec);
    child->restart_timer = new uv_timer_t;
    uv_timer_init(loop, child->restart_timer);
    child->restart_timer->data = child.get();
    m_children.push_back(std::move(child));
  }
}

Supervisor::~Supervisor() {
  for (auto& child : m_children) {
    if (child->process != nullptr) {
      uv_process_kill(child->process, SIGKILL);
      child->process->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(child->process),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_process_t*>(h); });
    }
    close_timer(child->restart_timer);
  }
  close_timer(m_kill_timer);
}

void Supervisor::start_all() {
  for (auto& child : m_children) spawn(*child);
}

void Supervisor::spawn(Child& child) {
  std::vector<std::string> args{child.spec.program.string()};
  args.insert(args.end(), m_options.child_args.begin(), m_options.child_args.end());
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  uv_stdio_container_t stdio[3];
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_IGNORE;
  stdio[2].flags = UV_INHERIT_FD;  // a daemon's last words before it dies reach our stderr
  stdio[2].data.fd = 2;
  uv_process_options_t options{};
  options.file = argv[0];
  options.args = argv.data();
  options.stdio = stdio;
  options.stdio_count = 3;
  options.exit_cb = [](uv_process_t* process, int64_t status, int signal) {
    auto* c = static_cast<Child*>(process->data);
    if (c != nullptr) c->owner->exited(*c, status, signal);
  };
  auto* process = new uv_process_t;
  process->data = &child;
  int rc = uv_spawn(m_loop, process, &options);
  if (rc < 0) {
    // uv_spawn needs the handle closed even when it fails.
    uv_close(reinterpret_cast<uv_handle_t*>(process),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_process_t*>(h); });
    m_log.error("cannot start {}: {}", child.spec.name, uv_strerror(rc));
    exited(child, 127, 0);
    return;
  }
  child.process = process;
  child.pid = process->pid;
  child.started_ms = uv_now(m_loop);
  child.state = schema::ChildState::STARTING;
  m_log.info("started {} (pid {})", child.spec.name, child.pid);
}

void Supervisor::exited(Child& child, int64_t exit_status, int term_signal) {
  if (child.process != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(child.process),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_process_t*>(h); });
    child.process = nullptr;
  }
  child.pid = 0;
  child.last_exit = describe_exit(exit_status, term_signal);
  if (m_stopping) {
    child.state = schema::ChildState::STOPPED;
    m_log.info("{} stopped ({})", child.spec.name, child.last_exit);
    check_all_stopped();
    return;
  }
  if (exit_status == 0 && term_signal == 0) {
    // A daemon asked to stop directly is not restarted (daemon.capnp's `stop`).
    child.state = schema::ChildState::STOPPED;
    m_log.info("{} exited cleanly; not restarting it", child.spec.name);
    return;
  }
  ++child.restarts;
  bool was_stable = uv_now(m_loop) - child.started_ms >= m_options.stable_ms;
  child.crash_streak = was_stable ? 1 : child.crash_streak + 1;
  m_log.warn("{} died ({}), crash {} in a row", child.spec.name, child.last_exit,
             child.crash_streak);
  if (child.crash_streak > m_options.max_crashes) {
    child.state = schema::ChildState::FAILED;
    std::string reason = child.spec.name + " crashed " + std::to_string(child.crash_streak) +
                         " times in a row (last: " + child.last_exit + "); stopping the node";
    m_log.error("{}", reason);
    stop_all(1, reason);
    return;
  }
  schedule_restart(child);
}

void Supervisor::schedule_restart(Child& child) {
  child.state = schema::ChildState::RESTARTING;
  uint64_t delay = m_options.backoff_ms;
  for (uint32_t i = 1; i < child.crash_streak && delay < m_options.max_backoff_ms; ++i) delay *= 2;
  delay = std::min(delay, m_options.max_backoff_ms);
  m_log.info("restarting {} in {} ms", child.spec.name, delay);
  uv_timer_start(child.restart_timer, [](uv_timer_t* timer) {
    auto* c = static_cast<Child*>(timer->data);
    if (!c->owner->m_stopping) c->owner->spawn(*c);
  }, delay, 0);
}

void Supervisor::stop_all(int exit_code, const std::string& reason) {
  if (m_stopping) return;
  m_stopping = true;
  m_exit_code = exit_code;
  m_reason = reason;
  m_log.info("stopping every daemon: {}", reason);
  for (auto& child : m_children) {
    uv_timer_stop(child->restart_timer);
    if (child->process != nullptr) {
      uv_process_kill(child->process, SIGTERM);
    } else if (child->state != schema::ChildState::FAILED) {
      child->state = schema::ChildState::STOPPED;
    }
  }
  uv_timer_start(m_kill_timer, [](uv_timer_t* timer) {
    auto* self = static_cast<Supervisor*>(timer->data);
    for (auto& child : self->m_children) {
      if (child->process == nullptr) continue;
      self->m_log.warn("{} ignored SIGTERM; killing it", child->spec.name);
      uv_process_kill(child->process, SIGKILL);
    }
  }, m_options.stop_timeout_ms, 0);
  check_all_stopped();
}

void Supervisor::check_all_stopped() {
  for (auto& child : m_children) {
    if (child->process != nullptr) return;
  }
  uv_timer_stop(m_kill_timer);
  if (m_on_stopped) {
    auto done = std::move(m_on_stopped);
    m_on_stopped = nullptr;
    done(m_exit_code, m_reason);
  }
}

kj::Promise<void> Supervisor::report(capnp::List<schema::ChildEntry>::Builder daemons) {
  kj::Vector<kj::Promise<void>> queries;
  for (size_t i = 0; i < m_children.size(); ++i) {
    queries.add(query(*m_children[i], daemons[static_cast<unsigned>(i)]));
  }
  return kj::joinPromises(queries.releaseAsArray());
}

kj::Promise<void> Supervisor::query(Child& child, schema::ChildEntry::Builder entry) {
  entry.setName(child.spec.name);
  entry.setState(child.state);
  entry.setPid(static_cast<uint32_t>(child.pid));
  entry.setRestarts(child.restarts);
  entry.setLastExit(child.last_exit);
  if (child.process == nullptr) {
    entry.setError("not running");
    return kj::READY_NOW;
  }
  auto path = (m_options.datadir / "rpc" / (child.spec.name + ".sock")).string();
  Child* c = &child;
  auto ask = ipc::connect_rpc(m_loop, path).then([entry, c](kj::Own<ipc::RpcConnection> conn) {
    auto request = conn->bootstrap<schema::Daemon>().statusRequest();
    return request.send().then([entry, c](auto response) mutable {
      entry.setStatus(response.getStatus());
      entry.setAnswered(true);
      if (c->state == schema::ChildState::STARTING) c->state = schema::ChildState::RUNNING;
      entry.setState(c->state);
    }).attach(kj::mv(conn));
  });
  auto timeout = ipc::after_ms(m_loop, m_options.status_timeout_ms).then([entry]() mutable {
    entry.setError("no answer within the timeout");
  });
  return ask.catch_([entry](kj::Exception&& e) mutable {
    entry.setError(e.getDescription().cStr());
  }).exclusiveJoin(kj::mv(timeout));
}

}  // namespace fulgur::node
