// Script builder (minimal pushes, numbers), parser and templates.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "bitcoin/script.h"
#include "crypto/hash.h"
#include "support/vectors.h"

namespace fulgur::bitcoin {
namespace {

using test::load_vectors;
using test::unhex;

std::string pushed(Bytes data) {
  Script s;
  s.push_data(data);
  return s.to_hex();
}

TEST(Script, PushDataIsMinimal) {
  EXPECT_EQ(pushed({}), "00");
  EXPECT_EQ(pushed({0x01}), "51");
  EXPECT_EQ(pushed({0x10}), "60");
  EXPECT_EQ(pushed({0x81}), "4f");
  EXPECT_EQ(pushed({0x00}), "0100");
  EXPECT_EQ(pushed({0x11}), "0111");
  EXPECT_EQ(pushed(Bytes(75, 0xaa)).substr(0, 2), "4b");
  EXPECT_EQ(pushed(Bytes(76, 0xaa)).substr(0, 4), "4c4c");
  EXPECT_EQ(pushed(Bytes(255, 0xaa)).substr(0, 4), "4cff");
  EXPECT_EQ(pushed(Bytes(256, 0xaa)).substr(0, 6), "4d0001");
  EXPECT_EQ(pushed(Bytes(0x10000, 0xaa)).substr(0, 10), "4e00000100");
}

TEST(Script, PushInt) {
  auto num = [](int64_t n) {
    Script s;
    s.push_int(n);
    return s.to_hex();
  };
  EXPECT_EQ(num(0), "00");
  EXPECT_EQ(num(-1), "4f");
  EXPECT_EQ(num(1), "51");
  EXPECT_EQ(num(16), "60");
  EXPECT_EQ(num(17), "0111");
  EXPECT_EQ(num(-2), "0182");
  EXPECT_EQ(num(127), "017f");
  EXPECT_EQ(num(128), "028000");
  EXPECT_EQ(num(-128), "028080");
  EXPECT_EQ(num(144), "029000");  // BOLT 3 to_self_delay 144
  EXPECT_EQ(num(500), "02f401");
  EXPECT_EQ(num(0x7fffffff), "04ffffff7f");
  EXPECT_EQ(num(-0x7fffffff), "04ffffffff");
}

TEST(Script, Bolt3FundingScriptBuildsAndParses) {
  auto v = load_vectors("bolt03/funding-tx.json")["vector"];
  Bytes a = unhex(v["local_funding_pubkey"].get<std::string>());
  Bytes b = unhex(v["remote_funding_pubkey"].get<std::string>());
  Script s;
  s.push_opcode(OP_2).push_data(a).push_data(b).push_opcode(OP_2).push_opcode(OP_CHECKMULTISIG);
  EXPECT_EQ(s.to_hex(), v["funding_witness_script"]);
  auto ops = s.ops();
  ASSERT_TRUE(ops.ok());
  ASSERT_EQ(ops->size(), 5u);
  EXPECT_EQ((*ops)[1].opcode, 33);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), (*ops)[1].data.begin()));
  EXPECT_EQ((*ops)[4].opcode, OP_CHECKMULTISIG);
  EXPECT_EQ(s.to_asm(), "2 " + to_hex(a) + " " + to_hex(b) + " 2 OP_CHECKMULTISIG");
  Script out = p2wsh_for_script(s);
  EXPECT_TRUE(out.is_p2wsh());
  EXPECT_EQ(out.to_hex(), "0020c015c4a6be010e21657068fc2e6a9d02b27ebe4d490a25846f7237f104d1a3cd");
}

TEST(Script, Templates) {
  Hash160 h = crypto::hash160(as_bytes("key"));
  EXPECT_TRUE(p2wpkh(h).is_p2wpkh());
  EXPECT_FALSE(p2wpkh(h).is_p2wsh());
  EXPECT_TRUE(p2pkh(h).is_p2pkh());
  EXPECT_TRUE(p2sh(h).is_p2sh());
  EXPECT_EQ(p2sh(h).to_hex(), "a914" + to_hex(h.span()) + "87");
  Bytes x(32, 0x79);
  Script tr = p2tr(x);
  EXPECT_TRUE(tr.is_p2tr());
  auto wp = tr.witness_program();
  ASSERT_TRUE(wp.has_value());
  EXPECT_EQ(wp->version, 1);
  EXPECT_EQ(wp->program.size(), 32u);
  EXPECT_FALSE(p2pkh(h).witness_program().has_value());
  EXPECT_TRUE(op_return(as_bytes("hi")).is_op_return());
  EXPECT_TRUE(Script(unhex("0051")).is_push_only());
  EXPECT_FALSE(Script(unhex("0076")).is_push_only());
}

TEST(Script, ParserRejectsPushPastEnd) {
  for (const char* hex : {"01", "4c", "4c05aa", "4d0100", "4e01000000", "4b"}) {
    EXPECT_FALSE(Script(unhex(hex)).ops().ok()) << hex;
  }
  EXPECT_TRUE(Script(unhex("4c00")).ops().ok());
  EXPECT_EQ(Script(unhex("76a901")).to_asm(), "OP_DUP OP_HASH160 [error]");
}

RC_GTEST_PROP(Script, PushedDataParsesBack, (std::vector<std::vector<uint8_t>> items)) {
  Script s;
  for (const auto& item : items) s.push_data(item);
  auto ops = s.ops();
  RC_ASSERT(ops.ok());
  RC_ASSERT(ops->size() == items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& op = (*ops)[i];
    const auto& item = items[i];
    if (op.opcode >= OP_1 && op.opcode <= OP_16) {
      RC_ASSERT(item.size() == 1 && item[0] == op.opcode - OP_1 + 1);
    } else if (op.opcode == OP_1NEGATE) {
      RC_ASSERT(item.size() == 1 && item[0] == 0x81);
    } else {
      RC_ASSERT(Bytes(op.data.begin(), op.data.end()) == item);
    }
  }
}

}  // namespace
}  // namespace fulgur::bitcoin
