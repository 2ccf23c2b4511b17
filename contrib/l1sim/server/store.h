// l1sim's data directory: an append-only chain log (blocks, invalidateblock and
// reconsiderblock, replayed in order at start), the wallets' key files, the RPC cookie and
// the port file. Every append is flushed and fsync'ed before the RPC answers.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "common/result.h"
#include "core/block.h"
#include "crypto/keys.h"

namespace fulgur::l1sim {

enum class ChainRecord : uint8_t { Block = 1, Invalidate = 2, Reconsider = 3 };

class Store {
 public:
  // Creates `<datadir>/regtest/` (mode 0700) if needed.
  static Result<Store> open(const std::filesystem::path& datadir);

  std::filesystem::path network_dir() const { return m_dir; }

  Status append_block(const Block& block);
  Status append_hash_record(ChainRecord kind, const BlockHash& hash);
  // Calls `on_block` / `on_mark` for every record in order; a torn last record (a crash
  // mid-append) is ignored, anything else malformed is an error.
  Status replay(const std::function<Status(const Block&)>& on_block,
                const std::function<Status(ChainRecord, const BlockHash&)>& on_mark) const;

  // Wallet key files: the default wallet ("") in wallet.keys, a named one in
  // wallets/<name>.keys. A wallet exists once its file does.
  static bool valid_wallet_name(const std::string& name);
  Status create_wallet(const std::string& name) const;
  std::vector<std::string> wallet_names() const;  // the named wallets on disk, sorted
  Status append_key(const std::string& wallet, const crypto::SecretKey& key);
  Result<std::vector<crypto::SecretKey>> load_keys(const std::string& wallet) const;

  // bitcoind's `.cookie`: "__cookie__:<64 hex>", mode 0600. Returns the password.
  Result<std::string> write_cookie() const;
  void remove_cookie() const;
  Status write_port(uint16_t port) const;

 private:
  explicit Store(std::filesystem::path dir) : m_dir(std::move(dir)) {}
  Status append(const std::filesystem::path& file, ByteSpan bytes) const;
  std::filesystem::path wallet_file(const std::string& wallet) const;
  std::filesystem::path m_dir;
};

}  // namespace fulgur::l1sim
