// The node's root secret file and what derives from it (see node_secret.h).
#include "channeld/node_secret.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "crypto/hash.h"
#include "crypto/random.h"

namespace fulgur::channeld {

namespace {
Hash256 hmac_label(const crypto::Secret32& root, std::string_view label, uint8_t counter) {
  Bytes data(label.begin(), label.end());
  if (counter != 0) data.push_back(counter);
  return crypto::hmac_sha256(root.expose(), data);
}

Status write_all(int fd, ByteSpan data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(std::string("write: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return {};
}

Result<crypto::Secret32> create(const std::filesystem::path& path) {
  auto secret = crypto::random_secret<32>();
  auto tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail("cannot create " + tmp.string() + ": " + std::strerror(errno));
  auto written = write_all(fd, secret.expose());
  bool synced = written && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) {
    ::unlink(tmp.c_str());
    return fail("cannot write " + tmp.string());
  }
  // Atomic: a crash leaves either no secret or the whole one, never half of it.
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail("cannot rename " + tmp.string() + ": " + std::strerror(errno));
  }
  int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return secret;
}
}  // namespace

NodeSecrets derive_node_secrets(const crypto::Secret32& root) {
  for (uint8_t counter = 0;; ++counter) {
    Hash256 h = hmac_label(root, "fulgur/node_key", counter);
    auto key = crypto::SecretKey::from_bytes(h.span());
    if (!key) continue;  // not a scalar: probability ~2^-128
    Hash256 seed = hmac_label(root, "fulgur/channel_seed", 0);
    NodeSecrets out{std::move(*key), crypto::Secret32(seed.span())};
    std::memset(h.data(), 0, h.size());
    std::memset(seed.data(), 0, seed.size());
    return out;
  }
}

Result<crypto::Secret32> load_or_create_root_secret(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return create(path);
    return fail("cannot open " + path.string() + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
    ::close(fd);
    return fail(path.string() + " must be readable by its owner only (mode 0600)");
  }
  std::array<uint8_t, 33> buf{};
  ssize_t n = ::read(fd, buf.data(), buf.size());
  ::close(fd);
  if (n != 32) {
    std::memset(buf.data(), 0, buf.size());
    return fail(path.string() + " is not a 32-byte node secret");
  }
  crypto::Secret32 secret(std::span<const uint8_t, 32>(buf.data(), 32));
  std::memset(buf.data(), 0, buf.size());
  return secret;
}

}  // namespace fulgur::channeld
