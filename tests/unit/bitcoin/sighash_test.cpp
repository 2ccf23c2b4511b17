// BIP 143 examples: every sighash type, OP_CODESEPARATOR scriptCodes, out-of-range SINGLE,
// and signatures that verify against the computed hashes.
#include <gtest/gtest.h>

#include <set>

#include "bitcoin/sighash.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "support/vectors.h"

namespace fulgur::bitcoin {
namespace {

using test::load_vectors;
using test::unhex;

std::string hexs(const nlohmann::json& j) { return j.get<std::string>(); }

TEST(Sighash, Bip143Examples) {
  auto cases = load_vectors("bitcoin/bip143.json")["cases"];
  ASSERT_EQ(cases.size(), 13u);
  std::set<uint32_t> types_seen;
  for (const auto& c : cases) {
    SCOPED_TRACE(hexs(c["name"]));
    auto tx = parse_transaction(unhex(hexs(c["tx"])));
    ASSERT_TRUE(tx.ok());
    PrecomputedTxData cache(*tx);
    if (c.contains("hash_prevouts")) {
      EXPECT_EQ(cache.hash_prevouts.to_hex(), c["hash_prevouts"]);
      EXPECT_EQ(cache.hash_sequence.to_hex(), c["hash_sequence"]);
      EXPECT_EQ(cache.hash_outputs.to_hex(), c["hash_outputs"]);
    }
    auto type = c["hash_type"].get<uint32_t>();
    types_seen.insert(type);
    Bytes code = unhex(hexs(c["script_code"]));
    Sat amount(c["amount"].get<uint64_t>());
    size_t index = c["input_index"].get<size_t>();
    Hash256 h = segwit_v0_sighash(*tx, index, code, amount, type, cache);
    EXPECT_EQ(h.to_hex(), c["sighash"]);
    EXPECT_EQ(segwit_v0_sighash(*tx, index, code, amount, type), h);

    auto key = crypto::PublicKey::parse(unhex(hexs(c["pubkey"])));
    ASSERT_TRUE(key.ok());
    auto sig = crypto::Signature::from_der(unhex(hexs(c["signature"])));
    ASSERT_TRUE(sig.ok());
    EXPECT_TRUE(crypto::verify(*key, h, sig->normalized()));
    // Any other amount or type gives another hash that the signature does not match.
    Hash256 other = segwit_v0_sighash(*tx, index, code, Sat(amount.value() + 1), type, cache);
    EXPECT_FALSE(crypto::verify(*key, other, sig->normalized()));
  }
  EXPECT_EQ(types_seen, (std::set<uint32_t>{1, 2, 3, 0x81, 0x82, 0x83}));
}

TEST(Sighash, P2wpkhScriptCode) {
  auto cases = load_vectors("bitcoin/bip143.json")["cases"];
  Bytes pubkey = unhex(hexs(cases[0]["pubkey"]));
  EXPECT_EQ(p2wpkh_script_code(crypto::hash160(pubkey)).to_hex(), cases[0]["script_code"]);
}

TEST(Sighash, SingleAnyoneCanPayIgnoresInputPosition) {
  // BIP 143: SINGLE|ANYONECANPAY does not commit to the input index, so swapping
  // input-output pairs keeps the hash.
  auto c = load_vectors("bitcoin/bip143.json")["cases"][4];
  auto tx = parse_transaction(unhex(hexs(c["tx"])));
  ASSERT_TRUE(tx.ok());
  Transaction swapped = *tx;
  std::swap(swapped.inputs[0], swapped.inputs[1]);
  std::swap(swapped.outputs[0], swapped.outputs[1]);
  Bytes code = unhex(hexs(c["script_code"]));
  Sat amount(c["amount"].get<uint64_t>());
  EXPECT_EQ(segwit_v0_sighash(*tx, 0, code, amount, 0x83),
            segwit_v0_sighash(swapped, 1, code, amount, 0x83));
  EXPECT_NE(segwit_v0_sighash(*tx, 0, code, amount, SIGHASH_ALL),
            segwit_v0_sighash(swapped, 1, code, amount, SIGHASH_ALL));
}

}  // namespace
}  // namespace fulgur::bitcoin
