// Cap'n Proto byte streams over libuv: a kj::AsyncIoStream on a uv_pipe_t (Unix socket),
// a connecting helper and a listening socket. Reading is flow-controlled: libuv reads only
// while a read is pending, and keeps at most one read buffer (64 KiB) of surplus.
#pragma once

#include <kj/async-io.h>
#include <uv.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace fulgur::ipc {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"  // kj::Own knows the concrete type
class UvStream final : public kj::AsyncIoStream {
 public:
  // Takes ownership of an initialized, connected pipe allocated with `new`.
  explicit UvStream(uv_pipe_t* pipe);
  ~UvStream() noexcept(false);

  kj::Promise<size_t> tryRead(void* buffer, size_t min_bytes, size_t max_bytes) override;
  kj::Promise<void> write(const void* buffer, size_t size) override;
  kj::Promise<void> write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) override;
  // Resolves when the peer has gone (end of stream or an error seen while reading).
  kj::Promise<void> whenWriteDisconnected() override;
  void shutdownWrite() override;
  void abortRead() override;

 private:
  struct PendingRead {
    kj::byte* buffer;
    size_t min_bytes;
    size_t max_bytes;
    size_t filled;
    kj::Own<kj::PromiseFulfiller<size_t>> fulfiller;
  };
  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  void deliver(const kj::byte* data, size_t size);
  void finish_read();
  void fail_reads(int status);
  void disconnected();
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(m_pipe); }

  uv_pipe_t* m_pipe;
  std::unique_ptr<kj::byte[]> m_read_buffer;
  std::vector<kj::byte> m_surplus;  // read from the socket, not yet asked for
  size_t m_surplus_pos = 0;
  kj::Maybe<PendingRead> m_read;
  bool m_eof = false;
  int m_error = 0;
  bool m_reading = false;
  kj::Own<kj::PromiseFulfiller<void>> m_disconnect_fulfiller;
  kj::ForkedPromise<void> m_disconnected;
};
#pragma GCC diagnostic pop

// Connects to the Unix socket at `path`; rejects with DISCONNECTED if nobody listens.
kj::Promise<kj::Own<UvStream>> connect_unix(uv_loop_t* loop, const std::string& path);

// A listening Unix socket (mode 0600). Each accepted connection is handed to `on_accept`.
// Destroying the listener closes it and removes the socket file.
class UvListener {
 public:
  using AcceptFn = kj::Function<void(kj::Own<UvStream>)>;
  // Fails when `path` is too long, or when another process already answers there.
  static Result<std::unique_ptr<UvListener>> bind(uv_loop_t* loop,
                                                  const std::filesystem::path& path,
                                                  AcceptFn on_accept);
  ~UvListener();
  UvListener(const UvListener&) = delete;
  UvListener& operator=(const UvListener&) = delete;

 private:
  UvListener(uv_pipe_t* pipe, std::filesystem::path path, AcceptFn on_accept);
  static void on_connection(uv_stream_t* server, int status);

  uv_pipe_t* m_pipe;
  std::filesystem::path m_path;
  AcceptFn m_on_accept;
};

// True when something accepts connections on the Unix socket at `path` (blocking check).
bool unix_socket_answers(const std::filesystem::path& path);

}  // namespace fulgur::ipc
