// UvStream, connect_unix and UvListener (see uv_stream.h).
#include "ipc/uv_stream.h"

#include <kj/debug.h>
#include <kj/vector.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace fulgur::ipc {
namespace {
constexpr size_t READ_BUFFER_SIZE = 64 * 1024;

void close_pipe(uv_pipe_t* pipe) {
  pipe->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(pipe),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
}

kj::Exception uv_exception(int status, const char* what) {
  return KJ_EXCEPTION(DISCONNECTED, what, uv_strerror(status));
}

// One uv_write in flight; independent of the stream so that it survives the stream.
struct WriteRequest {
  uv_write_t req;
  kj::Own<kj::PromiseFulfiller<void>> fulfiller;
};

void on_write(uv_write_t* req, int status) {
  auto* request = static_cast<WriteRequest*>(req->data);
  if (status < 0) {
    request->fulfiller->reject(uv_exception(status, "write"));
  } else {
    request->fulfiller->fulfill();
  }
  delete request;
}
}  // namespace

UvStream::UvStream(uv_pipe_t* pipe)
    : m_pipe(pipe), m_read_buffer(new kj::byte[READ_BUFFER_SIZE]), m_disconnected(nullptr) {
  m_pipe->data = this;
  auto paf = kj::newPromiseAndFulfiller<void>();
  m_disconnect_fulfiller = kj::mv(paf.fulfiller);
  m_disconnected = paf.promise.fork();
}

UvStream::~UvStream() noexcept(false) { close_pipe(m_pipe); }

void UvStream::on_alloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<UvStream*>(handle->data);
  *buf = uv_buf_init(reinterpret_cast<char*>(self->m_read_buffer.get()), READ_BUFFER_SIZE);
}

void UvStream::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<UvStream*>(stream->data);
  if (self == nullptr) return;
  if (nread < 0) {
    uv_read_stop(stream);
    self->m_reading = false;
    if (nread == UV_EOF) {
      self->m_eof = true;
    } else {
      self->m_error = static_cast<int>(nread);
    }
    self->finish_read();
    self->disconnected();
    return;
  }
  self->deliver(reinterpret_cast<const kj::byte*>(buf->base), static_cast<size_t>(nread));
}

void UvStream::deliver(const kj::byte* data, size_t size) {
  KJ_IF_MAYBE(read, m_read) {
    if (!read->fulfiller->isWaiting()) {
      m_read = nullptr;  // the reader gave up; its buffer may be gone
    } else {
      size_t n = std::min(size, read->max_bytes - read->filled);
      std::memcpy(read->buffer + read->filled, data, n);
      read->filled += n;
      data += n;
      size -= n;
    }
  }
  if (size > 0) m_surplus.insert(m_surplus.end(), data, data + size);
  finish_read();
}

// Completes the pending read if it has enough (or the stream ended); stops reading from
// the socket when nobody waits, so surplus stays bounded by one read buffer.
void UvStream::finish_read() {
  KJ_IF_MAYBE(read, m_read) {
    bool enough = read->filled >= read->min_bytes;
    if (enough || m_eof) {
      read->fulfiller->fulfill(kj::cp(read->filled));
      m_read = nullptr;
    } else if (m_error != 0) {
      read->fulfiller->reject(uv_exception(m_error, "read"));
      m_read = nullptr;
    }
  }
  if (m_read == nullptr && m_reading) {
    uv_read_stop(stream());
    m_reading = false;
  }
}

void UvStream::disconnected() {
  if (m_disconnect_fulfiller->isWaiting()) m_disconnect_fulfiller->fulfill();
}

kj::Promise<size_t> UvStream::tryRead(void* buffer, size_t min_bytes, size_t max_bytes) {
  KJ_REQUIRE(m_read == nullptr, "only one read at a time");
  auto* out = static_cast<kj::byte*>(buffer);
  size_t filled = 0;
  if (m_surplus_pos < m_surplus.size()) {
    filled = std::min(max_bytes, m_surplus.size() - m_surplus_pos);
    std::memcpy(out, m_surplus.data() + m_surplus_pos, filled);
    m_surplus_pos += filled;
    if (m_surplus_pos == m_surplus.size()) {
      m_surplus.clear();
      m_surplus_pos = 0;
    }
  }
  if (filled >= min_bytes || m_eof) return filled;
  if (m_error != 0) return uv_exception(m_error, "read");
  auto paf = kj::newPromiseAndFulfiller<size_t>();
  m_read = PendingRead{out, min_bytes, max_bytes, filled, kj::mv(paf.fulfiller)};
  if (!m_reading) {
    int rc = uv_read_start(stream(), &UvStream::on_alloc, &UvStream::on_read);
    if (rc < 0) {
      m_read = nullptr;
      return uv_exception(rc, "read start");
    }
    m_reading = true;
  }
  return kj::mv(paf.promise);
}

kj::Promise<void> UvStream::write(const void* buffer, size_t size) {
  kj::ArrayPtr<const kj::byte> piece(static_cast<const kj::byte*>(buffer), size);
  return write(kj::arrayPtr(&piece, 1));
}

