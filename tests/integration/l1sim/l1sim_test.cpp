// l1sim as a real process on a loopback port, driven through lib/chain's client: funding
// and spending, bitcoind's rejections (double spend, bad signature, bad input), reorgs by
// invalidateblock, restarts, several clients at once, and lib/chain's follower on top.
#include <gtest/gtest.h>
#include <httplib.h>
#include <uv.h>

#include <algorithm>
#include <thread>

#include "bitcoin/bech32.h"
#include "bitcoin/sighash.h"
#include "bitcoin/tx.h"
#include "crypto/keys.h"
#include "chain/follower.h"
#include "common/hex.h"
#include "l1sim_process.h"

using namespace fulgur;
using namespace fulgur::chain;
using fulgur::test::L1simProcess;
using nlohmann::json;

namespace {

constexpr uint64_t COIN = 100'000'000;

template <typename T>
T ok(ChainResult<T> r) {
  if (!r.ok()) throw std::runtime_error(r.error().describe());
  return std::move(r).value();
}

bitcoin::Transaction decode(const Bytes& raw) {
  auto tx = bitcoin::parse_transaction(raw);
  if (!tx) throw std::runtime_error(tx.error().message);
  return *tx;
}

bitcoin::Script script_of(const std::string& address) {
  return *bitcoin::segwit_address_to_script(bitcoin::Network::Regtest, address);
}

// 101 blocks to a wallet address: 50 BTC become spendable.
std::string fund_wallet(BitcoindL1& l1) {
  std::string address = ok(l1.get_new_address());
  ok(l1.generate_to_address(101, address));
  return address;
}

// A transaction paying `amount` to `address`, funded and signed by l1sim's wallet.
bitcoin::Transaction wallet_tx(BitcoindL1& l1, const std::string& address, Sat amount) {
  bitcoin::Transaction tx;
  tx.outputs.push_back({amount, script_of(address)});
  FundResult funded = ok(l1.fund_raw_transaction(tx.serialize(), {}));
  SignResult signed_tx = ok(l1.sign_raw_transaction_with_wallet(funded.tx));
  EXPECT_TRUE(signed_tx.complete);
  return decode(signed_tx.tx);
}

ChainError send_error(BitcoindL1& l1, const bitcoin::Transaction& tx) {
  auto r = l1.send_raw_transaction(tx.serialize());
  if (r.ok()) throw std::runtime_error("expected a rejection, got " + r->to_hex());
  return r.error();
}

bool in_mempool(BitcoindL1& l1, const Txid& txid) {
  auto pool = ok(l1.get_raw_mempool());
  return std::find(pool.begin(), pool.end(), txid) != pool.end();
}

}  // namespace

