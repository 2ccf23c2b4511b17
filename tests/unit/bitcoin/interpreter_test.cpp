// The interpreter against Bitcoin Core's script tests (a representative subset), BIP 143's
// signed transactions, BOLT 3's commitment and HTLC transactions, and hand-built scripts
// for every opcode Lightning uses, the policy flags and the limits.
#include <gtest/gtest.h>

#include <cmath>

#include "bitcoin/interpreter.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "script_asm.h"
#include "support/vectors.h"

namespace fulgur::bitcoin {
namespace {

using fulgur::test::load_vectors;
using fulgur::test::unhex;
using test::parse_asm;

std::string str(const nlohmann::json& j) { return j.get<std::string>(); }

// Core's test harness: a crediting transaction and a spending transaction.
Transaction crediting_tx(const Script& script_pubkey, Sat amount) {
  Transaction tx;
  tx.version = 1;
  TxIn in;
  in.prevout.vout = 0xffffffff;
  in.script_sig = Script(Bytes{OP_0, OP_0});
  tx.inputs.push_back(in);
  tx.outputs.push_back(TxOut{amount, script_pubkey});
  return tx;
}

Transaction spending_tx(const Script& script_sig, const Witness& witness,
                        const Transaction& credit) {
  Transaction tx;
  tx.version = 1;
  TxIn in;
  in.prevout = OutPoint{credit.txid(), 0};
  in.script_sig = script_sig;
  in.witness = witness;
  tx.inputs.push_back(in);
  tx.outputs.push_back(TxOut{credit.outputs[0].amount, Script()});
  return tx;
}

TEST(Interpreter, BitcoinCoreScriptTests) {
  auto cases = load_vectors("bitcoin/script_tests.json");
  int run = 0;
  for (const auto& c : cases) {
    if (c.size() < 4) continue;  // a comment
    size_t pos = 0;
    Witness witness;
    Sat amount(0);
    if (c[0].is_array()) {
      const auto& w = c[0];
      for (size_t i = 0; i + 1 < w.size(); ++i) witness.push_back(unhex(str(w[i])));
      amount = Sat(static_cast<uint64_t>(std::llround(w.back().get<double>() * 1e8)));
      pos = 1;
    }
    std::string sig_text = str(c[pos]), pub_text = str(c[pos + 1]);
    SCOPED_TRACE(sig_text + " | " + pub_text + " | " + str(c[pos + 2]));
    auto script_sig = parse_asm(sig_text);
    auto script_pubkey = parse_asm(pub_text);
    auto flags = verify::parse_flags(str(c[pos + 2]));
    auto expected = script_error_from_name(str(c[pos + 3]));
    ASSERT_TRUE(script_sig && script_pubkey && flags && expected);
    Transaction credit = crediting_tx(*script_pubkey, amount);
    Transaction spend = spending_tx(*script_sig, witness, credit);
    TxSignatureChecker checker(spend, 0, amount, nullptr);
    auto result = verify_script(*script_sig, *script_pubkey, witness, *flags, checker);
    ScriptError got = result.ok() ? ScriptError::Ok : result.error();
    EXPECT_STREQ(script_error_name(got), script_error_name(*expected));
    ++run;
  }
  EXPECT_GE(run, 200);
}

TEST(Interpreter, ErrorStringsMatchBitcoinCore) {
  EXPECT_STREQ(script_error_string(ScriptError::SigNullFail),
               "Signature must be zero for failed CHECK(MULTI)SIG operation");
  EXPECT_STREQ(script_error_string(ScriptError::UnsatisfiedLocktime),
               "Locktime requirement not satisfied");
  EXPECT_STREQ(script_error_string(ScriptError::EvalFalse),
               "Script evaluated without error but finished with a false/empty top stack "
               "element");
  EXPECT_EQ(script_error_from_name("NULLFAIL"), ScriptError::SigNullFail);
  EXPECT_FALSE(script_error_from_name("NOPE").has_value());
  EXPECT_EQ(verify::parse_flags("P2SH,WITNESS"), verify::P2SH | verify::WITNESS);
  EXPECT_FALSE(verify::parse_flags("P2SH,BOGUS").has_value());
}

// The BIP 143 examples' signed transactions verify input by input.
TEST(Interpreter, Bip143SignedTransactions) {
  auto cases = load_vectors("bitcoin/bip143.json")["cases"];
  int verified = 0;
  for (const auto& c : cases) {
    if (!c.contains("signed_tx")) continue;
    SCOPED_TRACE(str(c["name"]));
    auto tx = parse_transaction(unhex(str(c["signed_tx"])));
    ASSERT_TRUE(tx.ok());
    TxOut spent{Sat(c["amount"].get<uint64_t>()), Script(unhex(str(c["script_pubkey"])))};
    size_t index = c["input_index"].get<size_t>();
    PrecomputedTxData cache(*tx);
    auto ok = verify_input(*tx, index, spent, verify::MANDATORY, &cache);
    EXPECT_TRUE(ok.ok()) << script_error_string(ok.ok() ? ScriptError::Ok : ok.error());
    // Any other amount changes the BIP 143 hash: the signature no longer matches.
    TxOut wrong{Sat(spent.amount.value() + 1), spent.script_pubkey};
    EXPECT_FALSE(verify_input(*tx, index, wrong, verify::MANDATORY, &cache).ok());
    ++verified;
  }
  EXPECT_EQ(verified, 4);
}

TEST(Interpreter, HighSIsConsensusValidButNotStandard) {
  // BIP 143's "No FindAndDelete" example carries a high-S signature.
  auto c = load_vectors("bitcoin/bip143.json")["cases"][12];
  auto tx = parse_transaction(unhex(str(c["signed_tx"])));
  ASSERT_TRUE(tx.ok());
  TxOut spent{Sat(c["amount"].get<uint64_t>()), Script(unhex(str(c["script_pubkey"])))};
  EXPECT_TRUE(verify_input(*tx, 0, spent, verify::MANDATORY).ok());
  auto policy = verify_input(*tx, 0, spent, verify::STANDARD);
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.error(), ScriptError::SigHighS);
}

// BOLT 3's commitment transactions spend the 2-of-2 funding output, and the HTLC
// transactions spend offered and received HTLC outputs: every input must pass bitcoind's
// standard flags, and a corrupted signature must fail with NULLFAIL.
TEST(Interpreter, Bolt3CommitmentAndHtlcTransactions) {
  auto v = load_vectors("bolt03/commitment-tx.json");
  Script funding_script(unhex(str(v["funding_witness_script"])));
  TxOut funding{Sat(v["parameters"]["funding_amount_satoshi"].get<uint64_t>()),
                p2wsh_for_script(funding_script)};
  int htlc_inputs = 0;
  for (const auto& tc : v["test_cases"]) {
    SCOPED_TRACE(str(tc["name"]));
    auto commit = parse_transaction(unhex(str(tc["commit_tx"])));
    ASSERT_TRUE(commit.ok());
    auto ok = verify_input(*commit, 0, funding, verify::STANDARD);
    EXPECT_TRUE(ok.ok()) << script_error_string(ok.ok() ? ScriptError::Ok : ok.error());
    Transaction bad = *commit;
    bad.inputs[0].witness[1][10] ^= 1;
    auto fail = verify_input(bad, 0, funding, verify::STANDARD);
    ASSERT_FALSE(fail.ok());
    EXPECT_TRUE(fail.error() == ScriptError::SigNullFail || fail.error() == ScriptError::SigDer);
    for (const auto& h : tc["htlc_txs"]) {
      auto spend = parse_transaction(unhex(str(h["tx"])));
      ASSERT_TRUE(spend.ok());
      const TxOut& out = commit->outputs[h["output_index"].get<size_t>()];
      auto r = verify_input(*spend, 0, out, verify::STANDARD);
      EXPECT_TRUE(r.ok()) << str(h["type"]) << ": "
                          << script_error_string(r.ok() ? ScriptError::Ok : r.error());
      ++htlc_inputs;
    }
  }
  EXPECT_GT(htlc_inputs, 10);
}

// --- hand-built cases -------------------------------------------------------------------

struct Keys {
  crypto::SecretKey secret;
  Bytes pub;
};

Keys make_key(uint8_t seed) {
  std::array<uint8_t, 32> raw{};
  raw[31] = seed;
  raw[0] = 0x11;
  auto sk = crypto::SecretKey::from_bytes(raw);
  FULGUR_ASSERT(sk.ok());
  auto pub = sk->public_key().serialize();
  return Keys{std::move(*sk), Bytes(pub.begin(), pub.end())};
}

// One input spending a P2WSH output of `witness_script`, version 2.
struct P2wshSpend {
  Transaction tx;
  TxOut spent;
  Script witness_script;