kj::Promise<void> UvStream::write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) {
  // libuv copies the buffer descriptors; the bytes stay the caller's until we resolve.
  kj::Vector<uv_buf_t> bufs(pieces.size());
  for (auto& piece : pieces) {
    if (piece.size() == 0) continue;
    bufs.add(uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(piece.begin())),
                         static_cast<unsigned>(piece.size())));
  }
  if (bufs.empty()) return kj::READY_NOW;
  auto paf = kj::newPromiseAndFulfiller<void>();
  auto* request = new WriteRequest{{}, kj::mv(paf.fulfiller)};
  request->req.data = request;
  int rc = uv_write(&request->req, stream(), bufs.begin(), static_cast<unsigned>(bufs.size()),
                    &on_write);
  if (rc < 0) {
    delete request;
    return uv_exception(rc, "write");
  }
  return kj::mv(paf.promise);
}

kj::Promise<void> UvStream::whenWriteDisconnected() { return m_disconnected.addBranch(); }

void UvStream::shutdownWrite() {
  auto* req = new uv_shutdown_t;
  if (uv_shutdown(req, stream(), [](uv_shutdown_t* r, int) { delete r; }) < 0) delete req;
}

void UvStream::abortRead() {
  if (m_reading) uv_read_stop(stream());
  m_reading = false;
  m_eof = true;
  finish_read();
}

namespace {
struct ConnectRequest {
  uv_connect_t req;
  uv_pipe_t* pipe;
  kj::Own<kj::PromiseFulfiller<kj::Own<UvStream>>> fulfiller;
};
}  // namespace

kj::Promise<kj::Own<UvStream>> connect_unix(uv_loop_t* loop, const std::string& path) {
  auto paf = kj::newPromiseAndFulfiller<kj::Own<UvStream>>();
  auto* request = new ConnectRequest{{}, new uv_pipe_t, kj::mv(paf.fulfiller)};
  uv_pipe_init(loop, request->pipe, 0);
  request->req.data = request;
  uv_pipe_connect(&request->req, request->pipe, path.c_str(), [](uv_connect_t* req, int status) {
    auto* r = static_cast<ConnectRequest*>(req->data);
    if (status < 0) {
      r->fulfiller->reject(uv_exception(status, "connect"));
      close_pipe(r->pipe);
    } else if (r->fulfiller->isWaiting()) {
      r->fulfiller->fulfill(kj::heap<UvStream>(r->pipe));
    } else {
      close_pipe(r->pipe);  // the caller gave up
    }
    delete r;
  });
  return kj::mv(paf.promise);
}

bool unix_socket_answers(const std::filesystem::path& path) {
  sockaddr_un addr{};
  const std::string p = path.string();
  if (p.size() >= sizeof(addr.sun_path)) return false;
  addr.sun_family = AF_UNIX;
  p.copy(addr.sun_path, p.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

UvListener::UvListener(uv_pipe_t* pipe, std::filesystem::path path, AcceptFn on_accept)
    : m_pipe(pipe), m_path(std::move(path)), m_on_accept(kj::mv(on_accept)) {
  m_pipe->data = this;
}

Result<std::unique_ptr<UvListener>> UvListener::bind(uv_loop_t* loop,
                                                     const std::filesystem::path& path,
                                                     AcceptFn on_accept) {
  if (path.string().size() >= sizeof(sockaddr_un::sun_path)) {
    return fail("socket path too long: " + path.string());
  }
  if (unix_socket_answers(path)) return fail("another process already serves " + path.string());
  ::unlink(path.c_str());  // a stale socket from a crashed run
  auto* pipe = new uv_pipe_t;
  uv_pipe_init(loop, pipe, 0);
  // Bind with a umask that leaves only the owner's bits, then make sure: 0600.
  mode_t old_mask = ::umask(0177);
  int rc = uv_pipe_bind(pipe, path.c_str());
  ::umask(old_mask);
  if (rc == 0) rc = ::chmod(path.c_str(), 0600) == 0 ? 0 : -errno;
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(pipe), 128, &on_connection);
  if (rc < 0) {
    close_pipe(pipe);
    return fail("listen on " + path.string() + ": " + uv_strerror(rc));
  }
  return std::unique_ptr<UvListener>(new UvListener(pipe, path, kj::mv(on_accept)));
}

UvListener::~UvListener() {
  close_pipe(m_pipe);
  ::unlink(m_path.c_str());
}

void UvListener::on_connection(uv_stream_t* server, int status) {
  auto* self = static_cast<UvListener*>(server->data);
  if (self == nullptr || status < 0) return;
  auto* client = new uv_pipe_t;
  uv_pipe_init(server->loop, client, 0);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(client)) < 0) {
    close_pipe(client);
    return;
  }
  auto stream = kj::heap<UvStream>(client);
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] { self->m_on_accept(kj::mv(stream)); })) {
    KJ_LOG(ERROR, "accepting a connection failed", *e);
  }
}

}  // namespace fulgur::ipc
