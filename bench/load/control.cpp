// The line-JSON control channel between the load tool's driver and its node processes.
#include "control.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace fulgur::load {

namespace {
bool write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}
}  // namespace

Result<std::unique_ptr<ChildProcess>> ChildProcess::start(
    const std::vector<std::string>& args, const std::filesystem::path& stderr_file) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return fail(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
  std::vector<char*> argv;
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    return fail("cannot start " + args[0] + ": " + std::strerror(rc));
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, in[1], out[0]));
}

ChildProcess::~ChildProcess() {
  if (m_to_child >= 0) ::close(m_to_child);  // EOF: the child stops by itself
  if (!wait_exit(std::chrono::seconds(20))) {
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
  }
  ::close(m_from_child);
}

bool ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (m_pid <= 0) return true;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    int status = 0;
    pid_t r = ::waitpid(m_pid, &status, WNOHANG);
    if (r == m_pid || (r < 0 && errno == ECHILD)) {
      m_pid = -1;
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

Result<json> ChildProcess::read(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto nl = m_buffer.find('\n'); nl != std::string::npos) {
      std::string line = m_buffer.substr(0, nl);
      m_buffer.erase(0, nl + 1);
      json j = json::parse(line, nullptr, false);
      if (j.is_discarded()) return fail("unreadable answer from a node: " + line);
      return j;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return fail("a node did not answer in time");
    pollfd p{m_from_child, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[65536];
    ssize_t n = ::read(m_from_child, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("a node process ended (see its log)");
    m_buffer.append(buf, static_cast<size_t>(n));
  }
}

Result<json> ChildProcess::call(const json& request, std::chrono::milliseconds timeout) {
  if (!write_all(m_to_child, request.dump() + "\n")) return fail("a node process is gone");
  FULGUR_TRY(json answer, read(timeout));
  if (answer.contains("error")) {
    return fail(request.value("cmd", "?") + ": " + answer["error"].get<std::string>());
  }
  return answer;
}

ControlChannel::ControlChannel(uv_loop_t* loop, std::function<void(const json&)> on_request,
                               std::function<void()> on_eof)
    : m_pipe(new uv_pipe_t{}), m_on_request(std::move(on_request)), m_on_eof(std::move(on_eof)) {
  uv_pipe_init(loop, m_pipe, 0);
  uv_pipe_open(m_pipe, 0);
  m_pipe->data = this;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(m_pipe),
      [](uv_handle_t*, size_t suggested, uv_buf_t* buf) {
        buf->base = new char[suggested];
        buf->len = suggested;
      },
      &ControlChannel::on_read);
}

ControlChannel::~ControlChannel() {
  close();
}

void ControlChannel::close() {
  if (m_closed) return;
  m_closed = true;
  m_pipe->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(m_pipe),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
}

void ControlChannel::on_read(uv_stream_t* stream, ssize_t n, const uv_buf_t* buf) {
  std::unique_ptr<char[]> owned(buf->base);
  auto* self = static_cast<ControlChannel*>(stream->data);
  if (self == nullptr || n == 0) return;
  if (n < 0) {
    uv_read_stop(stream);
    if (self->m_on_eof) self->m_on_eof();
    return;
  }
  self->m_buffer.append(buf->base, static_cast<size_t>(n));
  size_t nl;
  while (self->m_buffer.size() > 0 && (nl = self->m_buffer.find('\n')) != std::string::npos) {
    std::string line = self->m_buffer.substr(0, nl);
    self->m_buffer.erase(0, nl + 1);
    json request = json::parse(line, nullptr, false);
    if (request.is_discarded() || !request.is_object()) {
      send(json{{"error", "not a JSON object"}});
      continue;
    }
    self->m_on_request(request);
    if (stream->data == nullptr) return;  // closed by the request
  }
}

void ControlChannel::send(const json& message) {
  // Small answers to a parent that reads them at once: a blocking write is fine.
  write_all(1, message.dump() + "\n");
}

}  // namespace fulgur::load