TEST(L1sim, FundAnAddressAndSpendFromIt) {
  L1simProcess sim;
  BitcoindL1 l1 = sim.client();
  EXPECT_EQ(ok(l1.get_blockchain_info()).chain, "regtest");
  std::string miner = fund_wallet(l1);
  EXPECT_EQ(ok(l1.get_block_count()), 101u);
  EXPECT_EQ(ok(l1.get_balance()).value(), 50 * COIN);

  // Fund a fresh address with sendtoaddress; it confirms in the next block.
  std::string target = ok(l1.get_new_address());
  Txid funding = ok(l1.send_to_address(target, Sat(2 * COIN)));
  EXPECT_TRUE(in_mempool(l1, funding));
  ok(l1.generate_to_address(1, miner));
  EXPECT_FALSE(in_mempool(l1, funding));
  TxInfo info = ok(l1.get_raw_transaction(funding));
  EXPECT_EQ(info.confirmations, 1);
  bitcoin::Transaction funding_tx = decode(info.raw);
  auto out = std::find_if(funding_tx.outputs.begin(), funding_tx.outputs.end(),
                          [&](const auto& o) { return o.script_pubkey == script_of(target); });
  ASSERT_NE(out, funding_tx.outputs.end());
  uint32_t vout = static_cast<uint32_t>(out - funding_tx.outputs.begin());
  auto txout = ok(l1.get_tx_out(funding, vout, true));
  ASSERT_TRUE(txout.has_value());
  EXPECT_EQ(txout->value.value(), 2 * COIN);
  EXPECT_EQ(txout->confirmations, 1);

  // Spend exactly that output (no wallet funding): 1.5 BTC out, the rest is fee... too
  // much fee is refused by maxfeerate, so pay 1.9999 BTC and leave 10000 sat of fee.
  bitcoin::Transaction spend;
  spend.inputs.push_back({bitcoin::OutPoint{funding, vout}, {}, 0xfffffffd, {}});
  spend.outputs.push_back({Sat(2 * COIN - 10'000), script_of(ok(l1.get_new_address()))});
  SignResult signed_spend = ok(l1.sign_raw_transaction_with_wallet(spend.serialize()));
  ASSERT_TRUE(signed_spend.complete);
  MempoolAccept test = ok(l1.test_mempool_accept(signed_spend.tx));
  EXPECT_TRUE(test.allowed) << test.reject_reason;
  Txid spent = ok(l1.send_raw_transaction(signed_spend.tx));
  EXPECT_TRUE(in_mempool(l1, spent));
  EXPECT_FALSE(ok(l1.get_tx_out(funding, vout, true)).has_value());  // spent in the mempool
  EXPECT_TRUE(ok(l1.get_tx_out(funding, vout, false)).has_value());  // still unspent on chain
  ok(l1.generate_to_address(1, miner));
  EXPECT_EQ(ok(l1.get_raw_transaction(spent)).confirmations, 1);
  auto fee = ok(l1.estimate_smart_fee(6));
  ASSERT_TRUE(fee.has_value());
  EXPECT_GT(fee->value(), 0u);
  auto unspent = ok(l1.list_unspent(1));
  EXPECT_TRUE(std::any_of(unspent.begin(), unspent.end(),
                          [&](const Utxo& u) { return u.txid == spent; }));
}

TEST(L1sim, DoubleSpendIsRejected) {
  L1simProcess sim;
  BitcoindL1 l1 = sim.client();
  std::string miner = fund_wallet(l1);
  bitcoin::Transaction first = wallet_tx(l1, ok(l1.get_new_address()), Sat(COIN));
  // The same inputs, paying somewhere else.
  bitcoin::Transaction second = first;
  second.outputs[0].script_pubkey = script_of(ok(l1.get_new_address()));
  second = decode(ok(l1.sign_raw_transaction_with_wallet(second.serialize())).tx);
  ASSERT_NE(first.txid(), second.txid());

  Txid first_id = ok(l1.send_raw_transaction(first.serialize()));
  ChainError conflict = send_error(l1, second);
  EXPECT_TRUE(conflict.is_rpc(RpcCode::VerifyRejected)) << conflict.describe();
  EXPECT_EQ(conflict.message, "txn-mempool-conflict");
  EXPECT_EQ(ok(l1.test_mempool_accept(second.serialize())).reject_reason, "txn-mempool-conflict");

  ok(l1.generate_to_address(1, miner));
  ChainError spent = send_error(l1, second);
  EXPECT_TRUE(spent.is_rpc(RpcCode::VerifyError)) << spent.describe();
  EXPECT_EQ(spent.message, "bad-txns-inputs-missingorspent");
  EXPECT_EQ(ok(l1.test_mempool_accept(second.serialize())).reject_reason, "missing-inputs");
  // The confirmed one again: its outputs are already in the UTXO set.
  ChainError again = send_error(l1, first);
  EXPECT_TRUE(again.is_rpc(RpcCode::VerifyAlreadyInChain)) << again.describe();
  EXPECT_EQ(ok(l1.get_raw_transaction(first_id)).confirmations, 1);
}

TEST(L1sim, BadSignatureIsRejectedAndTheGoodOneAccepted) {
  L1simProcess sim;
  BitcoindL1 l1 = sim.client();
  fund_wallet(l1);
  bitcoin::Transaction good = wallet_tx(l1, ok(l1.get_new_address()), Sat(COIN));
  bitcoin::Transaction bad = good;
  Bytes& sig = bad.inputs[0].witness[0];
  sig[sig.size() - 10] ^= 0x01;  // inside s: still strict DER, no longer valid
  ChainError e = send_error(l1, bad);
  EXPECT_TRUE(e.is_rpc(RpcCode::VerifyRejected)) << e.describe();
  EXPECT_EQ(e.message,
            "mandatory-script-verify-flag-failed (Signature must be zero for failed "
            "CHECK(MULTI)SIG operation)");
  EXPECT_TRUE(ok(l1.send_raw_transaction(good.serialize())) == good.txid());
}

TEST(L1sim, FeeAndAmountRulesUseBitcoindText) {
  L1simProcess sim;
  BitcoindL1 l1 = sim.client();
  fund_wallet(l1);
  bitcoin::Transaction tx = wallet_tx(l1, ok(l1.get_new_address()), Sat(COIN));
  auto coin = ok(l1.get_tx_out(tx.inputs[0].prevout.txid, tx.inputs[0].prevout.vout, true));
  ASSERT_TRUE(coin.has_value());
  // Outputs worth all the input: no fee at all.
  bitcoin::Transaction no_fee;
  no_fee.inputs.push_back({tx.inputs[0].prevout, {}, 0xfffffffd, {}});
  no_fee.outputs.push_back({coin->value, script_of(ok(l1.get_new_address()))});
  no_fee = decode(ok(l1.sign_raw_transaction_with_wallet(no_fee.serialize())).tx);
  ChainError e = send_error(l1, no_fee);
  EXPECT_TRUE(e.is_rpc(RpcCode::VerifyRejected));
  EXPECT_EQ(e.message, "min relay fee not met, 0 < " + std::to_string(no_fee.vsize()));
  // More out than in.
  bitcoin::Transaction too_much = no_fee;
  too_much.outputs[0].amount = Sat(coin->value.value() + 1);
  too_much = decode(ok(l1.sign_raw_transaction_with_wallet(too_much.serialize())).tx);
  e = send_error(l1, too_much);
  EXPECT_EQ(e.message, "bad-txns-in-belowout, value in (50.00) < value out (50.00000001)");
  // A dust output.
  bitcoin::Transaction dust = wallet_tx(l1, ok(l1.get_new_address()), Sat(293));
  EXPECT_EQ(send_error(l1, dust).message, "dust");
}

TEST(L1sim, ReorgByInvalidateBlockReturnsTransactionsToTheMempool) {
  L1simProcess sim;
  BitcoindL1 l1 = sim.client();
  std::string miner = fund_wallet(l1);
  Txid txid = ok(l1.send_to_address(ok(l1.get_new_address()), Sat(COIN)));
  BlockHash mined = ok(l1.generate_to_address(1, miner)).at(0);
  EXPECT_FALSE(in_mempool(l1, txid));
  EXPECT_EQ(ok(l1.get_block_count()), 102u);

  ok(l1.invalidate_block(mined));
  EXPECT_EQ(ok(l1.get_block_count()), 101u);
  EXPECT_TRUE(in_mempool(l1, txid));
  EXPECT_EQ(ok(l1.get_block_header(mined)).confirmations, -1);
  EXPECT_FALSE(ok(l1.get_raw_transaction(txid)).block_hash.has_value());

  // A competing block takes height 102; reconsidering the old one keeps the first seen.
  BlockHash other = ok(l1.generate_to_address(1, miner)).at(0);
  EXPECT_NE(other, mined);
  EXPECT_FALSE(in_mempool(l1, txid));  // mined again in the new block
  ok(l1.reconsider_block(mined));
  EXPECT_EQ(ok(l1.get_best_block_hash()), other);
  // Invalidating the new branch switches back to the reconsidered one.
  ok(l1.invalidate_block(other));
  EXPECT_EQ(ok(l1.get_best_block_hash()), mined);
  EXPECT_EQ(ok(l1.get_raw_transaction(txid)).block_hash, mined);
}

TEST(L1sim, RestartKeepsChainAndWallet) {
  std::filesystem::path dir;
  BlockHash tip;
  Sat balance;
  std::string address;
  {
    L1simProcess sim;
    sim.keep_datadir();
    dir = sim.datadir();
    BitcoindL1 l1 = sim.client();
    std::string miner = fund_wallet(l1);
    address = ok(l1.get_new_address());
    ok(l1.send_to_address(address, Sat(3 * COIN)));
    BlockHash mined = ok(l1.generate_to_address(2, miner)).at(0);
    ok(l1.invalidate_block(mined));  // the invalidation must survive the restart too
    tip = ok(l1.get_best_block_hash());
    balance = ok(l1.get_balance());
  }
  L1simProcess sim(dir);
  BitcoindL1 l1 = sim.client();
  EXPECT_EQ(ok(l1.get_best_block_hash()), tip);
  EXPECT_EQ(ok(l1.get_block_count()), 101u);
  EXPECT_EQ(ok(l1.get_balance()), balance);
  // The wallet still owns its keys: it can spend everything it had.
  ok(l1.generate_to_address(1, address));
  Txid spend = ok(l1.send_to_address(ok(l1.get_new_address()), Sat(40 * COIN)));
  EXPECT_TRUE(in_mempool(l1, spend));
  sim.stop();
  std::filesystem::remove_all(dir);
}

// bitcoind's multiwallet: createwallet makes a wallet of its own keys, addressed through
// /wallet/<name>; its coins are its own; it survives a restart; the errors are bitcoind's.
TEST(L1sim, NamedWalletsHoldTheirOwnCoins) {
  std::filesystem::path dir;
  std::string alice_address;
  {
    L1simProcess sim;
    sim.keep_datadir();
    dir = sim.datadir();
    BitcoindL1 l1 = sim.client();
    EXPECT_EQ(ok(l1.call("createwallet", json::array({"alice"})))["name"], "alice");
    auto again = l1.call("createwallet", json::array({"alice"}));
    ASSERT_FALSE(again.ok());
    EXPECT_TRUE(again.error().is_rpc(RpcCode::WalletError)) << again.error().describe();
    auto loaded = l1.call("loadwallet", json::array({"alice"}));
    ASSERT_FALSE(loaded.ok());
    EXPECT_TRUE(loaded.error().is_rpc(RpcCode::WalletAlreadyLoaded)) << loaded.error().describe();
    EXPECT_EQ(ok(l1.call("listwallets")), json::array({"", "alice"}));

    RpcConfig alice_config = sim.config();
    alice_config.wallet = "alice";
    BitcoindL1 alice(alice_config);
    alice_address = ok(alice.get_new_address());
    ok(l1.generate_to_address(1, alice_address));
    fund_wallet(l1);  // 101 more blocks to the default wallet: alice's coinbase matures
    EXPECT_EQ(ok(alice.get_balance()).value(), 50 * COIN);
    EXPECT_EQ(ok(l1.get_balance()).value(), 50 * COIN);  // the default wallet's own coinbase
    // Each wallet spends only its own coins.
    const uint64_t default_before = ok(l1.get_balance()).value();
    Txid paid = ok(alice.send_to_address(ok(l1.get_new_address()), Sat(10 * COIN)));
    ok(l1.generate_to_address(1, alice_address));
    EXPECT_EQ(ok(l1.get_raw_transaction(paid)).confirmations, 1);
    EXPECT_LT(ok(alice.get_balance()).value(), 40 * COIN);
    EXPECT_GT(ok(alice.get_balance()).value(), 40 * COIN - COIN / 1000);
    // The default wallet got the 10 BTC and one more matured coinbase (the block above).
    EXPECT_EQ(ok(l1.get_balance()).value(), default_before + 10 * COIN + 50 * COIN);
    for (const auto& u : ok(l1.list_unspent(0))) {
      EXPECT_NE(u.address, alice_address);
    }

    RpcConfig nobody_config = sim.config();
    nobody_config.wallet = "nobody";
    auto missing = BitcoindL1(nobody_config).get_balance();
    ASSERT_FALSE(missing.ok());
    EXPECT_TRUE(missing.error().is_rpc(RpcCode::WalletNotFound)) << missing.error().describe();
    EXPECT_EQ(missing.error().message, "Requested wallet does not exist or is not loaded");
    auto bad_name = l1.call("createwallet", json::array({"../x"}));
    ASSERT_FALSE(bad_name.ok());
    EXPECT_TRUE(bad_name.error().is_rpc(RpcCode::WalletError));
  }
  L1simProcess sim(dir);
  RpcConfig alice_config = sim.config();
  alice_config.wallet = "alice";
  BitcoindL1 alice(alice_config);
  EXPECT_GT(ok(alice.get_balance()).value(), 40 * COIN - COIN / 1000);
  sim.stop();
  std::filesystem::remove_all(dir);
}

TEST(L1sim, BadInputGetsJsonRpcErrorsAndServingGoesOn) {
  L1simProcess sim;
  BitcoindL1 l1 = sim.client();
  auto expect_rpc = [](const ChainError& e, RpcCode code, const std::string& message) {
    EXPECT_TRUE(e.is_rpc(code)) << e.describe();
    EXPECT_EQ(e.message, message);
  };
  expect_rpc(l1.call("nosuchmethod").error(), RpcCode::MethodNotFound, "Method not found");
  expect_rpc(l1.call("getblockhash", json::array({"ten"})).error(), RpcCode::TypeError,
             "JSON value of type string is not of expected type number");
  expect_rpc(l1.call("getblockhash", json::array({1000})).error(), RpcCode::InvalidParameter,
             "Block height out of range");
  expect_rpc(l1.call("getblockheader", json::array({"abc"})).error(), RpcCode::InvalidParameter,
             "blockhash must be of length 64 (not 3, for 'abc')");
  expect_rpc(l1.call("sendrawtransaction", json::array({"00zz"})).error(),
             RpcCode::DeserializationError,
             "TX decode failed. Make sure the tx has at least one input.");
  expect_rpc(l1.call("sendrawtransaction", json::array({"0200000001"})).error(),
             RpcCode::DeserializationError,
             "TX decode failed. Make sure the tx has at least one input.");
  expect_rpc(l1.call("getrawtransaction", json::array({std::string(64, 'a')})).error(),
             RpcCode::InvalidAddressOrKey,
             "No such mempool or blockchain transaction. Use gettransaction for wallet "
             "transactions.");
  expect_rpc(l1.call("sendtoaddress", json::array({"bc1notanaddress", 1})).error(),
             RpcCode::InvalidAddressOrKey, "Invalid address");
  expect_rpc(l1.call("sendtoaddress", json::array({ok(l1.get_new_address()), 1})).error(),
             RpcCode::WalletInsufficientFunds, "Insufficient funds");
  EXPECT_EQ(l1.call("getblockhash").error().code, static_cast<int>(RpcCode::MiscError));

  httplib::Client http("127.0.0.1", sim.port());
  auto cookie = *read_cookie_file(sim.config().cookie_file);
  http.set_basic_auth(cookie.first, cookie.second);
  auto parse = http.Post("/", "{not json", "application/json");
  ASSERT_TRUE(parse);
  EXPECT_EQ(parse->status, 500);
  EXPECT_EQ(json::parse(parse->body)["error"]["code"], -32700);
  auto not_object = http.Post("/", "42", "application/json");
  ASSERT_TRUE(not_object);
  EXPECT_EQ(not_object->status, 400);
  EXPECT_EQ(json::parse(not_object->body)["error"]["message"], "Invalid Request object");
  auto batch = http.Post("/", R"([{"id":1,"method":"getblockcount"},{"id":2,"method":"x"}])",
                         "application/json");
  ASSERT_TRUE(batch);
  auto replies = json::parse(batch->body);
  EXPECT_EQ(replies[0]["result"], 0);
  EXPECT_EQ(replies[1]["error"]["code"], -32601);
  httplib::Client stranger("127.0.0.1", sim.port());
  stranger.set_basic_auth("__cookie__", "wrong");
  EXPECT_EQ(stranger.Post("/", R"({"method":"getblockcount"})", "application/json")->status, 401);

  // Malformed HTTP on a raw socket: the server answers 400 (or closes) and keeps serving.
  httplib::Client raw("127.0.0.1", sim.port());
  raw.set_read_timeout(1, 0);
  auto broken = raw.Post("/", httplib::Headers{{"Content-Length", "-5"}}, "x", "text/plain");
  (void)broken;
  EXPECT_EQ(ok(l1.get_block_count()), 0u);
}

TEST(L1sim, SeveralClientsAtOnce) {
  L1simProcess sim;
  {
    BitcoindL1 l1 = sim.client();
    std::string miner = ok(l1.get_new_address());
    ok(l1.generate_to_address(110, miner));  // ten mature coinbases
  }
  constexpr int CLIENTS = 6;
  std::vector<std::thread> threads;
  std::vector<std::string> failures(CLIENTS);
  std::vector<Txid> sent(CLIENTS);
  for (int i = 0; i < CLIENTS; ++i) {
    threads.emplace_back([&, i] {
      try {
        BitcoindL1 mine = sim.client();  // each thread its own client
        for (int k = 0; k < 5; ++k) ok(mine.get_block_count());
        sent[i] = ok(mine.send_to_address(ok(mine.get_new_address()), Sat(COIN)));
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& f : failures) EXPECT_EQ(f, "");
  BitcoindL1 l1 = sim.client();
  for (const auto& txid : sent) EXPECT_TRUE(in_mempool(l1, txid));
}

TEST(L1sim, FollowerSeesBlocksAndReorgs) {
  L1simProcess sim;
  BitcoindL1 l1 = sim.client();
  std::string miner = ok(l1.get_new_address());
  ok(l1.generate_to_address(3, miner));
  ChainFollower follower;
  auto first = ok(follower.sync(l1));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].header.height, 3u);
  BlockHash third = first[0].header.hash;
  ok(l1.invalidate_block(third));
  ok(l1.generate_to_address(2, miner));
  auto events = ok(follower.sync(l1));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, BlockEvent::Kind::Disconnected);
  EXPECT_EQ(events[0].header.hash, third);
  EXPECT_EQ(events[1].kind, BlockEvent::Kind::Connected);
  EXPECT_EQ(events[1].header.height, 3u);
  EXPECT_EQ(events[2].header.height, 4u);
  EXPECT_EQ(events[2].header.hash, ok(l1.get_best_block_hash()));

  // The same through AsyncL1 on a libuv loop.
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    AsyncL1 async(&loop, l1);
    uint32_t height = 0;
    async.run([](L1& l) { return l.get_block_count(); },
              [&](ChainResult<uint32_t> r) { height = ok(std::move(r)); });
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(height, 4u);
  }
  uv_loop_close(&loop);
}

namespace {

// A P2WSH output of `script` funded by the wallet and confirmed; returns its outpoint.
bitcoin::OutPoint fund_p2wsh(BitcoindL1& l1, const bitcoin::Script& script, Sat amount,
                             const std::string& miner) {
  bitcoin::Script spk = bitcoin::p2wsh_for_script(script);
  std::string address = *bitcoin::encode_segwit_address(bitcoin::Network::Regtest, spk);
  Txid txid = ok(l1.send_to_address(address, amount));
  ok(l1.generate_to_address(1, miner));
  bitcoin::Transaction tx = decode(ok(l1.get_raw_transaction(txid)).raw);
  for (uint32_t i = 0; i < tx.outputs.size(); ++i) {
    if (tx.outputs[i].script_pubkey == spk) return {txid, i};
  }
  throw std::runtime_error("funding output not found");
}

// Spends `out` (worth `amount`) through `script`, signed with `key`.
bitcoin::Transaction spend_p2wsh(const bitcoin::OutPoint& out, Sat amount,
                                 const bitcoin::Script& script, const crypto::SecretKey& key,
                                 uint32_t sequence, uint32_t locktime, const bitcoin::Script& to) {
  bitcoin::Transaction tx;
  tx.inputs.push_back({out, {}, sequence, {}});
  tx.outputs.push_back({Sat(amount.value() - 1000), to});
  tx.locktime = locktime;
  Hash256 digest = bitcoin::segwit_v0_sighash(tx, 0, script.span(), amount, bitcoin::SIGHASH_ALL);
  Bytes sig = crypto::sign(key, digest).to_der();
  sig.push_back(0x01);
  tx.inputs[0].witness = {sig, script.bytes()};
  return tx;
}

}  // namespace

TEST(L1sim, EarlyCsvSpendRejectedThenAccepted) {
  L1simProcess sim;
  BitcoindL1 l1 = sim.client();
  std::string miner = fund_wallet(l1);
  crypto::SecretKey key = crypto::SecretKey::random();
  auto pub = key.public_key().serialize();
  bitcoin::Script script;
  script.push_int(5).push_opcode(bitcoin::OP_CHECKSEQUENCEVERIFY).push_opcode(bitcoin::OP_DROP);
  script.push_data(pub).push_opcode(bitcoin::OP_CHECKSIG);
  bitcoin::OutPoint out = fund_p2wsh(l1, script, Sat(COIN), miner);  // confirmed once
  bitcoin::Script to = script_of(ok(l1.get_new_address()));

  bitcoin::Transaction early = spend_p2wsh(out, Sat(COIN), script, key, 5, 0, to);
  EXPECT_EQ(send_error(l1, early).message, "non-BIP68-final");
  // nSequence 0 satisfies BIP 68 now but not the script's "5 OP_CSV".
  bitcoin::Transaction short_lock = spend_p2wsh(out, Sat(COIN), script, key, 0, 0, to);
  ChainError e = send_error(l1, short_lock);
  EXPECT_TRUE(e.is_rpc(RpcCode::VerifyRejected));
  EXPECT_EQ(e.message, "mandatory-script-verify-flag-failed (Locktime requirement not satisfied)");
  ok(l1.generate_to_address(3, miner));
  EXPECT_EQ(send_error(l1, early).message, "non-BIP68-final");  // one block short
  ok(l1.generate_to_address(1, miner));
  EXPECT_EQ(ok(l1.send_raw_transaction(early.serialize())), early.txid());
}

TEST(L1sim, EarlyCltvSpendRejectedThenAccepted) {
  L1simProcess sim;
  BitcoindL1 l1 = sim.client();
  std::string miner = fund_wallet(l1);
  uint32_t unlock = ok(l1.get_block_count()) + 5;
  crypto::SecretKey key = crypto::SecretKey::random();
  auto pub = key.public_key().serialize();
  bitcoin::Script script;
  script.push_int(unlock).push_opcode(bitcoin::OP_CHECKLOCKTIMEVERIFY).push_opcode(bitcoin::OP_DROP);
  script.push_data(pub).push_opcode(bitcoin::OP_CHECKSIG);
  bitcoin::OutPoint out = fund_p2wsh(l1, script, Sat(COIN), miner);
  bitcoin::Script to = script_of(ok(l1.get_new_address()));

  bitcoin::Transaction early = spend_p2wsh(out, Sat(COIN), script, key, 0xfffffffe, unlock, to);
  EXPECT_EQ(send_error(l1, early).message, "non-final");
  // nLockTime 0 is final now but below the script's "<unlock> OP_CLTV".
  bitcoin::Transaction short_lock = spend_p2wsh(out, Sat(COIN), script, key, 0xfffffffe, 0, to);
  EXPECT_EQ(send_error(l1, short_lock).message,
            "mandatory-script-verify-flag-failed (Locktime requirement not satisfied)");
  ok(l1.generate_to_address(3, miner));  // the next block is `unlock`: still non-final
  EXPECT_EQ(send_error(l1, early).message, "non-final");
  ok(l1.generate_to_address(1, miner));
  EXPECT_EQ(ok(l1.send_raw_transaction(early.serialize())), early.txid());
}