  P2wshSpend(Script script, uint32_t sequence = SEQUENCE_FINAL, uint32_t locktime = 0)
      : witness_script(std::move(script)) {
    spent = TxOut{Sat(100'000), p2wsh_for_script(witness_script)};
    tx.version = 2;
    tx.locktime = locktime;
    TxIn in;
    in.prevout = OutPoint{Txid(std::array<uint8_t, 32>{7}), 1};
    in.sequence = sequence;
    tx.inputs.push_back(in);
    tx.outputs.push_back(TxOut{Sat(90'000), p2wpkh(Hash160{})});
  }
  Bytes sign(const Keys& k, uint32_t hash_type = SIGHASH_ALL) const {
    Hash256 h = segwit_v0_sighash(tx, 0, witness_script.span(), spent.amount, hash_type);
    Bytes sig = crypto::sign(k.secret, h).to_der();
    sig.push_back(static_cast<uint8_t>(hash_type));
    return sig;
  }
  ScriptError run(Witness items, uint32_t flags = verify::STANDARD) {
    items.push_back(witness_script.bytes());
    tx.inputs[0].witness = std::move(items);
    auto r = verify_input(tx, 0, spent, flags);
    return r.ok() ? ScriptError::Ok : r.error();
  }
};

Script asm_script(const std::string& text) {
  auto s = parse_asm(text);
  EXPECT_TRUE(s.has_value()) << text;
  return s.value_or(Script());
}

TEST(Interpreter, P2wpkhSpendAndWrongKey) {
  Keys k = make_key(1);
  Transaction tx;
  tx.inputs.push_back(TxIn{OutPoint{Txid(std::array<uint8_t, 32>{9}), 0}, Script(), 0, {}});
  tx.outputs.push_back(TxOut{Sat(1000), p2wpkh(Hash160{})});
  TxOut spent{Sat(5000), p2wpkh_for_key(k.pub)};
  Hash256 h = segwit_v0_sighash(tx, 0, p2wpkh_script_code(crypto::hash160(k.pub)).span(),
                                spent.amount, SIGHASH_ALL);
  Bytes sig = crypto::sign(k.secret, h).to_der();
  sig.push_back(SIGHASH_ALL);
  tx.inputs[0].witness = {sig, k.pub};
  EXPECT_TRUE(verify_input(tx, 0, spent, verify::STANDARD).ok());
  tx.inputs[0].witness = {sig, make_key(2).pub};
  EXPECT_EQ(verify_input(tx, 0, spent, verify::STANDARD).error(), ScriptError::EqualVerify);
  tx.inputs[0].witness = {sig};
  EXPECT_EQ(verify_input(tx, 0, spent, verify::STANDARD).error(),
            ScriptError::WitnessProgramMismatch);
  tx.inputs[0].witness = {Bytes{}, k.pub};
  EXPECT_EQ(verify_input(tx, 0, spent, verify::STANDARD).error(), ScriptError::EvalFalse);
  Bytes bad_type = sig;
  bad_type.back() = 0x04;
  tx.inputs[0].witness = {bad_type, k.pub};
  EXPECT_EQ(verify_input(tx, 0, spent, verify::STANDARD).error(), ScriptError::SigHashtype);
  tx.inputs[0].script_sig = Script(Bytes{OP_1});
  tx.inputs[0].witness = {sig, k.pub};
  EXPECT_EQ(verify_input(tx, 0, spent, verify::STANDARD).error(), ScriptError::WitnessMalleated);
}

TEST(Interpreter, TwoOfTwoMultisigAndNullFail) {
  Keys a = make_key(1), b = make_key(2);
  Script ms;
  ms.push_opcode(OP_2).push_data(a.pub).push_data(b.pub).push_opcode(OP_2);
  ms.push_opcode(OP_CHECKMULTISIG);
  P2wshSpend s(ms);
  Bytes sa = s.sign(a), sb = s.sign(b);
  EXPECT_EQ(s.run({Bytes{}, sa, sb}), ScriptError::Ok);
  EXPECT_EQ(s.run({Bytes{}, sb, sa}), ScriptError::SigNullFail);  // wrong order
  EXPECT_EQ(s.run({Bytes{}, sb, sa}, verify::MANDATORY), ScriptError::EvalFalse);
  EXPECT_EQ(s.run({Bytes{1}, sa, sb}), ScriptError::SigNullDummy);
  EXPECT_EQ(s.run({Bytes{}, Bytes{}, Bytes{}}), ScriptError::EvalFalse);
  EXPECT_EQ(s.run({sa, sb}), ScriptError::InvalidStackOperation);
  // Any sighash type works when signed for it.
  for (uint32_t t : {SIGHASH_NONE, SIGHASH_SINGLE, SIGHASH_ALL | SIGHASH_ANYONECANPAY,
                     SIGHASH_NONE | SIGHASH_ANYONECANPAY, SIGHASH_SINGLE | SIGHASH_ANYONECANPAY}) {
    EXPECT_EQ(s.run({Bytes{}, s.sign(a, t), s.sign(b, t)}), ScriptError::Ok) << t;
  }
  Script verify_ms = ms;
  Bytes raw = verify_ms.bytes();
  raw.back() = OP_CHECKMULTISIGVERIFY;
  raw.push_back(OP_1);
  P2wshSpend v(Script(std::move(raw)));
  EXPECT_EQ(v.run({Bytes{}, v.sign(a), v.sign(b)}), ScriptError::Ok);
  EXPECT_EQ(v.run({Bytes{}, Bytes{}, Bytes{}}), ScriptError::CheckMultisigVerify);
}

TEST(Interpreter, CheckSigVariantsAndPubkeyTypes) {
  Keys a = make_key(3);
  Script s1;
  s1.push_data(a.pub).push_opcode(OP_CHECKSIGVERIFY).push_opcode(OP_1);
  P2wshSpend v(s1);
  EXPECT_EQ(v.run({v.sign(a)}), ScriptError::Ok);
  EXPECT_EQ(v.run({Bytes{}}), ScriptError::CheckSigVerify);
  Bytes high = v.sign(a);
  high[high.size() - 2] ^= 1;  // corrupt s: still DER, wrong signature
  EXPECT_EQ(v.run({high}), ScriptError::SigNullFail);
  EXPECT_EQ(v.run({Bytes{0x30, 0x01}}), ScriptError::SigDer);
  // Uncompressed keys: consensus-valid, but not in witness v0 policy.
  auto unc = a.secret.public_key().serialize_uncompressed();
  Script s2;
  s2.push_data(unc).push_opcode(OP_CHECKSIG);
  P2wshSpend u(s2);
  EXPECT_EQ(u.run({u.sign(a)}), ScriptError::WitnessPubkeyType);
  EXPECT_EQ(u.run({u.sign(a)}, verify::MANDATORY), ScriptError::Ok);
  Script s3;
  s3.push_data(Bytes(33, 0x05)).push_opcode(OP_CHECKSIG);
  P2wshSpend t(s3);
  EXPECT_EQ(t.run({t.sign(a)}), ScriptError::PubkeyType);
}

TEST(Interpreter, CheckLockTimeVerify) {
  Script cltv = asm_script("500 CHECKLOCKTIMEVERIFY DROP 1");
  EXPECT_EQ(P2wshSpend(cltv, 0xfffffffe, 500).run({}), ScriptError::Ok);
  EXPECT_EQ(P2wshSpend(cltv, 0xfffffffe, 600).run({}), ScriptError::Ok);
  EXPECT_EQ(P2wshSpend(cltv, 0xfffffffe, 499).run({}), ScriptError::UnsatisfiedLocktime);
  // A final input disables nLockTime, so CLTV fails.
  EXPECT_EQ(P2wshSpend(cltv, SEQUENCE_FINAL, 500).run({}), ScriptError::UnsatisfiedLocktime);
  // Heights and times do not compare.
  EXPECT_EQ(P2wshSpend(cltv, 0, 500'000'001).run({}), ScriptError::UnsatisfiedLocktime);
  EXPECT_EQ(P2wshSpend(asm_script("-1 CHECKLOCKTIMEVERIFY")).run({}),
            ScriptError::NegativeLocktime);
  EXPECT_EQ(P2wshSpend(asm_script("CHECKLOCKTIMEVERIFY")).run({}),
            ScriptError::InvalidStackOperation);
  // Five-byte lock values are allowed.
  Script big = asm_script("0x05 0xffffffff00 CHECKLOCKTIMEVERIFY DROP 1");
  EXPECT_EQ(P2wshSpend(big, 0, 0xffffffff).run({}), ScriptError::Ok);
  // Without the rule it is NOP2, which policy discourages.
  EXPECT_EQ(P2wshSpend(cltv, SEQUENCE_FINAL, 0).run({}, verify::P2SH | verify::WITNESS),
            ScriptError::Ok);
  EXPECT_EQ(P2wshSpend(cltv).run({}, verify::P2SH | verify::WITNESS |
                                         verify::DISCOURAGE_UPGRADABLE_NOPS),
            ScriptError::DiscourageUpgradableNops);
}

TEST(Interpreter, CheckSequenceVerify) {
  Script csv = asm_script("144 CHECKSEQUENCEVERIFY DROP 1");  // BOLT 3 to_self_delay
  EXPECT_EQ(P2wshSpend(csv, 144).run({}), ScriptError::Ok);
  EXPECT_EQ(P2wshSpend(csv, 145).run({}), ScriptError::Ok);
  EXPECT_EQ(P2wshSpend(csv, 143).run({}), ScriptError::UnsatisfiedLocktime);
  EXPECT_EQ(P2wshSpend(csv, SEQUENCE_FINAL).run({}), ScriptError::UnsatisfiedLocktime);
  EXPECT_EQ(P2wshSpend(csv, SEQUENCE_LOCKTIME_TYPE_FLAG | 144).run({}),
            ScriptError::UnsatisfiedLocktime);  // time-based vs block-based
  P2wshSpend v1(csv, 144);
  v1.tx.version = 1;  // BIP 68 needs version 2
  EXPECT_EQ(v1.run({}), ScriptError::UnsatisfiedLocktime);
  // The disable flag in the script's argument makes CSV a NOP.
  Script disabled = asm_script("0x05 0x0000008000 CHECKSEQUENCEVERIFY DROP 1");
  EXPECT_EQ(P2wshSpend(disabled, 0).run({}), ScriptError::Ok);
  EXPECT_EQ(P2wshSpend(asm_script("-1 CHECKSEQUENCEVERIFY")).run({}),
            ScriptError::NegativeLocktime);
}

// An HTLC-like script: the payee with the preimage, or the payer after a CLTV timeout.
TEST(Interpreter, HtlcLikeScript) {
  Keys payee = make_key(4), payer = make_key(5);
  Bytes preimage(32, 0x42);
  Hash160 payment_hash = crypto::ripemd160(crypto::sha256(preimage).span());
  Script htlc;
  htlc.push_opcode(OP_IF).push_opcode(OP_SIZE).push_int(32).push_opcode(OP_EQUALVERIFY);
  htlc.push_opcode(OP_HASH160).push_data(payment_hash.span()).push_opcode(OP_EQUALVERIFY);
  htlc.push_data(payee.pub);
  htlc.push_opcode(OP_ELSE).push_int(700).push_opcode(OP_CHECKLOCKTIMEVERIFY);
  htlc.push_opcode(OP_DROP).push_data(payer.pub).push_opcode(OP_ENDIF);
  htlc.push_opcode(OP_CHECKSIG);

  P2wshSpend claim(htlc, SEQUENCE_FINAL, 0);
  EXPECT_EQ(claim.run({claim.sign(payee), preimage, Bytes{1}}), ScriptError::Ok);
  EXPECT_EQ(claim.run({claim.sign(payee), Bytes(32, 0x43), Bytes{1}}), ScriptError::EqualVerify);
  EXPECT_EQ(claim.run({claim.sign(payee), Bytes(31, 0x42), Bytes{1}}), ScriptError::EqualVerify);
  EXPECT_EQ(claim.run({claim.sign(payer), preimage, Bytes{1}}), ScriptError::SigNullFail);
  // MINIMALIF: the branch selector must be empty or exactly 0x01.
  EXPECT_EQ(claim.run({claim.sign(payee), preimage, Bytes{2}}), ScriptError::MinimalIf);
  EXPECT_EQ(claim.run({claim.sign(payee), preimage, Bytes{1, 0}}), ScriptError::MinimalIf);
  EXPECT_EQ(claim.run({claim.sign(payee), preimage, Bytes{2}}, verify::MANDATORY),
            ScriptError::Ok);

  P2wshSpend early(htlc, 0, 699);
  EXPECT_EQ(early.run({early.sign(payer), Bytes{}}), ScriptError::UnsatisfiedLocktime);
  P2wshSpend late(htlc, 0, 700);
  EXPECT_EQ(late.run({late.sign(payer), Bytes{}}), ScriptError::Ok);
  // Leaving an extra element fails the witness clean-stack rule.
  EXPECT_EQ(late.run({Bytes{5}, late.sign(payer), Bytes{}}), ScriptError::CleanStack);
}

struct OpCase {
  const char* witness_script;
  ScriptError expected;
};

TEST(Interpreter, OpcodesOneByOne) {
  const OpCase cases[] = {
      {"1 2 SWAP 1 EQUALVERIFY 2 EQUAL", ScriptError::Ok},
      {"1 2 3 ROT 1 EQUALVERIFY 2DROP 1", ScriptError::Ok},
      {"1 2 OVER 1 EQUALVERIFY 2DROP 1", ScriptError::Ok},
      {"5 6 7 2 PICK 5 EQUALVERIFY 2DROP DROP 1", ScriptError::Ok},
      {"5 6 7 2 ROLL 5 EQUALVERIFY 2DROP 1", ScriptError::Ok},
      {"5 6 NIP 6 EQUAL", ScriptError::Ok},
      {"5 6 TUCK 2DROP 6 EQUAL", ScriptError::Ok},
      {"1 2 2DUP 2DROP 2DROP 1", ScriptError::Ok},
      {"0 IFDUP DEPTH 1 EQUALVERIFY DROP 1", ScriptError::Ok},
      {"3 TOALTSTACK FROMALTSTACK 3 EQUAL", ScriptError::Ok},
      {"FROMALTSTACK", ScriptError::InvalidAltstackOperation},
      {"DROP", ScriptError::InvalidStackOperation},
      {"1 VERIFY 1", ScriptError::Ok},
      {"0 VERIFY 1", ScriptError::Verify},
      {"RETURN", ScriptError::OpReturn},
      {"1 IF 1", ScriptError::UnbalancedConditional},
      {"ELSE 1", ScriptError::UnbalancedConditional},
      {"1 ENDIF", ScriptError::UnbalancedConditional},
      {"0 NOTIF 1 ENDIF", ScriptError::Ok},
      {"-1 1ADD 0 EQUAL", ScriptError::Ok},
      {"5 3 SUB 2 NUMEQUAL", ScriptError::Ok},
      {"2 3 NUMEQUALVERIFY 1", ScriptError::NumEqualVerify},
      {"1 0 BOOLOR 1 1 BOOLAND BOOLAND", ScriptError::Ok},
      {"4 3 5 WITHIN", ScriptError::Ok},
      {"3 4 MIN 3 NUMEQUAL", ScriptError::Ok},
      {"3 4 MAX 4 NUMEQUAL", ScriptError::Ok},
      {"3 4 LESSTHAN 4 3 GREATERTHAN BOOLAND", ScriptError::Ok},
      {"0 NOT", ScriptError::Ok},
      {"0x05 0x0000000001 1ADD", ScriptError::UnknownError},  // 5-byte math
      {"0x02 0x0100 1ADD", ScriptError::UnknownError},         // non-minimal number
      {"0x01 0x05 DROP 1", ScriptError::MinimalData},          // should be OP_5
      {"'' SHA256 0x20 0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 EQUAL",
       ScriptError::Ok},
      {"'' HASH256 SIZE 32 EQUALVERIFY DROP 1", ScriptError::Ok},
      {"'' RIPEMD160 SIZE 20 EQUALVERIFY DROP 1", ScriptError::Ok},
      {"1 2 CAT", ScriptError::DisabledOpcode},
      {"0 IF 2 MUL ENDIF 1", ScriptError::DisabledOpcode},  // even unexecuted
      {"0 IF VERIF ENDIF 1", ScriptError::BadOpcode},
      {"RESERVED", ScriptError::BadOpcode},
      {"1 NOP", ScriptError::Ok},
      {"1 NOP1", ScriptError::DiscourageUpgradableNops},
      {"1 CHECKSIGADD", ScriptError::BadOpcode},
      {"DEPTH 0 EQUAL", ScriptError::Ok},
  };
  for (const auto& c : cases) {
    P2wshSpend s(asm_script(c.witness_script));
    EXPECT_STREQ(script_error_name(s.run({})), script_error_name(c.expected)) << c.witness_script;
  }
}

TEST(Interpreter, Limits) {
  // 201 non-push opcodes are allowed, 202 are not.
  std::string ops;
  for (int i = 0; i < 200; ++i) ops += "NOP ";
  EXPECT_EQ(P2wshSpend(asm_script(ops + "1 NOP")).run({}), ScriptError::Ok);
  EXPECT_EQ(P2wshSpend(asm_script(ops + "1 NOP NOP")).run({}), ScriptError::OpCount);
  // 520-byte elements are fine (consensus), 521 are not.
  Script push520;
  push520.push_data(Bytes(520, 1)).push_opcode(OP_SIZE).push_int(520).push_opcode(OP_EQUALVERIFY);
  push520.push_opcode(OP_DROP).push_opcode(OP_1);
  EXPECT_EQ(P2wshSpend(push520).run({}, verify::MANDATORY), ScriptError::Ok);
  Script push521;
  push521.push_data(Bytes(521, 1));
  EXPECT_EQ(P2wshSpend(push521).run({}, verify::MANDATORY), ScriptError::PushSize);
  EXPECT_EQ(P2wshSpend(asm_script("DROP 1")).run({Bytes(521, 1)}, verify::MANDATORY),
            ScriptError::PushSize);
  // The stack holds at most 1000 elements.
  Bytes pushes(1000, OP_1);
  Bytes fine = pushes;
  fine.push_back(OP_DEPTH);  // the 1001st element
  EXPECT_EQ(P2wshSpend(Script(pushes)).run({}, verify::MANDATORY), ScriptError::CleanStack);
  EXPECT_EQ(P2wshSpend(Script(fine)).run({}, verify::MANDATORY), ScriptError::StackSize);
  // Witness scripts above 10000 bytes are invalid.
  Bytes huge(10001, OP_NOP);
  EXPECT_EQ(P2wshSpend(Script(huge)).run({}, verify::MANDATORY), ScriptError::ScriptSize);
}

TEST(Interpreter, WitnessStandardness) {
  P2wshSpend s(asm_script("DROP 1"));
  s.tx.inputs[0].witness = {Bytes(80, 1), s.witness_script.bytes()};
  EXPECT_TRUE(is_witness_standard(s.tx.inputs[0], s.spent.script_pubkey));
  s.tx.inputs[0].witness = {Bytes(81, 1), s.witness_script.bytes()};
  EXPECT_FALSE(is_witness_standard(s.tx.inputs[0], s.spent.script_pubkey));
  s.tx.inputs[0].witness = Witness(101, Bytes{});  // 100 stack items and the script
  EXPECT_TRUE(is_witness_standard(s.tx.inputs[0], s.spent.script_pubkey));
  s.tx.inputs[0].witness = Witness(102, Bytes{});
  EXPECT_FALSE(is_witness_standard(s.tx.inputs[0], s.spent.script_pubkey));
  s.tx.inputs[0].witness = {Bytes(3601, OP_NOP)};
  EXPECT_FALSE(is_witness_standard(s.tx.inputs[0], s.spent.script_pubkey));
  s.tx.inputs[0].witness = {Bytes{1}};
  EXPECT_FALSE(is_witness_standard(s.tx.inputs[0], p2pkh(Hash160{})));
}

TEST(Interpreter, ScriptNumbers) {
  for (int64_t v : {0LL, 1LL, -1LL, 127LL, 128LL, -128LL, 255LL, 32767LL, -32768LL,
                    2147483647LL, -2147483647LL}) {
    Bytes enc = ScriptNum::encode(v);
    auto dec = ScriptNum::decode(enc, true);
    ASSERT_TRUE(dec.ok()) << v;
    EXPECT_EQ(dec->value(), v);
  }
  EXPECT_FALSE(ScriptNum::decode(Bytes{0x00}, true).ok());
  EXPECT_TRUE(ScriptNum::decode(Bytes{0x00}, false).ok());
  EXPECT_FALSE(ScriptNum::decode(Bytes{1, 2, 3, 4, 5}, false).ok());
  EXPECT_TRUE(cast_to_bool(Bytes{0, 1}));
  EXPECT_FALSE(cast_to_bool(Bytes{0, 0x80}));
  EXPECT_FALSE(cast_to_bool(Bytes{}));
}

TEST(Interpreter, LegacyP2pkhSpend) {
  Keys k = make_key(6);
  Transaction tx;
  tx.inputs.push_back(TxIn{OutPoint{Txid(std::array<uint8_t, 32>{3}), 0}, Script(), 0, {}});
  tx.outputs.push_back(TxOut{Sat(1000), p2wpkh(Hash160{})});
  TxOut spent{Sat(5000), p2pkh(crypto::hash160(k.pub))};
  Hash256 h = legacy_sighash(tx, 0, spent.script_pubkey, SIGHASH_ALL);
  Bytes sig = crypto::sign(k.secret, h).to_der();
  sig.push_back(SIGHASH_ALL);
  Script script_sig;
  script_sig.push_data(sig).push_data(k.pub);
  tx.inputs[0].script_sig = script_sig;
  EXPECT_TRUE(verify_input(tx, 0, spent, verify::STANDARD).ok());
  tx.outputs[0].amount = Sat(999);
  EXPECT_EQ(verify_input(tx, 0, spent, verify::STANDARD).error(), ScriptError::SigNullFail);
}

TEST(Interpreter, LegacySighashFundingTx) {
  // BOLT 3's funding transaction spends a P2PKH coinbase output with a legacy signature.
  auto v = load_vectors("bolt03/funding-tx.json")["vector"];
  auto tx = parse_transaction(unhex(str(v["funding_tx"])));
  auto coinbase = parse_transaction(unhex(str(v["block1_coinbase_tx"])));
  ASSERT_TRUE(tx.ok() && coinbase.ok());
  EXPECT_TRUE(verify_input(*tx, 0, coinbase->outputs[0], verify::STANDARD).ok());
}

TEST(Interpreter, MempoolRejectReasons) {
  Keys payee = make_key(7);
  Script cltv;
  cltv.push_int(800).push_opcode(OP_CHECKLOCKTIMEVERIFY).push_opcode(OP_DROP);
  cltv.push_data(payee.pub).push_opcode(OP_CHECKSIG);
  P2wshSpend early(cltv, 0, 799);
  early.tx.inputs[0].witness = {early.sign(payee), early.witness_script.bytes()};
  auto check = check_input_for_mempool(early.tx, 0, early.spent);
  EXPECT_FALSE(check.ok);
  EXPECT_TRUE(check.mandatory);
  EXPECT_EQ(check.reject_reason(),
            "mandatory-script-verify-flag-failed (Locktime requirement not satisfied)");
  P2wshSpend on_time(cltv, 0, 800);
  Bytes good = on_time.sign(payee);
  on_time.tx.inputs[0].witness = {good, on_time.witness_script.bytes()};
  EXPECT_TRUE(check_input_for_mempool(on_time.tx, 0, on_time.spent).ok);
  EXPECT_EQ(check_input_for_mempool(on_time.tx, 0, on_time.spent).reject_reason(), "");
  // A wrong signature is a consensus failure, reported with the NULLFAIL message.
  Bytes bad = good;
  bad[bad.size() - 3] ^= 1;
  on_time.tx.inputs[0].witness = {bad, on_time.witness_script.bytes()};
  auto bad_sig = check_input_for_mempool(on_time.tx, 0, on_time.spent);
  EXPECT_TRUE(bad_sig.mandatory);
  EXPECT_EQ(bad_sig.reject_reason(),
            "mandatory-script-verify-flag-failed (Signature must be zero for failed "
            "CHECK(MULTI)SIG operation)");
  // A non-minimal IF argument breaks only policy.
  P2wshSpend minimal_if(asm_script("IF 1 ELSE 0 ENDIF"));
  minimal_if.tx.inputs[0].witness = {Bytes{2}, minimal_if.witness_script.bytes()};
  auto policy = check_input_for_mempool(minimal_if.tx, 0, minimal_if.spent);
  EXPECT_FALSE(policy.ok);
  EXPECT_FALSE(policy.mandatory);
  EXPECT_EQ(policy.reject_reason(),
            "non-mandatory-script-verify-flag (OP_IF/NOTIF argument must be minimal)");
}

}  // namespace
}  // namespace fulgur::bitcoin
