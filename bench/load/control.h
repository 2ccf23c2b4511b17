// How the load tool's driver talks to its node processes: one JSON object per line, requests
// on the child's stdin, answers on its stdout (the child logs to a file, never to stdout).
// The driver side is blocking (it has nothing else to do); the node side lives on the node's
// libuv loop. Must not: carry anything but the tool's own small commands.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"

namespace fulgur::load {

using nlohmann::json;

// The driver's handle on one child process.
class ChildProcess {
 public:
  // Starts `args` (args[0] an absolute path) with pipes on stdin/stdout and stderr appended
  // to `stderr_file`.
  static Result<std::unique_ptr<ChildProcess>> start(const std::vector<std::string>& args,
                                                     const std::filesystem::path& stderr_file);
  // Closes the child's stdin (it stops and exits), waits a while, then kills it.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The next line the child writes, parsed.
  Result<json> read(std::chrono::milliseconds timeout);
  // Sends `request`, returns the answer; an answer with "error" is an error.
  Result<json> call(const json& request, std::chrono::milliseconds timeout);
  // Waits for the child to exit by itself (after a "stop" command); false on timeout.
  bool wait_exit(std::chrono::milliseconds timeout);

 private:
  ChildProcess(pid_t pid, int to_child, int from_child)
      : m_pid(pid), m_to_child(to_child), m_from_child(from_child) {}
  pid_t m_pid;
  int m_to_child;
  int m_from_child;
  std::string m_buffer;
};

// The node side: requests from stdin, dispatched on the loop; answers to stdout.
class ControlChannel {
 public:
  ControlChannel(uv_loop_t* loop, std::function<void(const json&)> on_request,
                 std::function<void()> on_eof);
  ~ControlChannel();
  ControlChannel(const ControlChannel&) = delete;
  ControlChannel& operator=(const ControlChannel&) = delete;

  static void send(const json& message);
  // Stops reading and closes the handle (the loop may then end).
  void close();

 private:
  static void on_read(uv_stream_t* stream, ssize_t n, const uv_buf_t* buf);
  uv_pipe_t* m_pipe;  // freed in its close callback
  std::string m_buffer;
  std::function<void(const json&)> m_on_request;
  std::function<void()> m_on_eof;
  bool m_closed = false;
};

}  // namespace fulgur::load
