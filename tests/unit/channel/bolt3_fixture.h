// The channel of BOLT 3 Appendix C and F (local is the opener, commitment number 42), read
// from tests/vectors/bolt03/commitment-tx.json: keys, HTLCs, and a CommitmentSpec builder.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "channel/commitment.h"
#include "channel/keys.h"
#include "support/vectors.h"

namespace fulgur::channel::test {

inline SecretKey secret_key(std::string_view hex) {
  // The spec shows private keys with a trailing 01 (compressed-key marker).
  std::string h(hex);
  if (h.size() == 66) h.resize(64);
  auto key = SecretKey::from_bytes(fulgur::test::unhex(h));
  EXPECT_TRUE(key.ok()) << hex;
  return key.ok() ? std::move(key).value() : SecretKey::random();
}
inline PublicKey point(std::string_view hex) {
  auto key = PublicKey::parse(fulgur::test::unhex(hex));
  EXPECT_TRUE(key.ok()) << hex;
  return key.ok() ? *key : SecretKey::random().public_key();
}

struct Bolt3Channel {
  nlohmann::json v = fulgur::test::load_vectors("bolt03/commitment-tx.json");
  const nlohmann::json& p = v["parameters"];
  const nlohmann::json& d = v["internal_derivation"];
  SecretKey local_funding_privkey = secret_key(p["local_funding_privkey"].get<std::string>());
  SecretKey remote_funding_privkey = secret_key(d["remote_funding_privkey"].get<std::string>());
  // local_htlc_basepoint == local_payment_basepoint in the vectors, so local_privkey signs
  // HTLC transactions; remote_privkey is the remote htlc privkey likewise.
  SecretKey local_htlc_privkey = secret_key(p["local_privkey"].get<std::string>());
  SecretKey remote_htlc_privkey = secret_key(d["remote_privkey"].get<std::string>());
  SecretKey local_delayed_privkey = secret_key(d["local_delayed_privkey"].get<std::string>());
  PublicKey local_funding_pubkey = point(p["local_funding_pubkey"].get<std::string>());
  PublicKey remote_funding_pubkey = point(p["remote_funding_pubkey"].get<std::string>());
  CommitmentKeys keys{point(d["local_per_commitment_point"].get<std::string>()),
                      point(p["local_revocation_pubkey"].get<std::string>()),
                      point(p["local_delayedpubkey"].get<std::string>()),
                      point(p["local_htlcpubkey"].get<std::string>()),
                      point(p["remote_htlcpubkey"].get<std::string>()),
                      point(p["remote_payment_basepoint"].get<std::string>())};

  Htlc htlc(size_t id) const {
    const auto& h = v["htlcs"][id];
    EXPECT_EQ(h["id"].get<size_t>(), id);
    Htlc out;
    out.direction = h["direction"].get<std::string>() == "local->remote" ? HtlcDirection::Offered
                                                                         : HtlcDirection::Received;
    out.amount = Msat(h["amount_msat"].get<uint64_t>());
    out.payment_hash = fulgur::test::unhex_fixed<PaymentHash>(h["payment_hash"].get<std::string>());
    out.cltv_expiry = h["expiry"].get<uint32_t>();
    return out;
  }
  Preimage preimage(size_t id) const {
    return fulgur::test::unhex_fixed<Preimage>(v["htlcs"][id]["payment_preimage"].get<std::string>());
  }

  CommitmentSpec spec(ChannelType type, Msat to_local, Msat to_remote, FeeratePerKw feerate,
                      Sat dust_limit, const std::vector<size_t>& htlc_ids) const {
    CommitmentSpec s{
        .type = type,
        .funding_outpoint = {fulgur::test::unhex_fixed<Txid>(p["funding_tx_id"].get<std::string>()),
                             p["funding_output_index"].get<uint32_t>()},
        .funding_amount = Sat(p["funding_amount_satoshi"].get<uint64_t>()),
        .local_funding_pubkey = local_funding_pubkey,
        .remote_funding_pubkey = remote_funding_pubkey,
        .local_is_opener = true,
        .commitment_number = p["commitment_number"].get<uint64_t>(),
        .obscuring_factor = obscuring_factor(point(p["local_payment_basepoint"].get<std::string>()),
                                             point(p["remote_payment_basepoint"].get<std::string>())),
        .to_self_delay = CltvDelta(p["local_delay"].get<uint32_t>()),
        .dust_limit = dust_limit,
        .feerate = feerate,
        .to_local = to_local,
        .to_remote = to_remote,
        .htlcs = {},
    };
    for (size_t id : htlc_ids) s.htlcs.push_back(htlc(id));
    return s;
  }

  // Which Appendix C HTLCs a case uses: none, 0-4, or 1, 5, 6 for "same amount and preimage".
  static std::vector<size_t> htlc_ids_for(const std::string& name, bool use_htlcs) {
    if (!use_htlcs) return {};
    if (name.find("same amount and preimage") != std::string::npos) return {1, 5, 6};
    return {0, 1, 2, 3, 4};
  }
};

}  // namespace fulgur::channel::test
