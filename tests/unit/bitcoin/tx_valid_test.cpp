// Bitcoin Core's tx_valid cases (a legacy subset): every input of each transaction
// verifies against its prevout script with the listed flags. They exercise the legacy
// signature hash: SIGHASH_SINGLE's "one" bug, ANYONECANPAY, hash type 0 and FindAndDelete.
#include <gtest/gtest.h>

#include <map>

#include "bitcoin/interpreter.h"
#include "script_asm.h"
#include "support/vectors.h"

namespace fulgur::bitcoin {
namespace {

TEST(TxValid, BitcoinCoreLegacyCases) {
  auto cases = fulgur::test::load_vectors("bitcoin/tx_valid.json");
  int txs = 0;
  int inputs = 0;
  for (const auto& c : cases) {
    if (!c[0].is_array()) continue;  // a comment
    std::map<OutPoint, Script> prevouts;
    for (const auto& p : c[0]) {
      auto txid = Txid::from_hex(p[0].get<std::string>());
      auto script = test::parse_asm(p[2].get<std::string>());
      ASSERT_TRUE(txid.ok() && script.has_value());
      prevouts[OutPoint{*txid, p[1].get<uint32_t>()}] = *script;
    }
    std::string hex = c[1].get<std::string>();
    auto tx = parse_transaction(fulgur::test::unhex(hex));
    ASSERT_TRUE(tx.ok()) << hex;
    auto flags = verify::parse_flags(c[2].get<std::string>());
    ASSERT_TRUE(flags.has_value());
    for (size_t i = 0; i < tx->inputs.size(); ++i) {
      auto found = prevouts.find(tx->inputs[i].prevout);
      ASSERT_NE(found, prevouts.end());
      TxSignatureChecker checker(*tx, i, Sat(0), nullptr);
      auto r = verify_script(tx->inputs[i].script_sig, found->second, tx->inputs[i].witness,
                             *flags, checker);
      EXPECT_TRUE(r.ok()) << hex << " input " << i << ": "
                          << script_error_string(r.ok() ? ScriptError::Ok : r.error());
      ++inputs;
    }
    ++txs;
  }
  EXPECT_EQ(txs, 8);
  EXPECT_GE(inputs, 13);
}

TEST(TxValid, SighashSingleBugSignsTheNumberOne) {
  Transaction tx;
  tx.inputs.resize(2);
  tx.outputs.resize(1);
  Hash256 one = legacy_sighash(tx, 1, Script(), SIGHASH_SINGLE);
  EXPECT_EQ(one.to_hex(), "0100000000000000000000000000000000000000000000000000000000000000");
  EXPECT_NE(legacy_sighash(tx, 0, Script(), SIGHASH_SINGLE), one);
}

}  // namespace
}  // namespace fulgur::bitcoin
