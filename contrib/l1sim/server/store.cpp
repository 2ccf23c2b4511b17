// The data directory's files: append with fsync, replay, cookie and port files.
#include "server/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "common/hex.h"
#include "crypto/random.h"

namespace fulgur::l1sim {

namespace fs = std::filesystem;

namespace {
constexpr const char* CHAIN_FILE = "chain.dat";
constexpr const char* WALLET_FILE = "wallet.keys";
constexpr uint32_t MAX_RECORD = 8'000'000;  // larger than any block we can mine
}  // namespace

Result<Store> Store::open(const fs::path& datadir) {
  std::error_code ec;
  fs::path dir = datadir / "regtest";
  fs::create_directories(dir, ec);
  if (ec) return fail("cannot create " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, ec);
  return Store(dir);
}

Status Store::append(const fs::path& file, ByteSpan bytes) const {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return fail("cannot open " + file.string());
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      ::close(fd);
      return fail("cannot write " + file.string());
    }
    done += static_cast<size_t>(n);
  }
  int synced = ::fsync(fd);
  ::close(fd);
  if (synced != 0) return fail("cannot fsync " + file.string());
  return {};
}

Status Store::append_block(const Block& block) {
  Bytes body = block.serialize();
  Bytes record{static_cast<uint8_t>(ChainRecord::Block)};
  uint32_t n = static_cast<uint32_t>(body.size());
  for (int i = 0; i < 4; ++i) record.push_back(static_cast<uint8_t>(n >> (8 * i)));
  ::fulgur::append(record, body);
  return Store::append(m_dir / CHAIN_FILE, record);
}

Status Store::append_hash_record(ChainRecord kind, const BlockHash& hash) {
  Bytes record{static_cast<uint8_t>(kind), 32, 0, 0, 0};
  ::fulgur::append(record, hash.span());
  return append(m_dir / CHAIN_FILE, record);
}

Status Store::replay(const std::function<Status(const Block&)>& on_block,
                     const std::function<Status(ChainRecord, const BlockHash&)>& on_mark) const {
  std::ifstream in(m_dir / CHAIN_FILE, std::ios::binary);
  if (!in) return {};  // a new data directory
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t pos = 0;
  while (pos + 5 <= data.size()) {
    uint8_t kind = data[pos];
    uint32_t n = data[pos + 1] | (data[pos + 2] << 8) | (data[pos + 3] << 16) |
                 (static_cast<uint32_t>(data[pos + 4]) << 24);
    if (n > MAX_RECORD) return fail("chain.dat: record too large");
    if (pos + 5 + n > data.size()) break;  // torn final record
    ByteSpan body(data.data() + pos + 5, n);
    pos += 5 + n;
    // The kind byte comes from disk: compare it rather than trusting it as an enum.
    if (kind == static_cast<uint8_t>(ChainRecord::Block)) {
      FULGUR_TRY(Block block, bitcoin::parse_block(body));
      FULGUR_TRY_STATUS(on_block(block));
    } else if (kind == static_cast<uint8_t>(ChainRecord::Invalidate) ||
               kind == static_cast<uint8_t>(ChainRecord::Reconsider)) {
      auto hash = BlockHash::from_span(body);
      if (!hash) return fail("chain.dat: bad hash record");
      FULGUR_TRY_STATUS(on_mark(static_cast<ChainRecord>(kind), *hash));
    } else {
      return fail("chain.dat: unknown record type");
    }
  }
  return {};
}

bool Store::valid_wallet_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return name != "." && name != "..";
}

fs::path Store::wallet_file(const std::string& wallet) const {
  return wallet.empty() ? m_dir / WALLET_FILE : m_dir / "wallets" / (wallet + ".keys");
}

Status Store::create_wallet(const std::string& name) const {
  if (!valid_wallet_name(name)) return fail("invalid wallet name '" + name + "'");
  std::error_code ec;
  fs::create_directories(m_dir / "wallets", ec);
  if (ec) return fail("cannot create " + (m_dir / "wallets").string() + ": " + ec.message());
  return append(wallet_file(name), {});
}

std::vector<std::string> Store::wallet_names() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(m_dir / "wallets", ec)) {
    if (entry.path().extension() != ".keys") continue;
    std::string name = entry.path().stem().string();
    if (valid_wallet_name(name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status Store::append_key(const std::string& wallet, const crypto::SecretKey& key) {
  std::string line = to_hex(key.expose()) + "\n";
  return append(wallet_file(wallet), as_bytes(line));
}

Result<std::vector<crypto::SecretKey>> Store::load_keys(const std::string& wallet) const {
  std::vector<crypto::SecretKey> keys;
  std::ifstream in(wallet_file(wallet));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    FULGUR_TRY(Bytes raw, from_hex(line));
    FULGUR_TRY(crypto::SecretKey key, crypto::SecretKey::from_bytes(raw));
    keys.push_back(std::move(key));
  }
  return keys;
}

Result<std::string> Store::write_cookie() const {
  std::array<uint8_t, 32> secret{};
  crypto::random_bytes(secret);
  std::string password = to_hex(secret);
  fs::path tmp = m_dir / ".cookie.tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail("cannot write the cookie file");
  std::string content = "__cookie__:" + password;
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ::close(fd);
  std::error_code ec;
  fs::rename(tmp, m_dir / ".cookie", ec);
  if (!ok || ec) return fail("cannot write the cookie file");
  return password;
}

void Store::remove_cookie() const {
  std::error_code ec;
  fs::remove(m_dir / ".cookie", ec);
}

Status Store::write_port(uint16_t port) const {
  fs::path tmp = m_dir / "rpcport.tmp";
  {
    std::ofstream out(tmp);
    out << port << "\n";
    if (!out) return fail("cannot write the port file");
  }
  std::error_code ec;
  fs::rename(tmp, m_dir / "rpcport", ec);
  if (ec) return fail("cannot write the port file");
  return {};
}

}  // namespace fulgur::l1sim
